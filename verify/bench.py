"""``python -m verify bench [--quick] [--out DIR]``: the batched eigenbasis sweep against per-point dense solves.

Each case times, in one run, after a warm-up, the median of repeats of

* ``seconds``: the package's sweep - build ``QuadraticTasks`` (two batched ``eigh``, the factorisation) and
  ``sweeps.bias_grid`` over a G x D (nu, delta) grid with the forward stencil and adversarial delta-errors;
* ``baseline_seconds``: the same work by one dense batched solve per (nu, delta) point and stencil node
  (``numpy.linalg.solve`` of (Ahat_i + lam I + nu A_i) phi = lam theta - bhat_i - nu b_i for all tasks), then the
  estimate and its worst-case bias.  Points cost the same, so it is timed on ``baseline_points`` of them and
  scaled to G x D (``baseline_extrapolated``: true when fewer than all points were timed);
* ``floor_seconds``: what the sweep cannot avoid on this machine - the two batched ``eigh`` timed alone, plus
  the sweep's GEMM flops at the measured GEMM rate and its output bytes at the measured copy bandwidth.

Writes ``DIR/bench.json`` (atomically) and ``DIR/bench_scaling.png``.

``python -m verify bench --backend B --device D`` instead compares backend B (``torch``, ``jax``, ``cupy``,
``array_api_strict``) on device D with NumPy on the same machine, in one run: the documented sweep (M = 64,
n = 128, 64 x 64 grid) and one large case (M = 256, n = 512, 16 x 16 grid), each timed as the whole sweep from host
data to host results (the family built on the device, ``sweeps.bias_grid``, the results copied back, so an
asynchronous device is synchronised by the copy), NumPy and B alternating repeat by repeat so that a change of the
machine's load hits both.  ``ratio`` = NumPy seconds / B seconds (> 1: B is faster); the two results agree to the
cross-backend tolerance of tests/test_backends.py (checked, ``max_rel_diff``).  Writes
``DIR/bench_<B>_<D>.json`` with the device named, the thread counts and the load average before and after.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from bmaml_theory import sweeps
from bmaml_theory.rates import fit_power_law
from bmaml_theory.stencils import FORWARD
from bmaml_theory.tasks.generate import random_symmetric
from bmaml_theory.tasks.quadratic import QuadraticTasks
from verify._io import save_figure, write_text


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _data(M: int, n: int, seed: int = 0):
    rng = np.random.default_rng([seed, M, n])
    Ah = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
    A = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
    return Ah, rng.standard_normal((M, n)), A, rng.standard_normal((M, n)), rng.standard_normal(n)


def machine_rates() -> dict:
    """Measured GEMM rate (flop/s) and copy bandwidth (byte/s) of this machine, NumPy, float64."""
    a = np.random.default_rng(0).standard_normal((1024, 1024))
    t = _median_time(lambda: a @ a, 3)
    x = np.zeros(2**25)
    tc = _median_time(lambda: x.copy(), 3)
    return {"gemm_flops_per_s": 2 * 1024**3 / t, "copy_bytes_per_s": 2 * x.nbytes / tc}


def case(M: int, n: int, G: int, D: int, rates: dict, *, repeats: int, baseline_points: int) -> dict:
    Ah, bh, A, b, theta = _data(M, n)
    lam = 2.0 * float(np.abs(np.linalg.eigvalsh(Ah)).max())
    deltas = np.logspace(-2, -12, D)

    def sweep():
        t = QuadraticTasks(Ah, bh, lam, A, b)
        nus = sweeps.nu_grid(t, FORWARD, decades=8.0, per_decade=max(G // 8, 1))[:G]
        return sweeps.bias_grid(t, theta, nus, FORWARD, deltas)

    seconds = _median_time(sweep, repeats)
    t = QuadraticTasks(Ah, bh, lam, A, b)
    nus = sweeps.nu_grid(t, FORWARD, decades=8.0, per_decade=max(G // 8, 1))[:G]
    G = len(nus)
    S = Ah + lam * np.eye(n)
    G_exact = t.meta_gradient(theta, per_task=True)

    def one_point(nu: float, delta: float):
        phis = [
            np.linalg.solve(S + tk * nu * A, (lam * theta - bh - tk * nu * b)[..., None])[..., 0] for tk in (1.0, 0.0)
        ]
        g = -lam * (phis[0] - phis[1]) / nu
        return np.linalg.norm(G_exact - g, axis=-1) + 2 * lam * delta / nu

    pts = [(nus[i % G], deltas[(i * 7) % D]) for i in range(min(baseline_points, G * D))]
    per_point = _median_time(lambda: [one_point(nu, d) for nu, d in pts], max(1, repeats // 2)) / len(pts)
    baseline = per_point * G * D
    # floor: the factorisation kernels alone + the GEMMs at peak rate + the output at copy bandwidth
    eigh_t = _median_time(lambda: (np.linalg.eigh(S), np.linalg.eigh(S)), repeats)
    gemm_flops = 2 * M * n**3 * 3 + 2 * M * G * n * n * len(FORWARD.nodes)  # S^-1/2, K, V; phi for each node
    out_bytes = 8 * M * G * (n * len(FORWARD.nodes) + D)
    floor = eigh_t + gemm_flops / rates["gemm_flops_per_s"] + out_bytes / rates["copy_bytes_per_s"]
    return {
        "name": f"M{M}-n{n}-grid{G}x{D}",
        "backend": "numpy",
        "M": M,
        "n": n,
        "grid": [G, D],
        "seconds": seconds,
        "baseline_seconds": baseline,
        "baseline_points": len(pts),
        "baseline_extrapolated": len(pts) < G * D,
        "speedup": baseline / seconds,
        "floor_seconds": floor,
        "ratio_to_floor": seconds / floor,
    }


def run_bench(out: Path, quick: bool) -> dict:
    rates = machine_rates()
    rep = 3 if quick else 7
    bp = 16 if quick else 64
    main = case(64, 128, 64, 64, rates, repeats=rep, baseline_points=bp)
    scaling = {"n": [], "M": [], "grid": []}
    ns = (32, 64, 128) if quick else (32, 64, 128, 256)
    for n in ns:
        scaling["n"].append(case(16, n, 32, 32, rates, repeats=rep, baseline_points=4))
    for M in (8, 32, 128) if quick else (8, 16, 32, 64, 128):
        scaling["M"].append(case(M, 64, 32, 32, rates, repeats=rep, baseline_points=4))
    for g in (16, 64, 256) if quick else (16, 32, 64, 128, 256):
        scaling["grid"].append(case(16, 64, g, g, rates, repeats=rep, baseline_points=4))
    fits, fits_stderr = {}, {}
    for key, rows in scaling.items():
        x = np.array(
            [r["n"] if key == "n" else r["M"] if key == "M" else r["grid"][0] * r["grid"][1] for r in rows], float
        )
        y = np.array([r["seconds"] for r in rows])
        pl = fit_power_law(x, y)
        fits[key], fits_stderr[key] = pl.exponent, pl.stderr
    result = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), **rates},
        "quick": quick,
        "targets": {"speedup_min": 50.0, "ratio_to_floor_max": 3.0},
        "main_case_meets_targets": bool(main["speedup"] >= 50 and main["ratio_to_floor"] <= 3),
        "cases": [main] + [r for rows in scaling.values() for r in rows],
        "scaling_exponents": fits,
        "scaling_exponents_stderr": fits_stderr,
        "expected_exponents": {
            "n": "3 (eigh, n^3) at large n; lower while overheads dominate",
            "M": "1",
            "grid": "<= 1 (G x D; the D axis is cheap)",
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "bench.json", json.dumps(result, indent=1))
    _figure(scaling, fits, out / "bench_scaling.png")
    return result


def _figure(scaling: dict, fits: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    labels = {
        "n": "dimension n (M=16, 32x32 grid)",
        "M": "tasks M (n=64, 32x32 grid)",
        "grid": "grid points G x D (M=16, n=64)",
    }
    expected = {"n": 3, "M": 1, "grid": 1}
    for ax, (key, rows) in zip(axes, scaling.items(), strict=True):
        x = [r["n"] if key == "n" else r["M"] if key == "M" else r["grid"][0] * r["grid"][1] for r in rows]
        ax.loglog(x, [r["seconds"] for r in rows], "o-", label=f"sweep (fit exponent {fits[key]:.2f})")
        ax.loglog(x, [r["baseline_seconds"] for r in rows], "s--", label="per-point dense solves")
        ax.loglog(x, [r["floor_seconds"] for r in rows], ":", color="k", label="floor estimate")
        ax.set_xlabel(labels[key])
        ax.set_title(f"expected exponent ~{expected[key]} (sweep)", fontsize=9)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("seconds (median)")
    fig.suptitle("Batched eigenbasis sweep vs per-point dense solves (NumPy, float64)", fontsize=11)
    save_figure(fig, path)
    plt.close(fig)


BENCH_START = "<!-- bench:start (written by python -m verify bench; do not edit) -->"
BENCH_END = "<!-- bench:end -->"


def readme_block(result: dict) -> str:
    """The README's Performance table, from a ``bench.json`` document (the run that measured it)."""
    rows = [
        "| case (M tasks, n, ν × δ grid) | sweep | per-point dense solves | speedup | floor | sweep / floor |",
        "|---|---|---|---|---|---|",
    ]
    for c in result["cases"]:
        g = c["grid"]
        grid = f"{g[0]} × {g[1]}" if isinstance(g, (list, tuple)) else str(g)
        rows.append(
            f"| M = {c['M']}, n = {c['n']}, {grid} | {c['seconds']:.3g} s | {c['baseline_seconds']:.3g} s | "
            f"{c['speedup']:.0f}× | {c['floor_seconds']:.3g} s | {c['ratio_to_floor']:.2f} |"
        )
    ex = result.get("scaling_exponents", {})
    se = result.get("scaling_exponents_stderr") or {}
    parts = [
        f"{ex[k]:.2f}" + (f" ± {se[k]:.2f}" if k in se else "") + f" in {k}" for k in ("n", "M", "grid") if k in ex
    ]
    tail = (
        f"\n\nFitted scaling exponents of the sweep: {', '.join(parts)} (grid = number of grid points). "
        + ("Targets met on the documented case." if result.get("main_case_meets_targets") else "Targets NOT met.")
        + f" Measured on: {result.get('machine', {}).get('platform', 'this machine')}"
        + (" (quick run)." if result.get("quick") else ".")
    )
    return "\n".join(rows) + tail


