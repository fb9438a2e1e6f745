r"""Fallah, Mokhtari & Ozdaglar: the smoothness lemma read with alpha in [0, 1/L] (the paper's range).

**As printed** (the reading note on arXiv 1908.10400, section "Unbounded smooth parameter"):

    Lemma: Consider the objective function F and alpha in [0, 1] we have
    ||grad F(w) - grad F(w)|| <= (4L + 2 rho alpha min{ E_i[||grad f_i(w)||], E_i[||grad f_i(w)||] }) ||w - u||

As printed (alpha in [0, 1], no restriction on alpha L) the lemma is violated: ``fallah-smoothness-as-printed`` checks it so
and gives the counterexample (ratio (1 + alpha L)^2/4 = 2.25 at L = 2, alpha = 1).  This row is the reading with
the range of every other lemma and theorem of the note and of the paper, alpha in [0, 1/L] (the note's "[0, 1]" is
a conversion slip for it), with the left side and the second argument of the min read as ``u`` (the right side has
``||w - u||``): for alpha in (0, 1/L], ||grad F(w) - grad F(u)|| <= (4L + 2 rho alpha min(E_i||grad f_i(w)||,
E_i||grad f_i(u)||)) ||w - u||.

**Standing assumptions** (Assumptions 2 and 3 of the note): every f_i twice differentiable, L-smooth, with a
rho-Lipschitz Hessian.  The searched class: :class:`~bmaml_theory.search.StochasticSpace`, the
stochastic family's exact task losses :math:`\frac12w^\top A_iw+b_i^\top w+c\sum_k\log\cosh w_k` with M in [1, 8]
tasks drawn with probabilities p, n in [2, 10], per-task mean Hessians of any sign, c of either sign (rho =
:math:`|c|\cdot4/(3\sqrt3)` exactly, L exact), alpha in (0, 1/L), u - w of any direction and length
:math:`10^{-4}..10^{2}`.  Searched by CMA-ES (the ``cma`` package, :func:`bmaml_theory.search.maximize`) from
random starts, plus the derivation's extremal instance; the evidence reports the worst from random starts alone.

**Measured**: the sup over the searched class of ||grad F(w) - grad F(u)|| / (bound * ||w - u||).  The derivation
((1 + alpha L)^2 <= 4 for the first term) is tight on a quadratic of curvature -L at alpha = 1/L, so the sup is
predicted to be exactly 1, approached but not exceeded: ``pin()`` (one task, A = -I, alpha L = sig(10)) has ratio
:math:`(1+\mathrm{sig}(10))^2/4=0.99995`.

**Tolerance** 1e-6 on the ratio: a gradient difference is measured only above 1e6 times its round-off.
"""

from __future__ import annotations

import math

import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.fallah import _common
from bmaml_theory.search import StochasticSpace

EPS = float(np.finfo(np.float64).eps)
ROUNDOFF_MARGIN = 1e6  # a gradient difference within 1e6 eps (1 + ||grad F||) is round-off, not a measurement

STATEMENT = Statement(
    id="fallah-smoothness",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), Lemma on the smoothness of F (reading note)",
    statement="Lemma: Consider the objective function F and alpha in [0, 1] we have ||grad F(w) - grad F(w)|| <= "
    "(4L + 2 rho alpha min{E_i[||grad f_i(w)||], E_i[||grad f_i(w)||]}) ||w - u||",
    form="the lemma read with alpha in [0, 1/L] (the paper's range; as printed, alpha in [0, 1], it is violated: "
    "fallah-smoothness-as-printed) and u for the second w",
    assumptions="f_i twice differentiable, L-smooth, rho-Lipschitz Hessian (Assumptions 2, 3); alpha in (0, 1/L); "
    "searched: the stochastic family's exact task losses, M in [1, 8], n in [2, 10], per-task mean Hessians of any "
    "sign, c of either sign",
    kind="upper_bound",
    measure="sup over the searched class of ||grad F(w) - grad F(u)|| / ((4L + 2 rho alpha min(E_i||grad f_i(w)||, "
    "E_i||grad f_i(u)||)) ||w - u||) (dimensionless)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(1e-6, "a gradient difference is measured only above 1e6 x its round-off"),
    group="fallah",
)

SPACE = StochasticSpace(per_task_A=True, hessian_noise=False, nonlinear=True, extras={"u": "n", "d": 1})
DIST_LOG10_MIN, DIST_DECADES = -4.0, 6.0  # ||u - w|| = 10^(-4 + 6 sig(z)) in (1e-4, 1e2)


@replayable
def ratio(p) -> float | None:
    r""":math:`\|\nabla F(w)-\nabla F(u)\|/((4L+2\rho\alpha\min(\mathbb E_i\|\nabla f_i(w)\|,\mathbb E_i\|\nabla f_i(u)\|))\|w-u\|)`
    at encoding ``p`` (None when the gradient difference is within round-off)."""
    inst = SPACE.decode(p)
    t, w, alpha = inst.tasks, inst.w, inst.alpha
    v = inst.extra["u"]
    nv = float(np.linalg.norm(v))
    v = v / nv if nv > 0 else np.eye(t.n)[0]
    d = 10 ** (DIST_LOG10_MIN + DIST_DECADES / (1 + math.exp(-float(inst.extra["d"][0]))))
    u = w + d * v
    Gw, Gu = t.grad_F(w, alpha), t.grad_F(u, alpha)
    dG = float(np.linalg.norm(Gw - Gu))
    if dG < ROUNDOFF_MARGIN * EPS * (1 + max(float(np.linalg.norm(Gw)), float(np.linalg.norm(Gu)))):
        return None
    k = t.constants()
    m = min(float(t.p @ np.linalg.norm(t.task_grad(x), axis=1)) for x in (w, u))
    return dG / ((4 * k.L + 2 * k.rho * alpha * m) * d)


def pin(n: int = 2) -> np.ndarray:
    """The derivation's extremal instance: one task, A = -I (L = 1), b = 0, c = 0, alpha L = sig(10), w = e1,
    u = w + 0.1 e1: ratio (1 + sig(10))^2 / 4."""
    e1 = np.eye(n)[0]
    return SPACE.encode(np.diag(np.full(n, -1.0)), np.zeros((1, n)), e1, z_alpha=10.0, extra={"u": e1, "d": 0.0})


PIN_RATIO = (1 + 1 / (1 + math.exp(-10))) ** 2 / 4  # the derivation's value at pin()


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """CMA-ES of :func:`ratio` over the class from random starts, plus the pinned extremal instance."""
    res = runners.run_search(ctx, ratio, SPACE, _common.plan(ctx, pins=[pin()]))
    ms = []
    if res.worst_encoding is not None:
        p = np.asarray(res.worst_encoding).tolist()
        ms.append(Measurement(res.worst, SPACE.instance_dict(p), Replay(f"{__name__}:ratio", {"p": p})))
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=res.failures,
        failure_examples=res.failure_examples,
        evidence={
            "search": _common.search_evidence(res, 1, PIN_RATIO, SPACE),
            "pinned_ratio_predicted": PIN_RATIO,
            "origin_of_4L": "(1 + alpha L)^2 <= 4 for alpha <= 1/L; tight at curvature -L, alpha = 1/L",
        },
    )
