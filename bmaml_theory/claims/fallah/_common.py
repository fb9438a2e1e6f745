r"""Shared helpers of the Fallah, Mokhtari & Ozdaglar claims: CMA-ES searches over the stochastic family and the
Monte Carlo decision.

The searches run :func:`bmaml_theory.search.maximize` (CMA-ES from random starts, successive halving) over
:class:`bmaml_theory.search.StochasticSpace`; :func:`mc_decide` turns Monte Carlo ratios with confidence
intervals into a status (violated only when a whole CI is on the wrong side, inconclusive when one straddles).
"""

from __future__ import annotations

from bmaml_theory.search import SearchPlan

# --- searches over the stochastic family and Monte Carlo decisions ---------------------------------------------------
# CMA-ES (bmaml_theory.search) from random starts over StochasticSpace.  Sizes fixed from the group's
# time budget (45 s single-core for every fallah claim), never from an outcome.
CMA_STARTS = {"default": 12, "quick": 4}
CMA_BUDGET = {"default": 2400, "quick": 480}
MC_LEVEL = 0.99  # every Monte Carlo CI is a 99% normal interval (mc_mean), fixed before any run


def plan(ctx, *, pins=(), scale: float = 1.0) -> SearchPlan:
    """CMA-ES from :data:`CMA_STARTS` random starts (seeded by ``ctx.seed``) plus ``pins``, the engine's default
    halving and step.  ``scale`` multiplies the budget (a claim whose evaluations are costly uses less, fixed from the
    time budget).  Run it with :func:`bmaml_theory.claims.runners.run_search`."""
    size = "quick" if ctx.quick else "default"
    return SearchPlan(starts=CMA_STARTS[size], budget=int(CMA_BUDGET[size] * scale), seed=ctx.seed, pins=tuple(pins))


def search_evidence(res, pins: int, extremal: float | None = None, space=None) -> dict:
    """``evidence.search``: the worst from random starts alone beside the pinned start's and the derivation's
    ``extremal`` ratio, ``power = unpinned_worst / extremal`` against ``runners.POWER_TARGET`` (the fields of
    ``runners.search_evidence``, with a description of the stochastic class), and the counts."""
    from bmaml_theory.claims.runners import POWER_TARGET

    ref = extremal if extremal is not None else res.pinned_worst
    power = res.unpinned_worst / ref if res.unpinned_worst is not None and ref else None
    cls = ""
    if space is not None:
        cls = (
            f"; class: StochasticSpace, M in {list(space.M)}, n in {list(space.n)}, box [-{space.box:g}, {space.box:g}]"
        )
    return {
        "method": "CMA-ES (cma) from random starts (structure and z drawn at random) with successive halving"
        + (f", + {pins} pinned extremal start(s)" if pins else "")
        + cls,
        "unpinned_worst": res.unpinned_worst,
        "pinned_worst": res.pinned_worst,
        "worst": res.worst,
        "extremal": extremal,
        "power": power,
        "power_reference": "extremal" if extremal is not None else ("pinned_worst" if power is not None else None),
        "power_target": POWER_TARGET,
        "power_met": None if power is None else bool(power >= POWER_TARGET),
        "evaluations": res.evaluations,
        "failures": res.failures,
        "skipped": res.skipped,
        "failure_examples": res.failure_examples,
    }


def mc_row(low: float, mean: float, high: float, instance: dict, replay) -> dict:
    """One Monte Carlo ratio: its CI [low, high] around ``mean``; ``replay`` recomputes ``low``."""
    return {"low": float(low), "mean": float(mean), "high": float(high), "instance": instance, "replay": replay}


def mc_decide(ctx, st, rows, *, failures: int = 0, failure_examples=(), evidence=None, data=None):
    r"""Decide a ``<=`` statement from Monte Carlo ratios with CIs: ``violated`` only when a whole CI lies above the
    threshold (the measurement's value is the CI's LOWER end, which its replay recomputes); ``inconclusive`` when a
    CI straddles it (its upper end above, lower end below); ``holds`` when every CI lies below."""
    from bmaml_theory.claims import runners
    from bmaml_theory.claims._core import Measurement

    thr = st.threshold.value + st.tolerance.value
    ms = [
        Measurement(r["low"], r["instance"] | {"ci": [r["low"], r["high"]], "mean": r["mean"]}, r["replay"])
        for r in rows
    ]
    straddle = [r for r in rows if r["high"] > thr >= r["low"]]
    ev = dict(evidence or {})
    ev["monte_carlo"] = [{k: r[k] for k in ("low", "mean", "high")} for r in rows]
    ev["ci_level"] = MC_LEVEL
    worst = max(rows, key=lambda r: r["high"]) if rows else None
    if worst is not None:
        ev["worst_ci"] = {k: worst[k] for k in ("low", "mean", "high")}
    r = runners.decide(
        ctx,
        st,
        ms,
        failures=failures,
        failure_examples=failure_examples,
        power_ok=not straddle,
        power_note=f"{len(straddle)} Monte Carlo CI(s) straddle the threshold (e.g. [{straddle[0]['low']:.4g}, "
        f"{straddle[0]['high']:.4g}])"
        if straddle
        else "",
        evidence=ev,
        data=data,
    )
    if worst is not None:
        r.decision += (
            f"; worst Monte Carlo ratio: mean {worst['mean']:.5g}, {MC_LEVEL:.0%} CI [{worst['low']:.5g}, "
            f"{worst['high']:.5g}] (holds rests on the upper end, violated on the lower)"
        )
    return r


def note_unmeasured_power(result, parts) -> object:
    """Append to the decision which searches have no derived extremal (their power cannot be measured)."""
    if parts:
        result.decision += "; search power unmeasured for " + ", ".join(parts)
    return result
