r"""Shared helpers of Section 4's smoothness rows (``prop3``, ``cor2``, ``cor3``, ``cor3-smoothness``, ``cor3-remark``).

**The searched class**: :class:`bmaml_theory.search.LogisticSpace`, logistic task families with M tasks,
dimension n in [2, 10], 1-4 training and 1-4 test points per task, non-convex training (indefinite :math:`Q_i`),
:math:`\lambda\in2\hat L_1[1,10]`, train != test, every coordinate in the box [-10, 10].  Proposition 3 speaks of
each task of any family (M in [1, 8], the worst task counts); Corollaries 2-3 speak of :math:`F=\frac1M\sum_iF_i`
and are searched over M in [2, 8], where Assumption 4's :math:`\zeta` is positive.  A pair
:math:`(\theta,\theta')` is :math:`\theta'=\theta+d\,u` with :math:`u=v/\|v\|` (extra ``u``, a vector of dimension
n) and :math:`d=10^{-4+5\sigma(s)}\in(10^{-4},10)` (extra ``d``).

**Assumption 4's zeta.** A printed bound is evaluated with :func:`bmaml_theory.search.zeta_bound`, a certified
valid :math:`\zeta` (:math:`\ge` the smallest one): the printed bounds grow with :math:`\zeta`, so a violation with
it is a violation for every valid :math:`\zeta` up to it, in particular the smallest.  A corrected bound (expected
to hold) is evaluated with the *local* dispersion :math:`\max(\zeta_{\rm loc}(\theta),\zeta_{\rm loc}(\theta'))`,
:math:`\zeta_{\rm loc}(\theta)^2=\frac1M\sum_i\|\nabla F_i(\theta)-\nabla F(\theta)\|^2`, which is :math:`\le` every
valid :math:`\zeta`: a corrected bound that holds with it holds for every valid :math:`\zeta` (fail closed both ways),
and the derivation (errata E6) needs only the local one.

**Both gradients in one Newton solve.** :math:`\phi^*_i(\theta')` is the solution at :math:`\theta` of task i with
the training linear term :math:`q_i=-\lambda(\theta'-\theta)`
(:math:`\frac\lambda2\|\phi-\theta'\|^2=\frac\lambda2\|\phi-\theta\|^2-\lambda(\theta'-\theta)^\top\phi+` const),
and :math:`\nabla F_i(\theta')=\lambda H^{-1}\nabla f_i(\phi^*_i(\theta'))` does not involve q; so the 2M tasks
(each task at :math:`\theta` and its shifted copy) are solved by one batched damped Newton of
:class:`~bmaml_theory.tasks.logistic.LogisticTasks` (1.3-1.8x faster than two solves; agreement to ~1e-11 relative,
checked by the tests).

**Search settings** (:data:`SEARCH`): the budget fixed from this group's time budget (50 s single-core default,
12 s quick, at ~5 ms per pair evaluation) before any power was measured: each main search 1200 evaluations (quick
300; the pair searches over :data:`SPACE_MEAN` 2400), each corrected-bound search (evidence) 250 (quick 100); the
pins get :data:`PIN_BUDGET` of them as their own search, the random starts the rest (4 starts, 2 rungs,
``sigma0`` 0.4 for all five claims).  How these were chosen, with the search power each alternative reached on seeds
0-5: docs/methods.md, "The adversarial search's settings".

Steps of 1.5 in a box of half-width 10 overshoot the thin ridge where the extremal alignment lives (the test point
along the training Hessian's most negative direction, at :math:`\lambda=2\hat L_1`, tiny training points so that
:math:`\hat L_2` vanishes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from bmaml_theory import search, theory
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement
from bmaml_theory.search import Instance, LogisticSpace, SearchPlan, SearchSpace, TiedLogisticSpace, sig
from bmaml_theory.tasks.logistic import LogisticTasks

EPS = float(np.finfo(np.float64).eps)
ROUNDOFF_MARGIN = 1e6  # a gradient difference within 1e6 x eps (1 + ||grad||) is round-off, not a measurement
DIST_LOG10_MIN, DIST_DECADES = -4.0, 5.0  # ||theta' - theta|| = 10^(-4 + 5 sig(d)) in (1e-4, 10)
PAIR_EXTRAS = {"u": "n", "d": 1}


# Proposition 3: any family, the worst task; Corollaries 2-3: F over M >= 2 tasks (zeta > 0).
SPACE_TASK = LogisticSpace(M=(1, 8), extras=PAIR_EXTRAS)
SPACE_MEAN = TiedLogisticSpace(M=(2, 8), extras=PAIR_EXTRAS)
SPACE_MEAN_POINT = TiedLogisticSpace(M=(2, 8))  # cor3: one theta, no pair

# The derivations' extremal task (errata E5): training f^ = l(xh^T phi) - phi_1^2 / 2 with a tiny xh = (0, 1e-2), so
# Lhat1 = 1 and mu = lam / 2 along e1 at lam = 2 Lhat1; test f = l(x^T phi) + r^T phi with x = (2, 0), r = (-10, 0).
EXTREMAL_TASK = {
    "X_train": [[0.0, 1e-2]],
    "Q": [[-1.0, 0.0], [0.0, 0.0]],
    "X_test": [[2.0, 0.0]],
    "r": [-10.0, 0.0],
}
PIN_DIRECTION = (1.0, 0.0)  # theta' - theta along e1, where grad^2 F_i = 4 L1 at theta = 0 (x^T phi* = 0)
PIN_D = -3.0  # d = 10^(-4 + 5 sig(-3)) = 1.73e-4: the local smoothness, to 1e-4 relative
CORRECTED_SEED_OFFSET = 1  # a corrected bound's search: the main plan reseeded by this (independent draws)

# Search sizes (module docstring; how they were chosen: docs/methods.md).
SEARCH = {
    "default": {"starts": 4, "budget": 1200, "budget_pair_mean": 2400, "corrected_budget": 250},
    "quick": {"starts": 2, "budget": 300, "budget_pair_mean": 300, "corrected_budget": 100},
}
SIGMA0 = 0.4  # CMA-ES initial step and random-start scale (see the module docstring for how it was chosen)
RUNGS = 2  # successive halving: 4 starts for b0 evaluations, the best one for 4 b0 more (module docstring)
# evaluations per pinned start: the pin is evaluated and polished (a few CMA-ES generations), never given the search's
# budget (search.maximize would give it a random run's share in every rung: 38% of the budget at 4 starts, 2 rungs)
PIN_BUDGET = {"default": 60, "quick": 30}


def extremal_encoding(
    space: LogisticSpace, M: int, theta: Sequence[float] = (0.0, 0.0), pair: bool = True
) -> np.ndarray:
    """The extremal task repeated M times (identical tasks: the smallest zeta is 0), at ``theta``, as ``space``'s
    encoding (with the pinned pair direction and distance when ``pair``)."""
    e = EXTREMAL_TASK
    rep = lambda v: np.repeat(np.asarray(v, dtype=np.float64)[None], M, axis=0)  # noqa: E731
    extra = {"u": list(PIN_DIRECTION), "d": [PIN_D]} if pair else None
    return space.encode(
        rep(e["X_train"]), rep(e["Q"]), rep(e["X_test"]), rep(e["r"]), list(theta), lam_factor=2.0, extra=extra
    )


class Pair(NamedTuple):
    """A decoded pair: the tasks, theta, the distance, per-task gradients at theta and theta' (M, n), zeta_bound."""

    tasks: LogisticTasks
    theta: np.ndarray
    dist: float
    G1: np.ndarray
    G2: np.ndarray
    zeta: float


