"""Figures of Chayti & Jaggi Section 3 (eqs. 12 and 14), drawn only from the claims' results.

* ``bias_vs_nu.png``     eq. (12): bias against nu at exact solutions and at three delta, one task per stencil.
* ``bias_vs_delta.png``  eq. (14): bias at the best nu against delta: worst-case, random errors, real solvers.
* ``rate_slopes.png``    every task's fitted exponent minus the stated one, with the tolerance band.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bmaml_theory.claims import ClaimResult
from verify._io import save_figure
from verify.figures._registry import figure
from verify.figures._style import verdict

EQ = {"forward": "(10)", "symmetric": "(11)"}
NU_EXP = {"forward": "1", "symmetric": "2"}
DELTA_EXP = {"forward": "1/2", "symmetric": "2/3"}


def _positive_min(*arrays: np.ndarray) -> float:
    vals = np.concatenate([np.ravel(a)[np.isfinite(np.ravel(a)) & (np.ravel(a) > 0)] for a in arrays])
    return float(vals.min()) if vals.size else 1e-16


@figure(
    "bias_vs_nu.png",
    claims=("eq12-forward", "eq12-symmetric"),
    description="eq. (12): bias against nu at exact and delta-inexact solutions, forward and symmetric",
)
def bias_vs_nu(results: Mapping[str, ClaimResult], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.5), sharey=True)
    rep = None
    for ax, (cid, name) in zip(axes, (("eq12-forward", "forward"), ("eq12-symmetric", "symmetric")), strict=True):
        rep = results[cid].data["representative"]
        nus = rep["nus"]
        ax.loglog(nus, rep["exact"], color="C0", lw=2.2, label="exact solutions")
        for c, (d, col) in enumerate(zip(rep["deltas_shown"], ("C1", "C2", "C3"), strict=True)):
            ax.loglog(nus, rep["total_shown"][:, c], "--", color=col, lw=1.4, label=rf"$\delta={d:.0e}$ (worst case)")
        ax.loglog(nus, rep["roundoff"], ":", color="0.4", lw=1.3, label="round-off estimate")
        f = rep["fit"]
        if f["ok"]:
            lo, hi = f["window"]
            ax.axvspan(lo, hi, color="C0", alpha=0.08, label="fit window")
            xs = np.array([lo, hi])
            ax.loglog(
                xs,
                3 * 10 ** f["intercept"] * xs ** f["order"],
                "k-",
                lw=0.9,
                label=rf"$3\times$ fit, slope {f['order']:.3f} (stated {NU_EXP[name]})",
            )
        ax.set_title(rf"{name} estimator {EQ[name]}: bias $= O(\lambda\nu^{{{NU_EXP[name]}}})$", fontsize=10)
        ax.set_xlabel(r"perturbation $\nu$")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_ylim(bottom=_positive_min(rep["exact"]) / 10)
        ax.legend(fontsize=7.5, loc="upper center")
    axes[0].set_ylabel(r"bias $\|\nabla F_i(\theta)-\tilde g_{i,\nu}(\theta)\|$")
    fig.suptitle(
        rf"Bias against $\nu$ (eq. 12), task 0 of an '{rep['kind']}' family in dimension {rep['n']}"
        + "\n"
        + verdict(results, "eq12-forward", "eq12-symmetric"),
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


@figure(
    "bias_vs_delta.png",
    claims=("eq14-forward", "eq14-symmetric"),
    description="eq. (14): bias at the best nu against delta, worst-case and random errors, GD and Nesterov",
)
def bias_vs_delta(results: Mapping[str, ClaimResult], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.6), sharey=True)
    rep = None
    for ax, (cid, name) in zip(axes, (("eq14-forward", "forward"), ("eq14-symmetric", "symmetric")), strict=True):
        rep = results[cid].data["representative"]
        deltas = rep["deltas"]
        # adversarial (the claim's worst case) on top, as large hollow circles: random errors nearly coincide with
        # it on the forward estimator and would hide it otherwise
        for model, color, marker, ms, mfc, z in (
            ("adversarial", "C3", "o-", 6, "none", 5),
            ("random", "C1", "s-", 2.5, None, 4),
        ):
            f = rep[model]["fit"]
            lab = f"{model} errors" + (f", slope {f['order']:.3f}" if f["ok"] else ", no window")
            ax.loglog(deltas, rep[model]["bias"], marker, ms=ms, mfc=mfc, lw=1.2, color=color, zorder=z, label=lab)
        for sname, color in (("gd", "C0"), ("nesterov", "C2")):
            sv = rep["solvers"][sname]
            f = sv["fit"]
            lab = f"{'GD' if sname == 'gd' else 'Nesterov'} stopped at certified $\\delta$" + (
                f", slope {f['order']:.2f}" if f["ok"] else ", no window"
            )
            ax.loglog(sv["deltas"], sv["bias"], "^-", ms=3, color=color, label=lab)
        y0 = float(np.nanmax(rep["adversarial"]["bias"])) / 30  # references below the data: they hide no series
        p = {"forward": 0.5, "symmetric": 2.0 / 3.0}[name]
        ax.loglog(
            deltas, y0 * (deltas / deltas[0]) ** p, "k--", lw=0.9, label=rf"reference $\delta^{{{DELTA_EXP[name]}}}$"
        )
        ax.loglog(deltas, y0 * (deltas / deltas[0]), "k:", lw=0.9, label=r"reference $\delta^{1}$")
        ax.set_title(rf"{name} estimator {EQ[name]} at the best $\nu$ per $\delta$", fontsize=10)
        ax.set_xlabel(r"inner precision $\delta$ of eq. (13)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7.2, loc="lower right")
    axes[0].set_ylabel(r"$\min_\nu$ bias $\|\nabla F_i-\tilde g_{i,\nu}\|$")
    fig.suptitle(
        rf"eq. (14): bias at the best $\nu$ against $\delta$, task 0 of an '{rep['kind']}' family in dimension "
        f"{rep['n']} (GD, Nesterov: a 4-task family, dimension 5)\n"
        + verdict(results, "eq14-forward", "eq14-symmetric"),
        fontsize=10.5,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


@figure(
    "rate_slopes.png",
    claims=("eq12-forward", "eq12-symmetric", "eq14-forward", "eq14-symmetric"),
    description="every task's fitted exponent minus the stated one (eqs. 12, 14), with the tolerance band",
)
def rate_slopes(results: Mapping[str, ClaimResult], path: Path) -> None:
    groups = []
    for cid in ("eq12-forward", "eq12-symmetric", "eq14-forward", "eq14-symmetric"):
        d = results[cid].data
        groups.append(
            (cid, d["stated"], np.asarray(d["slopes"]) - d["stated"], "adversarial / exact (the claim)", d["instances"])
        )
        if "solver_slopes" in d:
            for sname in ("gd", "nesterov"):
                dev = np.asarray(d["solver_slopes"][sname]) - d["stated"]
                groups.append((cid, d["stated"], dev, sname, d["solver_instances"][sname]))
    tol = results["eq12-forward"].data["tolerance"]
    fig, ax = plt.subplots(figsize=(11, 4.4))
    rng = np.random.default_rng(0)
    colors = {"adversarial / exact (the claim)": "C3", "gd": "C0", "nesterov": "C2"}
    names = {"adversarial / exact (the claim)": "worst case / exact solutions (the claim)", "gd": "GD (evidence)"}
    names["nesterov"] = "Nesterov (evidence)"
    done = set()
    xt, xl = [], []
    for x, (cid, stated, dev, src, total) in enumerate(groups):
        ax.plot(
            x + rng.uniform(-0.18, 0.18, len(dev)),
            dev,
            "o",
            ms=3,
            alpha=0.6,
            color=colors[src],
            label=None if src in done else names[src],
        )
        done.add(src)
        xt.append(x)
        xl.append(
            f"{cid}\n(stated {stated:.3g})"
            + ("" if src.startswith("adv") else f"\n{src}")
            + f"\n{len(dev)}/{total} fitted"
        )
    ax.axhspan(-tol, tol, color="0.85", label=rf"tolerance $\pm${tol}")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(xt, xl, fontsize=7.5)
    ax.set_ylabel("fitted exponent $-$ stated exponent")
    ax.set_title(
        "eqs. (12), (14): fitted minus stated exponent, one point per task (real solvers: evidence, not the claim)\n"
        + verdict(results, "eq12-forward", "eq12-symmetric", "eq14-forward", "eq14-symmetric"),
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
