r"""Assumption 3's remark: :math:`\lambda>\hat L_1` gives :math:`\mu=\lambda-\hat L_1`, and eq. (9) is uniquely solvable on
:math:`\mathcal V_0=(-\mu/L_1,\mu/L_1)`.

**As printed** (Chayti & Jaggi, Section 4.1, after Assumption 3): "under Assumption 1, :math:`\hat f_i` is
:math:`\hat L_1` smooth, which means that taking :math:`\lambda>\hat L_1` will ensure Assumption 3 holds with
:math:`\mu=\lambda-\hat L_1`. We can also show that the perturbed problem (9) will have a unique solution as long as
:math:`\nu\in\mathcal V_0=(-\frac{\mu}{L_1},\frac{\mu}{L_1})`."

**Standing assumptions.** Assumptions 1-3 (Section 4.1).  Two classes: quadratic tasks
(:class:`~bmaml_theory.tasks.QuadraticTasks`), for which both the strong-convexity constant :math:`\mu` and the exact
interval of :math:`\nu` on which (9) is strongly convex (:math:`1+\nu\gamma_{ij}>0`) are known in closed form; and
the logistic families of :class:`bmaml_theory.search.LogisticSpace` (M in [1, 8] tasks, n in [2, 10],
1..4 training and test points per task, indefinite Q, :math:`\lambda\in2\hat L_1[1,10]`), searched by CMA-ES from
random starts over the data and the point :math:`\phi` (the encoding's theta) where the Hessians are taken.

**Measured.** The larger of (i) the paper's half-width :math:`\mu/L_1` over the exact half-width of the interval on
which (9) is strongly convex, and (ii) :math:`(\lambda-\hat L_1)/\mu` (at most 1 iff :math:`\mu\ge\lambda-\hat L_1`).
On quadratic families (the five corners :data:`bmaml_theory.tasks.generate.KINDS` in several dimensions, and the
extremal family :math:`\hat A=-\hat L_1I`, :math:`A=L_1I`) both are closed-form.  On logistic families, pointwise
at :math:`\phi` and for every task i (:func:`logistic_ratio`): (i) is
:math:`\frac{\mu}{L_1}\lambda_{\max}\big((\lambda I+\nabla^2\hat f_i(\phi))^{-1}\nabla^2f_i(\phi)\big)`, at most 1 iff the
Hessian :math:`\lambda I+\nabla^2\hat f_i+\nu\nabla^2f_i` of (9) is positive semi-definite at :math:`\phi` for
:math:`\nu=-\mu/L_1` (so definite on the open interval; the sup over :math:`\phi` is the paper's half-width over the
exact one; the positive side is unbounded, f being convex), and (ii) is
:math:`(\lambda-\hat L_1)/\lambda_{\min}(\lambda I+\nabla^2\hat f_i(\phi))`, whose sup over :math:`\phi` is
:math:`(\lambda-\hat L_1)/\mu_{\rm exact}`.  Both are at most 1 iff the remark holds; the extremal instances give
exactly 1 (the interval cannot be enlarged in general), the yardstick of the search's power.

**Tolerance** 1e-6 (the eigenvalues are exact to ~1e-15; fixed before the run).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from bmaml_theory import theory
from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common
from bmaml_theory.claims.chayti_jaggi.section4._common import BOUND_TOL
from bmaml_theory.tasks.generate import KINDS, random_family
from bmaml_theory.tasks.quadratic import QuadraticTasks

STATEMENT = Statement(
    id="assumption3-uniqueness",
    source="Chayti & Jaggi, Section 4.1 (the remark after Assumption 3)",
    statement="taking lam > Lhat1 will ensure Assumption 3 holds with mu = lam - Lhat1. We can also show that the "
    "perturbed problem (9) will have a unique solution as long as nu in V0 = (-mu/L1, mu/L1).",
    form="the remark as printed (both sentences): on quadratic tasks in closed form, and pointwise (Hessians at a "
    "searched phi) on logistic task families",
    assumptions="Assumptions 1-3; quadratic training and test objectives (five corners of the class in n = 2..20, "
    "M = 4 tasks) and the extremal family Ahat = -Lhat1 I, A = L1 I; logistic task families with M in [1, 8] tasks, "
    "n in [2, 10], 1-4 training and test points per task, indefinite Q, lam in [2, 20] Lhat1, data in [-10, 10]",
    kind="upper_bound",
    measure="max over families of max(paper half-width mu/L1 / exact half-width (each side), (lam - Lhat1)/mu); "
    "dimensionless, <= 1 iff the remark holds",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(BOUND_TOL, "eigenvalues exact to ~1e-15; 1e-6 fixed before the run"),
    group="cj-section4-search",
)

M_TASKS = 4  # several tasks, so mu and L1 are minima/maxima over tasks
DIMS_DEFAULT = (2, 5, 10, 20)
DIMS_QUICK = (3, 8)
EXTREMAL_LAM = 2.0  # lam = 2 Lhat1 with Lhat1 = 1: mu = 1
EXTREMAL_L1 = 0.7  # any L1 > 0: the interval's edge -mu/L1 is where (9) becomes singular


def extremal_family(n: int) -> QuadraticTasks:
    r"""One task with :math:`\hat A=-I` (:math:`\hat L_1=1`), :math:`\lambda=2`, :math:`A=0.7I`: at
    :math:`\nu=-\mu/L_1` the Hessian :math:`\lambda I+\hat A+\nu A` of (9) is singular, so :math:`\mathcal V_0` is tight."""
    return QuadraticTasks(
        -np.eye(n)[None], np.ones((1, n)), EXTREMAL_LAM, EXTREMAL_L1 * np.eye(n)[None], np.ones((1, n))
    )


@replayable
def interval_ratio(kind: str, n: int, seed: int = 0) -> float:
    r"""max(paper half-width / exact half-width on each side, :math:`(\lambda-\hat L_1)/\mu`) for the family ``kind``
    (one of :data:`~bmaml_theory.tasks.generate.KINDS` with M = 4, or ``"extremal"``) in dimension ``n``."""
    t = extremal_family(n) if kind == "extremal" else random_family(kind, M_TASKS, n, seed)[0]
    c = t.constants()
    lo, hi = t.nu_interval()
    plo, phi_ = theory.assumption3_interval(c)
    r = max(abs(plo) / abs(lo) if math.isfinite(lo) else 0.0, phi_ / hi if math.isfinite(hi) else 0.0)
    return max(r, (c.lam - c.Lhat1) / c.mu)


def edge_eigenvalue(n: int) -> float:
    """Smallest eigenvalue of eq. (9)'s Hessian at nu = -mu/L1 on the extremal family (0: the edge is singular)."""
    t = extremal_family(n)
    c = t.constants()
    S = t.A_train[0] + t.lam * np.eye(n) - c.mu / c.L1 * t.A_test[0]
    return float(np.linalg.eigvalsh(S)[0])


