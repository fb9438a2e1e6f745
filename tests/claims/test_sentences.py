"""Headline-sentence rows (bmaml_theory.claims.chayti_jaggi.sentences) and Section 3's optimal-nu scalings: quick
statuses, the values their derivations predict, the reuse of other rows' measurements, and can-fail checks."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from bmaml_theory.claims import REGISTRY, Context, Measurement, Replay, run_group, runners
from bmaml_theory.claims.chayti_jaggi.precision import nu_symmetric_scaling
from bmaml_theory.claims.chayti_jaggi.section4 import cor3
from bmaml_theory.claims.chayti_jaggi.sentences import abstract_convergence, abstract_nonsmooth
from bmaml_theory.rates import fit_order
from bmaml_theory.studies import precision as pstudy

GROUPS = {
    "chayti-jaggi-precision": ["mp-eq14-forward", "mp-eq14-symmetric", "nu-forward-scaling", "nu-symmetric-scaling"],
    "cj-section4-algorithms": ["delta-eps2", "abstract-convergence"],
    "cj-section4-smoothness-bounds": ["abstract-nonsmooth"],
    "cj-section4-smoothness": ["cor2", "intro-generalized-smoothness"],
}
QUICK = {
    "nu-forward-scaling": "holds",
    "nu-symmetric-scaling": "holds",
    "abstract-convergence": "inconclusive",  # delta-eps2 lacks power in quick (one instance); holds by default
    "abstract-nonsmooth": "scope",
    "intro-generalized-smoothness": "holds",
}


@pytest.fixture(scope="module")
def quick():
    out = {}
    for g, ids in GROUPS.items():
        assert all(REGISTRY[c].group == g for c in ids)
        for r in run_group(ids, quick=True):
            out[r.id] = r
    return out


@pytest.mark.parametrize("cid", sorted(QUICK))
def test_quick_status(quick, cid):
    r = quick[cid]
    assert r.error is None, r.error
    assert r.status == QUICK[cid], r.decision
    assert r.category == ("scope" if cid == "abstract-nonsmooth" else None)


@pytest.mark.parametrize(("cid", "stated"), [("nu-forward-scaling", 0.5), ("nu-symmetric-scaling", 1 / 3)])
def test_best_nu_exponents_are_the_derived_ones(quick, cid, stated):
    """nu* = (lam ||w||_1 delta / (p a))^(1/(p+1)) (1 + O(nu*)): 1/2 forward, 1/3 symmetric, on every instance (the
    window is asymptotic and out of round-off, so the fit is within 1e-3 of the stated exponent, inside the
    row's tolerance 0.01); the replay recomputes the worst instance's exponent through the same path."""
    r = quick[cid]
    per = [p for p in r.evidence["per_instance"] if p["nu_exponent"] is not None]
    assert len(per) >= 0.5 * len(r.evidence["per_instance"])
    assert all(abs(p["nu_exponent"] - stated) < 1e-3 for p in per)
    rep = r.evidence["worst_instance"]
    kw = {k: rep[k] for k in ("kind", "n", "seed", "order", "delta_range")}
    assert pstudy.nu_exponent(**kw) == pytest.approx(r.measured, rel=1e-12)  # same path, same mpmath digits


def test_best_nu_exponent_recovers_a_power_law_and_the_row_can_fail():
    """On an exact power law the fit returns its exponent; a best nu scaling as delta^(1/2) (what a Theta(nu)
    symmetric bias, sec3-regularity's kinked family, would give) fails nu-symmetric-scaling's threshold."""
    deltas = np.logspace(-4, -40, 19)
    for e in (1 / 3, 1 / 2):
        nu = 0.7 * deltas**e
        bias = deltas ** (1 - e)
        fit = fit_order(deltas, bias, min_decades=10)
        d = SimpleNamespace(deltas=deltas, nu=nu, fit=fit)
        got, se = pstudy.best_nu_exponent(d)
        # stderr comes from sqrt(1 - r^2) with r^2 = 1 to round-off: ~sqrt(eps) = 1.5e-8, not 0
        assert got == pytest.approx(e, abs=1e-12) and se < 1e-7
    st = nu_symmetric_scaling.STATEMENT
    bad = Measurement(0.5, {"family": "Theta(nu) bias"}, Replay("math:sqrt", {"x": 0.25}))
    assert runners.decide(Context(), st, [bad]).status == "violated"


def test_abstract_convergence_reuses_delta_eps2_and_fomaml_bias(quick):
    """Part (a) is delta-eps2's worst ratio (the same cached runs), part (b) fallah-fomaml-bias's threshold over its
    smallest FO-MAML direction; the worse part is measured."""
    r = quick["abstract-convergence"]
    a, b = r.evidence["part_a"], r.evidence["part_b"]
    assert a["measured"] == quick["delta-eps2"].measured
    assert r.measured == max(a["measured"], 1e-6 / b["measured"])
    assert 1e-6 / b["measured"] < 0.01  # FO-MAML's direction at stationary points exceeds 1e-6 by far (7e-4)
    wi = r.evidence["worst_instance"]
    assert wi["part"].startswith("a")
    keys = {"seed": 0, "M": 2, "n": 2, "alpha_factor": 0.1}
    v = abstract_convergence.fomaml_contrast(**keys)
    assert 0 < v < 1


def test_abstract_nonsmooth_sits_at_2_L0(quick):
    """Derivation: lam >= 2 Lhat1 gives mu >= lam/2, so ||grad F|| <= G = lam L0/mu <= 2 L0; Corollary 3's
    extremal instance (lam = 2 Lhat1, mu = Lhat1) attains G = 2 L0, so the sup is 1 to round-off and never above:
    the headline's non-smoothness needs objectives outside the standing assumptions (scope)."""
    r = quick["abstract-nonsmooth"]
    assert 1 - 1e-9 <= r.measured <= 1 + 1e-9
    assert r.counterexample is not None and r.evidence["search"]["unpinned_worst"] <= 1 + 1e-9
    p = cor3.extremal_encoding()
    d = cor3.describe(p)
    assert d["lam_over_mu"] == 2.0 and d["G"] == 2 * 12.0
    assert abstract_nonsmooth.ratio(p) == pytest.approx(cor3.ratio(p), rel=1e-15)  # G = 2 L0 exactly here
    rep = r.counterexample["replay"]
    assert abstract_nonsmooth.ratio(**rep["kwargs"]) == pytest.approx(r.measured, rel=1e-12)


def test_intro_generalized_smoothness_is_cor2s_corrected_search(quick):
    r = quick["intro-generalized-smoothness"]
    assert r.measured == quick["cor2"].evidence["corrected"]["worst_ratio"]  # the same cached search
    assert quick["cor2"].status == "violated" and r.measured <= 1 + 1e-6
    assert math.isclose(r.evidence["search"]["extremal"], 1.0)
