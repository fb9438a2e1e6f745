r"""The MNIST-1D studies behind the TMLR claims: memory, accuracy, outer optimisers, HVP cost.

Every study is a pure function of its settings (a dataclass) and returns plain lists/dicts, so that
``python -m verify mnist1d`` and the ledger's claims (``bmaml_theory.claims.tmlr``) share one code path; the
ledger runs the ``ledger`` settings, ``verify mnist1d`` the same plus bigger figure grids.  Settings are ours:
the TMLR revision publishes none.

* :func:`memory_study`    bytes per (method, width, K) from :class:`~bmaml_theory.nn.memory.MemoryMeter`:
  peak saved-for-backward + inner-loop state, plus :math:`\theta`, plus Adam's state (2 copies of
  :math:`\theta`, the same for every method).
* :func:`accuracy_study`  meta-train each method with an outer optimiser, meta-test accuracy (mean, 95%
  interval over test tasks x seeds) against outer step and wall-clock.
* :func:`hvp_cost_study`  seconds of one Hessian-vector product over seconds of one gradient, per (width, depth).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from bmaml_theory.nn.data import MNIST1D, Task, TaskSampler, load_mnist1d
from bmaml_theory.nn.memory import MemoryMeter, allocator_peak_bytes
from bmaml_theory.nn.methods import Inner, accuracy, adapt, check_method, meta_gradient, to_torch
from bmaml_theory.nn.model import CNN1d, n_bytes
from bmaml_theory.nn.outer import make_outer

__all__ = [
    "AccuracySettings",
    "MemorySettings",
    "accuracy_study",
    "allocator_point",
    "hvp_cost_study",
    "hvp_flops",
    "hvp_flops_study",
    "mean_ci",
    "memory_bytes",
    "memory_point",
    "memory_study",
    "nearest_centre",
    "supervised_accuracy",
]

TRAIN_CLASSES = (0, 1, 2, 3, 4)
TEST_CLASSES = (5, 6, 7, 8, 9)

Progress = Callable[[str], None]


def _quiet(msg: str) -> None:
    pass


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    r"""(mean, lower, upper): the normal 95% interval :math:`\bar x\pm1.96\,s/\sqrt n` (n >= 2), else NaN bounds."""
    x = np.asarray(values, dtype=float)
    m = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return m, math.nan, math.nan
    h = 1.96 * float(x.std(ddof=1)) / math.sqrt(x.size)
    return m, m - h, m + h


# ----------------------------------------------------------------------------------------------- memory
@dataclass(frozen=True)
class MemorySettings:
    """Memory sweep: ``widths`` at ``K_fixed``, ``Ks`` at ``width_fixed``; a task of ``ways`` x (``shots`` +
    ``queries``) signals; CNN ``depth``."""

    methods: tuple[str, ...] = ("maml", "fomaml", "reptile", "imaml", "fobmaml", "fobmaml-sym", "fobmaml-jvp")
    widths: tuple[int, ...] = (16, 32, 64, 128, 250)
    Ks: tuple[int, ...] = (1, 2, 5, 10, 20)
    K_fixed: int = 20
    width_fixed: int = 64
    depth: int = 3
    ways: int = 5
    shots: int = 1
    queries: int = 1
    seed: int = 0
    device: str = "auto"


def memory_point(
    method: str,
    width: int,
    K: int,
    depth: int = 3,
    ways: int = 5,
    shots: int = 1,
    queries: int = 1,
    seed: int = 0,
    device: str = "auto",
) -> dict:
    r"""Bytes of one meta-gradient of ``method`` on one task: peak(saved + state) + :math:`|\theta|` + Adam state.

    ``device="auto"`` (default) uses the CPU up to width 64 and the meta device above.  ``"meta"`` runs the same autograd graph on PyTorch's meta device: shapes without values, so a
    width-250 sweep costs no arithmetic, and the count is exact because which tensors autograd saves depends on the
    operations and shapes only (a test checks meta and CPU counts agree for every method).  ``device="cpu"`` runs on
    a real MNIST-1D task.  Deterministic: the same arguments give the same bytes on any machine (float32)."""
    check_method(method)
    if device not in ("auto", "meta", "cpu"):
        raise ValueError(f"device must be 'auto', 'meta' or 'cpu', got {device!r}.")
    if device == "auto":  # meta's Python kernels cost ~1 s per run whatever the width; CPU is cheaper when narrow
        device = "cpu" if width <= 64 else "meta"
    if device == "cpu":
        data = load_mnist1d(num_samples=500, seed=42)
        task = TaskSampler(data.x, data.y, TRAIN_CLASSES, ways, shots, queries, seed=seed).sample()
    else:
        z = np.zeros((ways * shots, 1, 40), np.float32)
        zq = np.zeros((ways * queries, 1, 40), np.float32)
        task = Task(z, np.repeat(np.arange(ways), shots), zq, np.repeat(np.arange(ways), queries), tuple(range(ways)))
    model = CNN1d(width, depth, ways)
    theta = {k: v.to(device) for k, v in model.init_params(seed).items()}
    cfg = Inner(K=K)
    with MemoryMeter(exclude=theta.values()) as meter:
        meta_gradient(method, model, theta, task, cfg, meter=meter)
    params = n_bytes(theta)
    opt = make_outer("Adam", 1e-3).copies * params
    return {
        "method": method,
        "width": width,
        "K": K,
        "depth": depth,
        "shots": shots,
        "queries": queries,
        "device": device,
        "saved_and_state_bytes": meter.peak_saved_bytes,
        "param_bytes": params,
        "optimizer_bytes": opt,
        "total_bytes": meter.peak_saved_bytes + params + opt,
        "n_saved": meter.n_saved,
    }


def allocator_point(
    method: str,
    width: int,
    K: int,
    depth: int = 3,
    ways: int = 5,
    shots: int = 1,
    queries: int = 1,
    seed: int = 0,
    device: str = "cpu",
) -> dict:
    r"""The allocator's peak bytes of one meta-gradient of ``method`` on one MNIST-1D task, above the meta-parameters
    (:func:`~bmaml_theory.nn.memory.allocator_peak_bytes`: ``torch.profiler`` on CPU, the CUDA allocator on a GPU).

    Unlike :func:`memory_point` (saved tensors and registered state only), this sees every allocation: gradient
    buffers, temporaries, the task's tensors.  ``param_bytes`` is :math:`|\theta|` in bytes, the unit of the
    flatness allowance of ``tmlr-flat-memory``."""
    check_method(method)
    data = load_mnist1d(num_samples=500, seed=42)
    task = TaskSampler(data.x, data.y, TRAIN_CLASSES, ways, shots, queries, seed=seed).sample()
    model = CNN1d(width, depth, ways).to(device)
    theta = {k: v.to(device) for k, v in model.init_params(seed).items()}
    cfg = Inner(K=K)
    peak = allocator_peak_bytes(lambda: meta_gradient(method, model, theta, task, cfg), device)
    return {
        "method": method,
        "width": width,
        "K": K,
        "depth": depth,
        "shots": shots,
        "queries": queries,
        "device": str(torch.device(device)),
        "allocator_peak_bytes": int(peak),
        "param_bytes": n_bytes(theta),
    }


def memory_bytes(method: str, width: int, K: int, depth: int = 3) -> int:
    """Total bytes of :func:`memory_point` (the replay of the memory claims' measurements)."""
    return int(memory_point(method, width, K, depth)["total_bytes"])


def memory_study(s: MemorySettings, progress: Progress = _quiet) -> list[dict]:
    """:func:`memory_point` over (method x widths at ``K_fixed``) and (method x Ks at ``width_fixed``)."""
    grid = [(m, w, s.K_fixed) for m in s.methods for w in s.widths]
    grid += [(m, s.width_fixed, K) for m in s.methods for K in s.Ks if (m, s.width_fixed, K) not in grid]
    rows = []
    for i, (m, w, K) in enumerate(grid):
        progress(f"memory {m} width={w} K={K} ({i + 1}/{len(grid)})")
        rows.append(memory_point(m, w, K, s.depth, s.ways, s.shots, s.queries, s.seed, s.device))
    return rows


# ----------------------------------------------------------------------------------------------- accuracy
@dataclass(frozen=True)
class AccuracySettings:
    """Meta-training run settings (ours; the paper gives none)."""

    methods: tuple[str, ...] = ("maml", "fobmaml", "fobmaml-sym")
    shots: tuple[int, ...] = (1, 5)
    seeds: tuple[int, ...] = (0, 1)
    outer: str = "Adam"
    eta: float = 1e-3
    outer_steps: int = 100
    meta_batch: int = 4
    eval_every: int = 25
    eval_tasks: int = 50
    final_tasks: int = 200
    ways: int = 5
    queries: int = 5
    width: int = 32
    depth: int = 2
    inner: Inner = field(default_factory=Inner)
    num_samples: int = 5000

    def as_dict(self) -> dict:
        d = asdict(self)
        d["inner"] = asdict(self.inner)
        return d


def _evaluate(method: str, model: CNN1d, theta: dict, tasks: list, cfg: Inner) -> list[float]:
    """Meta-test accuracy per task: adapt on the support set, accuracy on the query set (on ``theta``'s device)."""
    device = next(iter(theta.values())).device
    out = []
    for t in tasks:
        xs, ys, xq, yq = to_torch(t, device=device)
        out.append(accuracy(model, adapt(method, model, theta, xs, ys, cfg), xq, yq))
    return out


def nearest_centre(tasks: Sequence[Task]) -> list[float]:
    r"""Accuracy per task of the nearest-class-centre rule on the raw signals: a query :math:`x` gets the label
    :math:`\arg\min_c\|x-\mu_c\|_2`, :math:`\mu_c` the mean of class c's support signals (no training: the
    baseline every meta-learned arm must beat to count as having learned)."""
    out = []
    for t in tasks:
        xs, xq = t.xs.reshape(len(t.xs), -1), t.xq.reshape(len(t.xq), -1)
        labels = np.unique(t.ys)
        centres = np.stack([xs[t.ys == c].mean(0) for c in labels])
        pred = labels[np.argmin(((xq[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)]
        out.append(float(np.mean(pred == t.yq)))
    return out


def supervised_accuracy(
    data: MNIST1D,
    width: int,
    depth: int,
    seed: int,
    tasks: dict[int, Sequence[Task]],
    epochs: int = 30,
    device: str = "cpu",
) -> dict[int, list[float]]:
    r"""Accuracy per task of a supervised reference: ``CNN1d(width, depth, 10)`` trained on every signal of
    MNIST-1D's training split (all ten classes, labels given; cross-entropy, Adam 1e-3, batches of 100, ``epochs``
    epochs, initialised and shuffled by ``seed``); on a task it predicts the arg-max of its logits restricted to the
    task's classes (the support set is not used).  ``tasks`` maps a key (a shot count) to its tasks; the model is
    trained once and scored on all.  It sees labelled signals of meta-test classes that no meta-learner sees: the
    ceiling of the architecture on these tasks, not a rival."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs!r}")
    g = torch.Generator().manual_seed(seed)
    model = CNN1d(width, depth, 10).to(device)
    theta = {k: v.to(device).requires_grad_() for k, v in model.init_params(seed).items()}
    opt = torch.optim.Adam(list(theta.values()), lr=1e-3)
    x = torch.as_tensor(data.x)[:, None, :].to(device)
    y = torch.as_tensor(data.y).to(device)
    for _ in range(epochs):
        for idx in torch.randperm(len(y), generator=g).split(100):
            loss = torch.nn.functional.cross_entropy(model.logits(theta, x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    out: dict[int, list[float]] = {}
    with torch.no_grad():
        for key, ts in tasks.items():
            acc = []
            for t in ts:
                logits = model.logits(theta, torch.as_tensor(t.xq).to(device))[:, list(t.classes)]
                acc.append(float((logits.argmax(1).cpu().numpy() == t.yq).mean()))
            out[key] = acc
    return out


def train_one(
    method: str,
    shots: int,
    seed: int,
    s: AccuracySettings,
    data: MNIST1D,
    outer: str | None = None,
    eta: float | None = None,
    progress: Progress = _quiet,
    device: str = "cpu",
) -> dict:
    """Meta-train ``method`` for ``s.outer_steps`` steps; meta-test accuracy curve and final per-task accuracies,
    beside the same tasks' accuracy at step 0 (``initial``) and of :func:`nearest_centre` (``ncc``).

    The meta-test tasks depend only on (``shots``, ``seed``), so methods are compared on the same tasks."""
    check_method(method)
    model = CNN1d(s.width, s.depth, s.ways).to(device)
    theta = {k: v.to(device) for k, v in model.init_params(seed).items()}
    opt = make_outer(outer or s.outer, eta if eta is not None else s.eta)
    train = TaskSampler(data.x, data.y, TRAIN_CLASSES, s.ways, shots, s.queries, seed=1000 + seed)
    test_tasks = TaskSampler(data.x_test, data.y_test, TEST_CLASSES, s.ways, shots, s.queries, seed=2000 + seed).batch(
        s.final_tasks
    )
    initial = _evaluate(method, model, theta, test_tasks, s.inner)
    steps, accs, clock, losses, acc_lists = [], [], [], [], []
    elapsed = 0.0
    for step in range(s.outer_steps + 1):
        if step % s.eval_every == 0 or step == s.outer_steps:
            a = _evaluate(method, model, theta, test_tasks[: s.eval_tasks], s.inner)
            steps.append(step)
            accs.append(float(np.mean(a)))
            acc_lists.append(a)
            clock.append(elapsed)
            progress(f"{method} {shots}-shot seed {seed} step {step}: acc {accs[-1]:.3f}")
        if step == s.outer_steps:
            break
        t0 = time.perf_counter()
        g, q = meta_gradient(method, model, theta, train.batch(s.meta_batch), s.inner)
        if not all(bool(torch.isfinite(v).all()) for v in g.values()):
            raise FloatingPointError(f"{method}: non-finite meta-gradient at outer step {step}")
        theta = opt.step(theta, g)
        elapsed += time.perf_counter() - t0
        losses.append(q)
    final = _evaluate(method, model, theta, test_tasks, s.inner)
    return {
        "method": method,
        "shots": shots,
        "seed": seed,
        "outer": opt.name,
        "eta": opt.eta,
        "steps": steps,
        "acc": accs,
        "acc_per_task": acc_lists,
        "seconds": clock,
        "train_loss": losses,
        "final": final,
        "initial": initial,
        "ncc": nearest_centre(test_tasks),
        "seconds_per_step": elapsed / max(s.outer_steps, 1),
    }


def accuracy_study(s: AccuracySettings, progress: Progress = _quiet) -> list[dict]:
    """:func:`train_one` for every (method, shots, seed) of ``s``."""
    data = load_mnist1d(num_samples=s.num_samples, seed=42)
    return [train_one(m, k, seed, s, data, progress=progress) for k in s.shots for m in s.methods for seed in s.seeds]


def paired_difference(runs: list[dict], a: str, b: str, shots: int, key: str = "method") -> tuple[float, float, float]:
    """mean and 95% interval of acc(a) - acc(b) over the shared test tasks x seeds (paired by task)."""
    da = {(r["seed"]): r["final"] for r in runs if r[key] == a and r["shots"] == shots}
    db = {(r["seed"]): r["final"] for r in runs if r[key] == b and r["shots"] == shots}
    diffs = [x - y for sd in sorted(set(da) & set(db)) for x, y in zip(da[sd], db[sd], strict=True)]
    return mean_ci(diffs)


# ----------------------------------------------------------------------------------------------- HVP cost
def hvp_cost_study(
    widths: Sequence[int],
    depths: Sequence[int],
    reps: int = 5,
    n_signals: int = 25,
    seed: int = 0,
    progress: Progress = _quiet,
) -> list[dict]:
    r"""Seconds of one Hessian-vector product :math:`\nabla^2\hat f(\phi)v` (reverse over reverse, from scratch:
    forward, backward with ``create_graph``, second backward) over seconds of one gradient :math:`\nabla\hat f(\phi)`
    (forward, backward), per (width, depth); the median of ``reps`` interleaved paired ratios (:func:`hvp_timing`).  Also the marginal cost of
    an HVP when the gradient's graph is kept (what iMAML's CG pays per step) and forward-over-reverse
    (``torch.func.jvp`` of ``torch.func.grad``)."""
    data = load_mnist1d(num_samples=500, seed=42)
    task = TaskSampler(data.x, data.y, TRAIN_CLASSES, 5, n_signals // 5, 1, seed=seed).sample()
    xs, ys, _, _ = to_torch(task)
    rows = []
    for depth in depths:
        for width in widths:
            progress(f"hvp cost width={width} depth={depth}")
            rows.append(hvp_timing(CNN1d(width, depth, 5), xs, ys, reps, seed))
    return rows


def hvp_timing(model: CNN1d, xs: torch.Tensor, ys: torch.Tensor, reps: int, seed: int = 0) -> dict:
    """Median seconds of a gradient, an HVP from scratch, an HVP on a kept graph and a forward-over-reverse HVP
    of the support loss of ``model`` on (``xs``, ``ys``), timed interleaved after one warm-up of each; ``ratios``
    are the ``reps`` paired ratios (HVP from scratch / the gradient timed just before it) and ``ratio`` their median.
    The other ratios are ratios of medians."""
    from torch.func import grad as fgrad
    from torch.func import jvp

    theta = model.init_params(seed)
    v = {k: torch.randn(t.shape, generator=torch.Generator().manual_seed(seed + 1)) for k, t in theta.items()}

    def lossf(p: dict) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(model.logits(p, xs), ys)

    def g_time() -> float:
        p = {k: t.detach().requires_grad_() for k, t in theta.items()}
        t0 = time.perf_counter()
        torch.autograd.grad(lossf(p), list(p.values()))
        return time.perf_counter() - t0

    def h_time() -> tuple[float, float]:
        p = {k: t.detach().requires_grad_() for k, t in theta.items()}
        t0 = time.perf_counter()
        g = torch.autograd.grad(lossf(p), list(p.values()), create_graph=True)
        t1 = time.perf_counter()
        torch.autograd.grad(g, list(p.values()), grad_outputs=list(v.values()))
        t2 = time.perf_counter()
        return t2 - t0, t2 - t1

    def f_time() -> float:
        t0 = time.perf_counter()
        jvp(fgrad(lossf), (theta,), (v,))
        return time.perf_counter() - t0

    g_time(), h_time(), f_time()  # warm-up
    tg, th, tm, tf = [], [], [], []
    for _ in range(reps):
        tg.append(g_time())
        a, b = h_time()
        th.append(a)
        tm.append(b)
        tf.append(f_time())
    mg = float(np.median(tg))
    # each repetition's HVP over the gradient timed just before it: a slow stretch of a loaded machine hits both
    # timings of a pair, so the paired ratios spread less than the ratio of medians
    paired = [h / g for h, g in zip(th, tg, strict=True)]
    return {
        "width": model.width,
        "depth": model.depth,
        "grad_s": mg,
        "hvp_s": float(np.median(th)),
        "hvp_marginal_s": float(np.median(tm)),
        "hvp_fwd_over_rev_s": float(np.median(tf)),
        "ratio": float(np.median(paired)),
        "ratios": paired,
        "ratio_marginal": float(np.median(tm)) / mg,
        "ratio_fwd_over_rev": float(np.median(tf)) / mg,
    }


def hvp_flops(model: CNN1d, xs: torch.Tensor, ys: torch.Tensor, seed: int = 0) -> dict:
    r"""Floating-point operations of one gradient :math:`\nabla\hat f(\phi)` and of one Hessian-vector product
    :math:`\nabla^2\hat f(\phi)v` of the support loss of ``model`` on (``xs``, ``ys``), counted by
    :class:`torch.utils.flop_counter.FlopCounterMode` (matrix products and convolutions, forward and backward; the
    elementwise operations it does not count are O(activations), against O(activations x width) for a convolution).

    Counted: the forward pass alone (``forward_flops``), a gradient (forward + backward, ``grad_flops``), an HVP by
    reverse over reverse from scratch (forward, backward with ``create_graph``, second backward; ``hvp_flops``) and
    by forward over reverse (``torch.func.jvp`` of ``torch.func.grad``; ``hvp_fwd_over_rev_flops``).  Each count is
    taken twice; ``deterministic`` says whether the two agree (a count depends on the operations and shapes only).

    Derivation of the ratio: a bilinear operation (convolution, matrix product) of F operations costs 2F more in
    the backward pass (the gradients with respect to each factor), so :math:`\mathrm{grad}=3F`; the gradient
    program consists of bilinear operations of 3F operations in all, and differentiating it once more costs twice
    that again, so :math:`\mathrm{HVP}=3F+6F=9F` and HVP / gradient = 3 up to the first layer, whose input needs
    no gradient (slightly below 3)."""
    from torch.func import grad as fgrad
    from torch.func import jvp
    from torch.utils.flop_counter import FlopCounterMode

    theta = model.init_params(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    v = {k: torch.randn(t.shape, generator=gen) for k, t in theta.items()}

    def lossf(p: dict) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(model.logits(p, xs), ys)

    def leaves() -> dict:
        return {k: t.detach().requires_grad_() for k, t in theta.items()}

    def forward() -> None:
        with torch.no_grad():
            lossf(theta)

    def gradient() -> None:
        p = leaves()
        torch.autograd.grad(lossf(p), list(p.values()))

    def hvp() -> None:
        p = leaves()
        g = torch.autograd.grad(lossf(p), list(p.values()), create_graph=True)
        torch.autograd.grad(g, list(p.values()), grad_outputs=list(v.values()))

    def fwd_over_rev() -> None:
        jvp(fgrad(lossf), (theta,), (v,))

    def count(fn: Callable[[], None]) -> tuple[int, dict[str, int]]:
        with FlopCounterMode(display=False) as fc:
            fn()
        return int(fc.get_total_flops()), {str(k): int(n) for k, n in fc.get_flop_counts().get("Global", {}).items()}

    out: dict = {"width": model.width, "depth": model.depth, "signals": int(xs.shape[0])}
    same = True
    for name, fn in (("forward", forward), ("grad", gradient), ("hvp", hvp), ("hvp_fwd_over_rev", fwd_over_rev)):
        a, ops = count(fn)
        b, _ = count(fn)
        same = same and a == b
        out[f"{name}_flops"] = a
        out[f"{name}_ops"] = ops
    out["deterministic"] = same
    out["ratio"] = out["hvp_flops"] / out["grad_flops"]
    out["ratio_fwd_over_rev"] = out["hvp_fwd_over_rev_flops"] / out["grad_flops"]
    out["grad_over_forward"] = out["grad_flops"] / out["forward_flops"]
    return out


def hvp_flops_study(
    widths: Sequence[int], depths: Sequence[int], n_signals: int = 25, seed: int = 0, progress: Progress = _quiet
) -> list[dict]:
    """:func:`hvp_flops` per (width, depth) on the same 5-way task as :func:`hvp_cost_study`."""
    data = load_mnist1d(num_samples=500, seed=42)
    task = TaskSampler(data.x, data.y, TRAIN_CLASSES, 5, n_signals // 5, 1, seed=seed).sample()
    xs, ys, _, _ = to_torch(task)
    rows = []
    for depth in depths:
        for width in widths:
            progress(f"hvp flops width={width} depth={depth}")
            rows.append(hvp_flops(CNN1d(width, depth, 5), xs, ys, seed))
    return rows
