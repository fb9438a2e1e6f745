"""Section 3 claims (eqs. 12, 14, Proposition 1, the inexact term, the regularity of Assumptions 1-3): quick statuses,
pinned numbers, replays, can-fail."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmaml_theory.claims import Context, Replay, Threshold
from bmaml_theory.claims.chayti_jaggi.section3 import _common, eq14_forward, inexact_term, prop1, sec3_regularity
from bmaml_theory.studies import regularity
from bmaml_theory.studies import section3 as study

IDS = ["eq12-forward", "eq12-symmetric", "eq14-forward", "eq14-symmetric", "prop1", "inexact-term", "sec3-regularity"]
QUICK_STATUS = {cid: "holds" for cid in IDS} | {"sec3-regularity": "scope"}  # a scope finding, never violated
RATE_EXTRA = ("window", "points", "decades")


@pytest.fixture(scope="module")
def results(quick_run):
    return quick_run.pick(IDS)  # the session's one quick run (tests/conftest.py)


@pytest.mark.parametrize("cid", IDS)
def test_quick_status(results, cid):
    r = results[cid]
    assert r.error is None, r.error
    assert r.status == QUICK_STATUS[cid], r.decision


@pytest.mark.parametrize(
    ("cid", "stated"),
    [("eq12-forward", 1.0), ("eq12-symmetric", 2.0), ("eq14-forward", 0.5), ("eq14-symmetric", 2 / 3)],
)
def test_rate_worst_instance_replays_to_the_measured_exponent(results, cid, stated):
    """The worst task refits, from its generator arguments, to exactly the measured exponent (close to the stated)."""
    r = results[cid]
    inst = r.evidence["worst_instance"]
    kw = {k: v for k, v in inst.items() if k not in RATE_EXTRA}
    assert study.fitted_order(**kw) == pytest.approx(r.measured, abs=1e-12)
    assert abs(r.measured - stated) < 1e-3  # the derivation predicts the exponent exactly; the fit is far inside 0.05


def test_inexact_term_extremal_instance_attains_the_bound_exactly(results):
    """Derivation: e_nu = -e_0 = delta u moves the forward estimate by exactly 2 lam delta/nu, the symmetric by half."""
    p = inexact_term.extremal_encoding()
    assert inexact_term.ratio_forward(p) == pytest.approx(1.0, abs=1e-9)
    assert inexact_term.ratio_symmetric(p) == pytest.approx(0.5, abs=1e-9)
    assert results["inexact-term"].measured == pytest.approx(1.0, abs=1e-6)


def test_inexact_term_search_power_and_replay(results):
    """The random starts alone reach 0.9 of each extremal value (the power condition), and the worst replays."""
    r = results["inexact-term"]
    for name, ext in inexact_term.EXTREMAL.items():
        srch = r.evidence["search"][name]
        assert srch["extremal"] == ext
        assert srch["unpinned_worst"] >= 0.9 * ext and srch["power_met"]
        assert srch["failures"] == 0 and srch["evaluations"] > 0
    inst = r.evidence["worst_instance"]
    assert inexact_term.RATIOS[inst["estimator"]](inst["encoding"]) == pytest.approx(r.measured, rel=1e-12)


def test_inexact_term_skips_instances_beyond_float64():
    """A tiny Lhat1 (lam = 2e-6) and a large linear test term put phi*_nu at ||phi|| ~ 5e9: the estimate's round-off
    would be ~4% of 2 lam delta/nu, so the instance is not measurable (None, counted as skipped), never a ratio."""
    p = inexact_term.SPACE.encode(
        [[[1e-4, 0.0]]],
        [[[0.0, 0.0], [0.0, 0.0]]],
        [[[1e-4, 0.0]]],
        [[10.0, -10.0]],
        [0.0, 0.0],
        2.0,
        extra={"nu": [0.0], "delta": [-10.0], "e1": [10.0, 0.0], "e2": [-10.0, 0.0]},
    )
    assert inexact_term.ratio_forward(p) is None
    assert inexact_term.ratio_symmetric(p) is None


def test_inexact_term_wrong_bound_is_violated_with_a_replay():
    """Can-fail: the same search against a bound 10% too small (ratio <= 0.9) is violated, and the replay reruns."""
    wrong = dataclasses.replace(inexact_term.STATEMENT, threshold=Threshold(0.9, "<="))
    res = inexact_term.run(Context(quick=True), wrong)
    assert res.status == "violated"
    ce = res.counterexample
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], rel=1e-12)
    assert ce["value"] > 0.9


def test_prop1_worst_replays(results):
    r = results["prop1"]
    inst = dict(r.evidence["worst_instance"])
    inst.pop("lam")
    assert prop1.error_units(**inst) == pytest.approx(r.measured, rel=1e-12)
    assert r.measured <= 100.0


def test_a_wrong_rate_is_violated_with_a_counterexample_that_reruns():
    """Can-fail: eq. (14)'s forward rate checked against a wrong exponent 3/4 is violated, and the replay reruns."""
    wrong = dataclasses.replace(eq14_forward.STATEMENT, threshold=Threshold(0.75, "within"))
    res = _common.rate_check(Context(quick=True), wrong, "forward", "delta")
    assert res.status == "violated"
    ce = res.counterexample
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], abs=1e-12)
    assert abs(ce["value"] - 0.5) < 1e-3


