"""Shared helpers of the Section 3 claims: the cached studies and the rate check (eqs. 12 and 14)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement
from bmaml_theory.studies import section3 as study

SOURCE = "Chayti & Jaggi (arXiv 2409.03682)"
GROUP = "chayti-jaggi-section3"

# Rate windows (sweeps.ASYMPTOTIC_NU_RHO, sweeps.FLOOR_FACTOR) keep nu * rho <= 1e-2, where the next term of the
# nu-expansion moves the local slope by about 1e-2, and drop points within 100x of the a-priori round-off estimate
# (moving the slope by < 1e-2 more).  0.05 covers both with margin and still separates every pair of rates in
# question (1/2, 2/3, 1, 2) by > 3 tolerances.
RATE_TOL = 0.05
RATE_TOL_REASON = (
    "fixed before the fit: the window nu*rho <= 1e-2 (the next expansion term moves the slope by ~1e-2) and "
    "errors > 100x the a-priori round-off estimate (< 1e-2 more); 0.05 covers both and separates 1/2, 2/3, 1, 2 "
    "by more than 3 tolerances"
)
# Power: the statements are per task and the families span five kinds of task; a run supports 'holds' only when
# every kind has a measurable task and at least half of all tasks are measurable (fixed before the run).
MIN_MEASURED_FRACTION = 0.5
REPRESENTATIVE = ("indefinite-both", 5)  # the family drawn in the figures: train != test, both indefinite, n near 5
ASSUMPTIONS = (
    "quadratic tasks (Appendix B's setting): f_i, fhat_i quadratic, train != test allowed, both Hessians indefinite "
    "allowed; lam >= 2 Lhat1 (Section 4's standing condition, which makes (9) uniquely solvable for |nu| < mu/L1 as "
    "Section 4.1 says); each task one instance, since the statement is per task"
)


def bias_study(ctx: Context, stencil: str) -> dict:
    return ctx.cached(
        f"section3-bias-{stencil}", lambda: study.bias_study(stencil, study.settings(ctx.quick), ctx.progress)
    )


def solver_study(ctx: Context, stencil: str) -> dict:
    return ctx.cached(f"section3-solver-{stencil}", lambda: study.solver_study(stencil, ctx.quick, ctx.progress))


def representative_family(res: dict) -> int:
    """Index of the family the figures draw (kind REPRESENTATIVE[0], n nearest REPRESENTATIVE[1])."""
    s = res["settings"]
    fams = [(j, k, n) for j, (k, n) in enumerate((k, n) for k in s["kinds"] for n in s["dims"])]
    cands = [c for c in fams if c[1] == REPRESENTATIVE[0]]
    return min(cands, key=lambda c: abs(c[2] - REPRESENTATIVE[1]))[0]


def _summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    a = np.asarray(values)
    return {"count": int(a.size), "min": float(a.min()), "median": float(np.median(a)), "max": float(a.max())}


def _fit_dict(f: Any) -> dict:
    return {"ok": f.ok, "order": f.order, "intercept": f.intercept, "window": f.window, "reason": f.reason}


def rate_check(ctx: Context, st: Statement, stencil: str, which: str) -> ClaimResult:
    """Fitted order per task (``which``: 'nu' for eq. 12, 'delta' for eq. 14), decided by the worst deviation."""
    res = bias_study(ctx, stencil)
    s = res["settings"]
    rows = res["rows"]
    fits = [r["fit_nu"] if which == "nu" else r["fit_delta"]["adversarial"] for r in rows]
    ms: list[Measurement] = []
    for r, f in zip(rows, fits, strict=True):
        if not f.ok:
            continue
        kw = {
            "kind": r["kind"],
            "M": r["M"],
            "n": r["n"],
            "seed": r["seed"],
            "family": r["family"],
            "task": r["task"],
            "stencil": stencil,
            "which": which,
            "nu_decades": s["nu_decades"],
            "nu_per_decade": s["nu_per_decade"],
            "delta_range": list(s["delta_range"]),
        }
        inst = {**kw, "window": list(f.window), "points": f.n_points, "decades": round(f.decades, 3)}
        ms.append(Measurement(float(f.order), inst, Replay("bmaml_theory.studies.section3:fitted_order", kw)))
    measured_kinds = {r["kind"] for r, f in zip(rows, fits, strict=True) if f.ok}
    missing = [k for k in s["kinds"] if k not in measured_kinds]
    frac = len(ms) / max(len(rows), 1)
    power_ok = not missing and frac >= MIN_MEASURED_FRACTION
    note = f"{len(ms)}/{len(rows)} tasks measurable" + (f"; no measurable task of kind(s) {missing}" if missing else "")
    slopes = [m.value for m in ms]
    evidence: dict = {
        "instances": len(rows),
        "measured_instances": len(ms),
        "slopes": _summary(slopes),
        "not_measurable": [
            {"kind": r["kind"], "n": r["n"], "task": r["task"], "reason": f.reason}
            for r, f in zip(rows, fits, strict=True)
            if not f.ok
        ][:10],
        "kinds": list(s["kinds"]),
        "dims": list(s["dims"]),
        "tasks_per_family": s["M"],
        "nu_grid": f"{s['nu_decades']} decades below 0.5 r/max|t_k| at {s['nu_per_decade']} per decade",
        "delta_grid": list(s["delta_range"]),
    }
    j = representative_family(res)
    data: dict = {
        "slopes": np.asarray(slopes),
        "instances": len(rows),
        "stated": st.threshold.value,
        "tolerance": st.tolerance.value,
    }
    if which == "nu":
        adv, _ = res["grids"][j]["adversarial"]
        row = next(r for r in rows if r["family"] == j and r["task"] == 0)
        show = [int(np.argmin(np.abs(np.log(adv.deltas / d)))) for d in (1e-4, 1e-8, 1e-12)]
        data["representative"] = {
            "kind": row["kind"],
            "n": row["n"],
            "nus": adv.nus,
            "exact": adv.exact[0],
            "roundoff": adv.roundoff[0],
            "deltas_shown": adv.deltas[show],
            "total_shown": adv.total[0][:, show],
            "fit": _fit_dict(row["fit_nu"]),
        }
    else:
        row = next(r for r in rows if r["family"] == j and r["task"] == 0)
        rep: dict = {"kind": row["kind"], "n": row["n"], "deltas": res["deltas"]}
        for model in ("adversarial", "random"):
            _, b = res["grids"][j][model]
            rep[model] = {"bias": b.bias[0], "fit": _fit_dict(row["fit_delta"][model])}
        rnd = [r["fit_delta"]["random"].order for r in rows if r["fit_delta"]["random"].ok]
        evidence["random_direction_slopes"] = _summary(rnd)
        sol = solver_study(ctx, stencil)
        kind = row["kind"] if (row["kind"], "gd") in sol["grids"] else next(iter(sol["grids"]))[0]
        rep["solvers"] = {}
        data["solver_slopes"] = {}
        data["solver_instances"] = {}
        for name in ("gd", "nesterov"):
            g, b = sol["grids"][(kind, name)]
            f0 = next(e["fit"] for e in sol["fits"][name] if e["kind"] == kind and e["task"] == 0)
            rep["solvers"][name] = {"kind": kind, "deltas": g.deltas, "bias": b.bias[0], "fit": _fit_dict(f0)}
            sl = [e["fit"].order for e in sol["fits"][name] if e["fit"].ok]
            data["solver_slopes"][name] = np.asarray(sl)
            data["solver_instances"][name] = len(sol["fits"][name])
            evidence[f"{name}_slopes"] = _summary(sl)
        evidence["why_solvers_differ"] = (
            "evidence, not the claim: solvers started from the same theta make errors e_nu and e_0 that depend "
            "smoothly on nu, so e_nu - e_0 = O(nu delta) and the worst-case lam delta/nu term largely cancels; the "
            "bias at the best nu then falls faster than the worst case. Eq. (14) is a worst-case rate, attained by "
            "the adversarial errors, which is what the claim measures."
        )
        data["representative"] = rep
        data["random_slopes"] = np.asarray(rnd)
    return runners.decide(ctx, st, ms, power_ok=power_ok, power_note=note, evidence=evidence, data=data)
