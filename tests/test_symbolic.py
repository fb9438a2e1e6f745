"""The sympy derivations: that they prove what they say, that the checker can refute, and that every
symbolic result agrees numerically with the library on random instances."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from bmaml_theory import estimators, precision, symbolic
from bmaml_theory.claims import Context, run_claim
from bmaml_theory.stencils import FORWARD, SYMMETRIC, stencil
from bmaml_theory.tasks.generate import KINDS, random_family
from bmaml_theory.tasks.quadratic import QuadraticTasks


@pytest.mark.parametrize(
    "derive",
    [
        lambda: symbolic.prop1_general(1),
        lambda: symbolic.prop1_quadratic(1),
        lambda: symbolic.prop1_eigenbasis(2),
        lambda: symbolic.appendix_b(1),
        lambda: symbolic.bias_series((FORWARD, SYMMETRIC, stencil(4)), n_matrix=1),
        symbolic.a4_algebra,
    ],
)
def test_derivations_prove_their_identities(derive):
    d = derive()
    assert d.proved is True, d.residual
    assert d.residual == "0" and d.counterexample is None
    assert all(c["proved"] is True for c in d.details.values() if isinstance(c, dict) and "proved" in c)


def test_decide_zero_refutes_a_false_identity_with_a_point():
    x, y = sp.symbols("x y", real=True)
    proved, _residual, point = symbolic.decide_zero((x + y) ** 2 - (x**2 + y**2))
    assert proved is False and point is not None
    vals = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in point.items()}
    assert ((x + y) ** 2 - (x**2 + y**2)).subs(vals) != 0
    assert symbolic.decide_zero(sp.Matrix([(x**2 - 1) / (x - 1) - x - 1]))[0] is True


def test_a_misprinted_closed_form_would_be_caught():
    """Appendix B with the (1 + nu) dropped from b is refuted, not proved."""
    A, b, theta = symbolic.sym_matrix("A", 1), symbolic.vec("b", 1), symbolic.vec("theta", 1)
    nu, lam = symbolic.nu, symbolic.lam
    p = symbolic.vec("p", 1)
    G = (1 + nu) * (A * p + b) + lam * (p - theta)
    derived = G.jacobian(p).LUsolve(-G.subs({p[0]: 0}))
    wrong = ((1 + nu) * A + lam * sp.eye(1)).LUsolve(lam * theta - b)
    assert symbolic.decide_zero(wrong - derived)[0] is False


def test_bias_series_leading_terms_are_the_documented_ones():
    d = symbolic.bias_series((FORWARD, SYMMETRIC), n_matrix=1)
    fw, sy = d.details["stencils"]["forward"], d.details["stencils"]["symmetric"]
    assert (fw["order_p"], fw["s_p"], fw["next_nonzero_order"]) == (1, "1", 2)
    assert (sy["order_p"], sy["s_p"], sy["next_nonzero_order"]) == (2, "1", 4)
    assert symbolic.moments(stencil(6), 8)[6] == 36


def _dense(tasks, i, theta):
    Ah, A = np.asarray(tasks.A_train[i]), np.asarray(tasks.A_test[i])
    bh, b = np.asarray(tasks.b_train[i]), np.asarray(tasks.b_test[i])
    S = Ah + tasks.lam * np.eye(tasks.n)
    phi0 = np.linalg.solve(S, tasks.lam * theta - bh)
    grad = tasks.lam * np.linalg.solve(S, A @ phi0 + b)
    return S, A, grad


@given(kind=st.sampled_from(KINDS), n=st.integers(1, 6), seed=st.integers(0, 10**6), order=st.integers(1, 6))
def test_exact_bias_closed_form_matches_the_estimator(kind, n, seed, order):
    """g_nu = sum_k w_k t_k (I + t_k nu S^-1 A)^-1 grad F (symbolic-bias-series) against estimators.estimate."""
    tasks, theta = random_family(kind, 2, n, seed)
    sten = stencil(order)
    lo, hi = tasks.nu_interval()
    r = min(-lo, hi) if np.isfinite(min(-lo, hi)) else 1.0
    nu = 0.1 * r / max(abs(t) for t in sten.nodes)
    g = np.asarray(estimators.estimate(tasks, theta, nu, sten).per_task)
    for i in range(tasks.M):
        S, A, grad = _dense(tasks, i, theta)
        M = np.linalg.solve(S, A)
        closed = sum(
            w * t * np.linalg.solve(np.eye(n) + t * nu * M, grad) for w, t in zip(sten.weights, sten.nodes, strict=True)
        )
        # a priori: the estimator's round-off ~ eps cond(S) ||w||_1 ||phi||/nu relative, < 1e-11 here
        assert np.linalg.norm(g[i] - closed) <= 1e-9 * (np.linalg.norm(grad) + 1e-300) + 1e-12


@pytest.mark.parametrize("order", [1, 2, 3, 6])
def test_leading_coefficient_matches_high_precision_bias(order):
    """(g_nu - grad F)/nu^p -> s_p (-1)^p (S^-1 A)^p grad F, measured in mpmath with nu = 1e-12."""
    import mpmath

    tasks, theta = random_family("indefinite-both", 2, 4, 3)
    dps = precision.dps_for(1e-12 ** (order + 1))  # the bias ~ nu^p survives the 1/nu cancellation
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=dps)
    sten = stencil(order)
    nu = mpmath.mpf("1e-12")
    with mpmath.workdps(dps):
        bias = T.estimate(sten, nu) - T.grad
        S, A, grad = _dense(tasks, 0, theta)
        M = np.linalg.solve(S, A)
        s_p = int(symbolic.moments(sten, order)[order])
        lead = s_p * (-1) ** order * np.linalg.matrix_power(M, order) @ grad
        ratio = np.array([float(bias[k] / nu**order) for k in range(4)])
    # relative: O(nu) from the next term, and float64 in `lead` (~1e-14 with cond(S) <= 3)
    assert np.linalg.norm(ratio - lead) <= 1e-9 * np.linalg.norm(lead)


@given(n=st.integers(1, 5), seed=st.integers(0, 10**6), nu=st.floats(-0.3, 0.3))
def test_appendix_b_forms_match_the_library(n, seed, nu):
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    A = (Q * rng.uniform(-1, 1, n)) @ Q.T
    A = (A + A.T) / 2
    b = rng.standard_normal(n)
    lam = 2.0 * max(np.max(np.abs(np.linalg.eigvalsh(A))), 1e-3)
    tasks = QuadraticTasks(A[None], b[None], lam)
    theta = rng.standard_normal(n)
    lo, hi = tasks.nu_interval()
    nu = float(np.clip(nu, 0.5 * lo, 0.5 * hi))
    eye = np.eye(n)
    phi_printed = np.linalg.solve((1 + nu) * A + lam * eye, lam * theta - (1 + nu) * b)
    grad_printed = lam * np.linalg.solve(A + lam * eye, A @ np.linalg.solve(A + lam * eye, lam * theta - b) + b)
    assert np.allclose(np.asarray(tasks.inner_solution(theta, nu))[0], phi_printed, rtol=1e-12, atol=1e-12)
    assert np.allclose(np.asarray(tasks.meta_gradient(theta, per_task=True))[0], grad_printed, rtol=1e-12, atol=1e-12)


@given(kind=st.sampled_from(KINDS), n=st.integers(1, 6), seed=st.integers(0, 10**6))
def test_eigenbasis_hessian_matches_lam2_Sinv_A_Sinv(kind, n, seed):
    """symbolic-prop1's eigenbasis step: Hess F = lam^2 V Gamma V^T = lam^2 S^-1 A S^-1."""
    tasks, theta = random_family(kind, 1, n, seed)
    S, A, _ = _dense(tasks, 0, theta)
    H = tasks.lam**2 * np.linalg.solve(S, np.linalg.solve(S, A).T)
    Hlib = np.asarray(tasks.meta_hessian(theta, per_task=True))[0]
    assert np.allclose(Hlib, H, rtol=1e-10, atol=1e-10 * np.abs(H).max())


