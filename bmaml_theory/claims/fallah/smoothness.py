r"""Fallah, Mokhtari & Ozdaglar: the one-step MAML objective is smooth with a gradient-dependent constant.

**As printed** (the reading note on arXiv 1908.10400, section "Unbounded smooth parameter"):

    Lemma: Consider the objective function F and alpha in [0, 1] we have
    ||grad F(w) - grad F(w)|| <= (4L + 2 rho alpha min{ E_i[||grad f_i(w)||], E_i[||grad f_i(w)||] }) ||w - u||

Conversion slips: the left side and the second argument of the min must read ``u`` (the right side has
``||w - u||``), and ``alpha in [0, 1]`` is the note's slip for the paper's ``alpha in [0, 1/L]`` (the range of every
other lemma and theorem in the note; for alpha > 1/L the factor (1 + alpha L)^2 behind 4L exceeds 4).  Checked as
corrected: for alpha in (0, 1/L], ||grad F(w) - grad F(u)|| <= (4L + 2 rho alpha min(||grad f(w)||, ||grad f(u)||))
||w - u||.

**Standing assumptions** (Assumptions 2 and 3 of the note): f is twice differentiable, L-smooth, with a
rho-Lipschitz Hessian.  The searched class: one logistic task of :mod:`bmaml_theory.search` (logistic loss plus an
indefinite quadratic, n = 2; f is the training objective, L = Lhat1, rho = Lhat2 of the family), a point mass over
tasks so E_i is the single task.

**Measured**: the sup over the searched class of ||grad F(w) - grad F(u)|| / (bound * ||w - u||), alpha in (0, 1/L)
through a sigmoid, ||w - u|| in [1e-4, 10].  The derivation ((1 + alpha L)^2 <= 4 for the first term) is tight on a
quadratic of curvature -L at alpha = 1/L, so the sup is predicted to be exactly 1, approached but not exceeded.

**Tolerance** 1e-6 on the ratio: the relative round-off of two gradient differences at ||w - u|| >= 1e-4 is below
1e-10; 1e-6 leaves four decades and still refutes any constant 1e-6 too small.
"""

from __future__ import annotations

import math

import numpy as np

from bmaml_theory import search
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.fallah._common import MAXFEV, QUICK_MAXFEV, QUICK_STARTS, SEARCH_SEED, STARTS, maml_grad, sig

STATEMENT = Statement(
    id="fallah-smoothness",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), Lemma on the smoothness of F (reading note)",
    statement="Lemma: Consider the objective function F and alpha in [0, 1] we have ||grad F(w) - grad F(w)|| <= "
    "(4L + 2 rho alpha min{E_i[||grad f_i(w)||], E_i[||grad f_i(w)||]}) ||w - u||",
    form="the lemma with its conversion slips corrected (u for the second w; alpha in [0, 1/L])",
    assumptions="f twice differentiable, L-smooth, rho-Lipschitz Hessian (Assumptions 2, 3); alpha in (0, 1/L]; "
    "searched class: one logistic task with an indefinite quadratic part (n = 2)",
    kind="upper_bound",
    measure="sup over the searched class of ||grad F(w) - grad F(u)|| / ((4L + 2 rho alpha min_x ||grad f(x)||) "
    "||w - u||) (dimensionless)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(1e-6, "round-off of gradient differences at ||w - u|| >= 1e-4 is < 1e-10 relative"),
    group="fallah",
)


def ratio(p: list[float] | np.ndarray) -> float:
    r"""||grad F(w) - grad F(u)|| / ((4L + 2 rho alpha min(||grad f(w)||, ||grad f(u)||)) ||w - u||) at encoding ``p``.

    ``p[:12]`` is the task and w (:func:`bmaml_theory.search.decode`); alpha = sig(p[12]) / L;
    ||w - u|| = 10^(-4 + 5 sig(p[13])); the direction of u - w is the angle p[14].
    """
    p = np.asarray(p, dtype=np.float64)
    t, w = search.decode(p[:12])
    c = t.constants()
    L, rho = c.Lhat1, c.Lhat2
    alpha = sig(p[12]) / L
    d = 10 ** (-4 + 5 * sig(p[13]))
    u = w + d * np.array([math.cos(p[14]), math.sin(p[14])])
    dG = float(np.linalg.norm(maml_grad(t, w, alpha) - maml_grad(t, u, alpha)))
    gw, gu = (float(np.linalg.norm(t.train_grad(x[None]))) for x in (w, u))
    return dG / ((4 * L + 2 * rho * alpha * min(gw, gu)) * d)


# The derivation's extremal instance: a training point of norm 0.01 (logistic curvature <= 2.5e-5, rho ~ 1e-7),
# quadratic part -I (curvature -L, L = 1), alpha = 1/L (sig(50) = 1 in float64): ratio 1 - O(1e-4).
PIN = [0.01, 0.0, -1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 0.0, 50.0, 0.0, 0.0]


def _describe(p: np.ndarray) -> dict:
    """The decoded task (the full encoding stays under encoding; the extras are p[12:])."""
    d = search.instance_dict(p[:12])
    d.pop("encoding")
    return d | {"extra": np.asarray(p[12:]).tolist()}


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Adversarial search of :func:`ratio` over the logistic class."""
    starts, maxfev = (QUICK_STARTS, QUICK_MAXFEV) if ctx.quick else (STARTS, MAXFEV)
    return runners.search_upper_bound(
        ctx,
        STATEMENT,
        ratio=ratio,
        dim=15,
        starts=starts,
        maxfev=maxfev,
        seed=SEARCH_SEED,
        pins=[np.asarray(PIN)],
        describe=_describe,
        evidence={"origin_of_4L": "(1 + alpha L)^2 <= 4 for alpha <= 1/L; tight at curvature -L, alpha = 1/L"},
    )