def update_readme(path: Path, result: dict) -> None:
    """Replace README's marked Performance block with :func:`readme_block` (atomically)."""
    text = path.read_text(encoding="utf-8")
    if BENCH_START not in text or BENCH_END not in text:
        raise ValueError(f"{path} lacks the markers {BENCH_START!r} ... {BENCH_END!r}")
    head, rest = text.split(BENCH_START, 1)
    _, tail = rest.split(BENCH_END, 1)
    write_text(path, f"{head}{BENCH_START}\n{readme_block(result)}\n{BENCH_END}{tail}")


# --------------------------------------------------------------------------- backend against NumPy
BACKEND_CASES = {
    "documented": (64, 128, 64, 64),  # the README's documented sweep
    "large": (256, 512, 16, 16),  # M >= 256, n >= 512: the factorisation dominates
    "tiny": (4, 8, 4, 4),  # the CI check of benchmarks/gpu_check.sh --device cpu
}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_description(backend: str, dev: object) -> str:
    """A human name for the device a backend computes on (the GPU's name, or the CPU model)."""
    try:
        if backend == "torch" and getattr(dev, "type", "cpu") == "cuda":
            import torch

            return torch.cuda.get_device_name(dev)
        if backend == "jax" and dev is not None and getattr(dev, "platform", "cpu") != "cpu":
            return str(getattr(dev, "device_kind", dev))
        if backend == "cupy":
            import cupy

            return cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
    except Exception as exc:  # pragma: no cover - GPU only
        return f"unknown GPU ({exc})"
    return f"CPU: {_cpu_name()}"