def test_fitted_order_rejects_bad_arguments():
    kw = {"kind": "same-psd", "M": 2, "n": 2, "seed": 0, "family": 0, "nu_per_decade": 10, "delta_range": [-1, -15, 29]}
    with pytest.raises(ValueError, match="which"):
        study.fitted_order(**kw, task=0, stencil="forward", which="mu")
    with pytest.raises(ValueError, match="stencil"):
        study.fitted_order(**kw, task=0, stencil="central", which="nu")
    with pytest.raises(ValueError, match="task"):
        study.fitted_order(**kw, task=5, stencil="forward", which="nu")
    with pytest.raises(ValueError, match="delta_range"):
        study.fitted_order(**{**kw, "delta_range": [-1, -15]}, task=0, stencil="forward", which="nu")
    with pytest.raises(ValueError, match="which"):
        sec3_regularity.shortfall(
            kind="test-kink", M=2, n=2, seed=0, task=0, which="mu", nu_per_decade=10, delta_range=[-1, -15, 29]
        )


def test_figure_data_are_finite(results):
    rep = results["eq12-forward"].data["representative"]
    assert rep["fit"]["ok"] and math.isfinite(rep["fit"]["order"])
    assert results["eq14-symmetric"].data["representative"]["adversarial"]["fit"]["ok"]


# --- sec3-regularity: Assumptions 1-3 give only O(lam nu) and O(sqrt(delta)) for the symmetric estimator -----------


@pytest.mark.parametrize("which", regularity.PINNED)
@pytest.mark.parametrize("stencil", ["forward", "symmetric"])
@pytest.mark.parametrize("nu", [1e-2, 1e-3])
def test_pinned_kink_bias_matches_the_closed_form(which, stencil, nu):
    """Newton + eq. (10)/(11) reproduce the closed forms: test-kink nu/(3(3+nu)) (sym), train-kink 2(3-sqrt(9-2nu))/nu-2/3."""
    assert regularity.measured_pinned_bias(which, stencil, nu) == pytest.approx(
        regularity.pinned_bias(which, stencil, nu), rel=1e-8
    )


def test_pinned_symmetric_bias_is_order_nu_with_the_derived_constant():
    """bias_sym/nu -> lam/(2 A^2) = 1/9 (test kink, A = 3) and lam k/(2 B^3) = 1/27 (train kink, B = 3); the ratio
    bias/(lam nu^2) grows like 1/nu (log-log slope 1): no constant makes it O(lam nu^2)."""
    assert regularity.pinned_bias("test-kink", "symmetric", 1e-6) / 1e-6 == pytest.approx(1 / 9, rel=1e-5)
    assert regularity.pinned_bias("train-kink", "symmetric", 1e-6) / 1e-6 == pytest.approx(1 / 27, rel=1e-4)
    for which in regularity.PINNED:
        g = regularity.pinned_growth(which, "symmetric", sec3_regularity.PIN_NUS)
        assert g["slope"] == pytest.approx(1.0, abs=1e-3)
        assert g["slope_stderr"] < 1e-3


