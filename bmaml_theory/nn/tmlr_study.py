r"""The MNIST-1D study behind the TMLR revision's claims: settings fixed before the runs, the seed-level statistics,
the power gate, and the studies the claims read, each computed once per run.

The claims (``bmaml_theory.claims.tmlr``) are statements that call this module; ``python -m verify mnist1d`` calls
the same functions with the same settings (it adds larger figure grids, and ``--full`` puts the protocol's runs into
the run's cache, where the same checks read them).  The library never imports the claims layer: a study takes any
object with ``quick``, ``progress(msg)`` and ``cached(key, fn)`` (:class:`RunCache`; the claims' ``Context`` is one).

Importing this module never imports torch; each study imports :mod:`bmaml_theory.nn`'s torch modules when it runs.

**Fixed before any run** (the reasons beside each constant):

* the power gate of a trained arm, per training seed (:func:`learned`): on *every* seed the arm's final meta-test
  accuracy beats that seed's step-0 accuracy and the nearest-class-centre rule on the same tasks by
  ``LEARN_MARGIN`` = 0.05; one seed that fails makes every comparison with the arm inconclusive;
* ``MIN_SEEDS`` = 5 training seeds for any decisive verdict of a trained comparison (fewer: inconclusive by
  construction, and the decision text says so);
* one-sided 95% bounds of a seed-level mean, t with n - 1 degrees of freedom (:func:`one_sided`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

__all__ = [
    "ACC_STEPS",
    "FLAT_HEAVY",
    "LEARN_MARGIN",
    "MIN_SEEDS",
    "RunCache",
    "accuracy_runs",
    "accuracy_settings",
    "allocator_rows",
    "bound_from",
    "flat_axes",
    "flat_grid",
    "flatness_index",
    "gap_closed",
    "gate_note",
    "heavy_grid",
    "learned",
    "mem",
    "memory_rows",
    "meter_rows",
    "one_sided",
    "outer_runs",
    "seed_means",
    "seeds_note",
    "settings_of",
    "single_thread",
    "supervised_runs",
    "t_halfwidth",
]


class RunCache(Protocol):
    """What a study needs from a run: ``quick`` (small grids), ``progress(msg)`` and ``cached(key, fn)`` (computes
    ``fn()`` once per run under ``key``)."""

    quick: bool
    cache: dict

    def progress(self, msg: str) -> None: ...

    def cached(self, key: str, fn: Callable[[], Any]) -> Any: ...


# ----------------------------------------------------------------------------------------------- settings
# Memory sweep (deterministic bytes, meta device): the same grid in --quick and default runs.
MEM_WIDTHS = (16, 64, 250)
MEM_KS = (1, 5, 20)
MEM_DEPTH = 3  # the meter grid of limitations-autodiff
# tmlr-flat-memory: depth as well as width and K, allocator and meter (--quick: the corners of the same grid)
FLAT_DEPTHS, FLAT_WIDTHS, FLAT_KS = (2, 4, 8), (16, 64, 250), (1, 5, 20)
FLAT_DEPTHS_QUICK, FLAT_WIDTHS_QUICK, FLAT_KS_QUICK = (2, 8), (16, 64), (1, 5)
FLAT_METHODS = ("fobmaml", "fobmaml-sym", "maml")
# The activation-heavy points of tmlr-flat-memory, (depth, width, shots, queries) of a 5-way task at K in (1, 5):
# depth 16 width 16 on the 1-shot task (10 signals) and depth 8 width 64 on the accuracy runs' 5-shot task (50
# signals).  A conv layer holds 3 w^2 parameters and n x w x 40 activations on n signals: 40 n / (3 w) = 8.3 and
# 10.4 activations per parameter (the main grid's widest points hold 0.5 at w = 250), so one inner step's saved
# activations outweigh the 2-copy allowance and the rule can see a method that keeps them, already at K = 5.
FLAT_HEAVY = ((16, 16, 1, 1), (8, 64, 5, 5))
FLAT_HEAVY_QUICK = ((16, 16, 1, 1),)
FLAT_HEAVY_KS = (1, 5)

# Accuracy runs (ours: the paper gives none).  Chosen once, before any run, for the 2-core CPU budget.
ACC_STEPS, ACC_STEPS_QUICK = 80, 15
SUPERVISED_EPOCHS, SUPERVISED_EPOCHS_QUICK = 30, 3  # the supervised reference (as --full's)

LEARN_MARGIN = 0.05  # power gate: on every seed an arm beats its step-0 accuracy and nearest-centre by this much
MIN_SEEDS = 5  # training seeds needed for a decisive verdict of a trained comparison (t with >= 4 d.o.f.)


def single_thread() -> None:
    """Run the studies on one intra-op thread: on a shared 2-core machine two threads per op oversubscribe the cores
    (measured 10-25x slower under load); the evidence states it."""
    import torch

    torch.set_num_threads(1)


def accuracy_settings(quick: bool, methods: tuple[str, ...] = ("maml", "fobmaml")) -> Any:
    """The ledger's accuracy settings: 5-way {1,5}-shot, 5 queries per class, CNN width 16 depth 2, K = 5 inner GD
    steps of alpha = 0.1, lam = 1/(K alpha) = 2, nu = 0.05, Adam (eta = 3e-3), meta-batch 2, 80 outer steps,
    seeds 0 and 1, 100 meta-test tasks per seed (unseen classes 5-9, test split).  Two seeds are fewer than
    ``MIN_SEEDS``: the default run's trained comparisons are inconclusive by construction."""
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


