"""Figures of Section 5 (Figure 1 left and right, reproduced) and Table 1 (measured with Nesterov's AGD).

Drawn only from the claims' ``data``: ``fig1-left`` (the K sweep), ``fig1-right`` (outer-loss curves), ``table1``
(the AGD rows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bmaml_theory.claims import ClaimResult
from verify._io import save_figure
from verify.figures._registry import figure
from verify.figures._style import verdict

STYLE = {
    "FO-B-MAML forward": ("C3", "-", "o"),
    "FO-B-MAML symmetric": ("C1", "-", "s"),
    "MAML": ("k", "-", "^"),
    "iMAML cg=2": ("C0", ":", "v"),
    "iMAML cg=5": ("C0", "--", "<"),
    "iMAML cg=10": ("C0", "-", ">"),
    "FO-MAML": ("C2", "-.", "d"),
    "Reptile": ("C4", "-.", "x"),
}
CLIP = 1e3  # suboptimality ratios above this (a diverging method) are drawn at the clip and marked


REGIME_LABEL = {
    "big-kappa-10": r"caption's big $\hat\kappa=10$ (decides)",
    "big-kappa-100": r"caption's big $\hat\kappa=100$ (decides)",
    "assumption": r"$\lambda=2\hat L_1$, $\hat\kappa\leq1/2$ (evidence)",
    "slow-inner": r"slow inner GD (evidence)",
}


def _label(regime: str) -> str:
    return REGIME_LABEL.get(regime, regime)


def _title(regime: str, s: Mapping) -> str:
    return (
        f"{_label(regime)}: $\\lambda={s['lam_factor']:g}\\,\\hat L_1$, spread $10^{{{math.log10(s['spread']):.0f}}}$, $\\hat\\kappa={s['kappa_hat']:.2g}$, "
        f"$n={s['n']}$, $M={s['M']}$,\ninner lr $={s['lr_factor']:g}/(\\hat L_1+\\lambda)$"
    )


@figure(
    "fig1_left.png",
    claims=("fig1-left",),
    description="Figure 1 (left) reproduced: relative meta-gradient error against inner GD steps K, four regimes (two decide)",
)
def fig1_left(results: Mapping[str, ClaimResult], path: Path) -> None:
    study = results["fig1-left"].data["study"]
    fig, axes = plt.subplots(1, len(study), figsize=(6.2 * len(study), 4.8), squeeze=False)
    for ax, (regime, d) in zip(axes[0], study.items(), strict=True):
        for name, errs in d["errors"].items():
            c, ls, m = STYLE[name]
            ax.loglog(d["K"], errs, ls, color=c, marker=m, ms=4, label=name)
        ax.set_title(_title(regime, d["settings"]), fontsize=9)
        ax.set_xlabel("inner GD steps $K$")
        ax.set_ylabel(r"$\|g-\nabla F\|\,/\,\|\nabla F\|$")
        ax.grid(True, which="major", alpha=0.3)
    axes[0][0].legend(fontsize=7.5, loc="lower left")
    r = results["fig1-left"]
    fig.suptitle(
        f"Figure 1 (left), reproduced (each panel its own y-axis); claim fig1-left: {r.status}, "
        f"{r.measured:g} sentence(s) contradicted"
        if r.measured is not None
        else "Figure 1 (left), reproduced",
        fontsize=10,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


@figure(
    "fig1_right.png",
    claims=("fig1-right",),
    description="Figure 1 (right) reproduced: outer loss against outer GD iterations at K = 20, lr tuned per method",
)
def fig1_right(results: Mapping[str, ClaimResult], path: Path) -> None:
    study = results["fig1-right"].data["study"]
    left = results.get("fig1-left")
    settings = left.data["study"] if left is not None else {}
    fig, axes = plt.subplots(1, len(study), figsize=(6.2 * len(study), 5.0), squeeze=False)
    for ax, (regime, d) in zip(axes[0], study.items(), strict=True):
        clipped = []
        for name, curve in d["curves"].items():
            c, ls, _ = STYLE[name]
            if curve is None:
                ax.plot([], [], ls, color=c, label=f"{name} (every outer lr diverged)")
                continue
            rel = np.asarray(curve) / d["initial"]
            over = rel > CLIP
            if over.any():
                clipped.append(name)
            ax.semilogy(
                range(len(rel)),
                np.clip(rel, 1e-16, CLIP),
                ls,
                color=c,
                label=f"{name} (lr {d['lr_over_1_LF'][name]:g}/$L_F$)" + (" [clipped]" if over.any() else ""),
            )
            if over.any():
                k = int(np.argmax(over))
                ax.plot(k, CLIP, marker="^", color=c, ms=8)
        head = _title(regime, settings[regime]["settings"]) if regime in settings else _label(regime)
        ax.set_title(head + f", $K={d['K']}$", fontsize=9)
        ax.set_xlabel("outer GD iterations")
        ax.set_ylabel(r"$(F(\theta_t)-F^*)\,/\,(F(\theta_0)-F^*)$")
        ax.axhline(1e-6, color="grey", lw=0.8, ls=":")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    r = results["fig1-right"]
    fig.suptitle(
        f"Figure 1 (right), reproduced (dotted: the target $10^{{-6}}$); claim fig1-right: {r.status}", fontsize=10
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


@figure(
    "table1_agd.png",
    claims=("table1",),
    description="Table 1 measured with Nesterov's AGD: compute and bias against kappa and delta, per method",
)
def table1_agd(results: Mapping[str, ClaimResult], path: Path) -> None:
    rows = results["table1"].data["rows"]
    methods = ("MAML", "iMAML", "FO-MAML", "FO-B-MAML")
    # colour, line style, marker and size per method: lines that coincide stay visible (a larger hollow marker
    # under a smaller filled one)
    style = {
        "MAML": ("k", "-", "o", 10, "none"),
        "iMAML": ("C0", "--", "s", 6, None),
        "FO-MAML": ("C2", ":", "^", 9, "none"),
        "FO-B-MAML": ("C3", "-.", "D", 5, None),
    }
    kappas = sorted({r["kappa"] for r in rows})
    deltas = sorted({r["delta"] for r in rows})
    d_mid = deltas[len(deltas) // 2]
    fig = plt.figure(figsize=(15, 7.2))
    gs = fig.add_gridspec(2, 3, width_ratios=[1.15, 1, 1])
    ax_c, ax_m = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0])
    for ax, key, ylabel in ((ax_c, "compute", "gradient calls + HVPs"), (ax_m, "peak_vectors", "peak vectors held")):
        for m in methods:
            c, ls, mk, ms, fc = style[m]
            pts = sorted((r for r in rows if r["method"] == m and r["delta"] == d_mid), key=lambda r: r["kappa"])
            ax.loglog([r["kappa"] for r in pts], [r[key] for r in pts], ls, color=c, marker=mk, ms=ms, mfc=fc, label=m)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    k = np.array(kappas)
    ref = [r["compute"] for r in rows if r["method"] == "FO-MAML" and r["delta"] == d_mid and r["kappa"] == kappas[0]]
    ax_c.loglog(k, 0.6 * ref[0] * np.sqrt(k / k[0]), color="0.5", lw=1, label=r"slope 1/2: $\propto\sqrt{\hat\kappa}$")
    ax_c.set_title(
        rf"compute per update at $\delta=10^{{{math.log10(d_mid):.0f}}}$ (Table 1: $\sqrt{{\hat\kappa}}\log(1/\delta)$ for all)",
        fontsize=10,
    )
    ax_c.legend(fontsize=8, loc="upper left")
    ax_m.set_xlabel(r"$\hat\kappa=\hat L_1/\mu$")
    ax_m.set_title(
        rf"memory per update at $\delta=10^{{{math.log10(d_mid):.0f}}}$ (Table 1: MAML $\propto\sqrt{{\hat\kappa}}$, others flat)",
        fontsize=10,
    )
    # bias: one panel per method, kappa as a sequential colour with its value in the legend
    cmap = plt.get_cmap("viridis")
    dd = np.array(deltas)
    axes_b = [fig.add_subplot(gs[i // 2, 1 + i % 2]) for i in range(4)]
    for ax in axes_b[1:]:
        ax.sharex(axes_b[0])
        ax.sharey(axes_b[0])
    expected = {"MAML": r"$\delta$", "iMAML": r"$\delta$", "FO-MAML": "1 (no decay)", "FO-B-MAML": r"$\sqrt{\delta}$"}
    for ax, m in zip(axes_b, methods, strict=True):
        for j, kap in enumerate(kappas):
            pts = sorted((r for r in rows if r["method"] == m and r["kappa"] == kap), key=lambda r: r["delta"])
            ax.loglog(
                [r["delta"] for r in pts],
                [max(r["bias"], 1e-16) for r in pts],
                "-o",
                ms=3,
                color=cmap(0.9 * j / max(1, len(kappas) - 1)),
                label=rf"$\hat\kappa=10^{{{math.log10(kap):.0f}}}$",
            )
        ax.loglog(dd, np.sqrt(dd), color="0.4", ls=":", lw=1.2, label=r"$\sqrt{\delta}$")
        ax.loglog(dd, dd, color="0.4", ls="--", lw=1, label=r"$\delta$")
        ax.set_title(f"{m}: bias (Table 1 says {expected[m]})", fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    axes_b[0].set_ylabel(r"$\|g-\nabla F\|\,/\,\|\nabla F\|$")
    axes_b[2].set_ylabel(r"$\|g-\nabla F\|\,/\,\|\nabla F\|$")
    for ax in axes_b[2:]:
        ax.set_xlabel(r"$\delta$ (relative to $\|\phi^*(\theta)-\theta\|$)")
    axes_b[1].legend(fontsize=7.5, loc="lower right", ncol=2)
    r = results["table1"]
    n_bad = "?" if r.measured is None else f"{r.measured:.0f}"
    fig.suptitle(
        "Table 1 measured with Nesterov's AGD (M = 1): compute, memory and bias of the four methods against "
        rf"$\hat\kappa$ and $\delta$; {n_bad} of 16 cells contradicted, {verdict(results, 'table1')}",
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