def test_pinned_constants_are_the_assumptions_exactly():
    t, theta = regularity.pinned("test-kink")
    c = t.constants()
    assert (c.lam, c.Lhat1, c.Lhat2, c.L0, c.L1, c.mu) == (2.0, 1.0, 0.0, 1.0, 1.0, 3.0)
    _s_hat, s = t.kink_arguments(t.inner_solution(theta, 0.0))
    assert float(s[0]) == pytest.approx(1.0, abs=1e-15)  # phi*_0 = 2 on the Huber kink
    t, theta = regularity.pinned("train-kink")
    c = t.constants()
    assert (c.lam, c.Lhat1, c.Lhat2, c.L0, c.L1, c.mu) == (2.0, 1.0, 1.0, 1.0, 0.0, 2.0)


def test_regularity_violation_replays_and_the_control_keeps_order_two(results):
    """The decision is exact: the pinned train-kink family's closed form has order 1 in nu (shortfall 1) and 1/2 in
    delta (shortfall 1/6); the counterexample reruns; the fitted orders over the class are evidence."""
    r = results["sec3-regularity"]
    assert (r.status, r.category) == ("scope", "scope")
    ce = r.counterexample
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], abs=1e-12)
    assert ce["replay"]["kwargs"]["family"] == "train-kink" and ce["replay"]["kwargs"]["rate"] == "nu"
    assert ce["value"] == pytest.approx(1.0, abs=1e-3)  # stated 2 minus the exact order 1 (bias = nu/27 + O(nu^2))
    dec = r.evidence["decisive"]["fits_on_the_exact_closed_form"]
    assert dec["nu"]["order"] == pytest.approx(1.0, abs=1e-3) and dec["nu"]["stderr"] < 1e-3
    assert dec["delta"]["order"] == pytest.approx(0.5, abs=1e-3) and dec["delta"]["stderr"] < 1e-3
    assert r.evidence["decisive"]["newton_vs_closed_form_worst_gap_in_roundoff_units"] <= 10.0
    worst = r.evidence["fitted_shortfalls_over_the_class"]["worst"]
    assert Replay(worst["replay"]["target"], worst["replay"]["kwargs"]).run() == pytest.approx(
        worst["shortfall"], abs=1e-12
    )
    orders = r.evidence["orders_by_kind"]
    for kind in ("test-kink", "both-kinks"):
        assert abs(orders[kind]["symmetric_nu"]["median"] - 1.0) < 1e-2
        assert abs(orders[kind]["symmetric_delta"]["median"] - 0.5) < 1e-2
    ctrl = orders["no-kink-crossed"]
    assert abs(ctrl["symmetric_nu"]["min"] - 2.0) < 1e-2 and abs(ctrl["symmetric_delta"]["min"] - 2 / 3) < 1e-2
    for kind in orders:  # the forward estimator's rates (eq12-forward, eq14-forward) hold on the same families
        assert abs(orders[kind]["forward_nu"]["min"] - 1.0) < 1e-2
        assert abs(orders[kind]["forward_delta"]["min"] - 0.5) < 1e-2


def test_pinned_exact_shortfalls():
    """Exact orders of the decisive family: 1 in nu (bias = 4nu/(3(3 + sqrt(9 - 2nu))^2)) and 1/2 in delta (the best-nu
    worst-case bias min_nu b(nu) + 2 delta/nu = 2 sqrt(2 delta/27) (1 + O(sqrt(delta))))."""
    nus, deltas = list(sec3_regularity.PIN_NUS), list(sec3_regularity.PIN_DELTAS)
    assert sec3_regularity.pinned_shortfall(family="train-kink", rate="nu", points=nus) == pytest.approx(1.0, abs=1e-3)
    assert sec3_regularity.pinned_shortfall(family="train-kink", rate="delta", points=deltas) == pytest.approx(
        1 / 6, abs=1e-3
    )
    for d in (1e-6, 1e-9, 1e-12):
        assert regularity.pinned_worst_case_bias("train-kink", "symmetric", d) == pytest.approx(
            2 * math.sqrt(2 * d / 27), rel=10 * math.sqrt(d)
        )


