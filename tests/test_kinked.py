"""KinkedTasks: exactly the smoothness of Assumptions 1-2 (C^{2,1} training, C^{1,1} test), valid constants, placed
kinks, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmaml_theory.tasks import TaskFamily
from bmaml_theory.tasks.kinked import KINDS, KinkedTasks, g_profile, h_profile, placed_family

FAMILY = st.tuples(st.sampled_from(KINDS), st.integers(1, 6), st.integers(0, 10_000), st.sampled_from([2.0, 20.0]))


def test_profiles_have_the_stated_derivatives():
    s = np.linspace(-2.5, 2.5, 2001)
    gv, g1, g2 = g_profile(s)
    hv, h1, _ = h_profile(s)
    ds = s[1] - s[0]
    assert np.allclose(np.gradient(gv, ds)[1:-1], g1[1:-1], atol=1e-5)
    assert np.allclose(np.gradient(g1, ds)[1:-1], g2[1:-1], atol=2e-3)  # g' is C^1: central differences converge
    assert np.allclose(np.gradient(hv, ds)[1:-1], h1[1:-1], atol=ds)  # h'' jumps: central-difference error <= ds/4
    assert np.array_equal(g2, np.maximum(0.0, 1.0 - np.abs(s)))
    assert np.array_equal(h1, np.clip(s, -1.0, 1.0))
    # the third derivative of g jumps by 2 at 0, the second of h by 1 at +-1: exactly the missing smoothness
    eps = 1e-7
    assert (g_profile(eps)[2] - 2 * g_profile(0.0)[2] + g_profile(-eps)[2]) / eps == pytest.approx(-2.0, rel=1e-6)
    assert h_profile(1 - eps)[2] - h_profile(1 + eps)[2] == 1.0


def _hessian(hvp, x: np.ndarray) -> np.ndarray:
    """Hessians (M, G, n, n) from Hessian-vector products with the basis vectors (the public API)."""
    cols = [hvp(x, np.broadcast_to(e, x.shape).copy()) for e in np.eye(x.shape[-1])]
    return np.stack(cols, axis=-1)


@settings(deadline=None)
@given(fam=FAMILY, data=st.data())
def test_family_satisfies_assumptions_1_to_3_with_its_constants(fam, data):
    """||Hess fhat|| <= Lhat1, Hess fhat Lhat2-Lipschitz, ||grad f|| <= L0, grad f L1-Lipschitz, lam >= 2 Lhat1,
    fhat + lam/2 ||.||^2 mu-strongly convex, at random points (spread over the kinks)."""
    kind, n, seed, lam_factor = fam
    tasks, theta = placed_family(kind, 2, n, seed, lam_factor=lam_factor)
    c = tasks.constants()
    assert c.lam >= 2 * c.Lhat1 * (1 - 1e-12) and c.mu > 0
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = theta + rng.standard_normal((2, 3, n)) * data.draw(st.sampled_from([0.1, 1.0, 3.0]))
    y = x + rng.standard_normal((2, 3, n)) * data.draw(st.sampled_from([1e-3, 0.1, 1.0]))
    Hx, Hy = _hessian(tasks.train_hvp, x), _hessian(tasks.train_hvp, y)
    fHx = _hessian(tasks.test_hvp, x)
    fgx, fgy = tasks.test_grad(x), tasks.test_grad(y)
    d = np.linalg.norm(x - y, axis=-1)
    slack = 1 + 1e-9
    assert np.all(np.abs(np.linalg.eigvalsh(Hx)) <= c.Lhat1 * slack + 1e-12)
    assert np.all(np.linalg.eigvalsh(Hx)[..., 0] + c.lam >= c.mu * (1 - 1e-9))
    assert np.all(np.linalg.norm(Hx - Hy, ord=2, axis=(-2, -1)) <= c.Lhat2 * d * slack + 1e-12)
    assert np.all(np.linalg.norm(fgx, axis=-1) <= c.L0 * slack)
    assert np.all(np.linalg.norm(fgx - fgy, axis=-1) <= c.L1 * d * slack + 1e-12)
    assert np.all(np.linalg.eigvalsh(fHx) >= -1e-12) and np.all(np.linalg.eigvalsh(fHx)[..., -1] <= c.L1 * slack)


@pytest.mark.parametrize("kind", KINDS)
def test_placed_family_puts_the_kink_at_the_inner_solution(kind):
    tasks, theta = placed_family(kind, 3, 4, 7)
    assert isinstance(tasks, TaskFamily)
    s_hat, s = tasks.kink_arguments(tasks.inner_solution(theta, 0.0))
    if kind in ("train-kink", "both-kinks"):
        assert np.allclose(s_hat, 0.0, atol=1e-12)
    else:
        assert np.all(np.minimum(np.abs(s_hat), np.abs(np.abs(s_hat) - 1)) >= 0.25 - 1e-12)
    if kind in ("test-kink", "both-kinks"):
        assert np.allclose(s, 1.0, atol=1e-12)
    else:
        assert np.all(np.abs(np.abs(s) - 1) >= 0.25 - 1e-12)


def test_bad_input_names_the_argument():
    zero = [[[0.0]]]
    kw = {"a": [[1.0]], "b": [0.0], "c": [1.0], "a_hat": [[1.0]], "b_hat": [0.0], "c_hat": [1.0]}
    with pytest.raises(ValueError, match="c_hat"):
        KinkedTasks(zero, None, 4.0, zero, **{**kw, "c_hat": [-1.0]})
    with pytest.raises(ValueError, match="a must have shape"):
        KinkedTasks(zero, None, 4.0, zero, **{**kw, "a": [[1.0, 2.0]]})
    with pytest.raises(ValueError, match="lam"):
        KinkedTasks(zero, None, 1.0, zero, **kw)  # lam < 2 Lhat1 = 2
    with pytest.raises(ValueError, match="factor"):
        KinkedTasks.at_threshold(zero, None, zero, factor=1.5, **kw)
    with pytest.raises(ValueError, match="kind"):
        placed_family("smooth", 2, 2, 0)
    with pytest.raises(ValueError, match="m <= 12"):
        KinkedTasks(zero, None, 4.0, np.zeros((1, 13, 1)), **kw)
    with pytest.raises(NotImplementedError, match="meta-Hessian"):
        KinkedTasks(zero, None, 4.0, zero, **kw).meta_hessian([0.0])
