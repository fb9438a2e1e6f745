r"""The full MNIST-1D protocol behind ``python -m verify mnist1d --full`` (docs/mnist1d.md states every setting).

Every setting is fixed in :class:`Protocol` before the run; the run has three phases, each a list of independent
cells (one meta-training run each) that :func:`run_cells` spreads over processes or a Dask cluster
(:func:`bmaml_theory.parallel.pmap`: results in cell order whatever ran them, each cell seeded by its own arguments):

1. **Pilot** (seed ``pilot_seed``, never used for a verdict): the :math:`\lambda\times\nu` grid of FO-B-MAML, each
   point meta-trained ``grid_steps`` outer steps and scored by its mean accuracy on validation tasks only; then every
   (split, method, shots) meta-trained ``max_steps`` steps with a validation checkpoint every ``checkpoint_every``
   steps, whose best checkpoint fixes the stopping point :math:`T` of that (split, method, shots); and each outer
   optimiser of the SNGDM comparison (GD, SNGDM, Adam) at each step size of its grid for FO-B-MAML 5-shot on the
   deciding split, for :math:`T` steps, scored on validation tasks: the best step size per optimiser.
2. **Main**: every (split, method, shots, seed) meta-trained for its :math:`T` steps, with validation checkpoints
   every ``checkpoint_every`` steps; reported on ``test_tasks`` paired meta-test tasks per seed: the accuracy at
   :math:`T` (decisive), at step 0 and of the nearest-class-centre rule on the same tasks (the power gate), and at
   the best-validation checkpoint (evidence).
3. **SNGDM**: FO-B-MAML 5-shot on the deciding split with each optimiser at its chosen step size, every seed.

Splits (validation signals are held out of meta-training: the last ``val_fraction`` of each class's signals in
MNIST-1D's training split):

* ``unseen-classes``: meta-train and validate on classes 0-4, meta-test on classes 5-9 of the test split (classes and
  signals unseen: the usual few-shot protocol, and the deciding split, named before the run);
* ``all-classes``: meta-train and validate on all ten classes, meta-test on all ten classes of the test split
  (unseen signals of seen classes).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch

from bmaml_theory.nn.data import MNIST1D, TaskSampler, load_mnist1d
from bmaml_theory.nn.methods import Inner, check_method, meta_gradient
from bmaml_theory.nn.model import CNN1d
from bmaml_theory.nn.outer import make_outer
from bmaml_theory.nn.study import _evaluate, nearest_centre, supervised_accuracy

__all__ = [
    "SPLITS",
    "Cell",
    "Protocol",
    "iterations_to_target",
    "run_cell",
    "run_cells",
    "split_samplers",
    "supervised_reference",
    "theory_reading",
]

SPLITS = {"unseen-classes": ((0, 1, 2, 3, 4), (5, 6, 7, 8, 9)), "all-classes": (tuple(range(10)), tuple(range(10)))}


@dataclass(frozen=True)
class Protocol:
    """Settings of the full protocol, fixed before the run (the reasons are in docs/mnist1d.md)."""

    methods: tuple[str, ...] = ("maml", "fobmaml")
    shots: tuple[int, ...] = (1, 5)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    pilot_seed: int = 100
    splits: tuple[str, ...] = ("unseen-classes", "all-classes")
    deciding_split: str = "unseen-classes"
    width: int = 32
    depth: int = 2
    ways: int = 5
    queries: int = 5
    meta_batch: int = 4
    outer: str = "Adam"
    eta: float = 1e-3
    max_steps: int = 2000
    checkpoint_every: int = 100
    val_tasks: int = 100
    test_tasks: int = 200
    val_fraction: float = 0.2
    K: int = 5
    alpha: float = 0.1
    cg_steps: int = 5
    lam_grid: tuple[float, ...] = (0.5, 2.0)
    nu_grid: tuple[float, ...] = (0.01, 0.1)
    default_lam: float = 2.0
    default_nu: float = 0.05
    grid_steps: int = 300
    outer_grid: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: {"GD": (0.1, 0.3, 1.0), "SNGDM": (0.01, 0.03, 0.1), "Adam": (3e-4, 1e-3, 3e-3)}
    )
    supervised_epochs: int = 30
    num_samples: int = 5000
    device: str = "cpu"

    def __post_init__(self) -> None:
        for m in self.methods:
            check_method(m)
        bad = [s for s in self.splits if s not in SPLITS]
        if bad:
            raise ValueError(f"splits must be among {tuple(SPLITS)}, got {bad}.")
        if self.deciding_split not in self.splits:
            raise ValueError(f"deciding_split {self.deciding_split!r} must be one of splits {self.splits}.")
        if len(self.seeds) < 2:
            raise ValueError(f"seeds must hold >= 2 training seeds (the unit of replication), got {self.seeds}.")
        if self.pilot_seed in self.seeds:
            raise ValueError(f"pilot_seed {self.pilot_seed} must differ from the training seeds {self.seeds}.")
        if self.checkpoint_every < 1 or self.max_steps < self.checkpoint_every:
            raise ValueError("checkpoint_every must be >= 1 and <= max_steps.")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must lie in (0, 1), got {self.val_fraction}.")

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def smoke(cls, **kw: Any) -> Protocol:
        """A tiny protocol with the same phases (tests): 2 seeds, a few steps and tasks, 1-point grids."""
        base = dict(
            shots=(5,),
            seeds=(0, 1),
            width=8,
            max_steps=4,
            checkpoint_every=2,
            val_tasks=3,
            test_tasks=4,
            grid_steps=2,
            lam_grid=(2.0,),
            nu_grid=(0.05,),
            outer_grid={"GD": (0.3,), "SNGDM": (0.03,), "Adam": (1e-3,)},
            supervised_epochs=1,
            num_samples=1000,
        )
        base.update(kw)
        return cls(**base)


@dataclass(frozen=True)
class Cell:
    """One meta-training run: ``steps`` outer steps of ``method`` on ``split`` with ``shots``, seed ``seed``, outer
    optimiser (``outer``, ``eta``), inner settings (``lam``, ``nu``); ``test`` says whether to score the meta-test
    tasks (main cells) or only validation tasks (pilot cells); ``phase`` and ``tag`` label it."""

    phase: str
    split: str
    method: str
    shots: int
    seed: int
    steps: int
    outer: str
    eta: float
    lam: float
    nu: float
    test: bool
    tag: str = ""


def split_samplers(data: MNIST1D, split: str, p: Protocol, shots: int, seed: int) -> tuple[TaskSampler, ...]:
    """(meta-train, validation, meta-test) samplers of ``split``: validation holds out the last ``val_fraction`` of
    each meta-train class's signals in the training split; meta-test draws from the test split."""
    train_c, test_c = SPLITS[split]
    keep = np.ones(len(data.y), bool)
    for c in train_c:
        idx = np.flatnonzero(data.y == c)
        keep[idx[round(len(idx) * (1 - p.val_fraction)) :]] = False
    tr = TaskSampler(data.x[keep], data.y[keep], train_c, p.ways, shots, p.queries, seed=1000 + seed)
    va = TaskSampler(data.x[~keep], data.y[~keep], train_c, p.ways, shots, p.queries, seed=3000 + seed)
    te = TaskSampler(data.x_test, data.y_test, test_c, p.ways, shots, p.queries, seed=2000 + seed)
    return tr, va, te


