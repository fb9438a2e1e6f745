"""Figures of Chayti & Jaggi, Section 4.3's algorithmic statements, drawn only from the claims' results.

* ``inexact_plateau.png``  the lowest ||grad F|| Algorithm 1 reaches against the inner precision delta, with
  Theorem 1's NormalizedGD (claim ``thm1-inexact``) and Theorem 2's GD (``thm2-inexact``): with the printed constants
  (a 2-cycle at the same level for every delta) and with the corrected ones (a plateau that falls like sqrt(delta),
  below Corollary 1's corrected bias bound), beside the theorems' eps + 3 sqrt(A delta).

Titles are computed from the data they describe, so they stay true.
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

_MARK = {"convex": "o", "nonconvex": "s", "two-task": "^"}
_DASH = {"convex": (0, (5, 2)), "nonconvex": (0, (1, 1.5)), "two-task": (0, (6, 2, 1, 2))}


@figure(
    "inexact_plateau.png",
    claims=("thm1-inexact", "thm2-inexact"),
    description="Thms 1-2 with the delta-inexact estimator: min ||grad F|| vs delta, printed and corrected constants",
)
def inexact_plateau(results: Mapping[str, ClaimResult], path: Path) -> None:
    """Min ||grad F|| over Algorithm 1's run vs delta per theorem (log-log), printed and corrected constants."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=True)
    panels = (("thm1-inexact", "Theorem 1, NormalizedGD"), ("thm2-inexact", "Theorem 2, GD"))
    for ax, (cid, name) in zip(axes, panels, strict=True):
        d = results[cid].data
        flat = []
        for inst in sorted({r["instance"] for r in d["stated"]}):
            rows = [r for r in d["stated"] if r["instance"] == inst]
            x = np.array([r["delta"] for r in rows])
            y = np.array([r["min_grad_norm"] for r in rows])
            flat.append(float(y.min()))
            ax.loglog(x, y, "-" + _MARK[inst], color="C3", ms=5, label=f"printed constants, {inst} (2-cycle)")
            A = rows[0]["A"]
            # each instance's reference in its own dash pattern and with its marker (hollow): two of them in one
            # style could not be told apart
            ax.loglog(
                x,
                d["eps"] + 3 * np.sqrt(A * x),
                ls=_DASH[inst],
                marker=_MARK[inst],
                mfc="none",
                ms=6,
                color="C3",
                lw=1,
                alpha=0.7,
                label=rf"Theorems' $\varepsilon+3\sqrt{{A\delta}}$, {inst}",
            )
        for inst in sorted({r["instance"] for r in d["corrected"]}):
            rows = sorted((r for r in d["corrected"] if r["instance"] == inst), key=lambda r: r["delta"])
            x = np.array([r["delta"] for r in rows])
            ax.loglog(
                x,
                [r["plateau"] for r in rows],
                "-" + _MARK[inst],
                color="C2",
                ms=5,
                label=f"corrected constants (E6), {inst}: settled",
            )
            ax.loglog(
                x,
                [r["corrected_bias"] for r in rows],
                ls=_DASH[inst],
                marker=_MARK[inst],
                mfc="none",
                ms=6,
                color="C2",
                lw=1,
                alpha=0.7,
                label=rf"Cor. 1 corrected bias $\beta_1\sqrt{{\delta}}$, {inst}",
            )
        ax.axhline(d["eps"], color="0.5", lw=0.8, label=rf"target $\varepsilon$ = {d['eps']:g}")
        ax.set_xlabel(r"inner precision $\delta$ (worst-case errors of (13))")
        lo = min(flat) if flat else float("nan")
        ax.set_title(f"{name}: printed steps stay at $\\|\\nabla F\\|\\geq${lo:.2f}\nfor every $\\delta$", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(r"$\min_k\|\nabla F(\theta_k)\|$ over the run")
    fig.suptitle(
        r"Algorithm 1 with the $\delta$-inexact forward estimator at Corollary 1's $\nu$: the lowest $\|\nabla F\|$ "
        r"reached against $\delta$, printed and corrected constants"
        + "\n"
        + verdict(results, "thm1-inexact", "thm2-inexact"),
        fontsize=10,
        y=1.06,
    )
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7, bbox_to_anchor=(0.5, -0.16))
    save_figure(fig, path)
    plt.close(fig)