def decode(space: LogisticSpace, p: Any) -> Instance | None:
    """``space.decode(p)``, or ``None`` when the data's constants cannot be computed (outside the measurable class).

    A malformed ``p`` (not an encoding of ``space``: wrong header or length, e.g. a replay of an older encoding) raises
    ``ValueError`` from :meth:`LogisticSpace.structure_of`, never a silent ``None``.
    """
    space.structure_of(p)
    try:
        return space.decode(p)
    except ValueError:
        return None  # constants not computable for this data: outside the measurable class


def pair(space: LogisticSpace, p: Any) -> Pair | None:
    r"""The pair encoded by ``p``: :math:`\nabla F_i(\theta)`, :math:`\nabla F_i(\theta+d\,u)` for every task, in one
    batched Newton solve (module docstring); ``None`` when the encoding is outside the class (degenerate constants or
    a zero direction)."""
    inst = decode(space, p)
    if inst is None:
        return None
    t, theta = inst.tasks, inst.theta
    v = inst.extra["u"]
    nv = float(np.linalg.norm(v))
    if not nv > 0:
        return None
    step = 10 ** (DIST_LOG10_MIN + DIST_DECADES * sig(inst.extra["d"][0])) * v / nv
    dist = float(np.linalg.norm(step))
    both = LogisticTasks(
        np.concatenate([t.Zh, t.Zh]),
        None,
        t.lam,
        np.concatenate([t.Z, t.Z]),
        Q=np.concatenate([t.Q, t.Q]),
        q=np.concatenate([t.q, t.q - t.lam * step]),
        r=np.concatenate([t.r, t.r]),
    )
    G = both.meta_gradient(theta, per_task=True)
    return Pair(t, theta, dist, G[: t.M], G[t.M :], inst.zeta)


