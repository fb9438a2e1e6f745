"""Figure of ``sec3-regularity``: the symmetric estimator's bias under Assumptions 1-3 only (kinked task families).

* ``sec3_regularity.png``  top: bias against nu on the two pinned one-dimensional families (measured by Newton and
  eqs. (10)/(11), and the closed forms), with the slopes nu and nu^2; bottom: every task's fitted order of the
  symmetric bias in nu and in delta, per family kind, against the stated (2, 2/3) and the corrected (1, 1/2) orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bmaml_theory.claims import ClaimResult
from verify._io import save_figure
from verify.figures._registry import figure

TITLES = {
    "test-kink": r"test kink: $\hat f=\phi^2/2$, $f=$ Huber$(\phi-1)$, $\theta=3$",
    "train-kink": r"training kink: $\hat{f}\,''=\max(0,1-|\phi-1/2|)$, $f=\phi$, $\theta=1/2$"
    "\n(forward and symmetric coincide here)",
}


@figure(
    "sec3_regularity.png",
    claims=("sec3-regularity",),
    description="sec3-regularity: symmetric bias of order nu (not nu^2) and sqrt(delta) (not delta^(2/3)) under "
    "Assumptions 1-3 only",
)
def draw(results: Mapping[str, ClaimResult], path: Path) -> None:
    d = results["sec3-regularity"].data
    fig, axes = plt.subplots(2, 2, figsize=(11.5, 8.5))
    for ax, (which, rep) in zip(axes[0], d["pinned"].items(), strict=True):
        nus = rep["nus"]
        for st, col, mk in (("symmetric", "C0", "o"), ("forward", "C1", "s")):
            ax.loglog(nus, rep[f"{st}_closed"], "-", color=col, lw=1.6, label=f"{st} (closed form)")
            ax.loglog(nus, rep[f"{st}_measured"], mk, color=col, ms=4, mfc="none", label=f"{st} (Newton, measured)")
        s0 = rep["symmetric_closed"][0]
        ax.loglog(nus, s0 * (nus / nus[0]) ** 2, "k--", lw=0.9, label=r"slope 2: $O(\lambda\nu^2)$ as eq. (12) states")
        ax.loglog(nus, s0 * (nus / nus[0]), "k:", lw=0.9, label=r"slope 1: $O(\lambda\nu)$")
        ax.set_ylim(bottom=float(np.min(rep["symmetric_closed"])) / 10, top=float(np.max(rep["forward_closed"])) * 3)
        ax.set_title(TITLES.get(which, which), fontsize=9.5)
        ax.set_xlabel(r"perturbation $\nu$")
        ax.set_ylabel(r"bias $\|\nabla F-g_\nu\|$")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7.5, loc="lower right")
    kinds = list(d["orders"])
    x = np.arange(len(kinds))
    tol = d["tolerance"]
    for ax, w, lab in ((axes[1][0], "nu", r"$\nu$ (exact solutions)"), (axes[1][1], "delta", r"$\delta$ (best $\nu$)")):
        for k, kind in enumerate(kinds):
            for st, col, mk, off in (("symmetric", "C0", "o", -0.12), ("forward", "C1", "s", 0.12)):
                o = d["orders"][kind][f"{st}_{w}"]
                ax.plot(
                    np.full(o.size, k + off),
                    o,
                    mk,
                    color=col,
                    mfc="none",
                    ms=5,
                    label=f"{st} estimator" if k == 0 else None,
                )
        stated, corr = d["stated"][w], d["corrected"][w]
        ax.axhspan(stated - tol, stated + tol, color="C3", alpha=0.15)
        ax.axhline(stated, color="C3", lw=1.2, label=f"stated order of the symmetric estimator ({stated:.3g})")
        ax.axhspan(corr - tol, corr + tol, color="C2", alpha=0.15)
        ax.axhline(corr, color="C2", lw=1.2, label=f"order under Assumptions 1-3 ({corr:.3g})")
        ax.set_xticks(x, kinds, fontsize=8.5)
        ax.set_ylabel(f"fitted order in {lab}")
        ax.set_title(f"every task's fitted order in {lab} (band: tolerance {tol:g})", fontsize=9.5)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper left")
    fig.suptitle(
        "Section 3 under Assumptions 1-3 only: a kink crossed at $\\nu=0$ leaves the symmetric estimator order 1 "
        "in $\\nu$ and 1/2 in $\\delta$",
        fontsize=10.5,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
