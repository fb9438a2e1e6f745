"""Validation rules, AccuracyWarning, the complete task protocol, the dense path, the one rate fit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bmaml_theory import AccuracyWarning, LogisticTasks, QuadraticTasks, TaskFamily, estimators, rates, theory
from bmaml_theory._validation import check_bool, check_int, finite_scalar, real_array
from bmaml_theory.tasks import Constants
from bmaml_theory.tasks.generate import random_family, random_symmetric


def test_conversion_rules():
    assert real_array([1, 2], "x").dtype == np.float64  # integers cast
    with pytest.raises(TypeError, match="x is complex"):
        real_array(np.ones(2) + 0j, "x")
    with pytest.raises(TypeError, match="x is boolean"):
        real_array(np.ones(2, bool), "x")
    with pytest.raises(TypeError, match="x must be a real array, got the string"):
        real_array("12", "x")
    with pytest.raises(TypeError, match="x is None"):
        real_array(None, "x")
    with pytest.raises(ValueError, match="x has non-finite"):
        real_array([1.0, np.inf], "x")
    with pytest.raises(TypeError, match="lam must be a real number"):
        finite_scalar(True, "lam")
    with pytest.raises(TypeError, match="lam must be a real number"):
        finite_scalar(1 + 0j, "lam")
    assert finite_scalar(np.array(2.5), "lam") == 2.5
    with pytest.raises(TypeError, match="steps must be an integer, got float"):
        check_int(3.0, "steps")
    with pytest.raises(TypeError, match="strict must be True or False"):
        check_bool(None, "strict")


def test_protocol_is_complete_and_satisfied():
    qt, _ = random_family("same-psd", 2, 3, 0)
    rng = np.random.default_rng(0)
    lt = LogisticTasks.at_threshold(rng.standard_normal((2, 3, 3)), None, rng.standard_normal((2, 2, 3)))
    assert isinstance(qt, TaskFamily) and isinstance(lt, TaskFamily)
    for name in ("cond_S", "rho", "check_theta", "check_phi", "train_value", "test_value", "strict"):
        assert hasattr(TaskFamily, name) or name in TaskFamily.__annotations__
    # rho: max |gamma| for quadratics (the expansion radius), L1/mu (a bound) for logistic
    assert np.allclose(qt.rho, np.max(np.abs(qt.gamma), axis=1))
    assert np.allclose(lt.rho, lt._L1_task / lt._mu_task)
    # the protocol methods validate: test_grad(np.ones(2)) used to return a (2, 2, 2) array
    with pytest.raises(ValueError, match=r"phi must have 2 or 3 dimension"):
        qt.test_grad(np.ones(2))
    with pytest.raises(TypeError, match="nu is None"):
        qt.mu_nu(None)
    with pytest.raises(ValueError, match=r"nu must be a single float when phi has shape \(M, n\)"):
        qt.inner_grad(np.zeros((2, 3)), np.zeros(3), np.array([1e-3, 2e-3]))
    # train_value is fhat_i(phi) exactly
    phi = rng.standard_normal((2, 3))
    A, b = np.asarray(qt.A_train), np.asarray(qt.b_train)
    expect = 0.5 * np.einsum("mi,mij,mj->m", phi, A, phi) + np.sum(b * phi, axis=1)
    assert np.allclose(qt.train_value(phi), expect, rtol=1e-13)


def test_accuracy_warning_at_round_off_floor_and_edge_but_not_inside():
    qt, th = random_family("indefinite-both", 2, 3, 0)
    _, hi = qt.nu_interval()
    with warnings.catch_warnings():
        warnings.simplefilter("error", AccuracyWarning)
        estimators.forward(qt, th, 1e-3)  # well inside: no warning
    with pytest.warns(AccuracyWarning, match="round-off floor"):
        estimators.forward(qt, th, 1e-13)
    with pytest.warns(AccuracyWarning, match="within 1.0e-09"):
        estimators.forward(qt, th, hi * (1 - 1e-9))


def test_dense_path_and_scaled_basis():
    qt, th = random_family("indefinite-both", 2, 4, 3)
    A, b, At, bt = (np.asarray(x) for x in (qt.A_train, qt.b_train, qt.A_test, qt.b_test))
    dense = QuadraticTasks(A, b, qt.lam, At, bt, dense=True)
    nus = np.array([-1e-2, 0.0, 1e-2])
    assert np.allclose(dense.inner_solution(th, nus), qt.inner_solution(th, nus), rtol=1e-11, atol=1e-12)
    assert np.allclose(dense.meta_gradient(th), qt.meta_gradient(th), rtol=1e-11)
    assert np.allclose(dense.meta_hessian(th), qt.meta_hessian(th), rtol=1e-11, atol=1e-13)
    # matrices and lam scaled by 1e-160 used to give [nan, -inf]; the scaled basis gives LU's answer
    s = 1e-160
    tiny = QuadraticTasks(A * s, b, qt.lam * s, At * s, bt)
    tiny_lu = QuadraticTasks(A * s, b, qt.lam * s, At * s, bt, dense=True)
    g = tiny.meta_gradient(th)
    assert np.all(np.isfinite(g)) and np.allclose(g, tiny_lu.meta_gradient(th), rtol=1e-9)


def test_high_cond_warns_with_digits_lost():
    rng = np.random.default_rng(0)
    A = random_symmetric(rng, np.array([[1.0, 0.5, -1.0 + 1e-12]]))
    with pytest.warns(AccuracyWarning, match=r"about 12\.\d of the"):
        QuadraticTasks(A, np.ones((1, 3)), 1.0, strict=False)


def test_fit_power_law_exact_and_stderr():
    x = np.logspace(0, -4, 9)
    pl = rates.fit_power_law(x, 3.0 * x**2)
    assert pl.exponent == pytest.approx(2.0, abs=1e-12) and pl.stderr < 1e-12
    assert pl.intercept == pytest.approx(math.log10(3.0), abs=1e-12)
    # stderr of the slope: sqrt(sum r^2/(n-2) / sum (lx - mean)^2), checked on a known perturbation
    ly = 2 * np.log10(x) + 0.01 * np.array([1, -1, 1, -1, 1, -1, 1, -1, 1])
    pl = rates.fit_power_law(x, 10**ly)
    lx = np.log10(x)
    slope, icpt = np.polyfit(lx, ly, 1)
    r = ly - (slope * lx + icpt)
    assert pl.exponent == pytest.approx(slope, rel=1e-12)
    assert pl.stderr == pytest.approx(math.sqrt(np.sum(r**2) / 7 / np.sum((lx - lx.mean()) ** 2)), rel=1e-10)
    with pytest.raises(ValueError, match="x must be strictly monotone"):
        rates.fit_power_law(x[[0, 2, 1, 3]], x[[0, 2, 1, 3]])
    with pytest.raises(ValueError, match="y must be > 0"):
        rates.fit_power_law(x, -x)
    with pytest.raises(ValueError, match="at least 3 points"):
        rates.fit_power_law(x[:2], x[:2])
    # fit_order reads its window with it
    assert rates.fit_order(x, 3.0 * x**2, min_decades=1.0).stderr < 1e-12


def test_theory_validates_its_constants():
    c = Constants(lam=2.0, Lhat1=1.0, Lhat2=0.5, L0=1.0, L1=1.0, mu=1.0)
    with pytest.raises(ValueError, match=r"c\.mu must be > 0"):
        theory.prop2_bound_stated(c._replace(mu=0.0), 0.1)
    with pytest.raises(TypeError, match=r"c must be a bmaml_theory\.tasks\.Constants"):
        theory.cor3_G(None)
    with pytest.raises(ValueError, match="nu must be > 0"):
        theory.cor1_bias_stated(c, 1e-4, 0.0)
    with pytest.raises(FloatingPointError, match=r"theory\.prop2_(bound_stated|coefficient)"):
        theory.prop2_bound_stated(Constants(1e-200, 1e200, 1e200, 1e200, 1e200, 1e-200), 1e200)
    assert theory.prop2_bound_stated(c, -0.1) == pytest.approx(theory.prop2_coefficient(c) * 0.1)
