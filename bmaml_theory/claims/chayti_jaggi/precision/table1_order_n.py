r"""table1-order-n: Table 1's caption of Chayti & Jaggi, order-n stencils, at arbitrary precision.

**As printed** (Table 1's caption): "in general, if we use an approximation of order n, this will lead to an error of
order O(delta^(n/(n+1))) at the cost of multiplying the memory need by n."

**Standing assumptions.**  Solutions satisfying (13) (worst case); (9) well-defined near nu = 0; quadratic tasks with
lam = 2 Lhat1 and 20 Lhat1.  "Approximation of order n" is read as a finite-difference stencil whose bias at exact
solutions is O(nu^n) (:func:`bmaml_theory.stencils.stencil`), which is also checked here (fitted order in nu = n).

**What is measured and why.**  For n = 1..6 and task 0 of a family of every kind in every dimension of the run, in
mpmath: the worst-case bias at the best nu against delta (one delta every 4 decades from 1e-4; window >= 20 decades,
best nu bracketed, nu rho max|t_k| <= 1e-2, bias > 100x round-off) and the exact-solution bias against nu over 20
decades.  ``measured`` is the deviation fitted - stated (n/(n+1) in delta, n in nu) farthest from 0 over all orders
and instances; the caption holds iff every deviation is within the tolerance.  The memory factor is recorded, not
scored: a stencil uses n (even n) or n + 1 (odd n) solves, and accumulating sum_k w_k phi_k needs two vectors for
any n, so "memory times n" is the cost of storing every solution.

**Tolerance** 0.01 (``_common.MP_RATE_TOL``), fixed before the fit; it separates consecutive n/(n+1) (closest 1/42).
"""

from __future__ import annotations

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import (
    ClaimResult,
    Context,
    Measurement,
    Replay,
    Statement,
    Threshold,
    Tolerance,
    claim,
)
from bmaml_theory.claims.chayti_jaggi.precision._common import (
    ASSUMPTIONS,
    FIGURE,
    GROUP,
    MP_RATE_TOL,
    MP_RATE_TOL_REASON,
    SOURCE,
    delta_measurements,
    figure_data,
    order_study,
    power,
    settings,
)
from bmaml_theory.studies import precision as study

STATEMENT = Statement(
    id="table1-order-n",
    source=f"{SOURCE}, Table 1's caption",
    statement="in general, if we use an approximation of order n, this will lead to an error of order "
    "O(delta^(n/(n+1))) at the cost of multiplying the memory need by n.",
    form="the rate O(delta^(n/(n+1))) of Table 1's caption for the order-n stencils, n = 1..6, at the best nu under "
    "worst-case errors at arbitrary precision, with the defining O(nu^n) bias at exact solutions",
    assumptions=ASSUMPTIONS,
    kind="rate",
    measure="fitted exponent minus the stated one (n/(n+1) in delta; n in nu), farthest from 0 over n = 1..6 and the "
    "instances (dimensionless)",
    threshold=Threshold(0.0, "within"),
    tolerance=Tolerance(MP_RATE_TOL, MP_RATE_TOL_REASON),
    figure=FIGURE,
    group=GROUP,
)


@replayable
def delta_deviation(*, kind: str, n: int, seed: int, order: int, delta_range: list) -> float:
    """Replay: fitted order in delta minus order/(order+1) for one instance (NaN when not measurable)."""
    o = int(order)
    return study.delta_order(kind=kind, n=n, seed=seed, order=o, delta_range=delta_range) - o / (o + 1)


@replayable
def nu_deviation(*, kind: str, n: int, seed: int, order: int, delta_range: list) -> float:
    """Replay: fitted order in nu of the exact-solution bias minus ``order`` for one instance (NaN: not measurable)."""
    return study.nu_order(kind=kind, n=n, seed=seed, order=int(order), delta_range=delta_range) - int(order)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Fit every instance's orders in delta and in nu for n = 1..6; the deviation farthest from 0 decides."""
    s = settings(ctx)
    ms: list[Measurement] = []
    per_order: dict = {}
    power_ok, notes = True, []
    for order in study.ORDERS:
        stated = order / (order + 1)
        dm, rows, fits = delta_measurements(ctx, order, f"{__name__}:delta_deviation", offset=stated)
        nm = []
        for r in rows:
            fv = r["nu"].fit
            if fv.ok:
                kw = {"kind": r["kind"], "n": r["n"], "seed": r["seed"], "order": order}
                kw["delta_range"] = list(s["delta_range"])
                inst = {**kw, "which": "nu", "decades": round(fv.decades, 1), "dps": r["dps_nu"]}
                nm.append(Measurement(float(fv.order) - order, inst, Replay(f"{__name__}:nu_deviation", kw)))
        for label, fl in (("delta", fits), ("nu", [r["nu"].fit for r in rows])):
            ok, note = power(rows, fl, s["kinds"])
            if not ok:
                power_ok = False
                notes.append(f"order {order} ({label}): {note}")
        ms += dm + nm
        st = order_study(ctx, order)["stencil"]
        f64 = [r["f64"]["order"] for r in rows if r["f64"]["ok"]]
        per_order[str(order)] = {
            "stated_delta_exponent": stated,
            "delta_deviation": {
                "min": min((m.value for m in dm), default=None),
                "max": max((m.value for m in dm), default=None),
            },
            "nu_deviation": {
                "min": min((m.value for m in nm), default=None),
                "max": max((m.value for m in nm), default=None),
            },
            "fewest_decades": min((f.decades for f in fits if f.ok), default=0.0),
            "measured": f"{len(dm)}/{len(rows)} (delta), {len(nm)}/{len(rows)} (nu)",
            "solves": len(st.nodes),
            "w_l1": st.w_l1,
            "float64_measurable": f"{len(f64)}/{len(rows)}",
            "float64_slopes": {"min": min(f64, default=None), "max": max(f64, default=None)},
        }
    ev = {
        "per_order": per_order,
        "delta_grid": list(s["delta_range"]),
        "memory_note": "solves per estimate: n (even n) or n + 1 (odd n); accumulating sum_k w_k phi_k needs two "
        "vectors for any n, so the caption's 'memory times n' is the cost of storing every solution (not scored)",
    }
    data = {"orders": {o: figure_data(ctx, o) for o in study.ORDERS}, "tolerance": MP_RATE_TOL}
    return runners.decide(ctx, STATEMENT, ms, power_ok=power_ok, power_note="; ".join(notes), evidence=ev, data=data)
