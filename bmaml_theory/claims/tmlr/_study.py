r"""Shared MNIST-1D studies of the TMLR claims: settings fixed before the runs, computed once per run (``ctx.cached``).

Importing this module never imports torch; each study imports :mod:`bmaml_theory.nn` when it runs.  The ledger
and ``python -m verify mnist1d`` call the same functions with the same ledger settings (``verify mnist1d`` adds
larger figure grids on top).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bmaml_theory.claims._core import Context

REQUIRES = ("torch", "mnist1d")
GROUP = "tmlr-mnist1d"
SOURCE = "Chayti & Jaggi (TMLR 2026 revision), abstract"

# Memory sweep (deterministic bytes, meta device): the same grid in --quick and default runs.
MEM_WIDTHS = (16, 64, 250)
MEM_KS = (1, 5, 20)
MEM_DEPTH = 3  # the meter grid of limitations-autodiff
# tmlr-flat-memory: depth as well as width and K, allocator and meter (--quick: the corners of the same grid)
FLAT_DEPTHS, FLAT_WIDTHS, FLAT_KS = (2, 4, 8), (16, 64, 250), (1, 5, 20)
FLAT_DEPTHS_QUICK, FLAT_WIDTHS_QUICK, FLAT_KS_QUICK = (2, 8), (16, 64), (1, 5)
FLAT_METHODS = ("fobmaml", "fobmaml-sym", "maml")

# Accuracy runs (ours: the paper gives no settings).  Chosen once, before any run, for the 2-core CPU budget.
ACC_STEPS, ACC_STEPS_QUICK = 80, 15


def single_thread() -> None:
    """Run the studies on one intra-op thread: on a shared 2-core machine two threads per op oversubscribe the cores
    (measured 10-25x slower under load); the evidence states it."""
    import torch

    torch.set_num_threads(1)


def accuracy_settings(quick: bool, methods: tuple[str, ...] = ("maml", "fobmaml")) -> Any:
    """The ledger's accuracy settings: 5-way {1,5}-shot, 5 queries per class, CNN width 16 depth 2, K = 5 inner GD
    steps of alpha = 0.1, lam = 1/(K alpha) = 2, nu = 0.05, Adam (eta = 3e-3), meta-batch 2, 80 outer steps,
    seeds 0 and 1, 100 meta-test tasks per seed (unseen classes 5-9, test split)."""
    from bmaml_theory.nn.methods import Inner
    from bmaml_theory.nn.study import AccuracySettings

    return AccuracySettings(
        methods=methods,
        shots=(5,) if quick else (1, 5),
        seeds=(0,) if quick else (0, 1),
        outer="Adam",
        eta=3e-3,
        outer_steps=ACC_STEPS_QUICK if quick else ACC_STEPS,
        meta_batch=2,
        eval_every=5 if quick else 20,
        eval_tasks=20 if quick else 30,
        final_tasks=40 if quick else 100,
        ways=5,
        queries=5,
        width=16,
        depth=2,
        inner=Inner(K=5, alpha=0.1, lam=2.0, nu=0.05, cg_steps=5),
    )


def settings_of(ctx: Context) -> dict:
    """The accuracy settings of this run: those ``verify mnist1d --full`` put into the cache, else the ledger's."""
    full = ctx.cache.get("tmlr-accuracy-settings")
    return dict(full) if full is not None else accuracy_settings(ctx.quick).as_dict()


def memory_rows(ctx: Context) -> list[dict]:
    """Bytes per (method, width, K) that the memory claims read (meta device, exact): both FO-B-MAML variants,
    MAML and forward mode on MEM_WIDTHS x MEM_KS, FO-MAML at K = 1."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import memory_point

        single_thread()
        rows = []
        grid = [
            (m, w, K) for m in ("fobmaml", "fobmaml-sym", "maml", "fobmaml-jvp") for w in MEM_WIDTHS for K in MEM_KS
        ]
        grid += [("fomaml", w, 1) for w in MEM_WIDTHS]
        for i, (m, w, K) in enumerate(grid):
            ctx.progress(f"memory {m} width={w} K={K} ({i + 1}/{len(grid)})")
            rows.append(memory_point(m, w, K, depth=MEM_DEPTH))
        return rows

    return ctx.cached("tmlr-memory", run)


def flat_axes(quick: bool) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(depths, widths, Ks) of tmlr-flat-memory."""
    if quick:
        return FLAT_DEPTHS_QUICK, FLAT_WIDTHS_QUICK, FLAT_KS_QUICK
    return FLAT_DEPTHS, FLAT_WIDTHS, FLAT_KS