def run_cell(cell: Cell, p: Protocol, data: MNIST1D | None = None) -> dict:
    """Meta-train one cell; validation accuracy every ``checkpoint_every`` steps; on main cells the meta-test
    accuracy per task at the last step, at step 0, at the best-validation checkpoint, and of nearest-centre."""
    data = data if data is not None else load_mnist1d(num_samples=p.num_samples, seed=42)
    torch.manual_seed(0)  # no op of the run draws from torch's global generator; fixed all the same
    cfg = Inner(K=p.K, alpha=p.alpha, lam=cell.lam, nu=cell.nu, cg_steps=p.cg_steps)
    model = CNN1d(p.width, p.depth, p.ways).to(p.device)
    theta = {k: v.to(p.device) for k, v in model.init_params(cell.seed).items()}
    opt = make_outer(cell.outer, cell.eta)
    train, val, test = split_samplers(data, cell.split, p, cell.shots, cell.seed)
    val_tasks = val.batch(p.val_tasks)
    test_tasks = test.batch(p.test_tasks) if cell.test else []
    initial = _evaluate(cell.method, model, theta, test_tasks, cfg)
    checkpoints, val_acc, grad_norms = [], [], []
    best, best_step, best_theta = -1.0, 0, theta
    t0, elapsed = time.perf_counter(), 0.0
    for step in range(cell.steps + 1):
        if step % p.checkpoint_every == 0 or step == cell.steps:
            a = float(np.mean(_evaluate(cell.method, model, theta, val_tasks, cfg)))
            checkpoints.append(step)
            val_acc.append(a)
            if a > best:
                best, best_step, best_theta = a, step, theta
        if step == cell.steps:
            break
        s0 = time.perf_counter()
        g, _ = meta_gradient(cell.method, model, theta, train.batch(p.meta_batch), cfg)
        if not all(bool(torch.isfinite(v).all()) for v in g.values()):
            raise FloatingPointError(f"{cell}: non-finite meta-gradient at outer step {step}")
        grad_norms.append(float(torch.sqrt(sum((v.double() ** 2).sum() for v in g.values()))))
        theta = opt.step(theta, g)
        elapsed += time.perf_counter() - s0
    out = {
        **asdict(cell),
        "checkpoints": checkpoints,
        "val_acc": val_acc,
        "best_val_step": best_step,
        "best_val_acc": best,
        "gradient_norms": grad_norms,
        "seconds_per_step": elapsed / max(cell.steps, 1),
        "seconds": time.perf_counter() - t0,
    }
    if cell.test:
        out["final"] = _evaluate(cell.method, model, theta, test_tasks, cfg)
        out["initial"] = initial
        out["ncc"] = nearest_centre(test_tasks)
        out["best_val_final"] = _evaluate(cell.method, model, copy.copy(best_theta), test_tasks, cfg)
    return out


