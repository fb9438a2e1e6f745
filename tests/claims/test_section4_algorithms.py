"""Section 4.3's algorithmic statements: quick statuses, the numbers the derivations predict (through the
replay functions), counterexamples that rerun, a can-fail test for runners.big_o and fail-closed cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmaml_theory.claims import REGISTRY, Context, Measurement, Replay, runners
from bmaml_theory.claims.chayti_jaggi.section4 import _algorithms as al
from bmaml_theory.claims.chayti_jaggi.section4 import (
    clipped_normalized,
    clipped_normalized_exact,
    delta_eps2,
    ngd_vs_gd,
    overall_complexity,
    thm1_inexact,
)
from bmaml_theory.studies import algorithms

QUICK_STATUS = {
    "clipped-normalized": "holds",  # [17]'s sense: within the derived factor 2 (the pinned run: 1.727 in quick)
    "clipped-normalized-exact": "violated",
    "ngd-vs-gd": "holds",  # the eps -> 0 comparison of leading terms; the pointwise reading is evidence
    "thm1-inexact": "holds",  # the delta part with valid constants; the printed 2-cycle is thm1's finding
    "thm2-inexact": "holds",
    "delta-eps2": "inconclusive",  # quick runs one instance (power_ok=False); the default run holds
    "overall-complexity": "holds",  # kappa the inner problem's condition number, growth tested as kappa -> infinity
    "overall-complexity-as-printed": "violated",  # the slip: literal kappa^ -> 0 blow-up
    "abstract-convergence": "inconclusive",  # reuses delta-eps2's runs (tests/claims/test_sentences.py)
}


@pytest.fixture(scope="module")
def quick_results(quick_run):
    # the session's one quick run (tests/conftest.py)
    return quick_run.pick([c for c in REGISTRY if REGISTRY[c].group == al.GROUP])


def test_the_group_holds_exactly_these_claims():
    assert {c for c in REGISTRY if REGISTRY[c].group == al.GROUP} == set(QUICK_STATUS)


@pytest.mark.parametrize("cid", sorted(QUICK_STATUS))
def test_quick_status(quick_results, cid):
    r = quick_results[cid]
    assert r.error is None, r.error
    assert r.status == QUICK_STATUS[cid], r.decision


@pytest.mark.parametrize("cid", sorted(c for c, s in QUICK_STATUS.items() if s == "violated"))
def test_counterexample_reruns(quick_results, cid):
    ce = quick_results[cid].counterexample
    v = Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run()
    assert v == pytest.approx(ce["value"], rel=1e-9)


# --- clipped-normalized: rho* of the derivation --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("norms", "expected"),
    [
        ([0.5, 1.0, 2.0], 4 / 3),  # c/2, c, 2c: equalised at beta = c
        ([0.1, 1.0, 10.0], 2 / 1.1),  # eps c, c, c/eps: 2/(1 + eps)
        ([0.01, 1.0, 100.0], 2 / 1.01),
        ([0.2, 0.5, 0.9], 1.0),  # never clipped: beta -> infinity reproduces GD
        ([2.0, 5.0, 9.0], 1.0),  # always clipped: beta -> 0 reproduces the normalized step
        ([0.5, 2.0], 1.0),  # two norms: one beta equalises them exactly
    ],
)
def test_spread_equals_the_derivation(norms, expected):
    assert clipped_normalized_exact.spread_of_norms(norms, 1.0) == pytest.approx(expected, rel=1e-12)


@given(
    st.lists(st.floats(1e-6, 1e6, allow_nan=False), min_size=1, max_size=30),
    st.floats(1e-3, 1e3, allow_nan=False),
)
def test_spread_lies_between_one_and_the_factor_two_of_beta_equal_c(norms, c):
    """1 <= rho* <= max/min of min(1, c/x)(c + x) <= 2 for any gradient-norm sequence (the corrected statement)."""
    rho = algorithms.normalized_spread(norms, c)
    x = np.asarray(norms)
    f = np.minimum(1.0, c / x) * (c + x)
    assert 1.0 <= rho <= f.max() / f.min() * (1 + 1e-12) <= 2.0 + 1e-12


def test_spread_is_scale_invariant():
    assert algorithms.normalized_spread([0.3, 2.0, 7.0], 1.5) == pytest.approx(
        algorithms.normalized_spread([3.0, 20.0, 70.0], 15.0), rel=1e-12
    )


def test_pinned_clipped_run_is_a_violation_and_its_factor_is_below_two():
    p = clipped_normalized_exact.pin()
    assert 1.5 < clipped_normalized_exact.ratio(p) < 2.0
    assert clipped_normalized_exact.ratio(p) <= clipped_normalized_exact.zhang_factor(p) <= 2.0
    assert clipped_normalized.factor(p) == clipped_normalized_exact.zhang_factor(p)


@pytest.mark.parametrize("eps", [0.5, 0.1, 0.01])
def test_step_factor_of_the_extremal_norms_is_two_over_one_plus_eps(eps):
    """Norms eps c, c, c/eps: min(1, c/x)(c + x) takes c(1 + eps), 2c, c(1 + eps): factor 2/(1 + eps) -> 2."""
    x, c = np.array([eps, 1.0, 1.0 / eps]), 1.0
    f = np.minimum(1.0, c / x) * (c + x)
    assert f.max() / f.min() == pytest.approx(2 / (1 + eps), rel=1e-12)


# --- ngd-vs-gd -----------------------------------------------------------------------------------------------------
def test_bounds_are_equal_exactly_at_eps_star():
    """T1 = T2 iff eps^2 = G calL0/calL1 (the derivation); below it T1 < T2."""
    t, _, _ = ngd_vs_gd.instance(ngd_vs_gd.pin())
    b = ngd_vs_gd.bounds(t, 1.0)
    at = ngd_vs_gd.bounds(t, b["eps_star"])
    assert at["T1"] / at["T2"] == pytest.approx(1.0, abs=1e-12)
    below = ngd_vs_gd.bounds(t, 0.5 * b["eps_star"])
    assert below["T1"] < below["T2"]


def test_symbolic_comparison_is_proved():
    sym = ngd_vs_gd.symbolic_comparison()
    assert sym["identity_proved"]
    assert sym["limit_eps_to_0_of_T1_over_T2"] == "calL0/(G*calL1 + calL0)"


def test_ngd_leading_terms_decide_and_the_pointwise_reading_is_evidence(quick_results):
    """The decision is lim_{eps->0} T1/T2 = calL0/(calL0 + G calL1) (sympy's limit): < 1 at the pin, <= 1 over the
    search; the pointwise T1/T2 at the pin's eps exceeds 1 (evidence, the old false alarm)."""
    t, _, eps = ngd_vs_gd.instance(ngd_vs_gd.pin())
    b = ngd_vs_gd.bounds(t, eps)
    lead = b["calL0"] / (b["calL0"] + b["G"] * b["calL1"])
    assert ngd_vs_gd.leading_ratio(ngd_vs_gd.pin()) == pytest.approx(lead, rel=1e-12)
    assert lead < 1.0 and lead == pytest.approx(
        b["T1"] * eps**2 / (b["T2"] * eps**2)
        - b["calL1"] ** 2 * eps**2 / (b["calL0"] * (b["calL0"] + b["G"] * b["calL1"])),
        rel=1e-9,
    )
    r = quick_results["ngd-vs-gd"]
    assert r.status == "holds" and r.measured <= 1.0
    assert r.evidence["symbolic"]["d_leading_coefficient_d_calL1"] == {"Theorem 1": "0", "Theorem 2": "G"}
    assert r.evidence["pointwise"]["worst_ratio"] > 1.0
    # can fail: a "Theorem 1" whose leading coefficient were calL0 + 2 G calL1 would lose the comparison
    assert (b["calL0"] + 2 * b["G"] * b["calL1"]) / (b["calL0"] + b["G"] * b["calL1"]) > 1.0


def test_ngd_ratio_closed_form_and_growth():
    """T1/T2 = (calL0 + calL1^2 eps^2/calL0)/(calL0 + G calL1); it grows as the test point shrinks (~1/scale)."""
    t, _, eps = ngd_vs_gd.instance(ngd_vs_gd.pin())
    b = ngd_vs_gd.bounds(t, eps)
    closed = (b["calL0"] + b["calL1"] ** 2 * eps**2 / b["calL0"]) / (b["calL0"] + b["G"] * b["calL1"])
    assert ngd_vs_gd.ratio(ngd_vs_gd.pin()) == pytest.approx(closed, rel=1e-12)
    vals = [ngd_vs_gd.ratio_scaled(s) for s in ngd_vs_gd.SCALE_FAMILY]
    assert all(b_ > a * 1.5 for a, b_ in itertools.pairwise(vals))
    assert vals[0] > 1.0
    assert ngd_vs_gd.ratio_corrected(ngd_vs_gd.pin()) <= 1.0 + 1e-12


# --- thm1-inexact / thm2-inexact ------------------------------------------------------------------------------------
def test_printed_steps_cycle_at_the_same_level_for_every_delta(quick_results):
    """With the printed constants the plateau stays ~0.40-0.46 whatever delta (E8's 2-cycle, thm1's finding): it is
    evidence here, not a measurement (counting it would count one 2-cycle twice)."""
    for cid in ("thm1-inexact", "thm2-inexact"):
        rows = quick_results[cid].evidence["printed_constants"]["runs"]
        assert all(r["cycled"] for r in rows)
        assert all(0.39 < r["min_grad_norm"] < 0.46 for r in rows)


@pytest.mark.parametrize("cid", ["thm1-inexact", "thm2-inexact"])
def test_inexact_delta_part_holds_with_valid_constants(quick_results, cid):
    """Derivation: at a fixed point the estimate vanishes, so ||grad F|| equals the estimator's bias there, at most
    Corollary 1's corrected bound beta1 sqrt(delta); on the convex instance the plateau is 0.087-0.10 of it at every
    delta (flat in 1/sqrt(delta): no growth)."""
    r = quick_results[cid]
    assert r.status == "holds", r.decision
    vals = [m["plateau_over_corrected_bias"] for m in r.evidence["corrected"]["runs"]]
    assert len(vals) == 4 and all(0.08 < v < 0.11 for v in vals)
    assert r.measured == pytest.approx(max(vals), rel=1e-12)
    assert not r.evidence["growth"]["unbounded"]
    kw = r.evidence["worst_instance"]
    assert thm1_inexact.corrected_ratio(kw["instance"], kw["method"], kw["eps"]) == pytest.approx(r.measured, rel=1e-9)


def test_inexact_value_of_a_truncated_run_is_no_measurement():
    run = {"reached": False, "cycled": False, "min_grad_norm": 0.5, "eps": 1e-3, "A": 1.0, "delta": 1e-4}
    assert math.isnan(al.inexact_value(run))
    assert al.inexact_value({**run, "cycled": True}) == pytest.approx((0.5 - 1e-3) / 1e-2, rel=1e-12)


def test_thm1_inexact_replay_is_deterministic():
    kw = {"instance": "convex", "method": "NormalizedGD", "constants": "stated", "delta": 1e-2, "eps": 1e-3}
    assert thm1_inexact.ratio(**kw) == thm1_inexact.ratio(**kw)


# --- delta-eps2 ------------------------------------------------------------------------------------------------------
def test_delta_eps2_plateau_within_the_bias_bound():
    """At a fixed point ||grad F|| = ||bias|| <= beta1 sqrt(delta) = eps: the ratio is at most 1."""
    v = delta_eps2.ratio("nonconvex", "GD", 1e-3)
    assert 0.0 < v <= 1.0
    assert delta_eps2.delta_of("nonconvex", 1e-3) == pytest.approx(1e-2 * delta_eps2.delta_of("nonconvex", 1e-2))


def test_can_fail_a_too_coarse_delta_is_violated_with_a_rerunnable_counterexample():
    """Can-fail (runners.big_o): delta ~ eps^(1/2) instead of eps^2 leaves a bias ~ eps^(1/4): the ratio grows."""
    growth = []
    for e in delta_eps2.EPS_FAMILY:
        kw = {"instance": "nonconvex", "method": "GD", "eps": e, "power": 0.5}
        growth.append((1 / e, Measurement(delta_eps2.ratio(**kw), kw, Replay(f"{delta_eps2.__name__}:ratio", kw))))
    res = runners.big_o(
        Context(quick=True),
        delta_eps2.STATEMENT,
        [m for _, m in growth],
        growth=growth,
        growth_parameter="1/eps",
    )
    assert res.status == "violated" and res.unbounded
    ce = res.counterexample
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], rel=1e-9)