def flat_grid(quick: bool = False) -> list[tuple[str, int, int, int]]:
    """(method, width, K, depth) of tmlr-flat-memory: FLAT_METHODS over depths x widths x Ks, FO-MAML at K = 1."""
    ds, ws, Ks = flat_axes(quick)
    grid = [(m, w, K, d) for m in FLAT_METHODS for d in ds for w in ws for K in Ks]
    return grid + [("fomaml", w, 1, d) for d in ds for w in ws]


def allocator_rows(ctx: Context) -> list[dict]:
    """The allocator's peak bytes (``torch.profiler`` on CPU) over :func:`flat_grid`."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import allocator_point

        single_thread()
        grid = flat_grid(ctx.quick)
        rows = []
        for i, (m, w, K, d) in enumerate(grid):
            ctx.progress(f"allocator {m} width={w} K={K} depth={d} ({i + 1}/{len(grid)})")
            rows.append(allocator_point(m, w, K, depth=d))
        return rows

    return ctx.cached("tmlr-allocator", run)


def meter_rows(ctx: Context) -> list[dict]:
    """The saved-tensor meter's bytes (:func:`~bmaml_theory.nn.study.memory_point`) over :func:`flat_grid`."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import memory_point

        single_thread()
        grid = flat_grid(ctx.quick)
        rows = []
        for i, (m, w, K, d) in enumerate(grid):
            ctx.progress(f"meter {m} width={w} K={K} depth={d} ({i + 1}/{len(grid)})")
            rows.append(memory_point(m, w, K, depth=d))
        return rows

    return ctx.cached("tmlr-meter-depth", run)


def mem(rows: list[dict], method: str, width: int, K: int, depth: int | None = None, key: str = "total_bytes") -> int:
    """Bytes (column ``key``) of (method, width, K[, depth]) in ``rows``."""
    for r in rows:
        if (r["method"], r["width"], r["K"]) == (method, width, K) and (depth is None or r["depth"] == depth):
            return int(r[key])
    raise KeyError((method, width, K, depth))


