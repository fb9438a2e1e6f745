"""Figure of the arbitrary-precision rates: eq. (14) and Table 1's order-n stencils.

* ``order_n_rates.png``  left: worst-case bias at the best nu against delta over 160 decades for the order
  n = 1..6 stencils on one task (fitted window solid); right: every instance's observed exponent against
  n, beside the stated n/(n+1), in mpmath and (where it has a window at all) in float64.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bmaml_theory.claims import Context
from bmaml_theory.claims import precision_claims as pc
from verify._io import save_figure
from verify.figures import figure


@figure(pc.FIGURE)
def order_n_rates(ctx: Context, path: Path) -> None:
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.25, 1]})
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(pc.ORDERS)))
    insts = pc.mp_instances(ctx)
    j = next(k for k, inst in enumerate(insts) if inst["kind"] == "indefinite-both")
    for n, col in zip(pc.ORDERS, colors, strict=True):
        study = pc.order_study(ctx, n)
        r = study["rows"][j]
        d = r["delta"]
        ax.loglog(d.deltas, d.bias, "-", color=col, lw=0.8, alpha=0.35)
        m = d.fit.mask
        label = (
            f"n={n}: {d.fit.order:.6f} (stated {n}/{n + 1} = {n / (n + 1):.6f})" if d.fit.ok else f"n={n}: no window"
        )
        ax.loglog(d.deltas[m], d.bias[m], "o-", ms=2.5, color=col, lw=1.4, label=label)
    ax.axvspan(1e-15, 1e-1, color="0.9", zorder=0, label="delta range of the float64 study")
    ax.set_xlabel("delta (inexactness of each inner solution, eq. 13)")
    ax.set_ylabel("worst-case bias at the best nu")
    inst = insts[j]
    ax.set_title(f"One task ({inst['kind']}, n={inst['n']}), {inst['mp'].dps} digits", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left")
    ax.grid(True, which="major", alpha=0.3)

    ns = np.array(pc.ORDERS, dtype=float)
    grid = np.linspace(1, max(pc.ORDERS), 200)
    bx.plot(grid, grid / (grid + 1), "k-", lw=1, label="stated n/(n+1)")
    rng = np.random.default_rng(0)
    worst = 0.0
    for n in pc.ORDERS:
        rows = pc.order_study(ctx, n)["rows"]
        mp_sl = [r["delta"].fit.order for r in rows if r["delta"].fit.ok]
        f64 = [r["f64"]["order"] for r in rows if r["f64"]["ok"]]
        worst = max([worst] + [abs(s - n / (n + 1)) for s in mp_sl])
        bx.plot(
            n - 0.12 + rng.uniform(-0.05, 0.05, len(mp_sl)),
            mp_sl,
            "o",
            ms=4,
            color="C0",
            alpha=0.7,
            label="mpmath (each instance)" if n == 1 else None,
        )
        bx.plot(
            n + 0.12 + rng.uniform(-0.05, 0.05, len(f64)),
            f64,
            "s",
            ms=4,
            mfc="none",
            color="C3",
            alpha=0.8,
            label="float64, where a window exists" if n == 1 else None,
        )
        bx.annotate(f"f64: {len(f64)}/{len(rows)}", (n, 0.44), ha="center", fontsize=7, color="C3")
    bx.set_xticks(ns)
    bx.set_xlabel("stencil order n (Table 1's caption)")
    bx.set_ylabel("observed exponent of delta")
    bx.set_ylim(0.42, 0.9)
    bx.set_title(
        f"Observed vs stated; mpmath worst |deviation| = {worst:.1e} (tolerance {pc.MP_RATE_TOL})", fontsize=10
    )
    bx.legend(fontsize=8, loc="upper left")
    bx.grid(True, alpha=0.3)
    fig.suptitle("Bias O(delta^(n/(n+1))) at the best nu, under worst-case delta-inexact solutions", fontsize=11)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