def _cell_worker(item: tuple[Cell, Protocol], rng: np.random.Generator) -> dict:
    torch.set_num_threads(1)  # one core per cell: cells are the unit of parallelism
    cell, p = item
    return run_cell(cell, p)


def run_cells(
    cells: Sequence[Cell], p: Protocol, jobs: int = 1, dask: str | None = None, progress: Callable[[str], None] = print
) -> list[dict]:
    """:func:`run_cell` for every cell, on ``jobs`` local processes or the Dask cluster at ``dask``."""
    from bmaml_theory.parallel import pmap

    progress(f"{len(cells)} cells ({cells[0].phase if cells else '-'}) on {dask or f'{jobs} process(es)'}")
    if jobs == 1 and dask is None:
        torch.set_num_threads(1)  # one core per cell, here too: two threads per op oversubscribe a shared machine
        data = load_mnist1d(num_samples=p.num_samples, seed=42)
        out = []
        for i, c in enumerate(cells):
            progress(f"{c.phase} {c.split} {c.method} {c.shots}-shot seed {c.seed} {c.outer} ({i + 1}/{len(cells)})")
            out.append(run_cell(c, p, data))
        return out
    return pmap(_cell_worker, [(c, p) for c in cells], jobs=jobs, dask_address=dask)


def _best(rows: list[dict], key: Callable[[dict], Any]) -> dict:
    """Per key, the row with the highest validation score (first in cell order on ties)."""
    out: dict = {}
    for r in rows:
        k = key(r)
        if k not in out or r["score"] > out[k]["score"]:
            out[k] = r
    return out


