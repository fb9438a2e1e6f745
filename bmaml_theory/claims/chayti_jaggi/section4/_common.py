r"""Shared settings of the Section 4 claims: search sizes, the pinned extremal encoding, a cached search.

Every upper-bound search runs Nelder-Mead (:func:`bmaml_theory.search.maximize`) over one logistic task in n = 2
(encoding in :mod:`bmaml_theory.search`: non-convex training allowed, :math:`\lambda\in[2\hat L_1,20\hat L_1]`,
train != test, a bounded box), from seeded random starts plus the derivation's extremal instance
(:data:`bmaml_theory.studies.extremal.EXTREMAL_P`) as a pinned start.  The evidence reports the worst ratio from the
random starts alone (``unpinned_worst``) beside the pinned one, so the search's own power shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from bmaml_theory import search
from bmaml_theory.claims._core import Context, Measurement, Replay
from bmaml_theory.studies.extremal import EXTREMAL_P

# An upper bound holds when the worst ratio is <= threshold + BOUND_TOL.  Newton solves eq. (9) to machine precision,
# so the ratios carry relative errors ~1e-12 (the finite-difference estimator ~1e-9 at the smallest nu admitted,
# where its round-off is kept 1e4 x below the bias); 1e-6 covers both with a wide margin and was fixed before any run.
BOUND_TOL = 1e-6
BOUND_TOL_REASON = (
    "fixed a priori: Newton solves to machine precision (ratios exact to ~1e-12; the finite-difference "
    "estimator to ~1e-9 where admitted); 1e-6 covers both"
)
EPS = float(np.finfo(np.float64).eps)
# Search sizes, set by the section's budget (70 s default / 15 s quick on one core, 10 searches of ~9 ms per
# evaluation), not by any outcome: default 3 random starts + the pin, 150 evaluations each; the corrected bound's
# search (evidence only) 2 starts + the pin; quick 1 start + the pin, 60 each (a quick run may miss the sup; the
# pinned extremal start carries the verdicts of the violated claims in both modes).
SEARCH_DEFAULT = {"starts": 3, "maxfev": 150}
SEARCH_CORRECTED = {"starts": 2, "maxfev": 150}
SEARCH_QUICK = {"starts": 1, "maxfev": 60}
CORRECTED_SEED_OFFSET = 1  # the corrected bound's search uses its own seed


def sig(v: float) -> float:
    """The logistic function, overflow-free (maps an unconstrained search variable into (0, 1))."""
    return 1.0 / (1.0 + math.exp(-float(np.clip(v, -50.0, 50.0))))


def pin(extra: Sequence[float]) -> np.ndarray:
    """The extremal encoding followed by the claim's extra variables."""
    return np.concatenate([EXTREMAL_P, np.asarray(extra, dtype=np.float64)])


def settings(ctx: Context, corrected: bool = False) -> dict:
    """Search sizes for this run (quick or default; the corrected bound's evidence search is smaller)."""
    if ctx.quick:
        return dict(SEARCH_QUICK)
    return dict(SEARCH_CORRECTED if corrected else SEARCH_DEFAULT)


def run_search(
    ctx: Context,
    key: str,
    ratio: Callable[[np.ndarray], float | None],
    dim: int,
    pins: Sequence[np.ndarray],
    seed: int,
    corrected: bool = False,
) -> search.SearchResult:
    """:func:`bmaml_theory.search.maximize` of ``ratio`` once per run (cached under ``key`` for the group)."""
    s = settings(ctx, corrected)

    def go() -> search.SearchResult:
        ctx.progress(f"search {key}")
        return search.maximize(
            ratio, dim, starts=s["starts"], seed=seed, maxfev=s["maxfev"], pins=list(pins), check_time=ctx.check_time
        )

    return ctx.cached(f"section4-search-{key}", go)


def search_evidence(ctx: Context, res: search.SearchResult, n_pins: int) -> dict:
    """What the evidence says about one search (method, evaluations, failures, unpinned and pinned worst)."""
    s = settings(ctx)
    return {
        "method": f"Nelder-Mead from {s['starts']} seeded Gaussian starts + {n_pins} pinned extremal instance(s), "
        f"maxfev {s['maxfev']} each, over one logistic task in n = 2 (encoding in bmaml_theory.search)",
        "evaluations": res.evaluations,
        "failures": res.failures,
        "skipped": res.skipped,
        "unpinned_worst": res.worst_unpinned,
        "pinned_worst": res.worst_pinned,
        "worst": res.worst,
    }


