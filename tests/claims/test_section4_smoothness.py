"""Section 4's smoothness rows (prop3, cor2, cor3, cor3-smoothness, cor3-remark) over LogisticSpace (issue 13): the
derivations' exact extremal numbers through the replays, the batched pair against two solves, the tied encoding's
class, quick statuses with rerunning counterexamples, search power in the evidence, a can-fail test."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from bmaml_theory import search
from bmaml_theory.claims import Context
from bmaml_theory.claims._core import Replay, Threshold
from bmaml_theory.claims.chayti_jaggi.section4 import _smoothness, cor2, cor3, cor3_remark, cor3_smoothness, prop3

IDS = ("prop3", "cor2", "cor3", "cor3-smoothness", "cor3-remark")
QUICK_STATUS = {
    "prop3": "violated",
    "cor2": "violated",
    "cor3": "holds",
    "cor3-smoothness": "violated",
    "cor3-remark": "violated",
}


@pytest.fixture(scope="module")
def quick_results(quick_run):
    from bmaml_theory.claims import REGISTRY

    return quick_run.pick([c for c in IDS if c in REGISTRY])  # the session's one quick run (tests/conftest.py)


# ------------------------------------------------------------------ the derivations' exact extremal numbers
@pytest.mark.parametrize(
    ("mod", "expected"), [(prop3, 4.0), (cor2, 16.0), (cor3_smoothness, 16.0)], ids=["prop3", "cor2", "cor3-sm"]
)
def test_extremal_pair_ratios(mod, expected):
    """Errata E5-E7: local smoothness 4 L1 = (lam/mu)^2 L1 at x^T phi* = 0; printed constants L1 (Prop. 3) and
    L1/4 (Cor. 2, Cor. 3: the zeta and G calL1 terms are ~1e-6 relative since Lhat2 ~ 1e-7)."""
    v = mod.ratio(mod.pins()[0])
    assert v == pytest.approx(expected, rel=1e-5)
    assert v < expected  # the sup is approached, not exceeded, at a finite distance


@pytest.mark.parametrize("mod", [prop3, cor2, cor3_smoothness], ids=["prop3", "cor2", "cor3-sm"])
def test_corrected_bounds_are_tight_on_the_extremal_pin(mod):
    v = mod.ratio_corrected(mod.pins()[0])
    assert 1 - 1e-5 < v <= 1 + 1e-6


def test_cor3_G_is_attained_on_two_identical_tasks():
    p = cor3.extremal_encoding()
    assert p[0] == 2  # M = 2
    assert cor3.ratio(p) == pytest.approx(1.0, abs=1e-12)


def test_cor2_pin_exercises_zeta():
    """Two identical extremal tasks: the smallest zeta is 0, the certified one G = lam L0/mu = 2 * 12 / 1 = 24."""
    q = _smoothness.pair(_smoothness.SPACE_MEAN, cor2.pins()[0])
    assert q.tasks.M == 2 and q.zeta == pytest.approx(24.0, rel=1e-12)
    assert search.zeta_lower(q.tasks, [q.theta, q.theta + 1.0]) == 0.0
    assert _smoothness.zeta_local(q.G1) == 0.0


def test_cor3_remark_pinned_phi_and_bound():
    """Phi = (calL0 + 2 L0 calL1)/(calL0 + L0 calL1) with calL0 = L1/4 = 6.25e-6, L0 calL1 = 10.005 * 8/(12 sqrt 3)."""
    d = cor3_remark.describe(cor3_remark.pinned_encoding())
    L0c1 = 10.01 * 8 / (6 * math.sqrt(3)) / 4  # L0 = ||r - x|| = 10.01, calL1 = Lhat2/(2 lam), Lhat2 = 2^3/(6 sqrt 3)
    calL0 = 1e-4 / 4 / 4
    assert d["lam_over_mu"] == 2.0
    assert d["calL0"] == pytest.approx(calL0, rel=1e-12)
    assert d["Phi"] == pytest.approx((calL0 + 2 * L0c1) / (calL0 + L0c1), rel=1e-12)
    assert 1.99999 < d["Phi"] < 2.0


def test_cor3_remark_mu_to_zero_does_not_grow_calL_over_max():
    vals = [cor3_remark.scaled_family_calL_over_max(s) for s in cor3_remark.FAMILY_SCALES]
    mus = [cor3_remark.scaled_family(s)["mu"] for s in cor3_remark.FAMILY_SCALES]
    assert mus[0] == pytest.approx(1.0) and mus[-1] == pytest.approx(1e-6)
    assert max(vals) < 1.01 * vals[0]  # no growth while mu falls by 6 decades (calL/calL1 = G + calL0/calL1)
    with pytest.raises(ValueError, match="s must"):
        cor3_remark.scaled_family(0.0)


# ------------------------------------------------------------------ the encodings
def test_batched_pair_equals_two_solves():
    rng = np.random.default_rng(0)
    for space in (_smoothness.SPACE_TASK, _smoothness.SPACE_MEAN):
        for _ in range(6):
            p = space.random_encoding(rng, scale=_smoothness.SIGMA0)
            q, d = _smoothness.pair(space, p), _smoothness.pair_direct(space, p)
            assert q is not None
            np.testing.assert_allclose(q.G1, d.G1, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(q.G2, d.G2, rtol=1e-9, atol=1e-12)
            assert q.dist == d.dist


def test_tied_space_encodes_the_same_class():
    sp = _smoothness.SPACE_MEAN
    rng = np.random.default_rng(1)
    for _ in range(5):
        q = sp.plain.random_encoding(rng)
        back = sp.to_plain(sp.from_plain(q))
        np.testing.assert_allclose(back, np.clip(q, -sp.box, sp.box), atol=1e-14)
        assert q[0] == sp.decode(sp.from_plain(q)).tasks.M


@pytest.mark.parametrize("fn", [prop3.ratio, cor2.ratio, cor3_smoothness.ratio, cor3.ratio, cor3_remark.ratio])
def test_a_malformed_encoding_raises_instead_of_being_skipped(fn):
    """A replay of an older encoding (here the pre-issue-13 one: 12 + 2 entries) is an error, not 'outside the class'."""
    with pytest.raises(ValueError, match="p"):
        fn([0.0, 1e-2, -1.0, 0.0, 0.0, 2.0, 0.0, -20.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.0])


# ------------------------------------------------------------------ quick statuses, evidence, counterexamples
@pytest.mark.parametrize("cid", IDS)
def test_quick_status_and_evidence(quick_results, cid):
    r = quick_results[cid]
    assert r.error is None, r.error
    assert r.status == QUICK_STATUS[cid], r.decision
    s = r.evidence["search"]
    assert s["failures"] == 0 and s["unpinned_worst"] is not None and s["pinned_worst"] is not None
    assert s["extremal"] in (4.0, 16.0, 1.0, 2.0)


@pytest.mark.parametrize("cid", [c for c, s in QUICK_STATUS.items() if s == "violated"])
def test_counterexample_reruns(quick_results, cid):
    ce = quick_results[cid].counterexample
    assert ce is not None
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], rel=1e-9)


@pytest.mark.parametrize("cid", ["cor2", "cor3-smoothness"])
def test_mean_claims_search_M_at_least_two_with_positive_zeta(quick_results, cid):
    w = quick_results[cid].evidence["worst_instance"]
    assert w["structure"]["M"] >= 2 and w["zeta_bound"] > 0
    assert w["zeta_lower"] <= w["zeta_bound"]


@pytest.mark.parametrize("cid", ["prop3", "cor2", "cor3-smoothness", "cor3-remark"])
def test_corrected_bounds_hold_in_the_quick_search(quick_results, cid):
    c = quick_results[cid].evidence["corrected"]
    assert c["holds"], c


# ------------------------------------------------------------------ can fail
def test_a_too_small_bound_is_violated_and_reruns():
    """cor3's ratio (sup 1) against a bound too small by 2: violated with a counterexample that reruns."""
    st = dataclasses.replace(cor3.STATEMENT, id="cor3-wrong", threshold=Threshold(0.5, "<="))
    ctx = Context(quick=True)
    r = _smoothness.search_claim(ctx, st, ratio=cor3.ratio, space=_smoothness.SPACE_MEAN_POINT, pins=[], extremal=1.0)
    assert r.status == "violated"
    ce = r.counterexample
    assert ce["value"] > 0.5
    assert Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run() == pytest.approx(ce["value"], rel=1e-12)
