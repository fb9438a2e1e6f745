"""Shared helpers of the arbitrary-precision claims: the cached instances and order studies, the rate check."""

from __future__ import annotations

import numpy as np

from bmaml_theory.claims._core import Context, Measurement, Replay
from bmaml_theory.studies import precision as study

SOURCE = "Chayti & Jaggi (arXiv 2409.03682)"
GROUP = "chayti-jaggi-precision"
FIGURE = "order_n_rates.png"
# Tolerance, fixed before any fit: round-off is out of the window by construction (>= 100x below every fitted
# point at the working precision), so what is left is the pre-asymptotic end: with nu rho max|t_k| <= 1e-2 the
# next term of the nu-expansion moves the local slope by about 1e-2 at the window's large end and geometrically
# less below it; 0.01 also separates consecutive stated exponents n/(n+1) (closest pair 5/6, 6/7: 1/42 = 0.024).
MP_RATE_TOL = 0.01
MP_RATE_TOL_REASON = (
    "fixed before the fit: round-off >= 100x below every fitted point at the working precision; nu rho max|t_k| "
    "<= 1e-2 bounds the pre-asymptotic slope change by ~1e-2; 0.01 separates n/(n+1) for n <= 6 (closest 1/42)"
)
MIN_MEASURED_FRACTION = 0.5  # power: every kind has a measurable instance and at least half of all are measurable
ASSUMPTIONS = (
    "quadratic tasks (Appendix B's setting, train != test and indefinite Hessians allowed), lam = 2 Lhat1 and "
    "20 Lhat1 (Section 4's lam >= 2 Lhat1, so (9) is uniquely solvable near nu = 0); errors of norm delta as in "
    "(13), worst case (adversarial); computed in mpmath with the digits dps_for gives (round-off out of the window)"
)


def settings(ctx: Context) -> dict:
    return study.settings(ctx.quick)


def instances(ctx: Context) -> list[dict]:
    return ctx.cached("precision-instances", lambda: study.instances(settings(ctx)))


def order_study(ctx: Context, order: int) -> dict:
    return ctx.cached(
        f"precision-order-{order}",
        lambda: study.order_study(order, instances(ctx), settings(ctx), ctx.progress),
    )


def power(rows: list[dict], fits: list, kinds: tuple) -> tuple[bool, str]:
    """(power_ok, note): every kind measured and at least MIN_MEASURED_FRACTION of the instances."""
    measured = [r for r, f in zip(rows, fits, strict=True) if f.ok]
    missing = [k for k in kinds if k not in {r["kind"] for r in measured}]
    ok = not missing and len(measured) >= MIN_MEASURED_FRACTION * len(rows)
    note = f"{len(measured)}/{len(rows)} instances measurable" + (f"; none of kind(s) {missing}" if missing else "")
    return ok, note


def delta_measurements(ctx: Context, order: int, target: str, offset: float = 0.0) -> tuple[list, list, list]:
    """Measurements ``fit.order - offset`` of every measurable instance, replayed by ``target`` (module:function)."""
    s = settings(ctx)
    res = order_study(ctx, order)
    rows = res["rows"]
    fits = [r["delta"].fit for r in rows]
    ms = []
    for r, f in zip(rows, fits, strict=True):
        if not f.ok:
            continue
        kw = {"kind": r["kind"], "n": r["n"], "seed": r["seed"], "order": order, "delta_range": list(s["delta_range"])}
        inst = {**kw, "window": list(f.window), "decades": round(f.decades, 2), "points": f.n_points}
        inst["dps"] = r["dps_delta"]
        ms.append(Measurement(float(f.order) - offset, inst, Replay(target, kw)))
    return ms, rows, fits


def row_summary(r: dict) -> dict:
    d, v = r["delta"].fit, r["nu"].fit
    return {
        "kind": r["kind"],
        "n": r["n"],
        "delta_order": d.order,
        "delta_window": list(d.window) if d.window else None,
        "decades": round(d.decades, 1),
        "points": d.n_points,
        "dps_delta": r["dps_delta"],
        "nu_order": v.order,
        "nu_decades": round(v.decades, 1),
        "dps_nu": r["dps_nu"],
        "float64": r["f64"],
    }


def figure_data(ctx: Context, order: int) -> dict:
    """Arrays for order_n_rates.png: the representative instance's curve and every instance's exponents."""
    res = order_study(ctx, order)
    rows = res["rows"]
    j = next(k for k, r in enumerate(rows) if r["kind"] == "indefinite-both")
    d = rows[j]["delta"]
    return {
        "order": order,
        "stated": order / (order + 1),
        "kind": rows[j]["kind"],
        "n": rows[j]["n"],
        "dps": rows[j]["dps_delta"],
        "deltas": d.deltas,
        "bias": d.bias,
        "mask": np.asarray(d.fit.mask),
        "fit_order": d.fit.order if d.fit.ok else None,
        "mp_slopes": np.array([r["delta"].fit.order for r in rows if r["delta"].fit.ok], dtype=float),
        "f64_slopes": np.array([r["f64"]["order"] for r in rows if r["f64"]["ok"]], dtype=float),
        "instances": len(rows),
    }
