"""The claims layer's decisions (schema 3): fail closed, can fail, typed, and the finding taxonomy."""

from __future__ import annotations

import math

import canfail_targets  # noqa: F401  (registers the replay functions these tests name)
import pytest

from bmaml_theory.claims import (
    REGISTRY,
    Context,
    Measurement,
    Replay,
    Statement,
    Threshold,
    Tolerance,
    run_claim,
    runners,
)
from bmaml_theory.claims._core import ClaimResult, claim
from bmaml_theory.search import SearchPlan


def _st(kind: str = "upper_bound", thr: Threshold | None = None, tol: float = 1e-6, **kw) -> Statement:
    return Statement(
        id=kw.pop("id", "test-claim"),
        source="a test",
        statement="a printed statement",
        form="a form",
        assumptions="none",
        kind=kind,
        measure="a number",
        threshold=thr or Threshold(1.0, "<="),
        tolerance=Tolerance(tol, "a reason"),
        **kw,
    )


def _m(v: float, replay: bool = True) -> Measurement:
    return Measurement(v, {"v": v}, Replay("canfail_targets:exponent_of", {"slope": v}) if replay else None)


CTX = Context(quick=True)


@pytest.mark.parametrize(
    ("comparison", "values", "status", "measured"),
    [
        ("<=", [0.5, 0.99], "holds", 0.99),
        ("<=", [0.5, 1.5, 1.2], "violated", 1.5),
        (">=", [1.5, 1.01], "holds", 1.01),
        (">=", [1.5, 0.2], "violated", 0.2),
        ("within", [0.98, 1.03], "holds", 1.03),
        ("within", [0.98, 1.2, 0.9], "violated", 1.2),
    ],
)
def test_decide_keeps_the_worst_measurement(comparison, values, status, measured):
    r = runners.decide(CTX, _st(thr=Threshold(1.0, comparison), tol=0.05), [_m(v) for v in values])
    assert r.status == status
    assert r.measured == measured
    if status == "violated":
        assert Replay(**r.counterexample["replay"]).run() == measured


def test_decide_fails_closed():
    st = _st()
    assert runners.decide(CTX, st, [_m(0.5)], failures=1).status == "inconclusive"
    assert runners.decide(CTX, st, [_m(0.5), _m(float("nan"))]).status == "inconclusive"
    assert runners.decide(CTX, st, []).status == "inconclusive"
    assert runners.decide(CTX, st, [_m(0.5)], power_ok=False, power_note="too few").status == "inconclusive"
    # a refuting measurement is a refutation whatever else failed, but only with a replay
    assert runners.decide(CTX, st, [_m(2.0)], failures=3).status == "violated"
    assert runners.decide(CTX, st, [_m(2.0, replay=False)]).status == "inconclusive"


def test_unbounded_measurement_is_null_with_a_flag():
    r = runners.decide(CTX, _st(), [_m(3.0), _m(math.inf)])
    assert (r.status, r.measured, r.unbounded) == ("violated", None, True)
    j = r.to_json()
    assert j["measured"] is None and j["unbounded"] is True and j["counterexample"]["unbounded"] is True


def test_empirical_without_settings_reads_not_reproduced():
    st = _st("empirical", Threshold(0.0, "<="), tol=0.0, settings_given=False)
    assert runners.decide(CTX, st, [_m(1.0)]).status == "not-reproduced"
    st2 = _st("empirical", Threshold(0.0, "<="), tol=0.0, settings_given=True)
    assert runners.decide(CTX, st2, [_m(1.0)]).status == "violated"
    with pytest.raises(ValueError, match="not-reproduced"):
        ClaimResult(_st(), "not-reproduced", 1.0)


