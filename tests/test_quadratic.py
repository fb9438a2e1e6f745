"""QuadraticTasks against independent dense computations (NumPy), on Hypothesis-drawn families."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st
from strategies import family_data

from bmaml_theory import QuadraticTasks

EPS = np.finfo(float).eps


def _tasks(data, **kw):
    A_train, b_train, lam, A_test, b_test, theta = data
    return QuadraticTasks(A_train, b_train, lam, A_test, b_test, **kw), theta


def _dense_phi(data, nu):
    A_train, b_train, lam, A_test, b_test, theta = data
    n = A_train.shape[-1]
    return np.stack(
        [
            np.linalg.solve(
                nu * A_test[i] + A_train[i] + lam * np.eye(n),
                lam * theta - b_train[i] - nu * b_test[i],
            )
            for i in range(A_train.shape[0])
        ]
    )


def _scale(data):
    """lam(||A|| ||phi0|| + ||b||)/mu: the size of grad F_i's ingredients (backward-error scale)."""
    A_train, _b_train, lam, A_test, b_test, _theta = data
    phi0 = _dense_phi(data, 0.0)
    mu = lam + np.linalg.eigvalsh(A_train)[:, 0]
    nA = np.linalg.norm(A_test, 2, axis=(1, 2))
    return lam * (nA * np.linalg.norm(phi0, axis=1) + np.linalg.norm(b_test, axis=1)) / mu


@given(family_data(), st.floats(-0.9, 0.9))
def test_inner_solution_matches_dense_solve(data, frac):
    tasks, theta = _tasks(data)
    lo, hi = tasks.nu_interval()
    r = min(-lo, hi, 1e3)
    nu = frac * r
    got = tasks.inner_solution(theta, nu)
    ref = _dense_phi(data, nu)
    # cond(S + nu A) <= cond(S) / min(1 + nu gamma) <= 3 / (1 - |frac|): dense solves are backward stable
    tol = 1e3 * EPS * tasks.n * 3 / (1 - abs(frac)) * (1 + np.abs(ref).max())
    note(f"nu={nu}, err={np.abs(got - ref).max()}, tol={tol}")
    assert np.abs(got - ref).max() <= tol


@given(family_data())
@example(
    (
        np.array([[[1.0]]]),
        np.array([[0.5]]),
        2.0,
        np.array([[[1.0]]]),
        np.array([[0.5]]),
        np.array([1.0]),
    )
)
def test_meta_gradient_is_eq7(data):
    """grad F_i = (I + Ahat_i/lam)^{-1} grad f_i(phi*_i): eq. (7) by a dense solve."""
    A_train, _b_train, lam, A_test, b_test, theta = data
    tasks, _ = _tasks(data)
    phi0 = _dense_phi(data, 0.0)
    n = tasks.n
    ref = np.stack(
        [np.linalg.solve(np.eye(n) + A_train[i] / lam, A_test[i] @ phi0[i] + b_test[i]) for i in range(tasks.M)]
    )
    got = tasks.meta_gradient(theta, per_task=True)
    err = np.linalg.norm(got - ref, axis=1) / _scale(data)
    assert err.max() <= 1e3 * n * EPS
    assert np.allclose(tasks.meta_gradient(theta), ref.mean(axis=0), atol=1e3 * n * EPS * _scale(data).max())


@given(family_data())
def test_meta_gradient_matches_finite_differences_of_F(data):
    """F is quadratic in theta, so central differences carry no truncation error, only round-off."""
    tasks, theta = _tasks(data)
    h = 1e-3 * (1 + np.linalg.norm(theta))
    g = tasks.meta_gradient(theta)
    fd = np.empty(tasks.n)
    for k in range(tasks.n):
        e = np.zeros(tasks.n)
        e[k] = h
        fd[k] = (tasks.meta_objective(theta + e) - tasks.meta_objective(theta - e)) / (2 * h)
    Fscale = (
        np.abs(tasks.meta_objective(theta, per_task=True)).max()
        + np.abs(tasks.meta_objective(theta + h, per_task=True)).max()
        + 1.0
    )
    tol = 1e3 * tasks.n * EPS * Fscale / h + 1e3 * tasks.n * EPS * np.linalg.norm(g)
    note(f"err={np.abs(g - fd).max()}, tol={tol}")
    assert np.abs(g - fd).max() <= tol


@given(family_data())
def test_meta_hessian_is_derivative_of_meta_gradient(data):
    tasks, theta = _tasks(data)
    H = tasks.meta_hessian(theta)
    assert np.allclose(H, H.T, atol=1e3 * EPS * np.abs(H).max())
    rng = np.random.default_rng(0)
    v = rng.standard_normal(tasks.n)
    # grad F is affine in theta: the difference is exact up to round-off
    diff = tasks.meta_gradient(theta + v) - tasks.meta_gradient(theta)
    scale = np.abs(tasks.meta_gradient(theta, per_task=True)).max() + np.abs(H).max() * np.linalg.norm(v) + 1
    assert np.abs(diff - H @ v).max() <= 1e4 * tasks.n * EPS * scale