def search_measurement(
    res: search.SearchResult, ratio: Callable[[np.ndarray], float | None], describe: Callable | None = None
) -> list[Measurement]:
    """The search's worst as a :class:`Measurement` whose replay is ``ratio(p=...)`` (empty if nothing was valid)."""
    if not (math.isfinite(res.worst) or res.worst == math.inf):
        return []
    p = np.asarray(res.p).tolist()
    instance = {**search.instance_dict(res.p), **(describe(res.p) if describe is not None else {})}
    return [Measurement(res.worst, instance, Replay(f"{ratio.__module__}:{ratio.__name__}", {"p": p}))]


def corrected_evidence(
    ctx: Context, key: str, ratio: Callable, dim: int, pins: Sequence[np.ndarray], bound: str
) -> dict:
    """The same search against the corrected bound (errata): its worst ratio and whether it stays <= 1."""
    res = run_search(ctx, key + "-corrected", ratio, dim, pins, ctx.seed + CORRECTED_SEED_OFFSET, corrected=True)
    s = settings(ctx, corrected=True)
    return {
        "bound": bound,
        "search": f"Nelder-Mead from {s['starts']} seeded Gaussian starts + {len(pins)} pinned, maxfev {s['maxfev']} each",
        "evaluations": res.evaluations,
        "worst_ratio": res.worst,
        "unpinned_worst": res.worst_unpinned,
        "failures": res.failures,
        "holds": bool(res.failures == 0 and res.worst <= 1 + BOUND_TOL),
        "replay": {"target": f"{ratio.__module__}:{ratio.__name__}", "kwargs": {"p": np.asarray(res.p).tolist()}},
    }


# --- convergence runs (Theorems 1-2, A.4) ---------------------------------------------------------------------------
def convergence_rows(ctx: Context) -> list[dict]:
    """Every outer run of :func:`bmaml_theory.studies.convergence.run` (cached for the group)."""
    from bmaml_theory.studies import convergence

    return ctx.cached(f"section4-convergence-{ctx.quick}", lambda: convergence.run(ctx.quick, ctx.check_time))


def convergence_measurements(
    rows: list[dict], method: str, constants: str, rate: str
) -> tuple[list[Measurement], int, list[str]]:
    """Per run of ``method`` with ``constants`` and per eps: iterations / ``rate`` (``inf`` on a 2-cycle: never).

    A run that stops at MAX_ITER without reaching eps or cycling gives only a lower bound: it is counted as a failure
    (fail closed: such a claim cannot hold), not as a measurement.
    """
    ms: list[Measurement] = []
    failures, examples = 0, []
    for r in rows:
        if r["method"] != method or r["constants"] != constants:
            continue
        for j, e in enumerate(r["eps"]):
            k = r["iterations"][j]
            kw = {
                "s": r["s"],
                "scale": r["scale"],
                "theta0": r["theta0"],
                "method": method,
                "constants": constants,
                "eps": e,
                "rate": rate,
            }
            inst = {
                **kw,
                "rate_value": r["rates"][j][rate],
                "Delta": r["Delta"],
                "calL0": r["calL0"],
                "calL1": r["calL1"],
                "G": r["G"],
                "cycled": r["cycled"],
                "steps_run": r["steps_run"],
                "final_grad_norm": r["grad_norms"][-1],
            }
            if k is not None:
                v = k / r["rates"][j][rate]
            elif r["cycled"]:
                v = math.inf
            else:
                failures += 1
                if len(examples) < 5:
                    examples.append(f"not reached by {r['steps_run']} steps (no 2-cycle) at {kw}")
                continue
            ms.append(Measurement(v, inst, Replay("bmaml_theory.studies.convergence:steps_ratio", kw)))
    return ms, failures, examples


def run_summary(rows: list[dict], method: str, constants: str) -> list[dict]:
    """The runs of one method and constants as the evidence shows them."""
    return [
        {
            "s": r["s"],
            "scale": r["scale"],
            "theta0": r["theta0"],
            "iterations": r["iterations"],
            "cycled": r["cycled"],
            "steps_run": r["steps_run"],
            "final_grad_norm": r["grad_norms"][-1],
        }
        for r in rows
        if r["method"] == method and r["constants"] == constants
    ]
