"""Figure 1 of Chayti & Jaggi, reproduced: ``fig1_left.png`` (meta-gradient error vs inner steps) and
``fig1_right.png`` (outer loss vs outer iterations at 20 inner steps), one row per regime."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from bmaml_theory.claims import Context
from bmaml_theory.claims import experiments as ex
from verify._io import save_figure
from verify.figures import figure

STYLE = {
    "FO-B-MAML forward": ("C3", "-", "o"),
    "FO-B-MAML symmetric": ("C1", "-", "s"),
    "MAML": ("k", "-", "^"),
    "iMAML cg=2": ("C0", ":", "v"),
    "iMAML cg=5": ("C0", "--", "v"),
    "iMAML cg=10": ("C0", "-", "v"),
    "FO-MAML": ("C2", "-.", "d"),
    "Reptile": ("C4", "-.", "x"),
}


def _title(regime: str) -> str:
    lam_f, kappa = ex.REGIMES[regime]
    return f"{regime}: lam = {lam_f:g} Lhat1, kappa = {kappa:g}, n = {ex.N_DIM}, M = {ex.M_TASKS}, lr = 1/(Lhat1+lam)"


@figure("fig1_left.png")
def fig1_left(ctx: Context, path: Path) -> None:
    st = ex.left_study(ctx)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    for ax, (regime, d) in zip(axes, st.items(), strict=True):
        for name, errs in d["errors"].items():
            c, ls, m = STYLE[name]
            ax.loglog(d["K"], errs, ls, color=c, marker=m, ms=4, label=name)
        ax.set_title(_title(regime), fontsize=8.5)
        ax.set_xlabel("inner GD steps K")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(r"$\|g-\nabla F\|/\|\nabla F\|$")
    axes[0].legend(fontsize=7.5)
    fig.suptitle("Figure 1 (left), reproduced: meta-gradient error against inner steps", fontsize=11)
    save_figure(fig, path)
    plt.close(fig)


@figure("fig1_right.png")
def fig1_right(ctx: Context, path: Path) -> None:
    st = ex.right_study(ctx)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for ax, (regime, d) in zip(axes, st.items(), strict=True):
        for name, curve in d["curves"].items():
            c, ls, _ = STYLE[name]
            ax.semilogy(
                range(len(curve)),
                [max(v, 1e-16) for v in curve],
                ls,
                color=c,
                label=f"{name} (lr {d['lr_over_1_LF'][name]:g}/L_F)",
            )
        ax.set_title(_title(regime) + f", K = {d['K']}", fontsize=8.5)
        ax.set_xlabel("outer GD iterations")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel(r"$F(\theta_t)-F^*$")
    fig.suptitle("Figure 1 (right), reproduced: outer loss at 20 inner steps, outer lr tuned per method", fontsize=11)
    save_figure(fig, path)
    plt.close(fig)