def test_pinned_worst_case_bias_is_the_grid_minimum():
    """The bounded-Brent minimum over nu equals a dense grid's minimum (to its resolution) and never exceeds it."""
    for which in regularity.PINNED:
        for d in (1e-5, 1e-8, 1e-11):
            best = regularity.pinned_worst_case_bias(which, "symmetric", d)
            grid = np.logspace(-9, math.log10(0.49), 20001)
            vals = [regularity.pinned_bias(which, "symmetric", v) + 2 * d / v for v in grid]
            assert best <= min(vals) * (1 + 1e-12)
            assert best == pytest.approx(min(vals), rel=1e-6)


@pytest.mark.parametrize("nu", [0.5, 1e-1, 1e-2, 1e-3])
def test_sign_flip_family_reaches_A_prime(nu):
    """f'' jumping from +L1 to -L1 at phi*_0 (C^{1,1} reading): the symmetric bias is exactly 2nu/(3(3 + nu)) (a
    root-finder's solutions agree), never above A' nu = 2nu/9 and -> A' nu: the corrected constant is reached."""
    c = regularity.sign_flip_constants()
    assert c["A_prime"] == pytest.approx(2 / 9, rel=1e-15)
    exact = regularity.sign_flip_bias(nu)
    assert exact == pytest.approx(2 * nu / (3 * (3 + nu)), rel=1e-15)
    assert regularity.sign_flip_bias(nu, measured=True) == pytest.approx(exact, rel=1e-9)
    assert exact <= c["A_prime"] * nu
    assert regularity.sign_flip_bias(1e-9) / (c["A_prime"] * 1e-9) == pytest.approx(1.0, rel=1e-8)


def test_decisive_family_is_inside_every_reading_of_assumption_2():
    """train-kink: no Huber test term (c = 0) and zero test data, so f = phi is linear: its Hessian is 0 everywhere
    (C^{1,1}, C^{2,1}, C^{3,1}: every reading of 'L1-smooth Hessian'); fhat's Hessian g'' is 1-Lipschitz."""
    t, _ = regularity.pinned("train-kink")
    assert float(t.c[0]) == 0.0
    phi = np.linspace(-3.0, 3.0, 61)[:, None]
    _val, grad, hess = t._test_parts(np.broadcast_to(phi, (1, 61, 1)).copy())
    assert np.all(hess == 0.0) and np.all(grad == 1.0)


def test_corrected_bounds_hold_on_the_run(results):
    """Errata E2: bias <= A'|nu| and min_nu worst-case bias <= 2 sqrt(|w| A' lam delta) on every task."""
    cs = results["sec3-regularity"].evidence["corrected_statement"]
    for v in (*cs["worst_ratio_to_A_prime_nu"].values(), *cs["worst_ratio_to_2sqrt(|w|A'lam delta)"].values()):
        assert 0 < v <= 1.0


@settings(deadline=None)
@given(
    kind=st.sampled_from(regularity.KINDS),
    n=st.integers(1, 6),
    seed=st.integers(0, 10_000),
    log_nu=st.floats(-4.0, math.log10(0.4)),
)
def test_symmetric_bias_is_at_most_A_prime_nu_and_the_mean_of_the_forward_ones(kind, n, seed, log_nu):
    """For any placed family and nu in [1e-4, 0.4 mu/L1]: g^Sym = (g^For_nu + g^For_-nu)/2, hence its bias is at most
    A'|nu| (the corrected Proposition 2 bound, E4), kink or no kink."""
    from bmaml_theory import estimators
    from bmaml_theory.tasks.kinked import placed_family

    tasks, theta = placed_family(kind, 2, n, seed)
    c = tasks.constants()
    nu = 10.0**log_nu * min(c.mu / c.L1, 1.0)
    grad = tasks.meta_gradient(theta, per_task=True)
    gs = estimators.symmetric(tasks, theta, nu, per_task=True)
    phis = tasks.inner_solution(theta, np.array([-nu, 0.0, nu]))
    gf_plus = -tasks.lam * (phis[:, 2] - phis[:, 1]) / nu
    gf_minus = -tasks.lam * (phis[:, 1] - phis[:, 0]) / nu
    assert np.allclose(gs, (gf_plus + gf_minus) / 2, rtol=1e-6, atol=1e-9 / nu)
    bias = np.linalg.norm(grad - gs, axis=-1)
    assert np.all(bias <= regularity.corrected_slope(tasks) * nu * (1 + 1e-9) + 1e-10 / nu)
