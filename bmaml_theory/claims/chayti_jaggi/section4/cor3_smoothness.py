r"""Corollary 3, second part: F is :math:`\mathcal L`-smooth with :math:`\mathcal L=\mathcal L_0+G\mathcal L_1`
(Corollary 2's constants, :math:`G=\lambda L_0/\mu`).

**As printed** (Chayti & Jaggi, Section 4.2, Corollary 3): "Hence, for any :math:`\theta,\theta'\in\Theta` we have
:math:`\|\nabla F(\theta)-\nabla F(\theta')\|\le\mathcal L\|\theta-\theta'\|`, where :math:`\mathcal L:=\mathcal L_0+G\mathcal L_1`,
for :math:`\mathcal L_0,\mathcal L_1` defined in Corollary 2."

**Standing assumptions.** Assumptions 1-4 and :math:`\lambda\ge2\hat L_1`; one task (:math:`\zeta=0`); searched pairs
as ``prop3``.

**Measured.** The sup over searched pairs of :math:`\|\nabla F(\theta)-\nabla F(\theta')\|/(\mathcal L\|\theta-\theta'\|)`
(:func:`ratio`); errata E6-E7: 16 on the extremal instance (the printed :math:`\mathcal L_0` is :math:`L_1/4` and
:math:`G\mathcal L_1` is negligible there); the corrected constants are searched too.

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

from bmaml_theory import theory
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.claims.chayti_jaggi.section4.cor2 import ZETA
from bmaml_theory.claims.chayti_jaggi.section4.prop3 import pair_ratio, smoothness_claim

STATEMENT = Statement(
    id="cor3-smoothness",
    source="Chayti & Jaggi, Section 4.2, Corollary 3 (second part)",
    statement="Hence, for any theta, theta' in Theta we have ||grad F(theta) - grad F(theta')|| <= calL "
    "||theta - theta'||, where calL := calL0 + G calL1, for calL0, calL1 defined in Corollary 2.",
    form="the explicit constant calL0 + G calL1 with Corollary 2's printed constants",
    assumptions="Assumptions 1-4, lam >= 2 Lhat1; one task (zeta = 0 exactly); searched pairs as prop3",
    kind="upper_bound",
    measure="sup over searched pairs of ||grad F(theta) - grad F(theta')|| / ((calL0 + G calL1) ||theta - theta'||); "
    "dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(cm.BOUND_TOL, cm.BOUND_TOL_REASON),
    group="cj-section4-smoothness",
)


def ratio(p) -> float | None:
    """The pair ratio against calL0 + G calL1 with Corollary 2's printed constants."""
    return pair_ratio(p, lambda c, g: theory.cor3_L_stated(c, ZETA))


def ratio_corrected(p) -> float | None:
    """The pair ratio against calL0 + G calL1 with the corrected constants (errata E6)."""
    return pair_ratio(p, lambda c, g: theory.cor3_L_corrected(c, ZETA))


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the pair ratio against calL0 + G calL1 (printed), the corrected one in the evidence."""
    return smoothness_claim(
        ctx,
        STATEMENT,
        "cor3-smoothness",
        ratio,
        ratio_corrected,
        "calL0 + G calL1 with the corrected constants of Corollary 2 (errata E6)",
    )