def run_protocol(p: Protocol, jobs: int = 1, dask: str | None = None, progress: Callable[[str], None] = print) -> dict:
    """The three phases of the module docstring; returns every cell's result and the choices the pilot fixed."""
    load_mnist1d(num_samples=p.num_samples, seed=42)  # generate (or read) the cached data once, before any worker
    t0 = time.perf_counter()
    ps, dec = p.pilot_seed, p.deciding_split
    # -- phase 1a: lam x nu grid (FO-B-MAML, deciding split, validation tasks only) --
    grid_cells = [
        Cell("grid", dec, "fobmaml", k, ps, p.grid_steps, p.outer, p.eta, lam, nu, False, f"lam={lam} nu={nu}")
        for k in p.shots
        for lam in p.lam_grid
        for nu in p.nu_grid
    ]
    grid = run_cells(grid_cells, p, jobs, dask, progress)
    for r in grid:
        r["score"] = r["val_acc"][-1]
    chosen = {k: (r["lam"], r["nu"]) for k, r in _best(grid, lambda r: r["shots"]).items()}

    def inner(method: str, shots: int) -> tuple[float, float]:
        return chosen[shots] if method != "maml" else (p.default_lam, p.default_nu)  # MAML uses neither

    # -- phase 1b: stopping points --
    stop_cells = [
        Cell("pilot", sp, m, k, ps, p.max_steps, p.outer, p.eta, *inner(m, k), False)
        for sp in p.splits
        for m in p.methods
        for k in p.shots
    ]
    pilot = run_cells(stop_cells, p, jobs, dask, progress)
    stop = {(r["split"], r["method"], r["shots"]): max(r["best_val_step"], p.checkpoint_every) for r in pilot}
    # -- phase 1c: outer step sizes (FO-B-MAML 5-shot, deciding split) --
    k5 = max(p.shots)
    t_sng = stop.get((dec, "fobmaml", k5), p.max_steps)
    step_cells = [
        Cell("outer-grid", dec, "fobmaml", k5, ps, t_sng, o, eta, *inner("fobmaml", k5), False, o)
        for o, etas in p.outer_grid.items()
        for eta in etas
    ]
    step_runs = run_cells(step_cells, p, jobs, dask, progress)
    for r in step_runs:
        r["score"] = max(r["val_acc"])
    etas = {o: r["eta"] for o, r in _best(step_runs, lambda r: r["outer"]).items()}
    # -- phase 2 and 3: main cells and SNGDM cells, in one pool --
    main_cells = [
        Cell("main", sp, m, k, sd, stop[(sp, m, k)], p.outer, p.eta, *inner(m, k), True)
        for sp in p.splits
        for m in p.methods
        for k in p.shots
        for sd in p.seeds
    ]
    sng_cells = [
        Cell("sngdm", dec, "fobmaml", k5, sd, t_sng, o, etas[o], *inner("fobmaml", k5), True, o)
        for o in p.outer_grid
        for sd in p.seeds
    ]
    done = run_cells(main_cells + sng_cells, p, jobs, dask, progress)
    return {
        "settings": p.as_dict(),
        "chosen_lam_nu": {f"{k}-shot": {"lam": v[0], "nu": v[1]} for k, v in chosen.items()},
        "stopping_steps": {f"{sp} {m} {k}-shot": t for (sp, m, k), t in stop.items()},
        "outer_etas": etas,
        "grid": grid,
        "pilot": pilot,
        "outer_grid_runs": step_runs,
        "main": done[: len(main_cells)],
        "sngdm": done[len(main_cells) :],
        "cells": len(grid_cells) + len(stop_cells) + len(step_cells) + len(main_cells) + len(sng_cells),
        "seconds": time.perf_counter() - t0,
    }