def settings_of(ctx: RunCache) -> dict:
    """The accuracy settings of this run: those ``verify mnist1d --full`` put into the cache, else the ledger's."""
    full = ctx.cache.get("tmlr-accuracy-settings")
    return dict(full) if full is not None else accuracy_settings(ctx.quick).as_dict()


# ----------------------------------------------------------------------------------------------- memory
def memory_rows(ctx: RunCache) -> list[dict]:
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
    """(depths, widths, Ks) of tmlr-flat-memory's main grid."""
    if quick:
        return FLAT_DEPTHS_QUICK, FLAT_WIDTHS_QUICK, FLAT_KS_QUICK
    return FLAT_DEPTHS, FLAT_WIDTHS, FLAT_KS


def flat_grid(quick: bool = False) -> list[tuple[str, int, int, int]]:
    """(method, width, K, depth) of tmlr-flat-memory's main grid (5-way 1-shot task, 1 query per class):
    FLAT_METHODS over depths x widths x Ks, FO-MAML at K = 1."""
    ds, ws, Ks = flat_axes(quick)
    grid = [(m, w, K, d) for m in FLAT_METHODS for d in ds for w in ws for K in Ks]
    return grid + [("fomaml", w, 1, d) for d in ds for w in ws]


def heavy_grid(quick: bool = False) -> list[tuple[str, int, int, int, int, int]]:
    """(method, width, K, depth, shots, queries) of tmlr-flat-memory's activation-heavy points (``FLAT_HEAVY``):
    FLAT_METHODS at ``FLAT_HEAVY_KS``, FO-MAML at K = 1."""
    pts = FLAT_HEAVY_QUICK if quick else FLAT_HEAVY
    grid = [(m, w, K, d, s, q) for d, w, s, q in pts for m in FLAT_METHODS for K in FLAT_HEAVY_KS]
    return grid + [("fomaml", w, 1, d, s, q) for d, w, s, q in pts]


def _full_grid(quick: bool) -> list[tuple[str, int, int, int, int, int]]:
    return [(m, w, K, d, 1, 1) for m, w, K, d in flat_grid(quick)] + heavy_grid(quick)


def allocator_rows(ctx: RunCache) -> list[dict]:
    """The allocator's peak bytes (``torch.profiler`` on CPU) over :func:`flat_grid` and :func:`heavy_grid`."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import allocator_point

        single_thread()
        grid = _full_grid(ctx.quick)
        rows = []
        for i, (m, w, K, d, s, q) in enumerate(grid):
            ctx.progress(f"allocator {m} width={w} K={K} depth={d} shots={s} ({i + 1}/{len(grid)})")
            rows.append(allocator_point(m, w, K, depth=d, shots=s, queries=q))
        return rows

    return ctx.cached("tmlr-allocator", run)


def meter_rows(ctx: RunCache) -> list[dict]:
    """The saved-tensor meter's bytes (:func:`~bmaml_theory.nn.study.memory_point`) over the same grid."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import memory_point

        single_thread()
        grid = _full_grid(ctx.quick)
        rows = []
        for i, (m, w, K, d, s, q) in enumerate(grid):
            ctx.progress(f"meter {m} width={w} K={K} depth={d} shots={s} ({i + 1}/{len(grid)})")
            rows.append(memory_point(m, w, K, depth=d, shots=s, queries=q))
        return rows

    return ctx.cached("tmlr-meter-depth", run)


