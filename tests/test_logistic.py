"""LogisticTasks: Newton to machine precision, eq. (7), its derivative, and the constants it reports."""

from __future__ import annotations

import n2_instances
import numpy as np
import pytest
from hypothesis import assume, example, given, note
from hypothesis import strategies as st

from bmaml_theory import estimators
from bmaml_theory.tasks.logistic import LogisticTasks

encodings = st.lists(st.floats(-3, 3), min_size=12, max_size=12).map(np.array)


def _decode(p):
    """An instance of the class; degenerate draws (a zero test point: L1 = 0) are outside it."""
    t, theta = n2_instances.decode(p)
    c = t.constants()
    assume(c.L1 > 1e-6 and c.Lhat1 > 1e-6)
    return t, theta


def _fd(f, x, h=1e-6):
    return np.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))], -1)


@given(encodings)
def test_newton_reaches_machine_precision(p):
    t, theta = _decode(p)
    phi = t.inner_solution(theta, np.array([0.0, 0.3 * t.constants().mu / t.constants().L1]))
    g = t.inner_grad(phi, theta, np.array([0.0, 0.3 * t.constants().mu / t.constants().L1]))
    scale = t.lam * (1 + np.abs(phi).max() + np.abs(theta).max()) + np.abs(t.r).max() + 1
    note(f"residual {np.abs(g).max():.3g}, scale {scale:.3g}")
    assert np.abs(g).max() <= 1e-13 * scale


@given(encodings)
def test_meta_gradient_is_the_derivative_of_F(p):
    t, theta = _decode(p)
    fd = _fd(t.meta_objective, theta)
    g = t.meta_gradient(theta)
    assert np.allclose(g, fd, atol=1e-6 * (1 + np.abs(g).max()))


@given(encodings)
def test_meta_hessian_is_the_derivative_of_eq7(p):
    t, theta = _decode(p)
    fd = _fd(t.meta_gradient, theta)
    H = t.meta_hessian(theta)
    assert np.allclose(H, fd, atol=1e-5 * (1 + np.abs(H).max()))


@example(np.array([1, 0, 0, 0, 0, 0, 0.0625, 1, 0, 0, 0, 0.0]))  # L1 ~ 1e-3: nu = 1e-4 mu/L1 = 0.05 erred 7.8e-5
@given(encodings)
def test_prop1_identity_on_logistic_tasks(p):
    """grad F_i = -lam d phi*_nu/d nu at 0 (symmetric difference, error O(nu^2)).

    The scale of nu, from the instance. phi*_nu solves grad fhat(phi) + nu grad f(phi) + lam (phi - theta) = 0,
    whose Jacobian is >= mu - |nu| L1, and moves with nu at speed |d phi/d nu| <= L0/mu. A logistic term
    l(z^T phi) has k-th derivative l^(k) |z|^k, so its Hessian changes over a length 1/rho, rho = max ||z|| over
    training and test points. The path phi*_nu therefore bends on the nu-scale nu_c = min(mu/L1, mu/(L0 rho)):
    there nu Hess f changes the Jacobian by mu, or phi moves by 1/rho. (Training curvature cannot shorten it:
    mu >= Lhat1 >= ||zh||^2/8, so Hess fhat changes by O(mu) over 1/rho.) At nu = 1e-4 nu_c each such relative
    change is <= 1e-4, and the truncation error lam nu^2 |d^3 phi/d nu^3|/6 is O(1e-8) lam L0/mu <= O(1e-8) 2 L0
    (mu >= lam/2 at lam >= 2 Lhat1; L0 < 9 on the box): O(1e-7), against a tolerance >= 1e-5. The former scale
    1e-4 mu/L1 omitted the second term: with L1 ~ 1e-3 and L0 ~ 1 it is not small (the pinned example).
    Rounding, lam eps |phi| / nu, stays below 1e-8.
    """
    t, theta = _decode(p)
    c = t.constants()
    rho = max(np.linalg.norm(t.Zh, axis=-1).max(), np.linalg.norm(t.Z, axis=-1).max())
    nu = 1e-4 * min(c.mu / c.L1, c.mu / (c.L0 * rho))
    g = estimators.symmetric(t, theta, nu)
    G = t.meta_gradient(theta)
    assert np.linalg.norm(g - G) <= 1e-5 * (1 + np.linalg.norm(G))


def test_constants_dominate_sampled_values():
    rng = np.random.default_rng(3)
    Xh, X = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4, 3))
    Q = np.stack([np.diag([-0.5, 0.2, 0.1])] * 2)
    t = LogisticTasks(Xh, rng.choice([-1.0, 1.0], (2, 3)), 1.0, X, rng.choice([-1.0, 1.0], (2, 4)), Q=Q, strict=False)
    c = t.constants()
    phis = 4 * rng.standard_normal((200, 2, 3))
    g = np.stack([t.test_grad(ph) for ph in phis])
    assert np.linalg.norm(g, axis=-1).max() <= c.L0
    Ht = np.stack([t._test_parts(ph)[2] for ph in phis])
    assert np.abs(np.linalg.eigvalsh(Ht)).max() <= c.L1 * (1 + 1e-12)
    assert np.isclose(np.abs(np.linalg.eigvalsh(t._test_parts(np.zeros((2, 3)))[2])).max(), c.L1)  # attained at 0
    Hh = np.stack([t._train_parts(ph)[2] for ph in phis])
    assert np.abs(np.linalg.eigvalsh(Hh)).max() <= c.Lhat1 * (1 + 1e-12)
    d = phis[1:] - phis[:-1]
    ratio = np.linalg.norm(Hh[1:] - Hh[:-1], ord=2, axis=(-2, -1)) / np.linalg.norm(d, axis=-1)
    assert ratio.max() <= c.Lhat2


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="X_test"):
        LogisticTasks(np.ones((1, 1, 2)), None, 1.0, np.ones((2, 1, 2)))
    with pytest.raises(ValueError, match="labels"):
        LogisticTasks(np.ones((1, 1, 2)), [[2.0]], 1.0, np.ones((1, 1, 2)))
    with pytest.raises(ValueError, match="2\\*Lhat1"):
        LogisticTasks(np.ones((1, 1, 2)), None, 0.1, np.ones((1, 1, 2)), Q=[[[-1.0, 0], [0, 0]]])
    with pytest.raises(ValueError, match="symmetric"):
        LogisticTasks(np.ones((1, 1, 2)), None, 10.0, np.ones((1, 1, 2)), Q=[[[0.0, 1.0], [0, 0]]])
    with pytest.raises(ValueError, match="non-finite"):
        LogisticTasks(np.full((1, 1, 2), np.nan), None, 1.0, np.ones((1, 1, 2)))
    t, theta = n2_instances.decode(np.zeros(12) + 0.5)
    with pytest.raises(ValueError, match="nu"):
        t.inner_solution(theta, -10 * t.constants().mu / t.constants().L1)


def test_task_constants_are_the_per_task_values_behind_constants():
    import numpy as np

    from bmaml_theory.tasks.logistic import LogisticTasks

    rng = np.random.default_rng(0)
    t = LogisticTasks.at_threshold(rng.standard_normal((3, 2, 2)), None, rng.standard_normal((3, 2, 2)))
    k, c = t.task_constants(), t.constants()
    assert all(v.shape == (3,) for v in k.values())
    assert (k["Lhat1"].max(), k["L0"].max(), k["L1"].max(), k["mu"].min()) == (c.Lhat1, c.L0, c.L1, c.mu)
    k["mu"][:] = -1.0  # a copy: the instance is unchanged
    assert t.constants().mu == c.mu