@pytest.mark.parametrize(
    ("value", "power_ok", "status"),
    [
        (-0.10, True, "not-reproduced"),  # powered, failing: the sentence is not reproduced
        (-0.10, False, "inconclusive"),  # unpowered (or arms that did not learn), failing: not evidence
        (0.02, True, "holds"),  # powered, passing
        (0.02, False, "inconclusive"),  # unpowered, passing
    ],
)
def test_power_gate_acts_in_both_directions_for_empirical_rows(value, power_ok, status):
    """An empirical comparison 'acc difference >= -0.05' decides only with power, whatever its sign."""
    st = _st("empirical", Threshold(-0.05, ">="), tol=0.0, settings_given=False)
    r = runners.decide(CTX, st, [_m(value)], power_ok=power_ok, power_note="too few seeds")
    assert r.status == status, r.decision
    assert (r.counterexample is not None) == (status == "not-reproduced")
    assert r.category is None  # not-reproduced is counted apart from the three kinds of finding
    if not power_ok:
        assert "lacks power" in r.decision and "too few seeds" in r.decision
    # with the paper's settings given, a powered failure is a refutation; unpowered it is still inconclusive
    st2 = _st("empirical", Threshold(-0.05, ">="), tol=0.0, settings_given=True)
    r2 = runners.decide(CTX, st2, [_m(value)], power_ok=power_ok)
    assert r2.status == {"not-reproduced": "violated"}.get(status, status)


def test_power_gate_blocks_only_holds_for_mathematical_rows():
    """A replayable counterexample to a mathematical statement refutes it whatever the search's power."""
    r = runners.decide(CTX, _st(), [_m(2.0)], power_ok=False, power_note="few starts")
    assert (r.status, r.category) == ("violated", "refutation")
    assert runners.decide(CTX, _st(), [_m(0.5)], power_ok=False, power_note="few starts").status == "inconclusive"


def test_category_is_declared_by_the_statement_and_shown_only_for_findings():
    slip = _st(id="test-slip", category="slip", intended="test-claim")
    scope = _st(id="test-scope", category="scope")
    r = runners.decide(CTX, slip, [_m(2.0)])
    assert (r.status, r.category, r.to_json()["intended"]) == ("violated", "slip", "test-claim")
    r = runners.decide(CTX, scope, [_m(2.0)])
    assert (r.status, r.category) == ("scope", "scope") and r.counterexample is not None
    j = r.to_json()
    assert (j["status"], j["category"], j["intended"]) == ("scope", "scope", None)
    for st in (_st(), slip, scope):  # holds and inconclusive carry no category
        assert runners.decide(CTX, st, [_m(0.5)]).category is None
        assert runners.decide(CTX, st, [_m(2.0, replay=False)]).category is None
    # an O(.) whose ratio only exceeds the derived constant is inconclusive for a scope row too
    assert runners.big_o(CTX, scope, [_m(2.0)]).status == "inconclusive"


def test_category_validation():
    with pytest.raises(ValueError, match="category"):
        _st(category="typo")
    with pytest.raises(ValueError, match="intended"):
        _st(category="slip")  # a slip must name its intended row
    with pytest.raises(ValueError, match="intended"):
        _st(intended="other-row")  # only a slip names one
    with pytest.raises(ValueError, match="not-reproduced"):
        _st("empirical", category="slip", intended="x", settings_given=False)
    with pytest.raises(ValueError, match="scope"):
        ClaimResult(_st(), "scope", 2.0)
    with pytest.raises(ValueError, match="scope"):
        ClaimResult(_st(category="scope"), "violated", 2.0)


def test_every_slip_names_a_registered_intended_row():
    for cid, spec in REGISTRY.items():
        st = spec.statement
        if st.category == "slip":
            assert st.intended in REGISTRY and st.intended != cid, (cid, st.intended)
            assert REGISTRY[st.intended].statement.category == "refutation", (cid, st.intended)


@pytest.fixture
def temp_claims():
    added: list[str] = []

    def add(st: Statement, fn):
        claim(st)(fn)
        added.append(st.id)

    yield add
    for cid in added:
        REGISTRY.pop(cid, None)