def mem(
    rows: list[dict],
    method: str,
    width: int,
    K: int,
    depth: int | None = None,
    key: str = "total_bytes",
    shots: int = 1,
    queries: int = 1,
) -> int:
    """Bytes (column ``key``) of (method, width, K[, depth]) on the 5-way ``shots``-shot task in ``rows``."""
    for r in rows:
        same_task = (r.get("shots", 1), r.get("queries", 1)) == (shots, queries)
        if same_task and (r["method"], r["width"], r["K"]) == (method, width, K) and depth in (None, r["depth"]):
            return int(r[key])
    raise KeyError((method, width, K, depth, shots, queries))


def flatness_index(
    a_K: int, a_1: int, a_fomaml: int, param_bytes: int, copies: int = 2, width_limit: float = 2.0
) -> float:
    r"""The flatness index of one point of ``tmlr-flat-memory``:
    :math:`\max\big(A(K)/(A(1)+C|\theta|),\ A(K)/(c\,A_{FOMAML}(1))\big)` with C = ``copies`` and c = ``width_limit``
    (flat iff <= 1)."""
    for name, v in (("a_K", a_K), ("a_1", a_1), ("a_fomaml", a_fomaml), ("param_bytes", param_bytes)):
        if v <= 0:
            raise ValueError(f"{name} must be a positive byte count, got {v!r}")
    return max(a_K / (a_1 + copies * param_bytes), a_K / (width_limit * a_fomaml))


# ----------------------------------------------------------------------------------------------- accuracy
def accuracy_runs(ctx: RunCache) -> list[dict]:
    """MAML and FO-B-MAML (forward) meta-trained with Adam under :func:`accuracy_settings`."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import accuracy_study

        single_thread()
        return accuracy_study(accuracy_settings(ctx.quick), progress=ctx.progress)

    return ctx.cached("tmlr-accuracy", run)


def outer_runs(ctx: RunCache) -> list[dict]:
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


def supervised_runs(ctx: RunCache) -> list[dict]:
    """The supervised reference of the ledger's accuracy runs: per seed, ``CNN1d(width, depth, 10)`` trained with
    every label of MNIST-1D's training split (:func:`~bmaml_theory.nn.study.supervised_accuracy`), scored on the
    seed's meta-test tasks of every shot count (the same tasks as :func:`accuracy_runs`).  ``verify mnist1d --full``
    puts the protocol's own references into the cache under the same key."""

    def run() -> list[dict]:
        from bmaml_theory.nn.data import load_mnist1d
        from bmaml_theory.nn.study import TEST_CLASSES, TaskSampler, supervised_accuracy

        single_thread()
        s = accuracy_settings(ctx.quick)
        data = load_mnist1d(num_samples=s.num_samples, seed=42)
        epochs = SUPERVISED_EPOCHS_QUICK if ctx.quick else SUPERVISED_EPOCHS
        out = []
        for seed in s.seeds:
            ctx.progress(f"supervised reference seed {seed}")
            tasks = {
                k: TaskSampler(data.x_test, data.y_test, TEST_CLASSES, s.ways, k, s.queries, seed=2000 + seed).batch(
                    s.final_tasks
                )
                for k in s.shots
            }
            acc = supervised_accuracy(data, s.width, s.depth, seed, tasks, epochs=epochs)
            out += [{"seed": seed, "shots": k, "epochs": epochs, "supervised": a} for k, a in acc.items()]
        return out

    return ctx.cached("tmlr-supervised", run)


