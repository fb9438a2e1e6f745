r"""Corollary 2: generalized smoothness of F with :math:`\mathcal L_0=\frac{L_1}{4}+\frac{\hat L_2}{4\lambda}\zeta`,
:math:`\mathcal L_1=\frac{\hat L_2}{2\lambda}`.

**As printed** (Chayti & Jaggi, Section 4.2, Corollary 2): "Under Assumptions 1, 2 and 4, for :math:`\lambda\ge2\hat L_1`,
we have for any :math:`\theta,\theta'\in\Theta`: :math:`\|\nabla F(\theta)-\nabla F(\theta')\|\le\min(\mathcal L(\theta),
\mathcal L(\theta'))\|\theta-\theta'\|`, where :math:`\mathcal L(\theta)=\mathcal L_0+\mathcal L_1\|\nabla F(\theta)\|`,
:math:`\mathcal L_0=\frac{L_1}{4}+\frac{\hat L_2}{4\lambda}\zeta` and :math:`\mathcal L_1=\frac{\hat L_2}{2\lambda}`."

**Standing assumptions.** Assumptions 1, 2, 4 and :math:`\lambda\ge2\hat L_1`; one task (M = 1), so Assumption 4 holds
with :math:`\zeta=0` exactly; searched pairs as ``prop3``.

**Measured.** The sup over searched pairs of :math:`\|\nabla F(\theta)-\nabla F(\theta')\|/(\min(\mathcal L(\theta),
\mathcal L(\theta'))\|\theta-\theta'\|)` with the printed :math:`\mathcal L_0,\mathcal L_1` (:func:`ratio`).  Errata E6:
the extremal instance has local smoothness :math:`4L_1` against :math:`\mathcal L_0=L_1/4`, ratio 16; the corrected
constants :math:`(\lambda/\mu)^2(L_1+\hat L_2\zeta/\lambda)`, :math:`(\lambda/\mu)^2\hat L_2/\lambda` are searched too.

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

from bmaml_theory import theory
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.claims.chayti_jaggi.section4.prop3 import pair_ratio, smoothness_claim
from bmaml_theory.claims.chayti_jaggi.section4.prop3 import ratio_corrected as prop3_ratio_corrected

ZETA = 0.0  # one task: Assumption 4 holds with zeta = 0 exactly

STATEMENT = Statement(
    id="cor2",
    source="Chayti & Jaggi, Section 4.2, Corollary 2",
    statement="Under Assumptions 1, 2 and 4, for lam >= 2 Lhat1, we have for any theta, theta' in Theta: "
    "||grad F(theta) - grad F(theta')|| <= min(L(theta), L(theta')) ||theta - theta'||, where L(theta) = calL0 + "
    "calL1 ||grad F(theta)||, calL0 = L1/4 + (Lhat2/(4 lam)) zeta and calL1 = Lhat2/(2 lam).",
    form="the explicit constants calL0, calL1 of Corollary 2",
    assumptions="Assumptions 1, 2, 4, lam >= 2 Lhat1; one task (zeta = 0 exactly); searched pairs as prop3",
    kind="upper_bound",
    measure="sup over searched pairs of ||grad F(theta) - grad F(theta')|| / (min(calL0 + calL1||grad F||) "
    "||theta - theta'||); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(cm.BOUND_TOL, cm.BOUND_TOL_REASON),
    figure="smoothness_envelope.png",
    group="cj-section4-smoothness",
)


def _L_stated(c, g: float) -> float:
    a, b = theory.cor2_constants_stated(c, ZETA)
    return a + b * g


def _L_corrected(c, g: float) -> float:
    a, b = theory.cor2_constants_corrected(c, ZETA)
    return a + b * g


def ratio(p) -> float | None:
    """The pair ratio against Corollary 2's printed calL0 + calL1 ||grad F||."""
    return pair_ratio(p, _L_stated)


def ratio_corrected(p) -> float | None:
    """The pair ratio against the corrected constants (errata E6)."""
    return pair_ratio(p, _L_corrected)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the pair ratio against Corollary 2's printed constants, the corrected ones in the evidence."""
    # with one task (zeta = 0) the corrected Cor. 2 function is the corrected Prop. 3 one: the same search serves
    return smoothness_claim(
        ctx,
        STATEMENT,
        "cor2",
        ratio,
        prop3_ratio_corrected,
        "calL0 = (lam/mu)^2 (L1 + Lhat2 zeta/lam), calL1 = (lam/mu)^2 Lhat2/lam (errata E6); with zeta = 0 this is "
        "the corrected Prop. 3 function, so prop3's corrected search is reused",
        corrected_key="prop3",
    )
