"""Symbolic claims: quick statuses, the re-audited prop1-hypothesis and symbolic-a4, exact counts, can-fail."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from bmaml_theory import symbolic
from bmaml_theory.claims import Context, Replay
from bmaml_theory.claims.chayti_jaggi.symbolic import _common, prop1_hypothesis, symbolic_a4

IDS = ["symbolic-prop1", "prop1-hypothesis", "symbolic-appendix-b", "symbolic-bias-series", "symbolic-a4"]
# the quick run skips the n = 2, 3 and eigenbasis derivations of Proposition 1 (about 10 s): those two lack power
QUICK = {
    "symbolic-prop1": "inconclusive",
    "prop1-hypothesis": "inconclusive",
    "symbolic-appendix-b": "holds",
    "symbolic-bias-series": "holds",
    "symbolic-a4": "holds",
}


@pytest.fixture(scope="module")
def results(quick_run):
    return quick_run.pick(IDS)  # the session's one quick run (tests/conftest.py)


@pytest.mark.parametrize("cid", IDS)
def test_quick_status(results, cid):
    r = results[cid]
    assert r.error is None, r.error
    assert r.status == QUICK[cid], r.decision
    assert r.measured == 0.0  # every derivation run cancels exactly


def test_old_prop1_counterexample_still_refutes_the_bare_hypothesis():
    """Without the standing assumptions the identity fails by the factor 3 (-lam dphi/dnu = 3 lam/4, grad F = lam/4)."""
    d = symbolic.prop1_hypothesis_gap()
    assert d.proved is False
    assert "3 grad F(0)" in d.expression


def test_old_instance_lies_outside_the_standing_assumptions():
    d = prop1_hypothesis.old_instance_outside_assumptions()
    assert d.proved is True, d.details
    assert len(d.details) == 5


@pytest.mark.parametrize("nu", [0.1, -0.3, 0.02])
def test_two_global_minimisers_numerically(nu):
    """Independent of sympy: at theta = nu^3/(8 lam), nu phi^3 + phi^4 - lam theta phi has two equal global minima."""
    lam = 1.7
    theta = nu**3 / (8 * lam)
    h = np.poly1d([1.0, nu, 0.0, -lam * theta, 0.0])  # (9) up to a constant: phi^4 + nu phi^3 - lam theta phi
    crit = np.roots(h.deriv().coeffs)
    crit = np.sort(crit[np.abs(crit.imag) < 1e-9].real)
    mins = [c for c in crit if h.deriv(2)(c) > 0]
    assert len(mins) == 2
    assert mins == pytest.approx(sorted([nu * (-1 + np.sqrt(3)) / 4, nu * (-1 - np.sqrt(3)) / 4]), abs=1e-9)
    assert h(mins[0]) == pytest.approx(h(mins[1]), abs=1e-14)


def test_a4_min_bound_is_proved_by_cases_and_the_vacuous_check_is_dropped():
    d = symbolic_a4.min_bound()
    assert d.proved is True
    assert sum("case a <= b" in k for k in d.details) == 2 and sum("case b <= a" in k for k in d.details) == 2
    steps = symbolic_a4.a4_steps()
    assert steps.proved is True
    assert not any(k.startswith(symbolic_a4.VACUOUS_PREFIX) for k in steps.details)
    assert len(steps.details) == 7


def test_a_wrong_min_bound_is_not_certified():
    """Can-fail for the sign check: Delta/min(a, b) <= Delta/a is false when b < a (gap -Delta u/(b (b + u)))."""
    b, Delta = sp.symbols("b Delta", positive=True)
    u = sp.Symbol("u", positive=True)
    a = b + u
    gap = sp.cancel(sp.together(Delta / a - Delta / sp.Min(a, b)))
    assert symbolic_a4._nonnegative(gap)[0] is False


def test_a_refuted_derivation_makes_the_claim_violated_with_a_replay():
    """Can-fail: a claim made of a refuted derivation is violated, measured 1, and its replay recounts 1."""
    res = _common.symbolic_check(Context(quick=True), prop1_hypothesis.STATEMENT, ["prop1-hypothesis-gap"])
    assert res.status == "violated"
    assert res.measured == 1.0
    ce = res.counterexample
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == 1.0


def test_unproved_rejects_an_unknown_derivation():
    with pytest.raises(ValueError, match="derivation"):
        _common.unproved(derivations=["prop1-general-n7"])
