"""Figure of the arbitrary-precision rates (eq. 14 and Table 1's order-n stencils), drawn from the claims' results.

* ``order_n_rates.png``  left: worst-case bias at the best nu against delta for the order n = 1..6 stencils on one
  task (fitted window drawn solid); right: every instance's fitted exponent against n beside the stated n/(n+1), in
  mpmath and, where a window exists at all, in float64.
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


@figure(
    "order_n_rates.png",
    claims=("table1-order-n", "mp-eq14-forward", "mp-eq14-symmetric"),
    description="Table 1 / eq. (14) at arbitrary precision: bias O(delta^(n/(n+1))) for n = 1..6",
)
def order_n_rates(results: Mapping[str, ClaimResult], path: Path) -> None:
    data = results["table1-order-n"].data
    per = data["orders"]
    orders = sorted(per)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12.5, 4.8), gridspec_kw={"width_ratios": [1.25, 1]})
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(orders)))
    for n, col in zip(orders, colors, strict=True):
        d = per[n]
        m = np.asarray(d["mask"], dtype=bool)
        ax.loglog(d["deltas"], d["bias"], "-", color=col, lw=0.8, alpha=0.35)
        lab = (
            rf"$n={n}$: slope {d['fit_order']:.6f} (stated {n}/{n + 1})"
            if d["fit_order"] is not None
            else rf"$n={n}$: no window"
        )
        ax.loglog(d["deltas"][m], d["bias"][m], "o-", ms=2.5, color=col, lw=1.4, label=lab)
    d0 = per[orders[0]]
    ax.axvspan(1e-15, 1e-1, color="0.88", zorder=0, label=r"$\delta$ range of the float64 study")
    ax.set_xlabel(r"$\delta$ (inexactness of each inner solution, eq. 13)")
    ax.set_ylabel(r"worst-case bias at the best $\nu$")
    ax.set_title(f"task 0 of an '{d0['kind']}' family in dimension {d0['n']}, {d0['dps']} digits", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)

    grid = np.linspace(1, max(orders), 200)
    bx.plot(grid, grid / (grid + 1), "k-", lw=1, label=r"stated $n/(n+1)$")
    rng = np.random.default_rng(0)
    worst = 0.0
    lo, hi = 0.42, 0.92
    clipped = False
    for n in orders:
        d = per[n]
        mp_sl, f64 = np.asarray(d["mp_slopes"]), np.asarray(d["f64_slopes"])
        worst = max([worst, *np.abs(mp_sl - n / (n + 1)).tolist()])
        bx.plot(
            n - 0.12 + rng.uniform(-0.05, 0.05, len(mp_sl)),
            mp_sl,
            "o",
            ms=4,
            color="C0",
            alpha=0.7,
            label="mpmath (each instance)" if n == orders[0] else None,
        )
        inside = (f64 >= lo) & (f64 <= hi)
        xs = n + 0.12 + rng.uniform(-0.05, 0.05, len(f64))
        bx.plot(
            xs[inside],
            f64[inside],
            "s",
            ms=4,
            mfc="none",
            color="C3",
            alpha=0.8,
            label="float64, where a window exists" if n == orders[0] else None,
        )
        if np.any(~inside):
            clipped = True
            bx.plot(xs[~inside], np.clip(f64[~inside], lo + 0.02, hi - 0.01), "x", ms=6, color="C3")
        bx.annotate(f"f64: {len(f64)}/{d['instances']}", (n, lo + 0.01), ha="center", fontsize=7, color="C3")
    bx.set_xticks(orders)
    bx.set_xlabel(r"stencil order $n$ (Table 1's caption)")
    bx.set_ylabel(r"fitted exponent of $\delta$")
    if clipped:
        bx.plot([], [], "x", ms=6, color="C3", label="float64 slope off the axis (drawn at the edge)")
    bx.set_ylim(lo, hi)
    bx.set_title(
        f"fitted vs stated; mpmath worst |deviation| = {worst:.1e} (tolerance {data['tolerance']})", fontsize=10
    )
    bx.legend(fontsize=8, loc="upper left")
    bx.grid(True, alpha=0.3)
    fig.suptitle(
        r"Bias $O(\delta^{n/(n+1)})$ at the best $\nu$ under worst-case $\delta$-inexact solutions (mpmath)"
        + "\n"
        + verdict(results, "table1-order-n", "mp-eq14-forward", "mp-eq14-symmetric"),
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
