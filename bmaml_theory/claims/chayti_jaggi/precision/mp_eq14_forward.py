r"""mp-eq14-forward: eq. (14) of Chayti & Jaggi for the forward estimator, at arbitrary precision over tens of decades.

**As printed** (Section 3, eq. (14)): "minimizing for nu we get that for nu^For ~ sqrt(delta) and nu^Sym ~ delta^(1/3)
we get: ||grad F_i(theta) - g~^For_{i,nu}(theta)|| = O(lam sqrt(delta)) and ||grad F_i(theta) - g~^Sym_{i,nu}(theta)||
= O(lam delta^(2/3))".  Claim ``eq14-forward`` checks the same rate in float64, where only a few decades of delta lie
between the truncation error and the round-off floor.

**Standing assumptions.**  Solutions satisfying (13); (9) well-defined near nu = 0; quadratic tasks with lam = 2 Lhat1
and 20 Lhat1 (Section 4's lam >= 2 Lhat1).

**What is measured and why.**  Task 0 of a family of every kind, in every dimension of the run, converted exactly to
mpmath (:mod:`bmaml_theory.precision`).  For each delta (one every 4 decades from 1e-4), the adversarial errors
e_k = sign(w_k) delta u (the worst case of (13), attained) and the bias-minimising nu (scan, then golden section);
the order is the log-log slope over the window where the best nu is bracketed, nu rho max|t_k| <= 1e-2 and the bias
is > 100x the round-off estimate, which must span >= 20 decades.  The farthest slope from 1/2 decides.

**Tolerance** 0.01 (``_common.MP_RATE_TOL``), fixed before the fit: round-off lies out of the window by construction,
so only the pre-asymptotic end (~1e-2 at the window's top, geometrically less below) moves the slope.
"""

from __future__ import annotations

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.precision._common import (
    ASSUMPTIONS,
    FIGURE,
    GROUP,
    MP_RATE_TOL,
    MP_RATE_TOL_REASON,
    SOURCE,
    delta_measurements,
    figure_data,
    power,
    row_summary,
    settings,
)

ORDER = 1  # the forward stencil of eq. (10) is the order-1 stencil

STATEMENT = Statement(
    id="mp-eq14-forward",
    source=f"{SOURCE}, Section 3, eq. (14)",
    statement="minimizing for nu we get that for nu^For ~ sqrt(delta) and nu^Sym ~ delta^(1/3) we get: "
    "||grad F_i(theta) - g~^For_{i,nu}(theta)|| = O(lam sqrt(delta)) and ||grad F_i(theta) - g~^Sym_{i,nu}(theta)|| "
    "= O(lam delta^(2/3))",
    form="the O(lam delta^(1/2)) rate of eq. (14) for the forward estimator at the best nu under worst-case "
    "(adversarial) errors, over >= 20 decades of delta at arbitrary precision",
    assumptions=ASSUMPTIONS,
    kind="rate",
    measure="fitted exponent in delta of min over nu of the worst-case bias of the forward estimator, farthest from "
    "1/2 over the instances (dimensionless)",
    threshold=Threshold(0.5, "within"),
    tolerance=Tolerance(MP_RATE_TOL, MP_RATE_TOL_REASON),
    figure=FIGURE,
    group=GROUP,
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Fit each instance's order in delta at high precision; the farthest from 1/2 decides."""
    ms, rows, fits = delta_measurements(ctx, ORDER, "bmaml_theory.studies.precision:delta_order")
    ok, note = power(rows, fits, settings(ctx)["kinds"])
    ev = {
        "instances": len(rows),
        "measured_instances": len(ms),
        "fewest_decades": min((f.decades for f in fits if f.ok), default=0.0),
        "per_instance": [row_summary(r) for r in rows],
        "delta_grid": list(settings(ctx)["delta_range"]),
        "model": "adversarial errors of norm delta (the worst case of (13)), best nu by scan + golden section",
    }
    return runners.decide(ctx, STATEMENT, ms, power_ok=ok, power_note=note, evidence=ev, data=figure_data(ctx, ORDER))