def test_run_claim_fails_closed(temp_claims):
    def boom(ctx):
        raise ZeroDivisionError("a bound divided by zero")

    def liar(ctx):
        return ClaimResult(_st(id="test-liar"), "violated", 2.0)  # violated without a counterexample

    temp_claims(_st(id="test-boom"), boom)
    temp_claims(_st(id="test-liar"), liar)
    r = run_claim("test-boom")
    assert r.status == "inconclusive" and "ZeroDivisionError" in r.error
    assert r.provenance["seconds"] >= 0 and r.provenance["package_version"]
    r2 = run_claim("test-liar")
    assert r2.status == "inconclusive" and "counterexample" in r2.error

    def scope_liar(ctx):
        return ClaimResult(_st(id="test-scope-liar", category="scope"), "scope", 2.0)  # no counterexample

    temp_claims(_st(id="test-scope-liar", category="scope"), scope_liar)
    r3 = run_claim("test-scope-liar")
    assert r3.status == "inconclusive" and r3.category is None and "counterexample" in r3.error


def test_run_claim_unknown_id_suggests(temp_claims):
    temp_claims(_st(id="test-known"), lambda ctx: None)
    with pytest.raises(KeyError, match="did you mean test-known"):
        run_claim("test-knwon")


def test_statement_validation():
    with pytest.raises(ValueError, match="comparison"):
        Threshold(1.0, "<")
    with pytest.raises(ValueError, match="reason"):
        Tolerance(0.1, " ")
    with pytest.raises(ValueError, match="kind"):
        _st(kind="theorem")
    with pytest.raises(ValueError, match="finite"):
        ClaimResult(_st(), "holds", float("inf"))


def test_adversarial_runner_can_fail_reports_power_and_reruns():
    import canfail_targets as t

    sp = t._space()
    r = runners.adversarial_upper_bound(
        CTX, _st(), ratio=t.space_ratio_wrong, space=sp, plan=SearchPlan(starts=4, budget=400, seed=3), extremal=2.0
    )
    assert r.status == "violated"
    assert 1.9 < r.measured < 2.0  # sup 2 * 100n / (1 + 100n) <= 2 * 300 / 301 on the box [-10, 10]
    assert Replay(**r.counterexample["replay"]).run() == pytest.approx(r.measured, rel=1e-12)
    s = r.evidence["search"]
    assert s["pins"] == 0 and s["unpinned_worst"] == pytest.approx(r.measured)
    assert s["power"] == pytest.approx(r.measured / 2.0) and s["power_met"] is True
    ok = runners.adversarial_upper_bound(
        CTX, _st(), ratio=t.space_ratio_right, space=sp, plan=SearchPlan(starts=4, budget=400, seed=3)
    )
    assert ok.status == "holds" and ok.evidence["search"]["failures"] == 0
    assert ok.evidence["search"]["power"] is None  # no extremal given: no power claimed


def test_adversarial_runner_fails_closed():
    import canfail_targets as t

    r = runners.adversarial_upper_bound(
        CTX, _st(), ratio=t.space_ratio_nan, space=t._space(), plan=SearchPlan(starts=4, budget=200, seed=CTX.seed)
    )
    assert r.status == "inconclusive"
    assert r.evidence["search"]["failures"] > 0
    with pytest.raises(ValueError, match="module-level"):
        runners.adversarial_upper_bound(
            CTX, _st(), ratio=lambda p: 0.0, space=t._space(), plan=SearchPlan(starts=1, budget=10, seed=0)
        )


def test_run_search_is_shared_by_content_never_by_name():
    """Two claims asking for the same search (ratio, space, plan) get one run; a different seed or ratio never reads
    another search's result (the cache is keyed by the search itself, so no claim depends on another's key)."""
    import canfail_targets as t

    ctx = Context(quick=True)
    sp = t._space()
    plan = SearchPlan(starts=2, budget=40, seed=1, rungs=1)
    a = runners.run_search(ctx, t.space_ratio_right, sp, plan)
    assert runners.run_search(ctx, t.space_ratio_right, sp, SearchPlan(starts=2, budget=40, seed=1, rungs=1)) is a
    b = runners.run_search(ctx, t.space_ratio_right, sp, plan.reseeded(1))
    assert b is not a and b.runs[0].start.tolist() != a.runs[0].start.tolist()
    assert runners.run_search(ctx, t.space_ratio_wrong, sp, plan) is not a
    with pytest.raises(TypeError, match="SearchPlan"):
        runners.run_search(ctx, t.space_ratio_right, sp, {"starts": 2})