# --- overall-complexity ---------------------------------------------------------------------------------------------
def test_inner_factor_at_tiny_kappa_is_four_over_sqrt_kappa_log():
    """kappa^ -> 0: every AGD solve certifies after one iteration (2 calls), 3 outer steps x 2 solves: 12 calls, so the
    ratio is exactly 12/(3 sqrt(kappa^) ln(1/delta)) = 4/(sqrt(kappa^) ln(1/delta))."""
    for kap in (1e-6, 1e-8):
        v = overall_complexity.calls_ratio(kap, 1e-8)
        assert v == pytest.approx(4.0 / (math.sqrt(kap) * math.log(1e8)), rel=1e-9)


def test_corrected_kappa_keeps_the_inner_factor_bounded():
    vals = [overall_complexity.calls_ratio(k, 1e-8, corrected=True) for k in (1e-8, 1e-2, 10.0)]
    assert max(vals) <= 2.0


def test_overall_complexity_growth_runs_as_kappa_grows(quick_results):
    """The growth test is over kappa^ in 1e1..1e4 (kappa = 1 + kappa^ up to the nu term, so sqrt(kappa) spans ~1.5
    decades), where it could fail; the ratio stays bounded (AGD's sqrt(kappa) ln(kappa/delta))."""
    r = quick_results["overall-complexity"]
    assert r.status == "holds" and r.measured <= 2.0 and not r.evidence["growth"]["unbounded"]
    assert [row["kappa"] for row in r.evidence["runs"]] == list(overall_complexity.KAPPA_LARGE)
    assert overall_complexity.inner_kappa(1e4, 1e-5) == pytest.approx(1e4 + 1, rel=1e-2)  # kappa = 1 + kappa^ (+ nu)


