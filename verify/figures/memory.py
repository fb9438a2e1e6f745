"""Figure of Table 1's memory factor: peak memory and compute of the order-n estimators against n.

Drawn only from ``table1-memory-n``'s data (per family and implementation: the peak n-vector count and the gradient
calls at each order).
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

STYLE = {
    "sequential": ("C3", "-", "o", "AGD, solves in turn (running sum)"),
    "sequential-gd": ("C2", "-.", "^", "GD baseline, solves in turn"),
    "batched": ("C0", "--", "s", "AGD, solves at once"),
}


@figure(
    "table1_memory_n.png",
    claims=("table1-memory-n",),
    description="Table 1's caption measured: peak memory and gradient calls of the order-n estimator against n",
)
def table1_memory_n(results: Mapping[str, ClaimResult], path: Path) -> None:
    d = results["table1-memory-n"].data
    fams = sorted({k.split("/")[0] for k in d["per_family"]}, reverse=True)
    fig, axes = plt.subplots(2, len(fams), figsize=(5.6 * len(fams), 7.4), squeeze=False)
    for j, fam in enumerate(fams):
        ax_m, ax_c = axes[0, j], axes[1, j]
        for impl, (c, ls, mk, label) in STYLE.items():
            v = d["per_family"].get(f"{fam}/{impl}")
            if v is None:
                continue
            n = np.array([r["order"] for r in v["rows"]])
            mem = np.array([r["vectors"] for r in v["rows"]], dtype=float)
            ax_m.plot(n, mem, ls, color=c, marker=mk, label=f"{label} (slope {round(v['memory_slope'], 2) + 0.0:.2f})")
            ax_c.plot(
                n,
                [r["grads"] for r in v["rows"]],
                ls,
                color=c,
                marker=mk,
                label=label + (" (the same calls)" if impl == "batched" else ""),
            )
            if impl == "sequential":
                ax_m.plot(n, mem[0] * n, ":", color="0.4", label="caption: memory $\\times\\,n$ (from AGD at $n=1$)")
        ax_m.set_title(f"{fam} tasks ({d['family_sizes'][fam]}): peak memory", fontsize=10)
        ax_m.set_ylabel("peak n-vectors per task (tracemalloc)")
        ax_c.set_title(
            f"{fam} tasks: compute (AGD to a certified $\\delta={d['solver_delta']:g}$; GD: {d['gd_steps']} steps)",
            fontsize=10,
        )
        ax_c.set_ylabel("gradient calls")
        for ax in (ax_m, ax_c):
            ax.set_xlabel("order $n$ of the stencil")
            ax.set_xticks(d["orders"])
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle(
        "Order-$n$ FO-B-MAML estimators: peak memory against the order $n$ when the solves run in turn\n"
        + verdict(results, "table1-memory-n"),
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