def pair_direct(space: LogisticSpace, p: Any) -> Pair:
    """The same pair by two separate solves (the tests check :func:`pair` against it)."""
    inst = space.decode(p)
    t, theta = inst.tasks, inst.theta
    v = inst.extra["u"]
    step = 10 ** (DIST_LOG10_MIN + DIST_DECADES * sig(inst.extra["d"][0])) * v / np.linalg.norm(v)
    return Pair(
        t,
        theta,
        float(np.linalg.norm(step)),
        t.meta_gradient(theta, per_task=True),
        t.meta_gradient(theta + step, per_task=True),
        inst.zeta,
    )


def roundoff(dG: float, n1: float, n2: float) -> bool:
    """Whether a gradient difference is within round-off of the gradients (not a measurement)."""
    return dG < ROUNDOFF_MARGIN * EPS * (1 + max(n1, n2))


def zeta_local(G: np.ndarray) -> float:
    r""":math:`\big(\frac1M\sum_i\|\nabla F_i-\nabla F\|^2\big)^{1/2}` at one theta (per-task gradients G, (M, n))."""
    return float(np.sqrt(np.mean(np.sum((G - G.mean(0)) ** 2, axis=-1))))


def task_ratio(q: Pair, L: Callable[[Any, float], float]) -> float | None:
    r"""Proposition 3's pair ratio, worst task: :math:`\max_i\|\Delta\nabla F_i\|/(\min(L(\theta),L(\theta'))d)` with
    ``L(constants, ||grad F_i||)``; tasks within round-off are skipped (``None`` if every task is)."""
    c = q.tasks.constants()
    best = None
    for g1, g2 in zip(q.G1, q.G2, strict=True):
        dG, n1, n2 = float(np.linalg.norm(g1 - g2)), float(np.linalg.norm(g1)), float(np.linalg.norm(g2))
        if roundoff(dG, n1, n2):
            continue
        v = dG / (min(L(c, n1), L(c, n2)) * q.dist)
        best = v if best is None else max(best, v)
    return best


def mean_ratio(q: Pair, L: Callable[[Any, float, float], float], zeta: str) -> float | None:
    r"""Corollaries 2-3's pair ratio for :math:`F`: :math:`\|\Delta\nabla F\|/(\min(L(\theta),L(\theta'))d)` with
    ``L(constants, ||grad F||, zeta)``; ``zeta="bound"`` uses the certified zeta_bound (printed bounds),
    ``"local"`` the larger local dispersion at theta and theta' (corrected bounds; module docstring)."""
    g1, g2 = q.G1.mean(0), q.G2.mean(0)
    dG, n1, n2 = float(np.linalg.norm(g1 - g2)), float(np.linalg.norm(g1)), float(np.linalg.norm(g2))
    if roundoff(dG, n1, n2):
        return None
    z = q.zeta if zeta == "bound" else max(zeta_local(q.G1), zeta_local(q.G2))
    c = q.tasks.constants()
    return dG / (min(L(c, n1, z), L(c, n2, z)) * q.dist)


def describe_pair(space: LogisticSpace, p: Any) -> dict:
    """The pair at ``p`` for the evidence: distance, gradient norms, zeta_bound against zeta_lower and the local
    dispersions, the local smoothness of F at theta."""
    q = pair(space, p)
    if q is None:
        return {}
    t = q.tasks
    rng = np.random.default_rng(0)
    thetas = np.vstack([q.theta, q.theta + rng.standard_normal((8, t.n))])  # theta and 8 neighbours
    return {
        "theta_dist": q.dist,
        "grad_norm_F": [float(np.linalg.norm(q.G1.mean(0))), float(np.linalg.norm(q.G2.mean(0)))],
        "grad_norms_Fi": np.linalg.norm(q.G1, axis=1).tolist(),
        "zeta_bound": q.zeta,
        "zeta_lower": search.zeta_lower(t, thetas) if t.M > 1 else 0.0,
        "zeta_local": [zeta_local(q.G1), zeta_local(q.G2)],
        "local_smoothness_F": float(np.linalg.norm(t.meta_hessian(q.theta), 2)),
        "lam_over_mu": t.lam / t.constants().mu,
    }


def sizes(ctx: Context) -> dict:
    """This run's search sizes (quick or default)."""
    return SEARCH["quick" if ctx.quick else "default"]