SPACE = _common.space()  # no extras: phi is the encoding's theta
EXTREMAL = 1.0  # both ratios equal 1 on the extremal instance (the remark is tight)


def extremal_encoding() -> np.ndarray:
    r"""Errata E4's instance in :data:`SPACE` at :math:`\phi=0`: :math:`Q=\mathrm{diag}(-1,0)` with the training point
    along :math:`e_2`, the test point along :math:`e_1`, so :math:`\nabla^2f=L_1e_1e_1^\top` meets :math:`\lambda I+\nabla^2\hat f
    =\mu` on :math:`e_1`: both ratios are 1."""
    return SPACE.encode(
        [[[0.0, 1e-2]]], [[[-1.0, 0.0], [0.0, 0.0]]], [[[2.0, 0.0]]], [[-10.0, 0.0]], [0.0, 0.0], lam_factor=2.0
    )


@replayable
def logistic_ratio(p) -> float | None:
    r"""max over tasks of max((i), (ii)) at the encoding's theta (see the module docstring); None for degenerate data
    (outside the class)."""
    inst = _common.decode_or_none(SPACE, p)
    if inst is None:
        return None
    t, phi = inst.tasks, inst.theta
    c = t.constants()
    n = t.n
    E = np.broadcast_to(np.eye(n), (t.M, n, n)).copy()
    P = np.repeat(np.broadcast_to(phi, (t.M, n))[:, None, :], n, 1)
    S = t.train_hvp(P, E) + t.lam * E  # lam I + Hess fhat_i(phi), rows by symmetry
    Ht = t.test_hvp(P, E)  # Hess f_i(phi)
    out = 0.0
    for i in range(t.M):
        Si, Hi = (S[i] + S[i].T) / 2, (Ht[i] + Ht[i].T) / 2
        gen = float(scipy.linalg.eigh(Hi, Si, eigvals_only=True)[-1])  # lambda_max(S^-1 Hess f_i)
        smin = float(np.linalg.eigvalsh(Si)[0])
        half = c.mu / c.L1 * gen if c.L1 > 0 else 0.0  # L1 = 0: f linear, (9) convex for every nu
        out = max(out, half, (c.lam - c.Lhat1) / smin)
    return out


def describe(p) -> dict:
    """The constants' two ratios' ingredients at encoding ``p`` (mu, L1, lam, Lhat1), for the evidence."""
    inst = _common.decode_or_none(SPACE, p)
    if inst is None:
        return {}
    c = inst.tasks.constants()
    return {"paper_half_width": c.mu / c.L1 if c.L1 > 0 else None, "lam_minus_Lhat1": c.lam - c.Lhat1}


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Interval and mu ratios over the quadratic families and the logistic search, decided against 1."""
    dims = DIMS_QUICK if ctx.quick else DIMS_DEFAULT
    cases = [(k, n, ctx.seed) for k in KINDS for n in dims] + [("extremal", 3, 0)]
    ms = []
    for kind, n, seed in cases:
        ctx.check_time()
        kw = {"kind": kind, "n": n, "seed": seed}
        ms.append(Measurement(interval_ratio(**kw), kw, Replay(f"{__name__}:interval_ratio", kw)))
    per_family = [{**m.instance, "ratio": m.value} for m in ms]
    res = runners.run_search(ctx, logistic_ratio, SPACE, _common.plan(ctx, [extremal_encoding()]))
    ms += runners.search_measurement(SPACE, res, logistic_ratio, describe)
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=res.failures,
        failure_examples=res.failure_examples,
        evidence={
            "search": _common.space_evidence(ctx, SPACE, res, EXTREMAL, "both ratios are 1 on extremal_encoding()"),
            "families": len(cases),
            "per_family": per_family,
            "tight": f"the extremal family has ratio {interval_ratio('extremal', 3):.12g}; at nu = -mu/L1 the Hessian "
            f"of (9) has smallest eigenvalue {edge_eigenvalue(3):.3g} (singular), so V0 cannot be enlarged in general",
        },
    )
