r"""The shared runners: from measurements to a status, the same way for every claim.

* :func:`decide` takes the :class:`~bmaml_theory.claims._core.Measurement` s of a claim and keeps the worst under
  the statement's threshold (largest ratio for ``"<="``, smallest value for ``">="``, farthest from the stated value
  for ``"within"``).  It is the only place where a status is decided.
* :func:`run_search` runs a :class:`~bmaml_theory.search.SearchPlan` (the adversarial search of
  :mod:`bmaml_theory.search`) for a claim, :func:`search_evidence` and :func:`search_measurement` report it, and
  :func:`adversarial_upper_bound` does all three over a ratio actual / bound and hands the result to :func:`decide`.
  No claim runs a search itself.

Fail closed: failed evaluations (an exception, a non-finite number) are counted; a claim with failures can be
``violated`` (a refuting measurement that reruns is a refutation whatever else failed) or ``inconclusive``, never
``holds``.  The same holds when the caller says the run lacked power (``power_ok=False``, e.g. too few measurable
instances in a ``--quick`` run); for an empirical statement lack of power also blocks a negative verdict (an
unpowered comparison is inconclusive whatever its sign).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement
from bmaml_theory.search import SearchPlan, SearchResult, SearchSpace, run

__all__ = ["adversarial_upper_bound", "big_o", "decide", "run_search", "search_evidence", "search_measurement"]


def _fmt(v: float) -> str:
    return "inf" if v == math.inf else f"{v:.6g}"


def decide(
    ctx: Context,
    st: Statement,
    measurements: Sequence[Measurement],
    *,
    failures: int = 0,
    failure_examples: Sequence[str] = (),
    power_ok: bool = True,
    power_note: str = "",
    evidence: dict | None = None,
    data: dict | None = None,
) -> ClaimResult:
    r"""Status of ``st`` from its measurements: the worst one decides.

    When the worst measurement fails the threshold and carries a :class:`Replay`, the status is the statement's
    :attr:`~bmaml_theory.claims._core.Statement.failing_status`: ``violated`` (a refutation or a slip, as the
    statement declares), ``scope`` for a scope row, ``not-reproduced`` for an empirical statement whose settings the
    paper does not give.  ``holds`` when every measurement passes, none failed and ``power_ok``; ``inconclusive``
    otherwise.  A NaN value counts as a failure; ``+inf`` is an unbounded measurement (``measured`` null,
    ``unbounded`` true).

    The power gate acts in both directions for an empirical statement (``kind == "empirical"``): without power
    (``power_ok=False``: too few seeds, an interval that straddles the margin, arms that did not learn) the result
    is ``inconclusive`` whether the comparison passes or fails.  For a mathematical statement a failing measurement
    that reruns refutes it whatever the search's power; ``power_ok=False`` then only blocks ``holds``.
    """
    evidence = dict(evidence or {})
    thr, tol = st.threshold, st.tolerance.value
    nan = [m for m in measurements if not (math.isfinite(m.value) or m.value == math.inf)]
    valid = [m for m in measurements if math.isfinite(m.value) or m.value == math.inf]
    failures = int(failures) + len(nan)
    evidence["measurements"] = len(valid)
    evidence["failures"] = failures
    if failure_examples or nan:
        evidence["failure_examples"] = [
            *list(failure_examples)[:5],
            *[f"non-finite value at {m.instance}" for m in nan[:3]],
        ]
    if not valid:
        return ClaimResult(
            st,
            "inconclusive",
            None,
            decision="inconclusive: no valid measurement" + (f" ({failures} failed evaluations)" if failures else ""),
            evidence=evidence,
            data=data or {},
        )
    worst = max(valid, key=lambda m: thr.badness(m.value))
    unbounded = worst.value == math.inf
    measured = None if unbounded else float(worst.value)
    ok = thr.satisfied(worst.value, tol)
    evidence["worst_instance"] = worst.instance
    counterexample = None
    if not ok and st.kind == "empirical" and not power_ok:
        status = "inconclusive"
        decision = (
            f"inconclusive: worst {_fmt(worst.value)} fails {thr.describe()}, but the run lacks power: {power_note} "
            "(an unpowered empirical comparison is not evidence either way)"
        )
    elif not ok:
        if worst.replay is None:
            status = "inconclusive"
            decision = (
                f"inconclusive: the worst measurement {_fmt(worst.value)} fails {thr.describe()} but has no replay"
            )
        else:
            status = st.failing_status
            decision = f"{status}: worst {_fmt(worst.value)} fails {thr.describe()} (tolerance {tol:.3g})"
            counterexample = {
                "instance": worst.instance,
                "replay": worst.replay.to_json(),
                "value": measured,
                "unbounded": unbounded,
            }
    elif failures:
        status = "inconclusive"
        decision = f"inconclusive: worst {_fmt(worst.value)} passes, but {failures} evaluations failed (fail closed)"
    elif not power_ok:
        status = "inconclusive"
        decision = f"inconclusive: worst {_fmt(worst.value)} passes, but the run lacks power: {power_note}"
    else:
        status = "holds"
        decision = f"holds: worst {_fmt(worst.value)} satisfies {thr.describe()} (tolerance {tol:.3g})"
    return ClaimResult(
        st,
        status,
        measured,
        unbounded=unbounded,
        decision=decision,
        evidence=evidence,
        counterexample=counterexample,
        data=data or {},
    )


# --- the O(.) runner -------------------------------------------------------------------------------------------------
# An O(.) statement hides a universal constant; it is refuted only when NO constant works.  Criteria fixed before any
# run, with their reasons:
GROWTH_MIN_POINTS = 4  # a slope from fewer points has no usable standard error
GROWTH_MIN_SLOPE = 0.5  # a bounded ratio has log-log slope -> 0 along any family; we ask for a clear positive one
GROWTH_SE_FACTOR = 3.0  # the slope must exceed GROWTH_MIN_SLOPE by 3 standard errors (no borderline fits)


def _growth_fit(growth: Sequence[tuple[float, Measurement]]) -> dict[str, Any]:
    """Log-log fit of the ratio against the family parameter (:func:`bmaml_theory.rates.fit_power_law`, the package's
    one rate fit) and the growth verdict."""
    from bmaml_theory.rates import fit_power_law

    params = np.array([float(t) for t, _ in growth])
    vals = np.array([float(m.value) for _, m in growth])
    fit: dict[str, Any] = {"parameters": params.tolist(), "ratios": vals.tolist(), "unbounded": False}
    if len(growth) < GROWTH_MIN_POINTS or not (np.all(np.isfinite(vals)) and np.all(vals > 0) and np.all(params > 0)):
        fit["why_not"] = f"need >= {GROWTH_MIN_POINTS} finite positive points"
        return fit
    order = np.argsort(params)
    params, vals = params[order], vals[order]
    lr = fit_power_law(params, vals)
    fit.update(slope=lr.exponent, slope_stderr=lr.stderr)
    increasing = bool(np.all(np.diff(vals) > 0))
    steep = lr.exponent - GROWTH_SE_FACTOR * lr.stderr >= GROWTH_MIN_SLOPE
    fit["unbounded"] = bool(increasing and steep)
    if not fit["unbounded"]:
        fit["why_not"] = "not strictly increasing" if not increasing else "slope not clearly positive"
    return fit


def big_o(
    ctx: Context,
    st: Statement,
    measurements: Sequence[Measurement],
    *,
    growth: Sequence[tuple[float, Measurement]] = (),
    growth_parameter: str = "",
    failures: int = 0,
    failure_examples: Sequence[str] = (),
    power_ok: bool = True,
    power_note: str = "",
    evidence: dict | None = None,
    data: dict | None = None,
) -> ClaimResult:
    r"""Decide an :math:`O(\cdot)` statement: ``ratio = actual / printed rate``, threshold = the derivation's constant.

    * ``holds``: the worst ratio is at most the derived constant ``st.threshold.value`` (+ tolerance), no failures,
      ``power_ok``; a finite sup ratio supports an :math:`O(\cdot)` (the constant it hides is then at most that).
    * ``violated`` (no universal constant works), two ways, each with a counterexample that reruns:
      a measurement of ``+inf`` with a replay (e.g. the algorithm provably never reaches eps: a 2-cycle), or a
      ``growth`` family ``[(t, Measurement), ...]`` inside the class whose ratio grows without bound in ``t``
      (strictly increasing, log-log slope >= ``GROWTH_MIN_SLOPE`` by ``GROWTH_SE_FACTOR`` standard errors, at least
      ``GROWTH_MIN_POINTS`` points); then ``measured`` is null with ``unbounded`` true, the fit is in
      ``evidence['growth']`` and the counterexample is the family's last member (its finite ratio reruns).
    * ``inconclusive``: a finite worst ratio above the derived constant without unbounded growth (a constant may
      still exist, larger than the derivation's), or any failure or lack of power.
    """
    evidence = dict(evidence or {})
    fit = _growth_fit(growth) if growth else None
    if fit is not None:
        evidence["growth"] = {"parameter": growth_parameter, **fit}
    if any(m.value == math.inf and m.replay is not None for m in measurements):
        return decide(
            ctx,
            st,
            measurements,
            failures=failures,
            failure_examples=failure_examples,
            power_ok=power_ok,
            power_note=power_note,
            evidence=evidence,
            data=data,
        )
    if fit is not None and fit["unbounded"]:
        t_last, m_last = max(growth, key=lambda tm: tm[0])
        if m_last.replay is None:
            raise ValueError("every member of a growth family needs a Replay (the counterexample must rerun)")
        base = decide(ctx, st, measurements, failures=failures, failure_examples=failure_examples, evidence=evidence)
        return ClaimResult(
            st,
            st.failing_status,
            None,
            unbounded=True,
            decision=f"{st.failing_status}: the ratio grows without bound in {growth_parameter or 'the family parameter'} "
            f"(log-log slope {fit['slope']:.3g} +- {fit['slope_stderr']:.2g}, up to {_fmt(m_last.value)} at "
            f"{growth_parameter or 't'} = {t_last:.6g}): no universal constant works",
            evidence=base.evidence,
            counterexample={
                "instance": {**m_last.instance, (growth_parameter or "t"): t_last},
                "replay": m_last.replay.to_json(),
                "value": float(m_last.value),
                "unbounded": False,
                "family": [
                    {"t": t, "value": float(m.value), "replay": m.replay.to_json() if m.replay else None}
                    for t, m in sorted(growth, key=lambda tm: tm[0])
                ],
            },
            data=data or {},
        )
    r = decide(
        ctx,
        st,
        measurements,
        failures=failures,
        failure_examples=failure_examples,
        power_ok=power_ok,
        power_note=power_note,
        evidence=evidence,
        data=data,
    )
    if r.status in ("violated", "scope"):
        r.status = "inconclusive"
        r.counterexample = None
        r.decision = (
            f"inconclusive: worst {_fmt(r.measured if r.measured is not None else math.inf)} exceeds the derived "
            f"constant {st.threshold.value:.6g}, but no unbounded growth was shown (an O(.) fails only when no "
            "constant works)"
        )
    return r


# --- the adversarial runner ----------------------------------------------------------------------------------------
# Search power: a search must find the extremal instances on its own.  The target, fixed before any run: the worst
# ratio from random starts alone reaches 0.9 x the derivation's extremal ratio.  It is reported, never used to pick a
# seed or a budget after the fact; a search below it keeps its verdict (the pinned start and the derivation carry it)
# and says so in ``evidence['search']['power_met']``.
POWER_TARGET = 0.9


def _fingerprint(ratio: Callable, space: SearchSpace, plan: SearchPlan) -> str:
    """What makes a search: the ratio, the space and the plan (pins included, by content)."""
    import hashlib

    h = hashlib.sha256()
    for q in plan.pins:
        h.update(np.ascontiguousarray(q, dtype=np.float64).tobytes())
        h.update(b"|")
    extras = sorted(getattr(space, "extras", {}).items())
    return (
        f"search:{ratio.__module__}:{getattr(ratio, '__name__', repr(ratio))}:{type(space).__name__}:{space.describe()}"
        f":{extras}:{sorted(plan.settings().items())}:{h.hexdigest()}"
    )


def run_search(
    ctx: Context, ratio: Callable[[np.ndarray], float | None], space: SearchSpace, plan: SearchPlan
) -> SearchResult:
    r"""Run ``plan`` (:func:`bmaml_theory.search.run`, one process: claim groups already run in parallel) for a
    claim, with the run's deadline (``ctx.check_time``).  The result is shared through ``ctx.cached`` under the
    search's own content (ratio, space, plan): two claims that ask for the same search get one run, and a claim
    that asks for a different one never reads another's."""
    if not isinstance(plan, SearchPlan):
        raise TypeError(f"plan must be a bmaml_theory.search.SearchPlan, got {type(plan).__name__}.")

    def go() -> SearchResult:
        ctx.progress(f"search {getattr(ratio, '__name__', 'ratio')}")
        return run(ratio, space, plan, jobs=1, check_time=ctx.check_time)

    return ctx.cached(_fingerprint(ratio, space, plan), go)


def search_measurement(
    space: SearchSpace, res: SearchResult, ratio: Callable, describe: Callable | None = None
) -> list[Measurement]:
    """The worst of a search as a :class:`Measurement` replaying ``ratio(p=encoding)``, its instance
    ``space.instance_dict`` (empty when no evaluation gave a ratio)."""
    if res.worst is None or res.worst_encoding is None:
        return []
    p = np.asarray(res.worst_encoding, dtype=np.float64)
    instance = {**space.instance_dict(p), **(describe(p) if describe is not None else {})}
    return [Measurement(float(res.worst), instance, Replay(f"{ratio.__module__}:{ratio.__name__}", {"p": p.tolist()}))]


def search_evidence(space: SearchSpace, res: SearchResult, *, starts: int, budget: int, extremal: float | None) -> dict:
    """``evidence['search']``: method, counts, the worst from random starts alone (``unpinned_worst``) beside the
    pinned start's and the derivation's ``extremal`` ratio, and ``power = unpinned_worst / extremal``."""
    s = res.summary()
    s.pop("worst_encoding", None)
    power = None
    if extremal is not None and s["unpinned_worst"] is not None and extremal > 0:
        power = float(s["unpinned_worst"]) / float(extremal)
    return {
        "method": f"CMA-ES (cma) from {starts} random starts (structure and z drawn at random) with successive "
        f"halving, {budget} evaluations in all, + {s['pins']} pinned extremal start(s); class: {space.describe()}",
        **s,
        "extremal": extremal,
        "power": power,
        "power_target": POWER_TARGET,
        "power_met": None if power is None else bool(power >= POWER_TARGET),
    }


def adversarial_upper_bound(
    ctx: Context,
    st: Statement,
    *,
    ratio: Callable[[np.ndarray], float | None],
    space: SearchSpace,
    plan: SearchPlan,
    extremal: float | None = None,
    describe: Callable[[np.ndarray], dict] | None = None,
    evidence: dict | None = None,
    data: dict | None = None,
) -> ClaimResult:
    r"""Maximise ``ratio(p)`` = actual / bound over ``space`` as ``plan`` says (:func:`run_search`) and decide ``st``
    with :func:`decide`.

    ``ratio`` is a public module-level function of the encoding ``p`` (the counterexample's replay); ``None`` means
    outside the measurable class (skipped), an exception or a non-finite value is a failure (fail closed).  The
    plan's pins are a derivation's extremal encodings (``space.encode(...)``): the evidence reports the worst from
    random starts alone beside them and ``extremal`` (the derivation's sup), so the search's power shows.
    """
    name = getattr(ratio, "__name__", "")
    if not name or name.startswith("<"):
        raise ValueError("ratio must be a module-level function (its name is the counterexample's replay)")
    res = run_search(ctx, ratio, space, plan)
    budget = plan.budget + (0 if plan.pin_budget is None or not plan.pins else plan.pin_budget)
    ev = {
        "search": search_evidence(space, res, starts=plan.starts, budget=budget, extremal=extremal),
        **(evidence or {}),
    }
    ms = search_measurement(space, res, ratio, describe)
    return decide(ctx, st, ms, failures=res.failures, failure_examples=res.failure_examples, evidence=ev, data=data)
