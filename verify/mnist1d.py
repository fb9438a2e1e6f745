"""``python -m verify mnist1d [--quick] [--out DIR] [--cache DIR] [--no-progress]``: the MNIST-1D companion.

Runs the six TMLR/neural-network claims (``bmaml_theory.claims.tmlr``, the same code and settings as the ledger's
rows), then the larger studies behind the figures: accuracy of every method against outer step and wall-clock,
memory of every method against width (K = 20) and against K (width 64) on log axes, seconds per outer step against
width, and the HVP / gradient cost ratio.  Each PNG gets a tidy CSV beside it (panel, xlabel, ylabel, series, x, y)
and ``mnist1d_summary.json`` holds the tables and the claims' statuses.  Needs the ``nn`` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path("figures-mnist1d")  # beside ./figures, which `verify all` swaps in whole
CLAIMS = (
    "tmlr-flat-memory",
    "limitations-autodiff",
    "hvp-cost",
    "tmlr-mnist1d-accuracy",
    "tmlr-high-accuracy",
    "tmlr-sngdm",
)
EXTRA_METHODS = ("fomaml", "reptile", "imaml", "fobmaml-sym", "fobmaml-jvp")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m verify mnist1d", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="short runs (CI): about a minute; claims lose power")
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: ./figures-mnist1d), written as one set"
    )
    p.add_argument(
        "--cache", type=Path, default=None, help="MNIST-1D cache folder (default: $XDG_CACHE_HOME/bmaml-theory)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--full",
        action="store_true",
        help="the full protocol of docs/mnist1d.md (pilot, lam x nu grid, 5 seeds, 200 paired tasks, both splits, "
        "SNGDM step grids): hours on one core, minutes on many (--jobs, --dask) or a GPU (--device cuda)",
    )
    p.add_argument(
        "--estimate",
        action="store_true",
        help="with --full: measure seconds per step and per evaluated task on this machine and print the projected "
        "cost of the full protocol (a few minutes), then stop",
    )
    p.add_argument("--jobs", type=int, default=1, help="with --full: cells in N local processes (one core each)")
    p.add_argument(
        "--dask", metavar="ADDRESS", default=None, help="with --full: cells on the Dask cluster at ADDRESS (dist extra)"
    )
    p.add_argument("--device", default="cpu", help="with --full: torch device of the cells (cpu, cuda, cuda:1, ...)")
    return p


class _Bar:
    """A tqdm bar over the phases; ``note(msg)`` shows the current detail.  Quiet when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, disable=None if enabled else True, file=sys.stderr, leave=False)

    def note(self, msg: str) -> None:
        self.bar.set_postfix_str(msg[:70], refresh=True)

    def phase(self, name: str) -> None:
        self.bar.set_description(name)

    def advance(self) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _plain_log_x(ax: Any, ticks: list[float]) -> None:
    """Log x axis with plain labels at ``ticks`` only (no overlapping minor labels)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    ax.xaxis.set_major_locator(FixedLocator(sorted(set(ticks))))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _save(fig: Any, path: Path, rows: list[dict]) -> None:
    """PNG and its tidy CSV (panel, xlabel, ylabel, series, x, y), both written atomically."""
    import csv
    import io

    from verify._io import save_figure, write_text

    save_figure(fig, path)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["panel", "xlabel", "ylabel", "series", "x", "y"], lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "x": float(r["x"]), "y": float(r["y"])})
    write_text(path.with_suffix(".csv"), buf.getvalue())


MARKERS = {
    "maml": "o",
    "fomaml": "s",
    "reptile": "^",
    "imaml": "D",
    "fobmaml": "v",
    "fobmaml-sym": "P",
    "fobmaml-jvp": "X",
    "SNGDM": "*",
    "GD": "h",
    "Adam": "d",
}


NAMES = {
    "maml": "MAML",
    "fomaml": "FO-MAML",
    "reptile": "Reptile",
    "imaml": "iMAML",
    "fobmaml": "FO-B-MAML (forward)",
    "fobmaml-sym": "FO-B-MAML (symmetric)",
    "fobmaml-jvp": "FO-B-MAML (forward mode)",
}


def _curve(r: dict) -> tuple[list[int], list[float]]:
    """(steps, accuracy) of one run: the meta-test curve of a ledger run, the validation curve of a --full cell."""
    if "checkpoints" in r:
        return r["checkpoints"], r["val_acc"]
    return r["steps"], r["acc"]


def draw_accuracy(runs: list[dict], result: Any, path: Path, margin: float = 0.05) -> None:
    """Top: accuracy against outer step per method (mean over seeds), nearest-centre and chance for reference.
    Bottom: the decisive statistic, acc(FO-B-MAML) - acc(MAML) per training seed (mean over its paired test tasks),
    their mean with its one-sided 95% bounds (t over seeds) and the threshold -margin; the verdict in the title."""
    import matplotlib.pyplot as plt
    import numpy as np

    shots = sorted({r["shots"] for r in runs})
    fig, axes = plt.subplots(2, len(shots), figsize=(max(5.4 * len(shots), 7.5), 8.4), squeeze=False)
    rows = []
    table = (result.evidence or {}).get("accuracy", {}) if result is not None else {}
    for j, k in enumerate(shots):
        ax = axes[0, j]
        for key in sorted({r["method"] for r in runs if r["shots"] == k}):
            rs = [r for r in runs if r["shots"] == k and r["method"] == key]
            n = min(len(_curve(r)[0]) for r in rs)
            x = np.asarray(_curve(rs[0])[0][:n], float)
            y = np.mean([_curve(r)[1][:n] for r in rs], axis=0)
            ax.plot(x, y, marker=MARKERS.get(key, "o"), ms=4, label=f"{NAMES.get(key, key)} ({len(rs)} seeds)")
            rows += [
                {
                    "panel": f"{k}-shot curve",
                    "xlabel": "outer step",
                    "ylabel": "accuracy",
                    "series": key,
                    "x": a,
                    "y": b,
                }
                for a, b in zip(x, y, strict=True)
            ]
        ncc = [np.mean(r["ncc"]) for r in runs if r["shots"] == k and "ncc" in r]
        if ncc:
            ax.axhline(float(np.mean(ncc)), color="k", lw=0.9, ls="--", label="nearest class centre (raw signals)")
        ax.axhline(0.2, color="grey", lw=0.8, ls=":", label="chance (5-way)")
        ylabel = "validation accuracy" if "checkpoints" in runs[0] else "meta-test accuracy (evaluation tasks)"
        ax.set_xlabel("outer step")
        ax.set_ylabel(ylabel)
        ax.set_title(f"5-way {k}-shot: accuracy during meta-training")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        # -- the paired difference, seed by seed --
        ax = axes[1, j]
        d = table.get(f"{k}-shot", {}).get("difference")
        if d is None:
            ax.text(0.5, 0.5, "no paired difference", ha="center", transform=ax.transAxes)
            continue
        per_seed = d["per_seed"]
        xs = np.arange(len(per_seed))
        ax.plot(xs, per_seed, "o", color="C0", label="per training seed (mean over its paired tasks)")
        lo, hi = d["lower95"], d["upper95"]
        finite = np.isfinite(lo) and np.isfinite(hi)
        ax.axhline(d["mean"], color="C0", lw=1.2, label=f"mean {d['mean']:+.3f}")
        if finite:
            ax.axhspan(lo, hi, color="C0", alpha=0.15, label=f"one-sided 95% bounds [{lo:+.3f}, {hi:+.3f}]")
        ax.axhline(-margin, color="C3", ls="--", lw=1.2, label=f"threshold -{margin:g} ('tracking closely')")
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_xticks(xs)
        ax.set_xlabel("training seed (index)")
        ax.set_ylabel("acc(FO-B-MAML) - acc(MAML)")
        bound = "no interval: one seed" if not finite else f"bounds [{lo:+.3f}, {hi:+.3f}]"
        ax.set_title(f"{k}-shot: FO-B-MAML - MAML = {d['mean']:+.3f}, {bound}", fontsize=9)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        rows += [
            {
                "panel": f"{k}-shot difference",
                "xlabel": "seed",
                "ylabel": "difference",
                "series": "seed",
                "x": a,
                "y": b,
            }
            for a, b in zip(xs, per_seed, strict=True)
        ]
        rows += [
            {"panel": f"{k}-shot difference", "xlabel": "seed", "ylabel": "difference", "series": name, "x": -1, "y": v}
            for name, v in (("mean", d["mean"]), ("lower95", lo), ("upper95", hi), ("threshold", -margin))
        ]
    if result is not None:
        import textwrap

        reason = "; ".join((result.evidence or {}).get("power_notes", [])) or result.decision
        for key, name in NAMES.items():
            reason = reason.replace(f" {key} did not learn", f" {name} did not learn")
        wrapped = textwrap.fill(reason, width=int(16 * fig.get_figwidth()), max_lines=4, placeholder=" ...")
        fig.suptitle(f"tmlr-mnist1d-accuracy: {result.status.upper()}\n{wrapped}", fontsize=9)
    fig.tight_layout()
    _save(fig, path, rows)
    plt.close(fig)


def draw_memory(rows_in: list[dict], width_K: int, K_width: int, path: Path) -> None:
    """Bytes against width (K fixed) and against K (width fixed), every method, log axes."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    rows = []
    for key in dict.fromkeys(r["method"] for r in rows_in):
        a = sorted((r["width"], r["total_bytes"]) for r in rows_in if r["method"] == key and r["K"] == width_K)
        b = sorted((r["K"], r["total_bytes"]) for r in rows_in if r["method"] == key and r["width"] == K_width)
        for ax, pts, xl, panel in (
            (axes[0], a, "CNN width (channels)", f"K={width_K}"),
            (axes[1], b, "inner steps K", f"width={K_width}"),
        ):
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=MARKERS.get(key, "o"), label=key)
            rows += [{"panel": panel, "xlabel": xl, "ylabel": "bytes", "series": key, "x": x, "y": y} for x, y in pts]
    fig.text(0.5, -0.02, "equal bytes overlap: fobmaml = fobmaml-sym, fomaml = reptile", ha="center", fontsize=8)
    axes[0].set_title(f"memory vs width (K = {width_K}, depth 3)")
    axes[1].set_title(f"memory vs K (width {K_width}, depth 3)")
    for ax, xl in zip(axes, ("CNN width (channels)", "inner steps K"), strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel("bytes (saved + state + params + Adam)")
        _plain_log_x(ax, [r["x"] for r in rows if r["xlabel"] == xl])
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path, rows)
    plt.close(fig)


