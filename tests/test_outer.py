"""Outer optimisers on a quadratic where every count is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from bmaml_theory import outer


def test_gd_count_on_a_quadratic():
    # F = ||theta||^2/2, GD with eta: ||grad|| = (1-eta)^k ||theta0||
    r = outer.run(outer.GD(0.5), lambda th: th, np.array([1.0, 0.0]), eps=[1e-1, 1e-3], max_iter=100)
    assert r.iterations_to_eps == [4, 10]


def test_normalized_and_clipped_steps():
    g = np.array([3.0, 4.0])
    d, _ = outer.NormalizedGD(2.0, 5.0).step(g, None, 0)
    assert np.allclose(d, 2.0 * g / 10.0)
    d, _ = outer.ClippedGD(1.0, 1.0).step(g, None, 0)
    assert np.isclose(np.linalg.norm(d), 1.0)
    d, _s = outer.Adam(0.1).step(g, None, 0)
    assert np.allclose(np.abs(d), 0.1, rtol=1e-6)


def test_two_cycle_detected():
    r = outer.run(outer.GD(2.0), lambda th: th, np.ones(2), eps=[1e-3], max_iter=1000, cycle_tol=1e-12)
    assert r.cycled and r.iterations_to_eps == [None] and len(r.grad_norms) < 10


def test_divergence_and_bad_input_are_reported():
    with pytest.raises(FloatingPointError, match="non-finite"):
        outer.run(outer.GD(3.0), lambda th: th, np.ones(2), eps=[1e-3], max_iter=5000)
    with pytest.raises(ValueError, match="eta"):
        outer.GD(-1.0)
    with pytest.raises(ValueError, match="eps"):
        outer.run(outer.GD(0.1), lambda th: th, np.ones(2), eps=[0.0], max_iter=5)