# ----------------------------------------------------------------------------------------------- statistics
def t_halfwidth(x: np.ndarray) -> float:
    r"""Half-width of the one-sided 95% bound of a mean over n seeds: :math:`t_{0.95,n-1}\,s/\sqrt n` (inf if n < 2)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return math.inf
    return float(stats.t.ppf(0.95, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)


def seed_means(a: dict[int, list[float]], b: dict[int, list[float]]) -> list[float]:
    """Per training seed (the unit of replication), the mean over that seed's paired test tasks of a - b; seeds in
    increasing order, only those both arms have."""
    return [float(np.mean(np.subtract(a[sd], b[sd]))) for sd in sorted(set(a) & set(b))]


def one_sided(seed_values: list[float], threshold: float, strict: bool = False) -> tuple[float, str, dict]:
    r"""One-sided 95% bounds of the mean of per-seed values decide a claim 'mean >= threshold':
    :math:`\bar d\mp t_{0.95,n-1}s/\sqrt n` over the n training seeds (the seed is the unit of replication; tasks of
    one seed share one trained model and are not independent replicates).

    Returns (bound, which, summary): the lower bound when it clears ``threshold`` (then the claim holds; with
    ``strict`` only when it lies strictly above, so that an exact tie never reads as superiority), else the upper
    bound (the claim is refuted only if even the upper bound is below ``threshold``; otherwise the run lacks
    power)."""
    x = np.asarray(seed_values, dtype=float)
    m = float(x.mean()) if x.size else math.nan
    h = t_halfwidth(x)
    lo, hi = m - h, m + h
    summary = {"mean": m, "lower95": lo, "upper95": hi, "seeds": int(x.size), "per_seed": [float(v) for v in x]}
    if lo > threshold or (lo == threshold and not strict):
        return lo, "lower", summary
    return hi, "upper", summary


def bound_from(diffs: list[float], which: str) -> float:
    """The lower or upper one-sided 95% bound (t over seeds) of mean(diffs), from the per-seed values."""
    if which not in ("lower", "upper"):
        raise ValueError(f"which must be 'lower' or 'upper', got {which!r}")
    x = np.asarray(diffs, dtype=float)
    h = t_halfwidth(x)
    return float(x.mean()) - h if which == "lower" else float(x.mean()) + h


def learned(runs: list[dict], margin: float = LEARN_MARGIN) -> tuple[bool, dict]:
    r"""Power gate of one arm (its runs, one per training seed): it learned iff on **every** seed s its final
    meta-test accuracy (mean over s's tasks) beats both s's step-0 accuracy and the nearest-class-centre rule on the
    same tasks by at least ``margin`` (0.05).  A seed that fails, or a reference not recorded (NaN), fails the arm:
    an arm that did not learn on a seed makes any comparison with it inconclusive, whatever the sign.

    Why per seed: the seed is the unit of replication; an average over seeds can pass while a seed's model sits at
    chance, and that seed's paired difference then compares a trained model with an untrained one."""
    if not runs:
        return False, {"seeds": 0, "learned": False, "failed_seeds": [], "per_seed": {}}
    per, failed = {}, []
    for r in sorted(runs, key=lambda r: r["seed"]):
        final = float(np.mean(r["final"]))
        init = float(np.mean(r["initial"])) if "initial" in r else math.nan
        ncc = float(np.mean(r["ncc"])) if "ncc" in r else math.nan
        ok = final - init >= margin and final - ncc >= margin  # NaN fails closed
        per[str(r["seed"])] = {"final": final, "step0": init, "nearest_centre": ncc, "learned": bool(ok)}
        if not ok:
            failed.append(r["seed"])
    vals = list(per.values())
    info = {
        "final": float(np.mean([v["final"] for v in vals])),
        "step0": float(np.mean([v["step0"] for v in vals])),
        "nearest_centre": float(np.mean([v["nearest_centre"] for v in vals])),
        "seeds": len(vals),
        "failed_seeds": failed,
        "learned": not failed,
        "per_seed": per,
    }
    return not failed, info


def gate_note(label: str, info: dict, margin: float = LEARN_MARGIN) -> str:
    """The decision text of an arm that failed :func:`learned`: which seeds, with their numbers."""
    parts = [
        f"seed {s} final {v['final']:.3f} vs step 0 {v['step0']:.3f}, nearest centre {v['nearest_centre']:.3f}"
        for s, v in info["per_seed"].items()
        if not v["learned"]
    ]
    return f"{label} did not learn on {len(parts)} of {info['seeds']} seeds ({'; '.join(parts)}; needs +{margin} over both)"


def seeds_note(n: int) -> str | None:
    """The decision text when ``n`` training seeds are fewer than ``MIN_SEEDS`` (None otherwise)."""
    if n >= MIN_SEEDS:
        return None
    return f"{n} training seed{'s' if n != 1 else ''} < {MIN_SEEDS}: inconclusive by construction"


def gap_closed(final: list[float], ncc: list[float], supervised: list[float]) -> float:
    r"""The fraction of the way from the nearest-class-centre rule to the supervised reference that a meta-learner
    covers on one seed's tasks: :math:`(\bar a-\bar a_{NC})/(\bar a_{sup}-\bar a_{NC})` (means over the seed's
    tasks; 1 = the supervised reference, 0 = no better than the rule that needs no learning)."""
    a, n, s = float(np.mean(final)), float(np.mean(ncc)), float(np.mean(supervised))
    if not s > n:
        raise ValueError(f"the supervised reference ({s:.4f}) must beat nearest-centre ({n:.4f}) for a gap to close")
    return (a - n) / (s - n)