def draw_seconds(step_rows: list[dict], hvp_rows: list[dict], path: Path, flop_rows: list[dict] | None = None) -> None:
    """Seconds per meta-gradient against width (every method); HVP/gradient ratio against width per depth: the FLOP
    count ratio that decides ``hvp-cost`` and the wall-clock ratios (evidence)."""
    import matplotlib.pyplot as plt
    import numpy as np

    from bmaml_theory.claims.tmlr.hvp_cost import point_level, ratio_ci

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3))
    rows = []
    for key in dict.fromkeys(r["method"] for r in step_rows):
        pts = sorted((r["width"], r["seconds"]) for r in step_rows if r["method"] == key)
        axes[0].plot([p[0] for p in pts], [p[1] for p in pts], marker=MARKERS.get(key, "o"), label=key)
        rows += [
            {
                "panel": "seconds",
                "xlabel": "CNN width",
                "ylabel": "seconds per outer step",
                "series": key,
                "x": x,
                "y": y,
            }
            for x, y in pts
        ]
    for d in sorted({r["depth"] for r in hvp_rows}):
        for col, lab, mk in (
            ("ratio", "reverse-over-reverse", "o"),
            ("ratio_marginal", "on a kept graph", "s"),
            ("ratio_fwd_over_rev", "forward-over-reverse", "^"),
        ):
            pts = sorted((r["width"], r[col]) for r in hvp_rows if r["depth"] == d)
            if col == "ratio":  # the claim's statistic: median paired ratio, intervals jointly 95% over the grid
                lv = point_level(len(hvp_rows))
                cis = [ratio_ci(r["ratios"], lv) for r in sorted(hvp_rows, key=lambda r: r["width"]) if r["depth"] == d]
                err = np.array([[y - lo, hi - y] for (_, y), (lo, hi) in zip(pts, cis, strict=True)]).T
                drawn = bool(np.all(np.isfinite(err)))
                axes[1].errorbar(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    yerr=err if drawn else None,
                    marker=mk,
                    capsize=3,
                    label=f"{lab}{' (joint 95% intervals)' if drawn else ''}, depth {d}",
                )
            else:
                axes[1].plot([p[0] for p in pts], [p[1] for p in pts], marker=mk, label=f"{lab}, depth {d}")
            rows += [
                {
                    "panel": "hvp",
                    "xlabel": "CNN width",
                    "ylabel": "HVP / gradient seconds",
                    "series": f"{lab}, depth {d}",
                    "x": x,
                    "y": y,
                }
                for x, y in pts
            ]
    for d in sorted({r["depth"] for r in flop_rows or []}):
        pts = sorted((r["width"], r["ratio"]) for r in flop_rows if r["depth"] == d)
        axes[1].plot([p[0] for p in pts], [p[1] for p in pts], "k-", marker="x", lw=1.5, label=f"FLOP count, depth {d}")
        rows += [
            {
                "panel": "hvp",
                "xlabel": "CNN width",
                "ylabel": "HVP / gradient",
                "series": f"FLOPs, depth {d}",
                "x": x,
                "y": y,
            }
            for x, y in pts
        ]
    axes[1].axhline(5.0, color="C3", ls="--", lw=1.2, label="bound 5 ('about five', [14])")
    axes[0].set_title("seconds per outer step (1 task, K = 5, depth 2)")
    axes[1].set_title("HVP / gradient: FLOPs decide, seconds are evidence")
    axes[0].set_ylabel("seconds")
    axes[1].set_ylabel("HVP / gradient (FLOPs or seconds)")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("CNN width (channels)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    _plain_log_x(axes[0], [r["width"] for r in step_rows])
    _plain_log_x(axes[1], [r["width"] for r in hvp_rows])
    axes[0].set_yscale("log")
    fig.tight_layout()
    _save(fig, path, rows)
    plt.close(fig)


def seconds_per_step(widths: tuple[int, ...], reps: int, note: Any) -> list[dict]:
    """Median seconds of one meta-gradient (one 5-way 5-shot task, K = 5, depth 2) per method and width."""
    import numpy as np

    from bmaml_theory.nn.data import TaskSampler, load_mnist1d
    from bmaml_theory.nn.methods import METHODS, Inner, meta_gradient
    from bmaml_theory.nn.model import CNN1d
    from bmaml_theory.nn.study import TRAIN_CLASSES

    data = load_mnist1d(num_samples=500, seed=42)
    task = TaskSampler(data.x, data.y, TRAIN_CLASSES, 5, 5, 5, seed=0).sample()
    out = []
    for w in widths:
        model = CNN1d(w, 2, 5)
        theta = model.init_params(0)
        for m in METHODS:
            note(f"seconds {m} width={w}")
            meta_gradient(m, model, theta, task, Inner(K=5))
            ts = []
            for _ in range(reps):
                t0 = time.perf_counter()
                meta_gradient(m, model, theta, task, Inner(K=5))
                ts.append(time.perf_counter() - t0)
            out.append({"method": m, "width": w, "seconds": float(np.median(ts))})
    return out


def _machine() -> dict:
    import os
    import platform

    import torch

    out = {"platform": platform.platform(), "processor": platform.processor(), "cpu_count": os.cpu_count()}
    if torch.cuda.is_available():
        out["gpu"] = torch.cuda.get_device_name(0)
    if hasattr(os, "getloadavg"):
        out["load_average"] = os.getloadavg()
    return out


def run_full(args: argparse.Namespace, out: Path, protocol: Any = None) -> int:
    """``--full``: the protocol of docs/mnist1d.md; decisions through the ledger's own checks, on the deciding split."""
    import torch

    from bmaml_theory.claims import Context, run_claim
    from bmaml_theory.claims._core import to_jsonable
    from bmaml_theory.nn import tmlr_study
    from bmaml_theory.nn.protocol import (
        Protocol,
        estimate,
        run_protocol,
        supervised_reference,
        theory_reading,
        with_device,
    )
    from verify._io import OutputSet, write_text

    p = with_device(protocol if protocol is not None else Protocol(), args.device)
    say = (lambda m: None) if args.no_progress else (lambda m: print(m, file=sys.stderr, flush=True))
    t0 = time.perf_counter()
    if args.estimate:
        est = estimate(p, progress=say)
        est.update(machine=_machine(), torch=torch.__version__, device=args.device, seconds=time.perf_counter() - t0)
        text = json.dumps(to_jsonable(est), indent=1) + "\n"
        with OutputSet(out) as stage:
            write_text(stage / "mnist1d_full_estimate.json", text)
        total = est["projected_total_seconds_one_core"]
        print(
            f"projected cost of --full on one core: {total:.0f} s ({total / 3600:.1f} h); wrote {out}/mnist1d_full_estimate.json"
        )
        return 0
    res = run_protocol(p, jobs=args.jobs, dask=args.dask, progress=say)
    # the supervised reference of "high accuracy", per training seed on the deciding split's meta-test tasks
    supervised = []
    for sd in p.seeds:
        say(f"supervised reference seed {sd}")
        acc = supervised_reference(p, p.deciding_split, p.shots, sd)
        supervised += [{"seed": sd, "shots": k, "epochs": p.supervised_epochs, "supervised": a} for k, a in acc.items()]

    verdicts, splits = {}, {}
    for sp in p.splits:
        ctx = Context(quick=False)
        ctx.cache["tmlr-accuracy-settings"] = {**p.as_dict(), "split": sp}
        ctx.cache["tmlr-accuracy"] = [r for r in res["main"] if r["split"] == sp]
        ctx.cache["tmlr-outer"] = res["sngdm"]
        acc = run_claim("tmlr-mnist1d-accuracy", ctx)
        splits[sp] = {
            "status": acc.status,
            "measured": acc.measured,
            "decision": acc.decision,
            "evidence": acc.evidence,
        }
        if sp == p.deciding_split:
            ctx.cache["tmlr-supervised"] = supervised
            verdicts["tmlr-mnist1d-accuracy"] = acc
            verdicts["tmlr-high-accuracy"] = run_claim("tmlr-high-accuracy", ctx)
            verdicts["tmlr-sngdm"] = run_claim("tmlr-sngdm", ctx)
    device_memory = None
    if torch.device(args.device).type != "cpu":  # the ledger reads the CPU allocator; here the device's own
        from bmaml_theory.claims.tmlr.tmlr_flat_memory import index
        from bmaml_theory.nn.study import allocator_point

        say(f"allocator sweep on {args.device}")
        grid = [(m, w, K, d, 1, 1) for m, w, K, d in tmlr_study.flat_grid()] + tmlr_study.heavy_grid()
        rows = [
            allocator_point(m, w, K, depth=d, shots=sh, queries=q, device=args.device) for m, w, K, d, sh, q in grid
        ]
        peak = {(r["method"], r["width"], r["K"], r["depth"], r["shots"]): r for r in rows}
        worst = max(
            index(
                r["allocator_peak_bytes"],
                peak[(r["method"], r["width"], 1, r["depth"], r["shots"])]["allocator_peak_bytes"],
                peak[("fomaml", r["width"], 1, r["depth"], r["shots"])]["allocator_peak_bytes"],
                r["param_bytes"],
            )
            for r in rows
            if r["method"] in ("fobmaml", "fobmaml-sym")
        )
        device_memory = {"rows": rows, "flatness_index": worst, "flat": worst <= 1.0}
    seconds = time.perf_counter() - t0
    summary = {
        "full": True,
        "device_memory": device_memory,
        "seconds": round(seconds, 1),
        "machine": _machine(),
        "device": args.device,
        "jobs": args.jobs,
        "dask": args.dask,
        "torch": torch.__version__,
        "deciding_split": p.deciding_split,
        "claims": {
            cid: {"status": r.status, "measured": r.measured, "decision": r.decision, "evidence": r.evidence}
            for cid, r in verdicts.items()
        },
        "splits": splits,
        "supervised_reference": supervised,
        "sngdm_theory_reading": theory_reading(res["sngdm"]),
        "protocol": {k: v for k, v in res.items() if k not in ("grid", "pilot", "outer_grid_runs", "main", "sngdm")},
        "pilot": [
            {k: r[k] for k in ("split", "method", "shots", "checkpoints", "val_acc", "best_val_step")}
            for r in res["pilot"]
        ],
        "cells": {
            "main": res["main"],
            "sngdm": res["sngdm"],
            "grid": res["grid"],
            "outer_grid": res["outer_grid_runs"],
        },
    }
    oset = OutputSet(out)
    stage = oset.__enter__()
    dec = [r for r in res["main"] if r["split"] == p.deciding_split]
    draw_accuracy(dec, verdicts["tmlr-mnist1d-accuracy"], stage / "mnist1d_accuracy.png")
    write_text(stage / "mnist1d_summary.json", json.dumps(to_jsonable(summary), indent=1) + "\n")
    oset.__exit__(None, None, None)
    for cid, r in verdicts.items():
        print(f"{cid:<22}  {r.status:<14}  measured={r.measured}")
    for sp, v in splits.items():
        print(f"  split {sp:<15} tmlr-mnist1d-accuracy {v['status']} (deciding: {sp == p.deciding_split})")
    print(f"wrote {out}/mnist1d_accuracy.png (+ .csv), mnist1d_summary.json in {seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.jobs < 1:
        print("bmaml-verify mnist1d: --jobs must be >= 1", file=sys.stderr)
        return 2
    if (args.estimate or args.jobs > 1 or args.dask or args.device != "cpu") and not args.full:
        print("bmaml-verify mnist1d: --estimate, --jobs, --dask and --device go with --full", file=sys.stderr)
        return 2
    if args.full and args.quick:
        print("bmaml-verify mnist1d: --full and --quick exclude each other", file=sys.stderr)
        return 2
    from verify._io import OutputError, OutputSet, check_out_dir

    try:
        out = check_out_dir(args.out if args.out is not None else Path.cwd() / DEFAULT_OUT)
    except OutputError as exc:
        print(f"bmaml-verify mnist1d: {exc}", file=sys.stderr)
        return 2
    if args.cache is not None:
        os.environ["BMAML_THEORY_CACHE"] = str(args.cache)
    if args.full:
        return run_full(args, out)
    import torch

    from bmaml_theory.claims import Context, run_claim
    from bmaml_theory.nn import tmlr_study
    from bmaml_theory.nn.data import load_mnist1d
    from bmaml_theory.nn.methods import METHODS
    from bmaml_theory.nn.study import accuracy_study, mean_ci, memory_point

    torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core machine (10-25x slower)
    t0 = time.perf_counter()
    bar = _Bar(len(CLAIMS) + 4, enabled=not args.no_progress)
    ctx = Context(quick=args.quick, progress=bar.note)
    load_mnist1d(num_samples=5000, seed=42)  # generate (or read) the cached data once
    results, times = {}, {}
    for cid in CLAIMS:
        bar.phase(cid)
        t = time.perf_counter()
        results[cid] = run_claim(cid, ctx)
        times[cid] = round(time.perf_counter() - t, 1)
        bar.advance()
    # -- accuracy of every method (the ledger's runs plus the other methods, same settings) --
    bar.phase("accuracy, other methods")
    runs = list(tmlr_study.accuracy_runs(ctx))
    s = tmlr_study.accuracy_settings(args.quick, methods=EXTRA_METHODS if not args.quick else ("fomaml", "fobmaml-sym"))
    runs += accuracy_study(s, progress=bar.note)
    oset = OutputSet(out)
    stage = oset.__enter__()  # every file goes to a staging folder, swapped in whole at the end
    draw_accuracy(runs, results["tmlr-mnist1d-accuracy"], stage / "mnist1d_accuracy.png")
    bar.advance()
    # -- memory: every method, widths at K = 20 and K at width 64 --
    bar.phase("memory sweep")
    widths, Ks = ((16, 64, 250), (1, 5, 20)) if args.quick else ((16, 32, 64, 128, 250), (1, 2, 5, 10, 20))
    mem_rows = []
    known = {(r["method"], r["width"], r["K"]): r for r in tmlr_study.memory_rows(ctx)}  # the claims' rows, reused
    grid = [(m, w, 20) for m in METHODS for w in widths] + [(m, 64, K) for m in METHODS for K in Ks if K != 20]
    for m, w, K in grid:
        bar.note(f"memory {m} w={w} K={K}")
        mem_rows.append(known.get((m, w, K)) or memory_point(m, w, K, depth=tmlr_study.MEM_DEPTH))
    draw_memory(mem_rows, 20, 64, stage / "mnist1d_memory.png")
    bar.advance()
    # -- seconds per step against width, HVP cost --
    bar.phase("seconds per step")
    step_rows = seconds_per_step((16, 32) if args.quick else (16, 32, 64, 128), 1 if args.quick else 3, bar.note)
    from bmaml_theory.claims.tmlr.hvp_cost import flops, timings

    draw_seconds(step_rows, timings(ctx), stage / "mnist1d_seconds.png", flops(ctx))
    bar.advance()
    bar.close()
    seconds = time.perf_counter() - t0
    acc_table = {}
    for r in runs:
        acc_table.setdefault(f"{r['method']} {r['shots']}-shot", []).extend(r["final"])
    summary = {
        "quick": args.quick,
        "seconds": round(seconds, 1),
        "claim_seconds": times,
        "device": "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "claims": {
            cid: {"status": r.status, "measured": r.measured, "decision": r.decision, "error": r.error}
            for cid, r in results.items()
        },
        "accuracy_mean_ci95": {k: mean_ci(v) for k, v in sorted(acc_table.items())},
        "accuracy_settings": tmlr_study.accuracy_settings(args.quick).as_dict(),
        "memory_bytes": [
            {
                k: r[k]
                for k in (
                    "method",
                    "width",
                    "K",
                    "total_bytes",
                    "saved_and_state_bytes",
                    "param_bytes",
                    "optimizer_bytes",
                )
            }
            for r in mem_rows
        ],
        "hvp_cost": timings(ctx),
        "seconds_per_step": step_rows,
        "accuracy_decision": results["tmlr-mnist1d-accuracy"].evidence.get("accuracy"),
        "sngdm": results["tmlr-sngdm"].evidence.get("arms"),
        "sngdm_difference": results["tmlr-sngdm"].evidence.get("difference_SNGDM_minus_GD"),
        "hvp_flops": flops(ctx),
        "allocator_bytes": tmlr_study.allocator_rows(ctx),
    }
    from bmaml_theory.claims._core import to_jsonable
    from verify._io import write_text

    write_text(stage / "mnist1d_summary.json", json.dumps(to_jsonable(summary), indent=1) + "\n")
    oset.__exit__(None, None, None)
    width = max(len(c) for c in CLAIMS)
    for cid, r in results.items():
        meas = "None" if r.measured is None else f"{r.measured:.6g}"
        print(f"{cid:<{width}}  {r.status:<14}  measured={meas}  ({times[cid]} s)")
    for k, (m, lo, hi) in summary["accuracy_mean_ci95"].items():
        print(f"  accuracy {k:<22} {m:.3f}  [{lo:.3f}, {hi:.3f}]")
    print(
        f"wrote {out}/mnist1d_accuracy.png, mnist1d_memory.png, mnist1d_seconds.png (+ .csv), "
        f"mnist1d_summary.json in {seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
