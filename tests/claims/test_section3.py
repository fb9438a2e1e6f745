"""Section 3 claims (eqs. 12, 14, Proposition 1, the inexact term): quick statuses, pinned numbers, replays, can-fail."""

from __future__ import annotations

import dataclasses
import math

import pytest

from bmaml_theory.claims import Context, Replay, Threshold, run_group
from bmaml_theory.claims.chayti_jaggi.section3 import _common, eq14_forward, inexact_term, prop1
from bmaml_theory.studies import section3 as study

IDS = ["eq12-forward", "eq12-symmetric", "eq14-forward", "eq14-symmetric", "prop1", "inexact-term"]
RATE_EXTRA = ("window", "points", "decades")


@pytest.fixture(scope="module")
def results():
    return {r.id: r for r in run_group(IDS, quick=True)}


@pytest.mark.parametrize("cid", IDS)
def test_quick_status_holds(results, cid):
    r = results[cid]
    assert r.error is None, r.error
    assert r.status == "holds", r.decision


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


def test_inexact_term_is_attained_exactly_by_the_adversarial_errors(results):
    """Derivation: e_k = sign(w_k) delta u moves the forward estimate by exactly 2 lam delta/nu, the symmetric by half."""
    kw = {"kind": "indefinite-both", "M": 4, "n": 3, "seed": 0, "family": 4, "nu_rel": 1e-3, "delta": 1e-4}
    fwd = inexact_term.ratio(**kw, stencil="forward", source="adversarial-task")
    sym = inexact_term.ratio(**kw, stencil="symmetric", source="adversarial-task")
    assert fwd == pytest.approx(1.0, abs=1e-7)
    assert sym == pytest.approx(0.5, abs=1e-7)
    assert results["inexact-term"].measured == pytest.approx(1.0, abs=1e-6)


def test_inexact_term_worst_replays(results):
    r = results["inexact-term"]
    inst = dict(r.evidence["worst_instance"])
    inst.pop("task")
    assert inexact_term.ratio(**inst) == pytest.approx(r.measured, rel=1e-12)


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
    with pytest.raises(ValueError, match="source"):
        inexact_term.ratio(
            kind="same-psd", M=2, n=2, seed=0, family=0, stencil="forward", nu_rel=0.1, delta=1e-3, source="oracle"
        )


def test_figure_data_are_finite(results):
    rep = results["eq12-forward"].data["representative"]
    assert rep["fit"]["ok"] and math.isfinite(rep["fit"]["order"])
    assert results["eq14-symmetric"].data["representative"]["adversarial"]["fit"]["ok"]
