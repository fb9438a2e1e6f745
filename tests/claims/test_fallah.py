"""The Fallah, Mokhtari & Ozdaglar claims: quick statuses, the derivations' exact numbers, and can-fail checks."""

from __future__ import annotations

import numpy as np
import pytest

from bmaml_theory.claims import Context, Measurement, Replay, run_claim, runners
from bmaml_theory.claims.fallah import fomaml_bias, hfmaml_error, smoothness


@pytest.fixture(scope="module")
def quick():
    ctx = Context(quick=True)
    return {cid: run_claim(cid, ctx) for cid in ("fallah-smoothness", "fallah-hfmaml-error", "fallah-fomaml-bias")}


def test_quick_statuses(quick):
    assert {k: r.status for k, r in quick.items()} == {
        "fallah-smoothness": "holds",
        "fallah-hfmaml-error": "holds",
        "fallah-fomaml-bias": "holds",
    }


def test_smoothness_is_tight_at_the_pinned_extremal_instance(quick):
    """(1 + alpha L)^2 = 4 at curvature -L and alpha = 1/L: the ratio is 1 up to the logistic part (<= 2.5e-5)."""
    assert smoothness.ratio(smoothness.PIN) == pytest.approx(1.0, abs=1e-3)
    assert smoothness.ratio(smoothness.PIN) <= 1.0
    # the search starts from the pin, so the quick measurement is at least the pin's value and never above 1
    assert smoothness.ratio(smoothness.PIN) <= quick["fallah-smoothness"].measured <= 1.0 + 1e-6


def test_smoothness_replay_reproduces_the_worst_instance(quick):
    r = quick["fallah-smoothness"]
    p = r.evidence["worst_instance"]["encoding"]
    assert smoothness.ratio(p) == r.measured


def test_hfmaml_error_stays_below_the_taylor_half(quick):
    """The integral form of Taylor's theorem bounds the ratio by 1/2."""
    assert 0 < quick["fallah-hfmaml-error"].measured <= 0.5


def test_hfmaml_error_below_round_off_is_not_a_measurement():
    """With ||v|| = 1e-9 the bound is below the difference's round-off: None (skipped), never a 0 that passes."""
    p = np.zeros(15)
    p[12:14] = 1e-9
    assert hfmaml_error.ratio(p) is None


def test_fomaml_bias_stationary_points_are_certified(quick):
    r = quick["fallah-fomaml-bias"]
    rows = r.evidence["instances"]
    assert len(rows) == len(fomaml_bias.INSTANCES) and all(x["certified"] for x in rows)
    assert max(x["grad_F_rel"] for x in rows) <= fomaml_bias.CERT
    # the FO-MAML direction is orders of magnitude above the certificate at every instance
    assert min(x["fo_over_grad_F"] for x in rows) >= 1e10
    assert r.measured == min(x["fo_maml_rel"] for x in rows)


def test_fomaml_bias_replay(quick):
    kw = quick["fallah-fomaml-bias"].evidence["worst_instance"]
    assert fomaml_bias.relative_fo_direction(**kw) == quick["fallah-fomaml-bias"].measured


def test_one_task_fomaml_direction_is_the_preconditioned_gradient():
    """With one task g_FO(w) = (I - alpha H(w))^{-1} grad F(w) exactly, so it vanishes where grad F does."""
    A, b, s = fomaml_bias.task_family(3, 1, 4)
    alpha = 0.3 / (2 + np.abs(s).max() / 4)
    w = np.array([0.2, -0.4, 0.1, 0.7])
    gF, gFO, _ = fomaml_bias.maml_pieces(A, b, s, w, alpha)
    sg = 1 / (1 + np.exp(-w))
    H = A + np.diag(s[0] * sg * (1 - sg))
    np.testing.assert_allclose((np.eye(4) - alpha * H) @ gFO, gF, rtol=1e-12, atol=1e-14)


def test_fomaml_bias_can_fail_on_one_task():
    """The check is not vacuous: on one task (where the direction does vanish) the same decision reads violated,
    with a counterexample that reruns."""
    kw = {"seed": 100, "M": 1, "n": 3, "alpha_factor": 0.1}
    v = fomaml_bias.relative_fo_direction(**kw)
    assert v < 1e-14
    res = runners.decide(
        Context(),
        fomaml_bias.STATEMENT,
        [Measurement(v, kw, Replay("bmaml_theory.claims.fallah.fomaml_bias:relative_fo_direction", kw))],
    )
    assert res.status == "violated"
    rep = res.counterexample["replay"]
    assert Replay(rep["target"], rep["kwargs"]).run() == v


def test_newton_hessian_matches_finite_differences():
    A, b, s = fomaml_bias.task_family(1, 3, 3)
    alpha = 1.0 / (2 + np.abs(s).max() / 4)
    w = np.array([0.3, -0.2, 0.5])
    _, _, H = fomaml_bias.maml_pieces(A, b, s, w, alpha)
    e = 1e-6
    Hn = np.array(
        [
            (
                fomaml_bias.maml_pieces(A, b, s, w + e * d, alpha)[0]
                - fomaml_bias.maml_pieces(A, b, s, w - e * d, alpha)[0]
            )
            / (2 * e)
            for d in np.eye(3)
        ]
    ).T
    np.testing.assert_allclose(H, Hn, rtol=1e-6, atol=1e-8)


def test_task_family_rejects_bad_sizes():
    with pytest.raises(ValueError, match="M and n"):
        fomaml_bias.task_family(0, 0, 3)