def plan(ctx: Context, pins: Sequence[np.ndarray], budget: int, seed: int | None = None) -> SearchPlan:
    """A smoothness search: :data:`SEARCH`'s random starts with ``budget`` less the pins' share, in :data:`RUNGS`
    rungs from :data:`SIGMA0`, and the pins as their own search of :data:`PIN_BUDGET` evaluations each (same seed)."""
    seed = ctx.seed if seed is None else int(seed)
    pin_budget = PIN_BUDGET["quick" if ctx.quick else "default"] * len(pins)
    return SearchPlan(
        starts=sizes(ctx)["starts"],
        budget=budget - pin_budget,
        seed=seed,
        pins=tuple(pins),
        pin_budget=pin_budget or None,
        pin_seed=seed,
        sigma0=SIGMA0,
        rungs=RUNGS,
    )


def search_claim(
    ctx: Context,
    st: Statement,
    *,
    ratio: Callable,
    space: SearchSpace,
    pins: Sequence[np.ndarray],
    extremal: float,
    describe: Callable | None = None,
    evidence: dict | None = None,
    data: dict | None = None,
) -> ClaimResult:
    """Decide ``st`` with :func:`runners.adversarial_upper_bound` on this group's :func:`plan`; the evidence adds the
    plan's options and the closest instance from random starts alone."""
    s = sizes(ctx)
    budget = s["budget_pair_mean"] if space is SPACE_MEAN else s["budget"]
    pl = plan(ctx, pins, budget)
    r = runners.adversarial_upper_bound(
        ctx,
        st,
        ratio=ratio,
        space=space,
        plan=pl,
        extremal=extremal,
        describe=describe,
        evidence=evidence,
        data=data,
    )
    res = runners.run_search(ctx, ratio, space, pl)  # the search just run (shared through the run's cache)
    if res.unpinned_encoding is not None:  # the closest instance from random starts alone (its zeta included)
        enc = np.asarray(res.unpinned_encoding)
        r.evidence["search"]["unpinned_instance"] = {
            "structure": space.structure_of(enc)._asdict(),
            "zeta_bound": space.decode(enc).zeta,
            **(describe(enc) if describe is not None else {}),
        }
    r.evidence["search"]["options"] = {
        "sigma0": pl.sigma0,
        "rungs": pl.rungs,
        "eta": pl.eta,
        "prior": space.prior,
        "random_budget": pl.budget,
        "pin_budget": pl.pin_budget or 0,
        "space": type(space).__name__,
    }
    return r


def corrected_plan(ctx: Context, pins: Sequence[np.ndarray]) -> SearchPlan:
    """The search of a corrected bound: :func:`plan` at ``corrected_budget``, reseeded by :data:`CORRECTED_SEED_OFFSET`."""
    return plan(ctx, pins, sizes(ctx)["corrected_budget"]).reseeded(CORRECTED_SEED_OFFSET)


def corrected_evidence(
    ctx: Context, ratio: Callable, space: SearchSpace, pins: Sequence[np.ndarray], bound: str
) -> dict:
    """The same search against a corrected bound (errata): worst ratio, unpinned worst, failures, holds."""
    s = sizes(ctx)
    pl = corrected_plan(ctx, pins)
    res = runners.run_search(ctx, ratio, space, pl)
    worst_ok = res.worst is not None and res.worst <= 1 + theory_tol()
    return {
        "bound": bound,
        "search": f"CMA-ES from {s['starts']} random starts + {len(pins)} pinned, {s['corrected_budget']} "
        f"evaluations, sigma0 {pl.sigma0}, seed {pl.seed}",
        "evaluations": res.evaluations,
        "worst_ratio": res.worst,
        "unpinned_worst": res.unpinned_worst,
        "pinned_worst": res.pinned_worst,
        "failures": res.failures,
        "skipped": res.skipped,
        "holds": bool(res.failures == 0 and worst_ok),
        "replay": None
        if res.worst_encoding is None
        else {
            "target": f"{ratio.__module__}:{ratio.__name__}",
            "kwargs": {"p": np.asarray(res.worst_encoding).tolist()},
        },
    }


def theory_tol() -> float:
    """The bound tolerance shared with the other Section 4 rows."""
    from bmaml_theory.claims.chayti_jaggi.section4 import _common

    return _common.BOUND_TOL


def cor2_L(stated: bool) -> Callable[[Any, float, float], float]:
    r""":math:`\mathcal L_0+\mathcal L_1x` with Corollary 2's printed or corrected (errata E6) constants."""
    fn = theory.cor2_constants_stated if stated else theory.cor2_constants_corrected

    def L(c: Any, g: float, zeta: float) -> float:
        a, b = fn(c, zeta)
        return a + b * g

    return L


def cor3_L(stated: bool) -> Callable[[Any, float, float], float]:
    r""":math:`\mathcal L_0+G\mathcal L_1` (no dependence on the gradient) with printed or corrected constants."""
    fn = theory.cor3_L_stated if stated else theory.cor3_L_corrected
    return lambda c, g, zeta: fn(c, zeta)
