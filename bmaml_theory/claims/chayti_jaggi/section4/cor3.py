r"""Corollary 3, first part: the meta-gradient is bounded, :math:`\|\nabla F(\theta)\|\le G:=\lambda L_0/\mu`.

**As printed** (Chayti & Jaggi, Section 4.2, Corollary 3): "Under Assumptions 1, 2, 3 and 4, for
:math:`\lambda\ge2\hat L_1`, we have for any :math:`\theta\in\Theta`: :math:`\|\nabla F(\theta)\|\le\frac{\lambda L_0}{\mu}:=G`."

**Standing assumptions.** Assumptions 1-4 and :math:`\lambda\ge2\hat L_1`; one logistic task in n = 2 (searched class of
:mod:`bmaml_theory.search`).

**Measured.** The sup over the searched class of :math:`\|\nabla F(\theta)\|/G` (:func:`ratio`).  By eq. (7)
:math:`\nabla F=\lambda H^{-1}\nabla f` with :math:`H\succeq\mu I`, so the bound holds; it is attained in the limit
:math:`x^\top\phi\to-\infty` on the extremal instance (:math:`\|\nabla f\|\to L_0` along the direction where
:math:`H=\mu`), where the ratio is 1 to machine precision (the pinned start, :data:`PIN_THETA`).

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

import numpy as np

from bmaml_theory import search, theory
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.studies.extremal import EXTREMAL_P

STATEMENT = Statement(
    id="cor3",
    source="Chayti & Jaggi, Section 4.2, Corollary 3 (first part)",
    statement="Under Assumptions 1, 2, 3 and 4, for lam >= 2 Lhat1, we have for any theta in Theta: "
    "||grad F(theta)|| <= lam L0/mu := G.",
    form="the explicit bound G = lam L0/mu",
    assumptions="Assumptions 1-4, lam >= 2 Lhat1; searched: one logistic task in n = 2, non-convex training allowed, "
    "train != test, lam in [2, 20] Lhat1",
    kind="upper_bound",
    measure="sup over the searched class of ||grad F(theta)|| / (lam L0/mu); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(cm.BOUND_TOL, cm.BOUND_TOL_REASON),
    group="cj-section4-search",
)

PIN_THETA = (-10.0, 0.0)  # x^T phi*_0 = -40 on the extremal instance: ||grad f|| = L0 (1 - 4e-18)


def ratio(p) -> float:
    """||grad F(theta)|| / G at encoding ``p``."""
    t, theta = search.decode(np.asarray(p, dtype=np.float64)[: search.BASE_DIM])
    return float(np.linalg.norm(t.meta_gradient(theta))) / theory.cor3_G(t.constants())


def extremal_encoding() -> np.ndarray:
    """The extremal instance with theta = PIN_THETA (the ratio is 1 there to machine precision)."""
    p = EXTREMAL_P.copy()
    p[9:11] = PIN_THETA
    return p


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search ||grad F||/G from random starts and the extremal pin, decided against 1."""
    pins = [extremal_encoding()]
    res = cm.run_search(ctx, "cor3", ratio, search.BASE_DIM, pins, ctx.seed)
    return runners.decide(
        ctx,
        STATEMENT,
        cm.search_measurement(res, ratio),
        failures=res.failures,
        failure_examples=res.failure_examples,
        evidence={
            "search": cm.search_evidence(ctx, res, 1),
            "tightness": "a ratio of 1 means G is attained; the pinned extremal instance gives "
            f"{ratio(extremal_encoding()):.15g}",
        },
    )
