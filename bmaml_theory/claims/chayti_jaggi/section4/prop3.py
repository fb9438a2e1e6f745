r"""Proposition 3: generalized smoothness of each task's meta-objective, :math:`\mathcal L(\theta)=L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i(\theta)\|`.

**As printed** (Chayti & Jaggi, Section 4.2, Proposition 3): "Under Assumptions 1 and 2, for :math:`\lambda\ge2\hat L_1`,
for any training task :math:`\mathcal T_i` we have for any :math:`\theta,\theta'\in\Theta`:
:math:`\|\nabla F_i(\theta)-\nabla F_i(\theta')\|\le\min(\mathcal L(\theta),\mathcal L(\theta'))\|\theta-\theta'\|`, where
:math:`\mathcal L(\theta)=L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i(\theta)\|`."  (Appendix A.3 defines instead
:math:`\mathcal L(\theta):=L_1/4+\frac{\hat L_2}{4\lambda}\|\nabla F_i(\theta)\|` and a factor 1/2 in (24) that does not
follow from the line before it; the statement of the main text is checked.)

**Standing assumptions.** Assumptions 1-2 and :math:`\lambda\ge2\hat L_1`; one logistic task in n = 2 (searched class
of :mod:`bmaml_theory.search`), :math:`\theta'=\theta+d\,u` with :math:`u` a unit direction and
:math:`d\in(10^{-4},10)`.

**Measured.** The sup over the searched pairs of :math:`\|\nabla F_i(\theta)-\nabla F_i(\theta')\|/(\min(\mathcal L(\theta),
\mathcal L(\theta'))\|\theta-\theta'\|)` (:func:`ratio`).  Errata E5 derives :math:`(\lambda/\mu)^2\le4` times the
stated function and shows it attained on the extremal instance (local smoothness :math:`4L_1` at
:math:`x^\top\phi=0`); the corrected function is searched the same way (``evidence.corrected``).

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).  A gradient difference within 1e6 x round-off is not a
measurement (skipped).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from bmaml_theory import search, theory
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.studies import extremal

STATEMENT = Statement(
    id="prop3",
    source="Chayti & Jaggi, Section 4.2, Proposition 3",
    statement="Under Assumptions 1 and 2, for lam >= 2 Lhat1, for any training task T_i we have for any theta, "
    "theta' in Theta: ||grad F_i(theta) - grad F_i(theta')|| <= min(L(theta), L(theta')) ||theta - theta'||, where "
    "L(theta) = L1 + (Lhat2/lam) ||grad F_i(theta)||.",
    form="the explicit smoothness function of the main text's Proposition 3",
    assumptions="Assumptions 1-2, lam >= 2 Lhat1; searched: one logistic task in n = 2, non-convex training allowed, "
    "train != test, lam in [2, 20] Lhat1, ||theta - theta'|| in (1e-4, 10)",
    kind="upper_bound",
    measure="sup over searched pairs of ||grad F_i(theta) - grad F_i(theta')|| / (min(L(theta), L(theta')) "
    "||theta - theta'||); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(cm.BOUND_TOL, cm.BOUND_TOL_REASON),
    figure="smoothness_envelope.png",
    group="cj-section4-smoothness",
)

DIST_LOG10_MIN, DIST_DECADES = -4.0, 5.0  # ||theta - theta'|| = 10^(-4 + 5 sig(p[13])) in (1e-4, 10)
ROUNDOFF_MARGIN = 1e6  # a gradient difference within 1e6 x eps (1 + ||grad||) is round-off, not a measurement
PIN_PAIR = (0.0, -3.0)  # direction e1, distance ~ 1.7e-4 on the extremal instance
SAMPLES = {"default": 300, "quick": 60}  # theta per panel of the smoothness-envelope figure


def pair(p) -> tuple:
    r"""(tasks, :math:`\|\nabla F(\theta)-\nabla F(\theta')\|`, :math:`\|\theta-\theta'\|`, :math:`\|\nabla F(\theta)\|`,
    :math:`\|\nabla F(\theta')\|`) for encoding ``p`` (p[12]: angle of :math:`\theta'-\theta`, p[13]: its length)."""
    p = np.asarray(p, dtype=np.float64)
    t, theta = search.decode(p[: search.BASE_DIM])
    b = search.BASE_DIM
    u = np.array([math.cos(p[b]), math.sin(p[b])])
    dist = 10 ** (DIST_LOG10_MIN + DIST_DECADES * cm.sig(p[b + 1]))
    G1 = t.meta_gradient(theta, per_task=True)[0]
    G2 = t.meta_gradient(theta + dist * u, per_task=True)[0]
    return t, float(np.linalg.norm(G1 - G2)), dist, float(np.linalg.norm(G1)), float(np.linalg.norm(G2))


def pair_ratio(p, L: Callable[[object, float], float]) -> float | None:
    r""":math:`\|\Delta\nabla F\|/(\min(L(\theta),L(\theta'))\|\Delta\theta\|)` for a smoothness function ``L(c, grad_norm)``."""
    t, dG, dist, n1, n2 = pair(p)
    if dG < ROUNDOFF_MARGIN * cm.EPS * (1 + max(n1, n2)):
        return None
    c = t.constants()
    return dG / (min(L(c, n1), L(c, n2)) * dist)


def ratio(p) -> float | None:
    """The ratio against Proposition 3's stated function."""
    return pair_ratio(p, theory.prop3_L_stated)


