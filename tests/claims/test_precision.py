"""Arbitrary-precision claims (eq. 14 and Table 1 in mpmath): quick statuses, pinned exponents, replays, can-fail."""

from __future__ import annotations

import dataclasses

import pytest

from bmaml_theory.claims import Context, Replay, Threshold, runners
from bmaml_theory.claims.chayti_jaggi.precision import _common, mp_eq14_forward, table1_order_n
from bmaml_theory.studies import precision as study

IDS = ["mp-eq14-forward", "mp-eq14-symmetric", "table1-order-n"]


@pytest.fixture(scope="module")
def results(quick_run):
    return quick_run.pick(IDS)  # the session's one quick run (tests/conftest.py)


@pytest.mark.parametrize("cid", IDS)
def test_quick_status_holds(results, cid):
    r = results[cid]
    assert r.error is None, r.error
    assert r.status == "holds", r.decision


def test_exponents_are_the_stated_ones_to_1e_3(results):
    """The derivation predicts n/(n+1) exactly in the limit; at high precision the fits sit far inside 0.01."""
    assert results["mp-eq14-forward"].measured == pytest.approx(0.5, abs=1e-3)
    assert results["mp-eq14-symmetric"].measured == pytest.approx(2 / 3, abs=1e-3)
    assert abs(results["table1-order-n"].measured) < 1e-3
    for order, d in results["table1-order-n"].data["orders"].items():
        assert d["mp_slopes"].size == d["instances"]  # every instance measurable at every order
        assert max(abs(d["mp_slopes"] - order / (order + 1))) < 1e-3


def test_windows_span_at_least_20_decades(results):
    ev = results["mp-eq14-forward"].evidence
    assert ev["fewest_decades"] >= study.MIN_DECADES
    for v in results["table1-order-n"].evidence["per_order"].values():
        assert v["fewest_decades"] >= study.MIN_DECADES


def test_worst_instances_replay(results):
    r = results["mp-eq14-forward"]
    inst = r.evidence["worst_instance"]
    kw = {k: inst[k] for k in ("kind", "n", "seed", "order", "delta_range")}
    assert study.delta_order(**kw) == pytest.approx(r.measured, abs=1e-12)
    t = results["table1-order-n"]
    inst = t.evidence["worst_instance"]
    kw = {k: inst[k] for k in ("kind", "n", "seed", "order", "delta_range")}
    fn = table1_order_n.nu_deviation if inst.get("which") == "nu" else table1_order_n.delta_deviation
    assert fn(**kw) == pytest.approx(t.measured, abs=1e-12)


def test_a_wrong_exponent_is_violated_with_a_counterexample_that_reruns():
    """Can-fail: the forward rate checked against a wrong exponent 0.6 is violated; the replay gives the same number."""
    ctx = Context(quick=True)
    wrong = dataclasses.replace(mp_eq14_forward.STATEMENT, threshold=Threshold(0.6, "within"))
    ms, _, _ = _common.delta_measurements(ctx, 1, "bmaml_theory.studies.precision:delta_order")
    res = runners.decide(ctx, wrong, ms[:2])
    assert res.status == "violated"
    ce = res.counterexample
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], abs=1e-12)


def test_replays_reject_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        study.delta_order(kind="flat", n=3, seed=0, order=1, delta_range=[-4, -44, 11])
