r"""Corollary 3, first part: the meta-gradient is bounded, :math:`\|\nabla F(\theta)\|\le G:=\lambda L_0/\mu`.

**As printed** (Chayti & Jaggi, Section 4.2, Corollary 3): "Under Assumptions 1, 2, 3 and 4, for
:math:`\lambda\ge2\hat L_1`, we have for any :math:`\theta\in\Theta`: :math:`\|\nabla F(\theta)\|\le\frac{\lambda L_0}{\mu}:=G`."
It bounds the gradient of :math:`F=\frac1M\sum_iF_i`; each :math:`\|\nabla F_i\|\le G` gives it by the triangle
inequality, and :math:`\zeta` does not enter.

**Standing assumptions.** Assumptions 1-4 and :math:`\lambda\ge2\hat L_1`.  Searched : logistic families
of :class:`bmaml_theory.search.LogisticSpace` with M in [2, 8] (:math:`\zeta>0`), n in [2, 10], 1-4 training and
test points, non-convex training, :math:`\lambda\in2\hat L_1[1,10]`.

**Measured.** The sup over the searched class of :math:`\|\nabla F(\theta)\|/G` (:func:`ratio`) by CMA-ES from random
starts.  By eq. (7) :math:`\nabla F_i=\lambda H_i^{-1}\nabla f_i` with :math:`H_i\succeq\mu I`, so the bound holds; it
is attained in the limit :math:`x^\top\phi\to-\infty` on the extremal task (:math:`\|\nabla f\|\to L_0` along the
direction where :math:`H=\mu`); the pinned start only: that task twice at :math:`\theta=(-10,0)`
(:math:`x^\top\phi^*=-40`), ratio 1 to machine precision.

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory import theory
from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common, _smoothness

STATEMENT = Statement(
    id="cor3",
    source="Chayti & Jaggi, Section 4.2, Corollary 3 (first part)",
    statement="Under Assumptions 1, 2, 3 and 4, for lam >= 2 Lhat1, we have for any theta in Theta: "
    "||grad F(theta)|| <= lam L0/mu := G.",
    form="the explicit bound G = lam L0/mu on the gradient of F = (1/M) sum_i F_i",
    assumptions="Assumptions 1-4, lam >= 2 Lhat1; searched: logistic families with M in [2, 8] tasks, n in [2, 10], "
    "1-4 training and test points, non-convex training allowed, train != test, lam in 2 Lhat1 [1, 10]",
    kind="upper_bound",
    measure="sup over the searched class of ||grad F(theta)|| / (lam L0/mu); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_common.BOUND_TOL, _common.BOUND_TOL_REASON),
    group="cj-section4-smoothness-bounds",
)

EXTREMAL = 1.0  # errata E7: G is attained as x^T phi* -> -infinity on the extremal task
PIN_THETA = (-10.0, 0.0)  # x^T phi*_0 = -40 on the extremal task: ||grad f|| = L0 (1 - 4e-18)


@replayable
def ratio(p: Any) -> float | None:
    """||grad F(theta)|| / G at encoding ``p`` of ``_smoothness.SPACE_MEAN_POINT``."""
    inst = _smoothness.decode(_smoothness.SPACE_MEAN_POINT, p)
    if inst is None:
        return None
    t = inst.tasks
    return float(np.linalg.norm(t.meta_gradient(inst.theta))) / theory.cor3_G(t.constants())


def describe(p: Any) -> dict:
    """G, lam/mu and the certified zeta at ``p``."""
    inst = _smoothness.SPACE_MEAN_POINT.decode(p)
    c = inst.tasks.constants()
    return {"G": theory.cor3_G(c), "lam_over_mu": c.lam / c.mu, "zeta_bound": inst.zeta}


def extremal_encoding() -> np.ndarray:
    """The extremal task twice with theta = PIN_THETA (the ratio is 1 there to machine precision)."""
    return _smoothness.extremal_encoding(_smoothness.SPACE_MEAN_POINT, 2, PIN_THETA, pair=False)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search ||grad F||/G from random starts (the extremal instance pinned), decided against 1."""
    r = _smoothness.search_claim(
        ctx,
        STATEMENT,
        ratio=ratio,
        space=_smoothness.SPACE_MEAN_POINT,
        pins=[extremal_encoding()],
        extremal=EXTREMAL,
        describe=describe,
    )
    r.evidence["tightness"] = (
        f"a ratio of 1 means G is attained; the pinned extremal instance gives {ratio(extremal_encoding()):.15g}"
    )
    return r
