"""The mpmath path: agreement with float64, with dense solves and with the perturbation model; the rates
it measures; and clear errors for bad input."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmaml_theory import precision
from bmaml_theory.claims.chayti_jaggi.precision._common import MP_RATE_TOL
from bmaml_theory.stencils import FORWARD, SYMMETRIC, stencil
from bmaml_theory.tasks.generate import KINDS, random_family


@settings(max_examples=15)
@given(kind=st.sampled_from(KINDS), n=st.integers(1, 5), seed=st.integers(0, 10**6))
def test_mp_task_agrees_with_float64(kind, n, seed):
    tasks, theta = random_family(kind, 1, n, seed)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=40)
    g = np.array([float(x) for x in T.grad])
    g64 = np.asarray(tasks.meta_gradient(theta, per_task=True))[0]
    assert np.allclose(g, g64, rtol=1e-11, atol=1e-11 * np.abs(g64).max())
    nu = 0.1 * min(-tasks.nu_interval()[0], tasks.nu_interval()[1], 10.0)
    phi = np.array([float(x) for x in T.inner_solution(nu)])
    phi64 = np.asarray(tasks.inner_solution(theta, nu))[0]
    assert np.allclose(phi, phi64, rtol=1e-11, atol=1e-11 * np.abs(phi64).max())


def test_eigen_path_matches_dense_solve_to_working_precision():
    tasks, theta = random_family("indefinite-both", 1, 4, 7)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=60)
    with mpmath.workdps(60):
        Ah = mpmath.matrix(np.asarray(tasks.A_train[0]).tolist())
        A = mpmath.matrix(np.asarray(tasks.A_test[0]).tolist())
        bh = mpmath.matrix(np.asarray(tasks.b_train[0]).tolist())
        b = mpmath.matrix(np.asarray(tasks.b_test[0]).tolist())
        th = mpmath.matrix(np.asarray(theta).tolist())
        nu = mpmath.mpf("1e-3")
        dense = mpmath.lu_solve(Ah + T.lam * mpmath.eye(4) + nu * A, T.lam * th - bh - nu * b)
        assert mpmath.norm(dense - T.inner_solution(nu)) <= mpmath.mpf(10) ** -50 * mpmath.norm(dense)


@pytest.mark.parametrize("sten", [FORWARD, SYMMETRIC, stencil(5)])
def test_adversarial_bias_formula_equals_perturbed_solutions(sten):
    tasks, theta = random_family("same-psd", 1, 3, 1)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=50)
    for nu, delta in ((1e-3, 1e-8), (1e-6, 1e-20)):
        with mpmath.workdps(50):
            through = float(mpmath.norm(T.grad - T.estimate(sten, nu, delta)))
        assert abs(through - T.bias(sten, nu, delta)) <= 1e-12 * through


def test_roundoff_estimate_bounds_the_low_precision_error():
    tasks, theta = random_family("ill-test", 1, 4, 2)
    lo, hi = precision.MPQuadraticTask(tasks, 0, theta, dps=25), precision.MPQuadraticTask(tasks, 0, theta, dps=90)
    for nu in (1e-6, 1e-12, 1e-18):
        err = abs(lo.bias(FORWARD, nu) - hi.bias(FORWARD, nu))
        assert err <= lo.roundoff(FORWARD, nu)


def test_delta_study_measures_the_rates_and_tells_them_apart():
    tasks, theta = random_family("indefinite-train", 1, 3, 0)
    deltas = np.logspace(-4, -60, 15)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=precision.dps_for(1e-60))
    fw = precision.delta_study(T, FORWARD, deltas)
    sy = precision.delta_study(T, SYMMETRIC, deltas)
    assert fw.fit.ok and sy.fit.ok and fw.fit.decades >= 20 and sy.fit.decades >= 20
    assert abs(fw.fit.order - 0.5) <= MP_RATE_TOL
    assert abs(sy.fit.order - 2 / 3) <= MP_RATE_TOL
    # the measurement separates the two rates: each fails the other's statement
    assert abs(fw.fit.order - 2 / 3) > MP_RATE_TOL
    assert abs(sy.fit.order - 0.5) > MP_RATE_TOL
    # best nu scales as delta^(1/(p+1)) across the window
    m = fw.fit.mask
    p_nu = np.polyfit(np.log10(fw.deltas[m]), np.log10(fw.nu[m]), 1)[0]
    assert abs(p_nu - 0.5) < 0.01


def test_nu_study_order_at_exact_solutions():
    tasks, theta = random_family("large-lam", 1, 3, 0)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=precision.dps_for(1e-150))
    for order in (1, 4):
        f = precision.nu_study(T, stencil(order), decades=20).fit
        assert f.ok and abs(f.order - order) <= MP_RATE_TOL


def test_too_few_decades_is_not_measurable():
    tasks, theta = random_family("same-psd", 1, 2, 0)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=60)
    d = precision.delta_study(T, FORWARD, np.logspace(-4, -12, 9), min_decades=20)
    assert not d.fit.ok and "too short" in d.fit.reason


def test_bad_input_is_named():
    tasks, theta = random_family("same-psd", 2, 3, 0)
    with pytest.raises(ValueError, match="dps"):
        precision.MPQuadraticTask(tasks, 0, theta, dps=10)
    with pytest.raises(ValueError, match=r"i must be <= 1"):
        precision.MPQuadraticTask(tasks, 5, theta, dps=30)
    with pytest.raises(ValueError, match="theta"):
        precision.MPQuadraticTask(tasks, 0, np.ones(4), dps=30)
    with pytest.raises(ValueError, match="theta"):
        precision.MPQuadraticTask(tasks, 0, np.array([np.nan, 0.0, 0.0]), dps=30)
    with pytest.raises(ValueError, match="smallest"):
        precision.dps_for(0.0)
    T = precision.MPQuadraticTask(tasks, 0, theta, dps=30)
    with pytest.raises(ValueError, match="delta"):
        T.best_nu(FORWARD, -1.0)