def accuracy_runs(ctx: Context) -> list[dict]:
    """MAML and FO-B-MAML (forward) meta-trained with Adam under :func:`accuracy_settings`."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import accuracy_study

        single_thread()
        return accuracy_study(accuracy_settings(ctx.quick), progress=ctx.progress)

    return ctx.cached("tmlr-accuracy", run)


def outer_runs(ctx: Context) -> list[dict]:
    """FO-B-MAML (forward), 5-shot, meta-trained with SNGDM and with plain GD (Adam comes from accuracy_runs).

    Step sizes fixed before the runs by one rule: every optimiser's first step has the length of Adam's first step
    (eta_Adam * sqrt(d), d the number of parameters): SNGDM eta = eta_Adam sqrt(d) (its steps have length eta),
    GD eta = eta_Adam sqrt(d) / |g_0| with g_0 the first meta-gradient."""

    def run() -> list[dict]:
        from bmaml_theory.nn.data import load_mnist1d
        from bmaml_theory.nn.methods import meta_gradient
        from bmaml_theory.nn.model import CNN1d, n_params
        from bmaml_theory.nn.study import TRAIN_CLASSES, TaskSampler, train_one

        single_thread()
        s = accuracy_settings(ctx.quick)
        data = load_mnist1d(num_samples=s.num_samples, seed=42)
        out = []
        for seed in s.seeds:
            model = CNN1d(s.width, s.depth, s.ways)
            theta = model.init_params(seed)
            length = s.eta * math.sqrt(n_params(theta))
            first = TaskSampler(data.x, data.y, TRAIN_CLASSES, s.ways, 5, s.queries, seed=1000 + seed)
            g0, _ = meta_gradient("fobmaml", model, theta, first.batch(s.meta_batch), s.inner)
            g0n = math.sqrt(sum(float((v.double() ** 2).sum()) for v in g0.values()))
            for outer, eta in (("SNGDM", length), ("GD", length / g0n)):
                r = train_one("fobmaml", 5, seed, s, data, outer=outer, eta=eta, progress=ctx.progress)
                out.append(r)
        return out

    return ctx.cached("tmlr-outer", run)


LEARN_MARGIN = 0.05  # power gate: an arm learned iff it beats its step-0 accuracy and nearest-centre by this much


def t_halfwidth(x: np.ndarray) -> float:
    r"""Half-width of the one-sided 95% bound of a mean over n seeds: :math:`t_{0.95,n-1}\,s/\sqrt n` (inf if n < 2)."""
    from scipy import stats

    if x.size < 2:
        return math.inf
    return float(stats.t.ppf(0.95, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)


def seed_means(a: dict[int, list[float]], b: dict[int, list[float]]) -> list[float]:
    """Per training seed (the unit of replication), the mean over that seed's paired test tasks of a - b; seeds in
    increasing order, only those both arms have."""
    return [float(np.mean(np.subtract(a[sd], b[sd]))) for sd in sorted(set(a) & set(b))]


def one_sided(seed_diffs: list[float], margin: float) -> tuple[float, str, dict]:
    r"""One-sided 95% bounds of the mean paired difference over training seeds decide a claim 'mean >= -margin':
    :math:`\bar d\mp t_{0.95,n-1}s/\sqrt n` with :math:`d_s` the seed's mean over its paired test tasks (the seed is
    the unit of replication; tasks of one seed share one trained model and are not independent replicates).

    Returns (bound, which, summary): the lower bound when it clears -margin (then the claim holds), else the upper
    bound (the claim is refuted only if even the upper bound is below -margin; otherwise the run lacks power)."""
    x = np.asarray(seed_diffs, dtype=float)
    m = float(x.mean()) if x.size else math.nan
    h = t_halfwidth(x)
    lo, hi = m - h, m + h
    summary = {"mean": m, "lower95": lo, "upper95": hi, "seeds": int(x.size), "per_seed": [float(v) for v in x]}
    if lo >= -margin:
        return lo, "lower", summary
    return hi, "upper", summary


def bound_from(diffs: list[float], which: str) -> float:
    """Replay: the lower or upper one-sided 95% bound (t over seeds) of mean(diffs), from the per-seed differences."""
    if which not in ("lower", "upper"):
        raise ValueError(f"which must be 'lower' or 'upper', got {which!r}")
    x = np.asarray(diffs, dtype=float)
    h = t_halfwidth(x)
    return float(x.mean()) - h if which == "lower" else float(x.mean()) + h


def learned(runs: list[dict], margin: float = LEARN_MARGIN) -> tuple[bool, dict]:
    r"""Power gate of one arm (its runs over seeds): it learned iff, averaged over seeds, its final meta-test
    accuracy beats both its own step-0 accuracy and the nearest-class-centre baseline on the same tasks by at least
    ``margin`` (0.05).  An arm that did not learn makes any comparison with it inconclusive, whatever the sign."""
    if not runs:
        return False, {"seeds": 0}
    final = float(np.mean([np.mean(r["final"]) for r in runs]))
    init = float(np.mean([np.mean(r["initial"]) for r in runs])) if all("initial" in r for r in runs) else math.nan
    ncc = float(np.mean([np.mean(r["ncc"]) for r in runs])) if all("ncc" in r for r in runs) else math.nan
    ok = final - init >= margin and final - ncc >= margin  # NaN (no reference recorded) fails closed
    return bool(ok), {"final": final, "step0": init, "nearest_centre": ncc, "seeds": len(runs), "learned": bool(ok)}