def test_overall_complexity_growth_test_can_fail():
    """The same growth test flags a ratio that grows like sqrt(kappa) (an inner count of kappa, not sqrt(kappa))."""
    fam = [(math.sqrt(k), Measurement(math.sqrt(k), {"k": k}, Replay("x:y", {}))) for k in (1e1, 1e2, 1e3, 1e4)]
    assert runners._growth_fit(fam)["unbounded"]


def test_overall_complexity_as_printed_is_the_literal_slip(quick_results):
    """At tiny kappa^ every solve certifies after one AGD iteration: the literal ratio is exactly
    4/(sqrt(kappa^) ln(1/delta)) at delta = 1e-8, unbounded as kappa^ -> 0; over the delta grid the sup exceeds 4000."""
    r = quick_results["overall-complexity-as-printed"]
    assert r.status == "violated" and r.category == "slip" and r.unbounded
    assert r.statement.intended == "overall-complexity"
    assert r.counterexample["value"] == pytest.approx(4.0 / (math.sqrt(1e-8) * math.log(1e8)), rel=1e-9)
    assert r.evidence["worst_ratio"] > 4000


# --- bad input -------------------------------------------------------------------------------------------------------
def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="norms"):
        algorithms.normalized_spread([], 1.0)
    with pytest.raises(ValueError, match="norms"):
        algorithms.normalized_spread([1.0, math.nan], 1.0)
    with pytest.raises(ValueError, match="c must"):
        algorithms.normalized_spread([1.0], 0.0)
    t = al.named_instance("convex")
    with pytest.raises(ValueError, match="method"):
        algorithms.alg1_run(t, al.THETA0, method="Adam", constants="stated", delta=1e-2, eps=1e-3, max_iter=2)
    with pytest.raises(ValueError, match="source"):
        algorithms.alg1_run(
            t, al.THETA0, method="GD", constants="stated", delta=1e-2, eps=1e-3, max_iter=2, source="exact"
        )
    with pytest.raises(ValueError, match="constants"):
        algorithms.outer_constants(t, "paper")
    with pytest.raises(ValueError, match="instance"):
        al.named_instance("three-task")
