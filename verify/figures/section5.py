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


REGIME_LABEL = {"assumption": r"regime $\lambda\geq2\hat L_1$", "slow-inner": r"slow inner GD (evidence)"}


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
    description="Figure 1 (left) reproduced: relative meta-gradient error against inner GD steps K, two regimes",
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
    colors = {"MAML": "k", "iMAML": "C0", "FO-MAML": "C2", "FO-B-MAML": "C3"}
    kappas = sorted({r["kappa"] for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    d_mid = sorted({r["delta"] for r in rows})[len({r["delta"] for r in rows}) // 2]
    for m in methods:
        pts = sorted((r for r in rows if r["method"] == m and r["delta"] == d_mid), key=lambda r: r["kappa"])
        axes[0].loglog([r["kappa"] for r in pts], [r["compute"] for r in pts], "-o", color=colors[m], label=m)
    k = np.array(kappas)
    ref = [r["compute"] for r in rows if r["method"] == "FO-MAML" and r["delta"] == d_mid and r["kappa"] == kappas[0]]
    axes[0].loglog(k, ref[0] * np.sqrt(k / k[0]), "k:", label=r"$\propto\sqrt{\hat\kappa}$")
    axes[0].set_xlabel(r"$\hat\kappa=\hat L_1/\mu$")
    axes[0].set_ylabel("gradient calls + HVPs")
    axes[0].set_title(rf"compute at $\delta=10^{{{math.log10(d_mid):.0f}}}$ (relative)", fontsize=10)
    axes[0].legend(fontsize=8)
    for m in methods:
        for j, kap in enumerate(kappas):
            pts = sorted((r for r in rows if r["method"] == m and r["kappa"] == kap), key=lambda r: r["delta"])
            axes[1].loglog(
                [r["delta"] for r in pts],
                [max(r["bias"], 1e-16) for r in pts],
                "-",
                color=colors[m],
                alpha=0.35 + 0.65 * j / max(1, len(kappas) - 1),
                label=m if j == len(kappas) - 1 else None,
            )
    dd = np.array(sorted({r["delta"] for r in rows}))
    axes[1].loglog(dd, np.sqrt(dd), "k:", label=r"$\sqrt{\delta}$")
    axes[1].loglog(dd, dd, "k--", lw=0.8, label=r"$\delta$")
    axes[1].set_xlabel(r"$\delta$ (relative to $\|\phi^*(\theta)-\theta\|$)")
    axes[1].set_ylabel(r"$\|g-\nabla F\|\,/\,\|\nabla F\|$")
    axes[1].set_title(r"bias; lighter to darker: $\hat\kappa=10^1\ldots10^4$", fontsize=10)
    axes[1].legend(fontsize=8)
    for ax in axes:
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(f"Table 1 with Nesterov's AGD, $M=1$; claim table1: {results['table1'].status}", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
