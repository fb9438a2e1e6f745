r"""Proposition 3: generalized smoothness of each task's meta-objective, :math:`\mathcal L(\theta)=L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i(\theta)\|`.

**As printed** (Chayti & Jaggi, Section 4.2, Proposition 3): "Under Assumptions 1 and 2, for :math:`\lambda\ge2\hat L_1`,
for any training task :math:`\mathcal T_i` we have for any :math:`\theta,\theta'\in\Theta`:
:math:`\|\nabla F_i(\theta)-\nabla F_i(\theta')\|\le\min(\mathcal L(\theta),\mathcal L(\theta'))\|\theta-\theta'\|`, where
:math:`\mathcal L(\theta)=L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i(\theta)\|`."  (Appendix A.3 defines instead
:math:`\mathcal L(\theta):=L_1/4+\frac{\hat L_2}{4\lambda}\|\nabla F_i(\theta)\|` and a factor 1/2 in (24) that does not
follow from the line before it; the statement of the main text is checked.)

**Standing assumptions.** Assumptions 1-2 (uniform constants over the tasks of a family) and :math:`\lambda\ge2\hat L_1`.
Searched : every logistic family of :class:`bmaml_theory.search.LogisticSpace` with M in [1, 8] tasks
(the worst task counts: "for any training task"), n in [2, 10], 1-4 training and test points per task, non-convex
training, :math:`\lambda\in2\hat L_1[1,10]`, and pairs :math:`\theta'=\theta+d\,u`, :math:`d\in(10^{-4},10)`
(:mod:`._smoothness`).

**Measured.** The sup over the searched pairs and tasks of :math:`\|\nabla F_i(\theta)-\nabla F_i(\theta')\|/
(\min(\mathcal L(\theta),\mathcal L(\theta'))\|\theta-\theta'\|)` (:func:`ratio`), by CMA-ES from random starts
(:func:`bmaml_theory.claims.runners.adversarial_upper_bound`) with the derivation's extremal instance (errata E5:
local smoothness :math:`(\lambda/\mu)^2L_1=4L_1` at :math:`x^\top\phi=0`, ratio 4) as a pinned start only; the
evidence reports the worst from random starts alone (``search.unpinned_worst``) beside it.  The corrected
function :math:`(\lambda/\mu)^2(L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i\|)` is searched the same way
(``evidence.corrected``).

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).  A gradient difference within 1e6 x round-off is not a
measurement (skipped).
"""

from __future__ import annotations

from typing import Any

from bmaml_theory import theory
from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common, _smoothness
from bmaml_theory.studies import extremal

STATEMENT = Statement(
    id="prop3",
    source="Chayti & Jaggi, Section 4.2, Proposition 3",
    statement="Under Assumptions 1 and 2, for lam >= 2 Lhat1, for any training task T_i we have for any theta, "
    "theta' in Theta: ||grad F_i(theta) - grad F_i(theta')|| <= min(L(theta), L(theta')) ||theta - theta'||, where "
    "L(theta) = L1 + (Lhat2/lam) ||grad F_i(theta)||.",
    form="the explicit smoothness function of the main text's Proposition 3",
    assumptions="Assumptions 1-2, lam >= 2 Lhat1; searched: logistic families with M in [1, 8] tasks (worst task), "
    "n in [2, 10], 1-4 training and test points, non-convex training allowed, train != test, lam in 2 Lhat1 [1, 10], "
    "||theta - theta'|| in (1e-4, 10)",
    kind="upper_bound",
    measure="sup over searched families, tasks and pairs of ||grad F_i(theta) - grad F_i(theta')|| / (min(L(theta), "
    "L(theta')) ||theta - theta'||); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_common.BOUND_TOL, _common.BOUND_TOL_REASON),
    figure="smoothness_envelope.png",
    group="cj-section4-smoothness",
)

EXTREMAL = 4.0  # errata E5: (lam/mu)^2 = 4 at lam = 2 Lhat1, attained at x^T phi* = 0 as ||theta - theta'|| -> 0
SAMPLES = {"default": 300, "quick": 60}  # theta per panel of the smoothness-envelope figure


@replayable
def ratio(p: Any) -> float | None:
    """The pair ratio against Proposition 3's printed function, worst task (encoding of ``_smoothness.SPACE_TASK``)."""
    q = _smoothness.pair(_smoothness.SPACE_TASK, p)
    return None if q is None else _smoothness.task_ratio(q, theory.prop3_L_stated)


@replayable
def ratio_corrected(p: Any) -> float | None:
    """The pair ratio against the corrected function (lam/mu)^2 (L1 + (Lhat2/lam)||grad F_i||) (errata E5)."""
    q = _smoothness.pair(_smoothness.SPACE_TASK, p)
    return None if q is None else _smoothness.task_ratio(q, theory.prop3_L_corrected)


def describe(p: Any) -> dict:
    """The pair at ``p`` (distance, gradient norms, zeta, local smoothness) for the evidence."""
    return _smoothness.describe_pair(_smoothness.SPACE_TASK, p)


def pins() -> list:
    """The extremal task (M = 1) at theta = 0 with the pinned direction e1 and distance 1.7e-4."""
    return [_smoothness.extremal_encoding(_smoothness.SPACE_TASK, 1)]


def smoothness_data(ctx: Context) -> list[dict]:
    """The figure's cloud (shared by prop3 and cor2 through the group cache)."""
    k = SAMPLES["quick" if ctx.quick else "default"]
    return ctx.cached(f"section4-smoothness-samples-{k}", lambda: extremal.smoothness_samples(k, ctx.seed))


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the pair ratio against Proposition 3's printed function, the corrected one in the evidence."""
    return _smoothness.search_claim(
        ctx,
        STATEMENT,
        ratio=ratio,
        space=_smoothness.SPACE_TASK,
        pins=pins(),
        extremal=EXTREMAL,
        describe=describe,
        evidence={
            "corrected": _smoothness.corrected_evidence(
                ctx,
                ratio_corrected,
                _smoothness.SPACE_TASK,
                pins(),
                "(lam/mu)^2 (L1 + (Lhat2/lam)||grad F_i||) <= 4 (L1 + (Lhat2/lam)||grad F_i||) (errata E5)",
            )
        },
        data={"samples": smoothness_data(ctx)},
    )
