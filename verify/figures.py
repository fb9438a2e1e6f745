"""The figures of the default run.  Each draws from the studies the claims computed (shared cache).

* ``bias_vs_nu.png``     eq. (12): bias against nu at exact solutions and at several delta.
* ``bias_vs_delta.png``  eq. (14): bias at the best nu against delta, worst case and real solvers.
* ``rate_slopes.png``    every instance's fitted exponent minus the stated one, with the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bmaml_theory import sweeps
from bmaml_theory.claims import Context
from bmaml_theory.claims import chayti_jaggi as cj
from bmaml_theory.stencils import FORWARD, SYMMETRIC
from verify._io import save_figure

FIGURES: dict[str, Callable[[Context, Path], None]] = {}
STATED_NU = {"forward": 1.0, "symmetric": 2.0}
STATED_DELTA = {"forward": 0.5, "symmetric": 2.0 / 3.0}
DELTA_LABEL = {"forward": r"$\delta^{1/2}$", "symmetric": r"$\delta^{2/3}$"}


def figure(name: str):
    def deco(fn):
        FIGURES[name] = fn
        return fn

    return deco


def _finish(fig, axes, ylabel: str, title: str, path: Path) -> None:
    axes[0].set_ylabel(ylabel)
    fig.suptitle(title, fontsize=11)
    save_figure(fig, path)
    plt.close(fig)


def _representative(ctx: Context) -> tuple[int, str, int]:
    """Index, kind and n of the family shown: train != test, both indefinite, mid-size n."""
    fams = cj.families(ctx)
    cands = [(j, k, n) for j, (k, n, _, _) in enumerate(fams) if k == "indefinite-both"]
    return min(cands, key=lambda c: abs(c[2] - 5))


@figure("bias_vs_nu.png")
def bias_vs_nu(ctx: Context, path: Path) -> None:
    j, kind, n = _representative(ctx)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    for ax, st in zip(axes, (FORWARD, SYMMETRIC), strict=True):
        study = cj.bias_study(ctx, st)
        adv, _ = study["grids"][j]["adversarial"]
        i = 0
        nus = adv.nus
        ax.loglog(nus, adv.exact[i], color="C0", lw=2.2, label="exact solutions")
        for c, d in zip(("C1", "C2", "C3"), (1e-4, 1e-8, 1e-12), strict=True):
            k = int(np.argmin(np.abs(np.log(adv.deltas / d))))
            ax.loglog(
                nus,
                adv.total[i, :, k],
                "--",
                color=c,
                lw=1.4,
                label=rf"$\delta$={adv.deltas[k]:.0e} (worst case)",
            )
        ax.loglog(nus, adv.roundoff[i], ":", color="0.5", lw=1.2, label="round-off estimate")
        row = next(r for r in study["rows"] if r["family"] == j and r["task"] == i)
        f = row["fit_nu"]
        p = STATED_NU[st.name]
        if f.ok:
            lo, hi = f.window
            ax.axvspan(lo, hi, color="C0", alpha=0.08, label="fit window")
            xs = np.array([lo, hi])
            ax.loglog(
                xs,
                10**f.intercept * xs**f.order * 3,
                "k-",
                lw=0.9,
                label=rf"reference $\nu^{{{p:g}}}$ (fit {f.order:.3f})",
            )
        ax.set_title(f"{st.name} estimator, eq. ({10 if st is FORWARD else 11})")
        ax.set_xlabel(r"perturbation $\nu$")
        ax.grid(True, which="major", alpha=0.3)
        ax.set_ylim(bottom=max(1e-18, np.nanmin(adv.exact[i][adv.exact[i] > 0]) / 10))
        ax.legend(fontsize=7.5, loc="upper center")
    _finish(
        fig,
        axes,
        r"bias $\|\nabla F_i(\theta)-\tilde g_{i,\nu}(\theta)\|$",
        f"Bias against nu (eq. 12), one task of a '{kind}' family, n={n}",
        path,
    )


@figure("bias_vs_delta.png")
def bias_vs_delta(ctx: Context, path: Path) -> None:
    j, kind, _n = _representative(ctx)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    for ax, st in zip(axes, (FORWARD, SYMMETRIC), strict=True):
        study = cj.bias_study(ctx, st)
        deltas = study["settings"]["deltas"]
        row = next(r for r in study["rows"] if r["family"] == j and r["task"] == 0)
        for model, color in (("adversarial", "C3"), ("random", "C1")):
            _, b = study["grids"][j][model]
            f = row["fit_delta"][model]
            lab = f"{model} errors" + (f" (fit {f.order:.3f})" if f.ok else "")
            ax.loglog(
                deltas,
                b.bias[0],
                "o-" if model == "adversarial" else "s-",
                ms=3,
                color=color,
                label=lab,
            )
        sol = cj.solver_study(ctx, st)
        key_kind = kind if (kind, "gd") in sol["grids"] else next(iter(sol["grids"]))[0]
        for name, color in (("gd", "C0"), ("nesterov", "C2")):
            g, b = sol["grids"][(key_kind, name)]
            f = sweeps.fit_delta_order(g, b, 0, asymptotic_nu=False)
            lab = f"{name} stopped at certified $\\delta$" + (f" (fit {f.order:.2f})" if f.ok else "")
            ax.loglog(sol["deltas"], b.bias[0], "^-", ms=3, color=color, label=lab)
        p = STATED_DELTA[st.name]
        _, badv = study["grids"][j]["adversarial"]
        y0 = np.nanmax(badv.bias[0])
        ax.loglog(
            deltas,
            y0 * (deltas / deltas[0]) ** p,
            "k--",
            lw=0.9,
            label=f"reference {DELTA_LABEL[st.name]}",
        )
        ax.loglog(deltas, y0 * (deltas / deltas[0]), "k:", lw=0.9, label=r"reference $\delta^{1}$")
        ax.set_title(f"{st.name} estimator at the best $\\nu$ per $\\delta$")
        ax.set_xlabel(r"inner precision $\delta$, eq. (13)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7.5, loc="lower right")
    _finish(
        fig,
        axes,
        r"$\min_\nu$ bias",
        f"Bias against delta at the best nu (eq. 14), one task of a '{kind}' family",
        path,
    )


@figure("rate_slopes.png")
def rate_slopes(ctx: Context, path: Path) -> None:
    groups = []
    for cid, st, stated, which, *_ in cj.RATE_CLAIMS:
        rows = cj.bias_study(ctx, st)["rows"]
        fits = [r["fit_nu"] if which == "nu" else r["fit_delta"]["adversarial"] for r in rows]
        groups.append((cid, stated, [f.order - stated for f in fits if f.ok], "worst case / exact"))
        if which == "delta":
            for name in ("gd", "nesterov"):
                sl = [e["fit"].order - stated for e in cj.solver_study(ctx, st)["fits"][name] if e["fit"].ok]
                groups.append((cid, stated, sl, name))
    fig, ax = plt.subplots(figsize=(10, 4.2))
    rng = np.random.default_rng(0)
    colors = {"worst case / exact": "C3", "gd": "C0", "nesterov": "C2"}
    labels_done = set()
    xt, xl = [], []
    for x, (cid, stated, dev, src) in enumerate(groups):
        jitter = rng.uniform(-0.18, 0.18, len(dev))
        lab = src if src not in labels_done else None
        labels_done.add(src)
        ax.plot(x + jitter, dev, "o", ms=3, alpha=0.6, color=colors[src], label=lab)
        xt.append(x)
        xl.append(f"{cid}\n(stated {stated:.3g})" + ("" if src == "worst case / exact" else f"\n{src}"))
    ax.axhspan(-cj.RATE_TOL, cj.RATE_TOL, color="0.85", label=f"tolerance +-{cj.RATE_TOL}")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(xt, xl, fontsize=7.5)
    ax.set_ylabel("fitted exponent - stated exponent")
    ax.set_title("Observed orders, one point per task instance (real solvers: evidence, not the claim)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    save_figure(fig, path)
    plt.close(fig)


# figures of the other modules register themselves on import
from verify import figures_experiments, figures_precision, figures_theory  # noqa: E402, F401