def ratio_corrected(p) -> float | None:
    """The ratio against the corrected function (lam/mu)^2 (L1 + (Lhat2/lam)||grad F_i||) (errata E5)."""
    return pair_ratio(p, theory.prop3_L_corrected)


def describe(p) -> dict:
    """The pair at encoding ``p`` (gradient difference, distance, norms, local smoothness), for the evidence."""
    t, dG, dist, n1, n2 = pair(p)
    theta = search.decode(np.asarray(p, dtype=np.float64)[: search.BASE_DIM])[1]
    return {
        "grad_diff": dG,
        "theta_dist": dist,
        "grad_norms": [n1, n2],
        "local_smoothness_at_theta": float(np.linalg.norm(t.meta_hessian(theta), 2)),
    }


def smoothness_data(ctx: Context) -> list[dict]:
    """The figure's cloud (shared by prop3 and cor2 through the group cache)."""
    k = SAMPLES["quick" if ctx.quick else "default"]
    return ctx.cached(f"section4-smoothness-samples-{k}", lambda: extremal.smoothness_samples(k, ctx.seed))


def smoothness_claim(
    ctx: Context, st: Statement, key: str, fn, fn_corrected, corrected_label: str, corrected_key: str | None = None
) -> ClaimResult:
    """Search ``fn`` (and ``fn_corrected`` for the evidence, cached under ``corrected_key``) over pairs and decide
    ``st`` (shared with cor2 and cor3-smoothness)."""
    pins = [cm.pin(PIN_PAIR)]
    res = cm.run_search(ctx, key, fn, search.BASE_DIM + 2, pins, ctx.seed)
    return runners.decide(
        ctx,
        st,
        cm.search_measurement(res, fn, describe),
        failures=res.failures,
        failure_examples=res.failure_examples,
        evidence={
            "search": cm.search_evidence(ctx, res, 1),
            "corrected": cm.corrected_evidence(
                ctx, corrected_key or key, fn_corrected, search.BASE_DIM + 2, pins, corrected_label
            ),
        },
        data={"samples": smoothness_data(ctx)} if st.figure else None,
    )


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the pair ratio against Proposition 3's printed function, the corrected one in the evidence."""
    return smoothness_claim(
        ctx,
        STATEMENT,
        "prop3",
        ratio,
        ratio_corrected,
        "(lam/mu)^2 (L1 + (Lhat2/lam)||grad F_i||) <= 4 (L1 + (Lhat2/lam)||grad F_i||) (errata E5)",
    )
