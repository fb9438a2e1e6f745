r"""Shared settings of the Section 4.3 algorithm claims (``clipped-normalized``, ``ngd-vs-gd``, ``thm1-inexact``,
``thm2-inexact``, ``delta-eps2``, ``overall-complexity``): the CMA-ES search sizes over
:class:`bmaml_theory.adversary.LogisticSpace`, the search evidence, and Algorithm 1's runs on the instances of
:mod:`bmaml_theory.studies.convergence` (one task, :math:`F^*=\log2`), cached for the group.

Search sizes are fixed by the group's budget (45 s single-core default, 11 s quick), never by an outcome: every
search is CMA-ES (:func:`bmaml_theory.adversary.maximize`, ``jobs=1``: the groups already run in parallel processes)
with plain restarts (``rungs=1``) and a small population, because one evaluation of a run-based ratio costs a whole
outer run (tens of Newton solves).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from bmaml_theory import adversary
from bmaml_theory.claims._core import Context, Measurement, Replay
from bmaml_theory.studies import algorithms

GROUP = "cj-section4-algorithms"
# An equality of two step multipliers, or of two printed bounds, is decided to round-off: the quantities are
# computed in a few float64 operations (relative error ~1e-15); 1e-9 was fixed before any run.
EXACT_TOL = 1e-9
EXACT_TOL_REASON = "fixed a priori: the measured quantity is a few float64 operations on exact data (~1e-15)"

# The convergence instance of E8 (studies.convergence): convex training (s = 0), ||x|| = 1, theta0 = (3, 1); with
# the printed constants both outer methods end on a 2-cycle at ||grad F|| ~ 0.45 (thm1, thm2).
E8 = {"s": 0.0, "scale": 1.0, "theta0": [3.0, 1.0]}
E8_NONCONVEX = {"s": 1.0, "scale": 1.0, "theta0": [3.0, 1.0]}
MAX_OUTER = 150  # the cap of studies.convergence: a run that neither reaches, cycles nor settles by then is a failure


def search_sizes(ctx: Context, default: dict, quick: dict) -> dict:
    """The search's sizes for this run (fixed from the budget, written beside each claim's constants)."""
    return dict(quick if ctx.quick else default)


def run_search(
    ctx: Context,
    key: str,
    ratio: Callable[[np.ndarray], float | None],
    space: adversary.LogisticSpace,
    sizes: dict,
    pins: Sequence[np.ndarray],
    seed_offset: int = 0,
) -> adversary.SearchResult:
    """:func:`bmaml_theory.adversary.maximize` (CMA-ES, plain restarts, jobs=1), cached for the group under ``key``."""

    def go() -> adversary.SearchResult:
        ctx.progress(f"search {key}")
        return adversary.maximize(
            ratio,
            space,
            starts=sizes["starts"],
            seed=ctx.seed + seed_offset,
            budget=sizes["budget"],
            pins=list(pins),
            jobs=1,
            popsize=sizes["popsize"],
            rungs=1,
            check_time=ctx.check_time,
        )

    return ctx.cached(f"{GROUP}-search-{key}-{ctx.quick}", go)


def search_evidence(res: adversary.SearchResult, sizes: dict, space_note: str) -> dict:
    """What the evidence says about one search: method, counts, unpinned and pinned worst."""
    return {
        "method": f"CMA-ES (cma) from {sizes['starts']} random starts + {len(res.runs) - sizes['starts']} pinned, "
        f"popsize {sizes['popsize']}, {sizes['budget']} evaluations in all, over {space_note}",
        "evaluations": res.evaluations,
        "failures": res.failures,
        "skipped": res.skipped,
        "unpinned_worst": res.unpinned_worst,
        "pinned_worst": res.pinned_worst,
        "worst": res.worst,
        "failure_examples": res.failure_examples,
    }


def search_measurement(
    res: adversary.SearchResult, ratio: Callable, space: adversary.LogisticSpace, describe: Callable | None = None
) -> list[Measurement]:
    """The search's worst as a Measurement whose replay is ``ratio(p=...)`` (empty when nothing was measured)."""
    if res.worst is None or not (math.isfinite(res.worst) or res.worst == math.inf):
        return []
    p = np.asarray(res.worst_encoding, dtype=np.float64)
    inst = {"structure": space.structure_of(p)._asdict(), "encoding": p.tolist()}
    if describe is not None:
        inst.update(describe(p))
    return [Measurement(float(res.worst), inst, Replay(f"{ratio.__module__}:{ratio.__name__}", {"p": p.tolist()}))]


def e8_run(
    ctx: Context, s: float, scale: float, theta0: Sequence[float], method: str, constants: str, delta: float, eps: float
) -> dict:
    """Algorithm 1's run (:func:`bmaml_theory.studies.algorithms.alg1_run`, worst-case delta-errors) on the
    convergence instance, cached for the group."""
    from bmaml_theory.studies import convergence

    key = f"{GROUP}-run-{s}-{scale}-{list(theta0)}-{method}-{constants}-{delta!r}-{eps!r}"
    return ctx.cached(
        key,
        lambda: algorithms.alg1_run(
            convergence.instance(s, scale),
            theta0,
            method=method,
            constants=constants,
            delta=delta,
            eps=eps,
            max_iter=MAX_OUTER,
        ),
    )
