r"""Shared check of Section 3's optimal-:math:`\nu` scalings (:mod:`.nu_forward_scaling`, :mod:`.nu_symmetric_scaling`).

The measurement reuses the arbitrary-precision order studies of ``mp-eq14-forward`` / ``mp-eq14-symmetric`` (cached
in the group, so the rows cost nothing extra): for each instance the best :math:`\nu` per :math:`\delta` (scan +
golden section under the worst-case errors of (13)) is fitted against :math:`\delta` over the same window as the bias
fit (:func:`bmaml_theory.studies.precision.best_nu_exponent`).
"""

from __future__ import annotations

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement
from bmaml_theory.claims.chayti_jaggi.precision._common import order_study, power, settings
from bmaml_theory.studies import precision as study


def check_scaling(ctx: Context, st: Statement, order: int) -> ClaimResult:
    """Fitted exponent of the best nu in delta per instance; the farthest from the stated one decides."""
    s = settings(ctx)
    rows = order_study(ctx, order)["rows"]
    fits = [r["delta"].fit for r in rows]
    ms, per = [], []
    for r in rows:
        e = study.best_nu_exponent(r["delta"])
        per.append(
            {
                "kind": r["kind"],
                "n": r["n"],
                "nu_exponent": None if e is None else e[0],
                "stderr": None if e is None else e[1],
            }
        )
        if e is None:
            continue
        kw = {"kind": r["kind"], "n": r["n"], "seed": r["seed"], "order": order, "delta_range": list(s["delta_range"])}
        ms.append(Measurement(e[0], {**kw, "stderr": e[1]}, Replay("bmaml_theory.studies.precision:nu_exponent", kw)))
    ok, note = power(rows, fits, s["kinds"])
    return runners.decide(
        ctx,
        st,
        ms,
        power_ok=ok,
        power_note=note,
        evidence={
            "per_instance": per,
            "reuses": f"the order-{order} arbitrary-precision study of mp-eq14 (same instances, deltas and window)",
            "delta_grid": list(s["delta_range"]),
        },
    )