@given(L0=st.floats(1e-3, 1e3), L1=st.floats(1e-3, 1e3), eps=st.floats(1e-6, 1e3), g=st.floats(1e-6, 1e6))
def test_a4_per_step_decrease_numerically(L0, L1, eps, g):
    """symbolic-a4: g^2/(2(L0 + L1 g)) >= min(eps^2/(4 L0), L0/(4 L1^2)) whenever g >= eps."""
    if g < eps:
        return
    h = g * g / (2 * (L0 + L1 * g))
    assert h >= min(eps**2 / (4 * L0), L0 / (4 * L1**2)) * (1 - 1e-12)


def test_symbolic_claims_hold():
    ctx = Context(quick=True)
    for cid in ("symbolic-appendix-b", "symbolic-a4"):
        r = run_claim(cid, ctx)
        assert r.status == "holds" and r.measured == 0
        assert all(d["derived_expression"] for d in r.evidence["derivations"])


def test_prop1_hypothesis_gap_is_refuted_and_reproduces_numerically():
    """errata E9: with only 'grad F exists', Prop. 1's identity fails by a factor 3 at a degenerate minimum."""
    d = symbolic.prop1_hypothesis_gap()
    assert d.proved is False and d.counterexample is not None
    failing = [k for k, c in d.details.items() if isinstance(c, dict) and c.get("proved") is False]
    assert failing == ["Prop. 1's identity -lam dphi*_nu/dnu = grad F at theta = 0"]
    num = d.details["numeric_lam_1"]
    assert num["grad_F_central_difference"] == pytest.approx(0.25, rel=1e-9)
    assert all(v == pytest.approx(0.75, rel=1e-9) for v in num["forward_estimator_at_nu"].values())
    # the ledger keeps it as evidence, but the standing assumptions exclude it (errata E9): never violated
    r = run_claim("prop1-hypothesis", Context(quick=True))
    assert r.status != "violated" and r.evidence["old_counterexample"]["refutes_identity_at_instance"]