def backend_case(M: int, n: int, G: int, D: int, backend: str, device: str | None, *, repeats: int) -> dict:
    """One case, NumPy and ``backend`` alternating: median seconds of each, their ratio, and their agreement."""
    from bmaml_theory._backend import resolve_backend, resolve_device

    Ah, bh, A, b, theta = _data(M, n)
    lam = 2.0 * float(np.abs(np.linalg.eigvalsh(Ah)).max())
    deltas = np.logspace(-2, -12, D)
    t0 = QuadraticTasks(Ah, bh, lam, A, b)
    nus = sweeps.nu_grid(t0, FORWARD, decades=8.0, per_decade=max(G // 8, 1))[:G]
    xp = resolve_backend(backend)
    dev = resolve_device(xp, device)

    def sweep(be: str | None, d: object):
        t = QuadraticTasks(Ah, bh, lam, A, b, backend=be, device=d)
        return sweeps.bias_grid(t, theta, nus, FORWARD, deltas)

    ref, got = sweep(None, None), sweep(backend, dev)  # warm-up of both (compilation, allocator, BLAS threads)
    rel = float(np.max(np.abs(got.total - ref.total) / np.maximum(np.abs(ref.total), 1e-300)))
    # tests/test_backends.py's derived bound on a bias norm: 2 * 10 ops * n * the a-priori round-off, per (task, nu)
    bound = 2 * 10 * n * np.maximum(ref.roundoff, 1e-300)[:, :, None]
    over = float(np.max(np.abs(got.total - ref.total) / bound))
    tn, tb = [], []
    for _ in range(repeats):
        for be, d, ts in ((None, None, tn), (backend, dev, tb)):
            t1 = time.perf_counter()
            sweep(be, d)
            ts.append(time.perf_counter() - t1)
    sn, sb = float(np.median(tn)), float(np.median(tb))
    return {
        "name": f"M{M}-n{n}-grid{G}x{D}",
        "M": M,
        "n": n,
        "grid": [len(nus), D],
        "repeats": repeats,
        "numpy_seconds": sn,
        "backend_seconds": sb,
        "numpy_seconds_all": tn,
        "backend_seconds_all": tb,
        "ratio": sn / sb,
        "faster": backend if sb < sn else "numpy",
        "max_rel_diff": rel,
        "max_diff_over_derived_bound": over,
        "agrees": over <= 1.0,
    }


def _threads(threads: int | None, backend: str) -> dict:
    """Pin NumPy's BLAS and the backend's intra-op pool to ``threads`` (None: leave them); the counts in use."""
    out: dict = {}
    if threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)
    if backend == "torch":
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
        out["torch_threads"] = torch.get_num_threads()
    from threadpoolctl import threadpool_info

    out["blas"] = [{k: i.get(k) for k in ("internal_api", "num_threads", "version")} for i in threadpool_info()]
    return out


def run_backend_bench(
    out: Path,
    backend: str,
    device: str | None,
    *,
    quick: bool = False,
    cases: tuple[str, ...] = ("documented", "large"),
    threads: int | None = None,
) -> dict:
    """Backend ``backend`` on ``device`` against NumPy on this machine; writes ``out/bench_<backend>_<device>.json``."""
    from bmaml_theory._backend import resolve_backend, resolve_device

    for c in cases:
        if c not in BACKEND_CASES:
            raise ValueError(f"case {c!r} is not known; use some of {sorted(BACKEND_CASES)}.")
    xp = resolve_backend(backend)  # a missing backend or device fails here, before any timing
    dev = resolve_device(xp, device)
    thread_info = _threads(threads, backend)
    load_before = os.getloadavg()
    rows = []
    for c in cases:
        M, n, G, D = BACKEND_CASES[c]
        reps = 1 if c == "large" else (3 if quick else 7)
        rows.append({"case": c, **backend_case(M, n, G, D, backend, device, repeats=reps)})
    dev_name = device or "default"
    result = {
        "backend": backend,
        "device": dev_name,
        "device_description": device_description(backend, dev),
        "machine": {"platform": platform.platform(), "cpu": _cpu_name(), "cpus": os.cpu_count()},
        "threads": threads,
        **thread_info,
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "quick": quick,
        "ratio_meaning": "numpy_seconds / backend_seconds (> 1: the backend is faster than NumPy on this machine)",
        "cases": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() else "-" for ch in dev_name)
    write_text(out / f"bench_{backend}_{safe}.json", json.dumps(result, indent=1))
    return result