@given(family_data())
def test_proposition_1_by_complex_step(data):
    """grad F_i = -lam d phi*_{i,nu}/d nu at 0, the derivative by the complex step (no cancellation)."""
    A_train, b_train, lam, A_test, b_test, theta = data
    tasks, _ = _tasks(data)
    h = 1e-30
    n = tasks.n
    dphi = np.stack(
        [
            np.linalg.solve(
                A_train[i] + lam * np.eye(n) + 1j * h * A_test[i],
                lam * theta - b_train[i] - 1j * h * b_test[i],
            ).imag
            / h
            for i in range(tasks.M)
        ]
    )
    err = np.linalg.norm(-lam * dphi - tasks.meta_gradient(theta, per_task=True), axis=1) / _scale(data)
    assert err.max() <= 1e3 * n * EPS


@given(family_data())
def test_nu_interval_is_exact(data):
    """Inside the interval every perturbed Hessian is PD; just outside at least one is not."""
    tasks, _ = _tasks(data)
    A_train, _, lam, A_test, _, _ = data
    lo, hi = tasks.nu_interval()
    n = tasks.n

    def min_eig(nu):
        return min(np.linalg.eigvalsh(nu * A_test[i] + A_train[i] + lam * np.eye(n))[0] for i in range(tasks.M))

    for end in (lo, hi):
        if np.isfinite(end):
            assert min_eig(end * (1 - 1e-6)) > 0
            assert min_eig(end * (1 + 1e-6)) < 0
    c = tasks.constants()
    # the paper's sufficient interval (-mu/L1, mu/L1) of Assumption 3 lies inside the exact one
    if c.L1 > 0:
        assert lo <= -c.mu / c.L1 * (1 - 1e-9) and hi >= c.mu / c.L1 * (1 - 1e-9)


@given(family_data(), st.floats(-0.99, 0.99))
def test_mu_nu_and_L_nu_bound_the_spectrum(data, frac):
    tasks, _ = _tasks(data)
    A_train, _, lam, A_test, _, _ = data
    lo, hi = tasks.nu_interval()
    nu = frac * min(-lo, hi, 1e3)
    mu = tasks.mu_nu(nu)
    L = tasks.L_nu(nu)
    for i in range(tasks.M):
        ev = np.linalg.eigvalsh(nu * A_test[i] + A_train[i] + lam * np.eye(tasks.n))
        assert 0 < mu[i] <= ev[0] * (1 + 1e-10) + 1e-12
        assert L[i] >= ev[-1] * (1 - 1e-10)


@given(family_data())
def test_constants(data):
    tasks, _ = _tasks(data)
    A_train, _, lam, A_test, _, _ = data
    c = tasks.constants()
    assert np.isclose(c.Lhat1, np.abs(np.linalg.eigvalsh(A_train)).max())
    assert np.isclose(c.L1, np.abs(np.linalg.eigvalsh(A_test)).max())
    assert np.isclose(c.mu, lam + np.linalg.eigvalsh(A_train)[:, 0].min())
    assert c.mu >= lam - c.Lhat1 - 1e-12  # the paper's mu = lam - Lhat1 is a lower bound
    assert c.Lhat2 == 0.0 and np.inf == c.L0
    assert tasks.cond_S <= 3 * (1 + 1e-9)  # lam >= 2 Lhat1 => cond(lam I + Ahat) <= 3


def test_inner_solution_grid_shape_and_consistency():
    rng = np.random.default_rng(3)
    A = np.stack([np.diag(rng.uniform(-1, 1, 4)) for _ in range(2)])
    tasks = QuadraticTasks(A, rng.standard_normal((2, 4)), 2.0)
    theta = rng.standard_normal(4)
    nus = np.array([0.0, 0.1, -0.2])
    grid = tasks.inner_solution(theta, nus)
    assert grid.shape == (2, 3, 4)
    for g, nu in enumerate(nus):
        assert np.allclose(grid[:, g, :], tasks.inner_solution(theta, float(nu)), rtol=0, atol=1e-14)


def test_strict_false_allows_small_lam_but_needs_strong_convexity():
    A = np.array([[[2.0, 0.0], [0.0, 0.5]]])
    b = np.array([[1.0, -1.0]])
    with pytest.raises(ValueError, match="below 2\\*Lhat1"):
        QuadraticTasks(A, b, lam=1.0)
    t = QuadraticTasks(A, b, lam=1.0, strict=False)
    assert t.constants().mu == pytest.approx(1.5)
    with pytest.raises(ValueError, match="not strongly convex"):
        QuadraticTasks(-A, b, lam=1.0, strict=False)


@pytest.mark.parametrize(
    ("A", "lam", "names"),
    [
        (np.full((1, 2, 2), 9e307), 1.0, "A_train"),  # eigenvalue 1.8e308 overflows
        (np.array([[[9e307, 1.0], [1.0, -9e307]]]), 1.7e308, "A_train + lam I"),  # the shifted spectrum overflows
    ],
)
def test_extreme_magnitudes_name_the_argument(A, lam, names):
    """Entries near the float64 limit: a ValueError naming the argument and the fix, never a bare LinAlgError."""
    with pytest.raises(ValueError, match=names.replace("+", r"\+")) as e:
        QuadraticTasks(A, np.ones((1, 2)), lam=lam, strict=False)
    assert "rescale" in str(e.value)
