"""Estimators, stencils and inexactness models, against independent computations."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st
from strategies import family_data

from bmaml_theory import QuadraticTasks, estimators, stencils, sweeps
from bmaml_theory.claims.chayti_jaggi.section3._common import RATE_TOL
from bmaml_theory.inexact import Adversarial, RandomDirection
from bmaml_theory.sweeps import ASYMPTOTIC_NU_RHO, FLOOR_FACTOR

EPS = np.finfo(float).eps


def _tasks(data):
    A_train, b_train, lam, A_test, b_test, theta = data
    return QuadraticTasks(A_train, b_train, lam, A_test, b_test), theta


# ----------------------------------------------------------------------------- stencils
def test_known_stencils():
    assert stencils.FORWARD.nodes == (0, 1) and stencils.FORWARD.weights == (-1.0, 1.0)
    assert stencils.FORWARD.order == 1 and stencils.FORWARD.w_l1 == 2.0
    assert stencils.SYMMETRIC.nodes == (-1, 1) and stencils.SYMMETRIC.weights == (-0.5, 0.5)
    assert stencils.SYMMETRIC.order == 2 and stencils.SYMMETRIC.w_l1 == 1.0
    s4 = stencils.stencil(4)
    assert s4.nodes == (-2, -1, 1, 2)
    assert np.allclose(s4.weights, [1 / 12, -2 / 3, 2 / 3, -1 / 12])
    # truncation coefficients: forward phi''/2, symmetric phi'''/6
    assert stencils.FORWARD.error_coefficient == 0.5
    assert stencils.SYMMETRIC.error_coefficient == pytest.approx(1 / 6)


@pytest.mark.parametrize("order", range(1, 7))
def test_stencil_order_is_exact_on_polynomials(order):
    """An order-p stencil differentiates degree <= p polynomials exactly and fails on degree p+1."""
    s = stencils.stencil(order)
    assert s.order == order
    for deg in range(order + 2):
        d = sum(
            Fraction(w).limit_denominator(10**9) * Fraction(t) ** deg for t, w in zip(s.nodes, s.weights, strict=True)
        )
        want = 1 if deg == 1 else 0
        if deg <= order:
            assert d == want, (deg, d)
        else:
            assert d != want


# ----------------------------------------------------------------------------- estimators
def test_estimators_against_dense_difference_quotients(backend):
    from conftest import to_backend

    from bmaml_theory._backend import to_numpy

    rng = np.random.default_rng(7)
    n, M = 4, 3
    from bmaml_theory.tasks.generate import random_symmetric

    Ah = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
    A = random_symmetric(rng, rng.uniform(-2, 2, (M, n)))
    bh, b, theta = rng.standard_normal((M, n)), rng.standard_normal((M, n)), rng.standard_normal(n)
    lam = 2.0
    tasks = QuadraticTasks(*(to_backend(x, backend) for x in (Ah, bh)), lam, *(to_backend(x, backend) for x in (A, b)))
    th = to_backend(theta, backend)

    def phi(nu):
        return np.stack(
            [np.linalg.solve(nu * A[i] + Ah[i] + lam * np.eye(n), lam * theta - bh[i] - nu * b[i]) for i in range(M)]
        )

    nu = 1e-3
    fwd = -lam * (phi(nu) - phi(0.0)) / nu
    sym = -lam * (phi(nu) - phi(-nu)) / (2 * nu)
    tol = 1e3 * EPS * lam * np.abs(phi(0.0)).max() / nu
    assert np.abs(to_numpy(estimators.forward(tasks, th, nu, per_task=True)) - fwd).max() <= tol
    assert np.abs(to_numpy(estimators.symmetric(tasks, th, nu, per_task=True)) - sym).max() <= tol
    assert np.abs(to_numpy(estimators.forward(tasks, th, nu)) - fwd.mean(0)).max() <= tol
    o2 = to_numpy(estimators.order_n(tasks, th, nu, 2, per_task=True))
    assert np.abs(o2 - sym).max() <= tol


@given(family_data(), st.integers(1, 6), st.floats(1e-3, 0.3))
def test_estimators_exact_for_linear_test_objective(data, order, frac):
    """With A_test = 0, phi*_nu is affine in nu, so every stencil is exact for every nu (eq. 9)."""
    A_train, b_train, lam, _, _, theta = data
    M, n = b_train.shape
    rng = np.random.default_rng(0)
    tasks = QuadraticTasks(A_train, b_train, lam, np.zeros((M, n, n)), rng.standard_normal((M, n)))
    g = tasks.meta_gradient(theta, per_task=True)
    nu = frac  # nu_interval is the whole line when A_test = 0
    assert tasks.nu_interval() == (-np.inf, np.inf)
    est = estimators.order_n(tasks, theta, nu, order, per_task=True)
    s = stencils.stencil(order)
    scale = lam * s.w_l1 * EPS * np.abs(tasks.inner_solution(theta, 0.0)).max() / nu * 1e3 + 1e-300
    note(f"err={np.abs(est - g).max()} scale={scale}")
    assert np.abs(est - g).max() <= scale + 1e3 * EPS * np.abs(g).max()


@example(
    (
        np.array([[[0.01]], [[-0.01]]]),
        np.array([[0.64042265], [0.10490012]]),
        0.02,
        np.array([[[-1e2]], [[-1e-3]]]),
        np.array([[1.30400005], [0.94708096]]),
        np.array([-0.07037352]),
    )
)  # task 1's window lay almost entirely above the family's nu grid (found by Hypothesis)
@given(family_data())
def test_bias_rates_eq12(data):
    """Observed order 1 (forward) and 2 (symmetric) in nu at exact solutions, per task (eq. 12)."""
    tasks, theta = _tasks(data)
    for s, p in ((stencils.FORWARD, 1.0), (stencils.SYMMETRIC, 2.0)):
        nus = sweeps.nu_grid(tasks, s, decades=11, per_decade=10)
        grid = sweeps.bias_grid(tasks, theta, nus, s)
        for i in range(tasks.M):
            f = sweeps.fit_nu_order(grid, i)
            note(f"{s.name} task {i}: {f}")
            if not f.ok:
                # the family's nu grid is set by its most restrictive task and may barely reach task i's
                # window: refit task i on its own grid, where the window is reachable
                ti = QuadraticTasks(
                    tasks.A_train[i : i + 1],
                    tasks.b_train[i : i + 1],
                    tasks.lam,
                    tasks.A_test[i : i + 1],
                    tasks.b_test[i : i + 1],
                )
                nus_i = sweeps.nu_grid(ti, s, decades=11, per_decade=10)
                grid_i = sweeps.bias_grid(ti, theta, nus_i, s)
                f = sweeps.fit_nu_order(grid_i, 0)
                note(f"{s.name} task {i} alone: {f}")
                if not f.ok:  # then the bias must be at the round-off floor in the whole window
                    win = nus_i <= ASYMPTOTIC_NU_RHO / grid_i.rho[0]
                    assert np.all(grid_i.exact[0][win] <= FLOOR_FACTOR * grid_i.roundoff[0][win] * 10)
                    continue
            assert abs(f.order - p) <= RATE_TOL


@given(family_data())
def test_bias_rates_eq14_adversarial(data):
    """At the best nu per delta, adversarial errors give orders 1/2 and 2/3 in delta (eq. 14)."""
    tasks, theta = _tasks(data)
    deltas = np.logspace(-1, -15, 29)
    for s, p in ((stencils.FORWARD, 0.5), (stencils.SYMMETRIC, 2 / 3)):
        nus = sweeps.nu_grid(tasks, s, decades=11, per_decade=10)
        grid = sweeps.bias_grid(tasks, theta, nus, s, deltas)
        b = sweeps.best_nu(grid)
        for i in range(tasks.M):
            f = sweeps.fit_delta_order(grid, b, i)
            note(f"{s.name} task {i}: {f}")
            if f.ok:
                assert abs(f.order - p) <= RATE_TOL


def test_order_n_rates():
    """Order-n stencils: observed order n in nu at exact solutions (Table 1's caption), n = 1..3."""
    from bmaml_theory.tasks.generate import random_family

    tasks, theta = random_family("indefinite-both", 3, 4, 11)
    for order in (1, 2, 3):
        s = stencils.stencil(order)
        nus = sweeps.nu_grid(tasks, s, decades=8, per_decade=20)
        grid = sweeps.bias_grid(tasks, theta, nus, s)
        for i in range(tasks.M):
            f = sweeps.fit_nu_order(grid, i)
            assert f.ok, f.reason
            assert abs(f.order - order) <= RATE_TOL


# ----------------------------------------------------------------------------- inexactness
@given(family_data(), st.sampled_from([1, 2, 3, 4]), st.floats(1e-9, 1e-2), st.floats(1e-4, 0.3))
# past failure: ||phi|| ~ 1e2 with delta = 1e-9, where the error is stored to within an ulp of phi
@example(
    (np.array([[[-0.01]]]), np.array([[0.5]]), 0.02, np.array([[[-0.01]]]), np.array([[0.5]]), np.array([80.0])),
    1,
    1e-9,
    0.25,
)
def test_adversarial_attains_the_worst_case_and_random_stays_below(data, order, delta, frac):
    tasks, theta = _tasks(data)
    s = stencils.stencil(order)
    lo, hi = tasks.nu_interval()
    nu = frac * min(-lo, hi, 1.0) / max(abs(t) for t in s.nodes)
    exact = estimators.estimate(tasks, theta, nu, s)
    g = tasks.meta_gradient(theta, per_task=True)
    bias0 = np.linalg.norm(g - exact.per_task, axis=1)
    term = tasks.lam * delta * s.w_l1 / nu
    adv = estimators.estimate(tasks, theta, nu, s, inner=Adversarial(delta))
    # errors have norm delta exactly, up to the ulp of phi in which they are stored
    ulp = 4 * EPS * np.abs(exact.phis).max() * np.sqrt(tasks.n)
    assert np.allclose(np.linalg.norm(adv.phis - exact.phis, axis=-1), delta, rtol=1e-9, atol=ulp)
    got = np.linalg.norm(g - adv.per_task, axis=1)
    roundoff = tasks.lam * s.w_l1 * EPS * np.abs(exact.phis).max() / nu * 1e3
    # trusted rows attain ||b|| + term; below the trust floor the fixed direction e_1 lies within ||b|| of it
    slack = np.where(adv.info["trusted"], 0.0, 2 * bias0)
    assert np.all(np.abs(got - (bias0 + term)) <= 1e-9 * (bias0 + term) + roundoff + slack)
    rnd = estimators.estimate(tasks, theta, nu, s, inner=RandomDirection(delta, seed=1))
    dev = np.linalg.norm(rnd.per_task - exact.per_task, axis=1)
    assert np.all(dev <= term * (1 + 1e-9) + roundoff)
    # the averaged estimate under mean-aligned errors: ||mean bias|| + term
    advm = estimators.estimate(tasks, theta, nu, s, inner=Adversarial(delta, align="mean"))
    bm = np.linalg.norm(g.mean(0) - exact.value)
    slack = 0.0 if advm.info["trusted"][0] else 2 * bm
    assert abs(np.linalg.norm(g.mean(0) - advm.value) - (bm + term)) <= 1e-9 * (bm + term) + roundoff + slack


def test_sweep_adversarial_matches_the_estimator():
    """The sweep's closed form ||b|| + lam delta ||w||_1/nu equals the estimator under Adversarial."""
    from bmaml_theory.tasks.generate import random_family

    tasks, theta = random_family("ill-test", 3, 5, 2)
    for s in (stencils.FORWARD, stencils.SYMMETRIC):
        nus = sweeps.nu_grid(tasks, s, decades=6, per_decade=2)
        deltas = np.array([1e-3, 1e-7])
        grid = sweeps.bias_grid(tasks, theta, nus, s, deltas)
        g = tasks.meta_gradient(theta, per_task=True)
        for gi in (0, 5, 10):
            for k, d in enumerate(deltas):
                est = estimators.estimate(tasks, theta, float(nus[gi]), s, inner=Adversarial(float(d)))
                want = np.linalg.norm(g - est.per_task, axis=1)
                # below the trust floor Adversarial takes e_1: within 2 ||b|| of the closed form
                slack = np.where(est.info["trusted"], 0.0, 2 * grid.exact[:, gi])
                assert np.allclose(grid.total[:, gi, k], want, rtol=1e-8, atol=10 * grid.roundoff[:, gi] + slack)