def estimate(p: Protocol, steps: int = 50, progress: Callable[[str], None] = print) -> dict:
    """Projected seconds of :func:`run_protocol` on this machine, one core per cell: seconds per outer step of every
    (method, shots, outer) the protocol trains and seconds per evaluated task, each measured on ``steps`` steps
    (a short run of the real cell), then summed over the cells as if every stopping point were ``max_steps``
    (the protocol's worst case; the pilot's stopping points can only shorten it)."""
    torch.set_num_threads(1)
    data = load_mnist1d(num_samples=p.num_samples, seed=42)
    sps, per_task = {}, {}
    kinds = {(m, k, p.outer) for m in p.methods for k in p.shots} | {("fobmaml", max(p.shots), o) for o in p.outer_grid}
    for m, k, o in sorted(kinds):
        progress(f"estimate {m} {k}-shot {o}")
        eta = p.outer_grid.get(o, (p.eta,))[0] if o != p.outer else p.eta
        short = replace(p, checkpoint_every=steps, val_tasks=10, test_tasks=10)
        cell = Cell("estimate", p.deciding_split, m, k, p.pilot_seed, steps, o, eta, p.default_lam, p.default_nu, True)
        t0 = time.perf_counter()
        r = run_cell(cell, short, data)
        total = time.perf_counter() - t0
        sps[(m, k, o)] = r["seconds_per_step"]
        evals = 2 * short.val_tasks + 3 * short.test_tasks  # two validation checkpoints, three test scorings
        per_task[(m, k)] = max(total - steps * r["seconds_per_step"], 0.0) / evals
    ck = p.max_steps // p.checkpoint_every + 1
    progress("estimate supervised reference (one epoch)")
    t0 = time.perf_counter()
    supervised_reference(p, p.deciding_split, p.shots, p.pilot_seed, epochs=1)
    per_epoch = time.perf_counter() - t0  # one epoch and one scoring of every shot count's test tasks (an overestimate)

    def cost(m: str, k: int, o: str, n_steps: int, test: bool) -> float:
        evals = (n_steps // p.checkpoint_every + 1) * p.val_tasks + (3 * p.test_tasks if test else 0)
        return n_steps * sps[(m, k, o)] + evals * per_task[(m, k)]

    k5 = max(p.shots)
    phases = {
        "grid": sum(cost("fobmaml", k, p.outer, p.grid_steps, False) for k in p.shots)
        * len(p.lam_grid)
        * len(p.nu_grid),
        "pilot": sum(cost(m, k, p.outer, p.max_steps, False) for m in p.methods for k in p.shots) * len(p.splits),
        "outer-grid": sum(cost("fobmaml", k5, o, p.max_steps, False) * len(e) for o, e in p.outer_grid.items()),
        "main": sum(cost(m, k, p.outer, p.max_steps, True) for m in p.methods for k in p.shots)
        * len(p.splits)
        * len(p.seeds),
        "sngdm": sum(cost("fobmaml", k5, o, p.max_steps, True) for o in p.outer_grid) * len(p.seeds),
        "supervised": per_epoch * p.supervised_epochs * len(p.seeds),
    }
    cells = {
        "grid": len(p.shots) * len(p.lam_grid) * len(p.nu_grid),
        "pilot": len(p.splits) * len(p.methods) * len(p.shots),
        "outer-grid": sum(len(e) for e in p.outer_grid.values()),
        "main": len(p.splits) * len(p.methods) * len(p.shots) * len(p.seeds),
        "sngdm": len(p.outer_grid) * len(p.seeds),
        "supervised": len(p.seeds),
    }
    return {
        "measured_steps": steps,
        "seconds_per_step": {f"{m} {k}-shot {o}": v for (m, k, o), v in sorted(sps.items())},
        "seconds_per_evaluated_task": {f"{m} {k}-shot": v for (m, k), v in sorted(per_task.items())},
        "checkpoints_per_cell": ck,
        "cells": cells,
        "projected_seconds_one_core": phases,
        "projected_total_seconds_one_core": sum(phases.values()),
        "note": "worst case (every stopping point at max_steps); phases run one after another, the cells of a phase "
        "in parallel: with J cores the main phase divides by up to J",
    }


def iterations_to_target(norms: Sequence[float], window: int = 50, fraction: float = 0.5) -> int | None:
    r"""Outer iterations until the running mean of the meta-gradient-estimate norm over ``window`` steps first falls
    to ``fraction`` of its first window's mean: :math:`\min\{t:\ \overline{\|g\|}_{[t-w,t)}\le
    \text{fraction}\cdot\overline{\|g\|}_{[0,w)}\}`; None when it never does (or the run is shorter than
    two windows).  The theory's measure of progress (a stationary point, ||grad F|| small) on noisy estimates."""
    x = np.asarray(norms, dtype=float)
    if x.size < 2 * window:
        return None
    run = np.convolve(x, np.ones(window) / window, mode="valid")  # run[i] = mean of x[i : i + window]
    hit = np.flatnonzero(run[window:] <= fraction * run[0])
    return int(hit[0] + 2 * window) if hit.size else None


def theory_reading(cells: Sequence[dict], window: int = 50, fraction: float = 0.5) -> dict:
    """The SNGDM sentence read as theory: per optimiser and seed, :func:`iterations_to_target`; SNGDM is 'justified
    over GD' on this measure iff its median over seeds is at most GD's (never = infinity); inconclusive when neither
    optimiser reaches the target on a majority of seeds (the target then says nothing)."""
    per: dict[str, dict[int, int | None]] = {}
    for r in cells:
        per.setdefault(r["outer"], {})[r["seed"]] = iterations_to_target(r["gradient_norms"], window, fraction)

    def med(o: str) -> float:
        v = [np.inf if t is None else t for t in per.get(o, {}).values()]
        return float(np.median(v)) if v else float("nan")

    reached = {o: sum(t is not None for t in d.values()) for o, d in per.items()}
    n = {o: len(d) for o, d in per.items()}
    enough = any(reached.get(o, 0) * 2 > n.get(o, 1) for o in ("SNGDM", "GD"))
    status = "inconclusive" if not enough else ("holds" if med("SNGDM") <= med("GD") else "not-reproduced")
    return {
        "measure": f"outer iterations until the {window}-step running mean of ||meta-gradient estimate|| falls to "
        f"{fraction:g} x its first window's mean",
        "iterations": {o: {str(s): t for s, t in d.items()} for o, d in per.items()},
        "median": {o: med(o) for o in per},
        "status": status,
        "rule": "holds iff SNGDM's median over seeds <= GD's; inconclusive when neither reaches the target on a "
        "majority of seeds",
    }


def with_device(p: Protocol, device: str) -> Protocol:
    """``p`` on ``device`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``...)."""
    torch.device(device)  # raises a clear error on a malformed name
    return replace(p, device=device)


def supervised_reference(
    p: Protocol, split: str, shots: Sequence[int], seed: int, epochs: int | None = None
) -> dict[int, list[float]]:
    r"""Accuracy per meta-test task of the supervised reference on ``split`` (per shot count in ``shots``; the same
    tasks as the main cells of ``seed``): :func:`~bmaml_theory.nn.study.supervised_accuracy` with the protocol's
    width and depth, trained once per seed for ``epochs`` (default ``p.supervised_epochs``) epochs on every labelled
    signal of MNIST-1D's training split.  It sees labels no meta-learner sees: the architecture's ceiling."""
    torch.set_num_threads(1)
    data = load_mnist1d(num_samples=p.num_samples, seed=42)
    tasks = {k: split_samplers(data, split, p, k, seed)[2].batch(p.test_tasks) for k in shots}
    n = p.supervised_epochs if epochs is None else epochs
    return supervised_accuracy(data, p.width, p.depth, seed, tasks, epochs=n, device=p.device)
