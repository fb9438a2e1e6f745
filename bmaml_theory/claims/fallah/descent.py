r"""Fallah, Mokhtari & Ozdaglar: the descent corollary of the one-step MAML objective.

**As printed** (the reading note on arXiv 1908.10400, "Unbounded smooth parameter"):

    Corollary: Extending the smoothness result, we have
    -L(w)/2 ||u-w||^2 <= F(u) - F(w) - grad F(w)^T (u-v) <= -L(w)/2 ||u-w||^2
    where L(w) = 4L + 2 rho alpha E_{i~p}[||grad f_i(w)||]

Conversion slips: ``u-v`` is ``u-w``, and the right-hand side lost its sign (as printed the two sides are equal,
which would force F to be exactly quadratic); the evident intended statement, which is what the smoothness lemma
gives by integrating :math:`\|\nabla F(x)-\nabla F(w)\|\le L(w)\|x-w\|` along the segment, is
:math:`|F(u)-F(w)-\nabla F(w)^\top(u-w)|\le\frac{L(w)}2\|u-w\|^2`, for :math:`\alpha\in(0,1/L]` (the lemma's range;
the note's "alpha in [0, 1]" makes fallah-smoothness-as-printed violated; fallah-smoothness reads it as [0, 1/L], the evident intended range).

**Standing assumptions** (Assumptions 2 and 3): every f_i twice differentiable, L-smooth, with a rho-Lipschitz
Hessian; the class is :class:`~bmaml_theory.search.StochasticSpace` with one mean Hessian per task (any
sign), M in [1, 8], n in [2, 10], c of either sign (rho = :math:`|c|\cdot4/(3\sqrt3)`, the smallest valid constant),
:math:`\alpha\in(0,1/L)`, any u (direction and distance :math:`10^{-4}..10^{2}` searched).  F is exact.

**Measured**: the sup over the class of :math:`|F(u)-F(w)-\nabla F(w)^\top(u-w)|/(\frac{L(w)}2\|u-w\|^2)`.
**Derivation**: on quadratic tasks with curvature -L, :math:`F(w)=f((1+\alpha L)w)`, whose curvature is
:math:`-(1+\alpha L)^2L\to-4L` as :math:`\alpha\to1/L`: the ratio is :math:`(1+\alpha L)^2/4`, 1 in the limit
(``PIN``: :math:`\alpha L=\mathrm{sig}(10)`, ratio 0.99995).  A remainder below ``ROUNDOFF_MARGIN`` times the
round-off of the F values is not a measurement (skipped).

**Tolerance** 1e-6 (relative round-off of the remainder is below 1e-9 when it is measured).
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
ROUNDOFF_MARGIN = 1e6  # the remainder must exceed 1e6 eps (|F(u)| + |F(w)| + |grad F . (u - w)|) to be measured

STATEMENT = Statement(
    id="fallah-descent",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), Corollary after the smoothness lemma (reading note)",
    statement="Corollary: Extending the smoothness result, we have -L(w)/2 ||u-w||^2 <= F(u) - F(w) - grad F(w)^T "
    "(u-v) <= -L(w)/2 ||u-w||^2 where L(w) = 4L + 2 rho alpha E_{i~p}[||grad f_i(w)||]",
    form="the evident intended two-sided bound |F(u) - F(w) - grad F(w)^T (u - w)| <= L(w)/2 ||u - w||^2 "
    "(u-v read u-w; the right side's sign restored), alpha in (0, 1/L]",
    assumptions="Assumptions 2-3 (f_i L-smooth, rho-Lipschitz Hessian); searched: the stochastic family's exact "
    "task losses, M in [1, 8], n in [2, 10], per-task mean Hessians of any sign, c of either sign, alpha in (0, 1/L)",
    kind="upper_bound",
    measure="sup over the searched class of |F(u) - F(w) - grad F(w)^T (u - w)| / (L(w)/2 ||u - w||^2) (dimensionless)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(1e-6, "the remainder is measured only above 1e6 x its round-off"),
    group="fallah",
)

SPACE = StochasticSpace(per_task_A=True, hessian_noise=False, nonlinear=True, extras={"u": "n", "d": 1})
DIST_LOG10_MIN, DIST_DECADES = -4.0, 6.0  # ||u - w|| = 10^(-4 + 6 sig(z)) in (1e-4, 1e2)


@replayable
def ratio(p) -> float | None:
    r""":math:`|F(u)-F(w)-\nabla F(w)^\top(u-w)|/(\frac{L(w)}2\|u-w\|^2)` at encoding ``p`` (None below round-off)."""
    inst = SPACE.decode(p)
    t, w, alpha = inst.tasks, inst.w, inst.alpha
    v = inst.extra["u"]
    nv = float(np.linalg.norm(v))
    v = v / nv if nv > 0 else np.eye(t.n)[0]
    d = 10 ** (DIST_LOG10_MIN + DIST_DECADES / (1 + math.exp(-float(inst.extra["d"][0]))))
    u = w + d * v
    Fu, Fw, lin = t.F(u, alpha), t.F(w, alpha), float(t.grad_F(w, alpha) @ (u - w))
    rem = abs(Fu - Fw - lin)
    if rem < ROUNDOFF_MARGIN * EPS * (abs(Fu) + abs(Fw) + abs(lin)):
        return None
    return rem / (t.L_of_w(w, alpha) / 2 * d * d)


def pin(n: int = 2) -> np.ndarray:
    """The derivation's extremal instance: one task, A = -I (L = 1), b = 0, c = 0, alpha L = sig(10), w = e1, u = w + 0.1 e1."""
    e1 = np.eye(n)[0]
    return SPACE.encode(np.diag(np.full(n, -1.0)), np.zeros((1, n)), e1, z_alpha=10.0, extra={"u": e1, "d": 0.0})


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """CMA-ES of :func:`ratio` over the class from random starts, plus the pinned extremal instance."""
    res = runners.run_search(ctx, ratio, SPACE, _common.plan(ctx, pins=[pin()]))
    pred = (1 + 1 / (1 + math.exp(-10))) ** 2 / 4  # the derivation's value at pin()
    ev = {"search": _common.search_evidence(res, 1, pred, SPACE), "pinned_ratio_predicted": pred}
    ms = []
    if res.worst_encoding is not None:
        p = np.asarray(res.worst_encoding).tolist()
        ms.append(Measurement(res.worst, SPACE.instance_dict(p), Replay(f"{__name__}:ratio", {"p": p})))
    return runners.decide(ctx, STATEMENT, ms, failures=res.failures, failure_examples=res.failure_examples, evidence=ev)
