"""The observed-order fit: recovers known exponents, excludes floors and pre-asymptotic ends."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bmaml_theory.rates import fit_order
from bmaml_theory.stencils import FORWARD
from bmaml_theory.sweeps import BiasGrid, best_nu


@given(st.floats(0.25, 4.0), st.floats(-3, 3))
def test_recovers_a_pure_power_law(p, logc):
    x = np.logspace(0, -8, 81)
    f = fit_order(x, 10**logc * x**p)
    assert f.ok and abs(f.order - p) < 1e-9 and f.n_points == 81


def test_floor_and_preasymptotic_end_are_excluded():
    x = np.logspace(0, -12, 121)
    floor = 1e-14 / x  # round-off grows as x shrinks
    err = x * (1 + 50 * x) + floor  # pre-asymptotic curvature at large x, round-off at small x
    naive = np.polyfit(np.log10(x), np.log10(err), 1)[0]
    f = fit_order(x, err, x_max=1e-3, floor=floor, floor_factor=100)
    assert f.ok and abs(f.order - 1) < 0.02
    assert abs(naive - 1) > 0.2  # the window matters: without it the slope is wrong
    assert f.window[1] <= 1e-3 and f.window[0] > 1e-7


def test_too_short_window_is_reported_not_guessed():
    x = np.logspace(0, -0.5, 5)  # 5 points but only half a decade
    f = fit_order(x, x)
    assert not f.ok and f.order is None and "too short" in f.reason
    f = fit_order(x, np.zeros(5))
    assert not f.ok and "no point" in f.reason


def test_longest_contiguous_run_is_used():
    x = np.logspace(0, -6, 61)
    valid = np.ones(61, bool)
    valid[20] = False
    f = fit_order(x, x**2, valid=valid)
    assert f.ok and f.n_points == 40


def test_best_nu_uses_trusted_points_and_flags_edges():
    nus = np.logspace(0, -8, 81)
    deltas = np.array([1e-2, 1e-12])
    exact = nus[None, :].copy()
    roundoff = 1e-13 / nus[None, :]  # 100x round-off covers the delta=1e-12 optimum
    total = exact[:, :, None] + 2 * deltas[None, None, :] / nus[None, :, None] + roundoff[:, :, None]
    g = BiasGrid(FORWARD, "adversarial", nus, deltas, exact, exact[0], roundoff, total, np.ones(1))
    b = best_nu(g)
    assert np.isclose(b.nu[0, 0], np.sqrt(2e-2), rtol=0.13) and b.bracketed[0, 0]
    # at delta = 1e-12 the optimum sqrt(2e-12) ~ 1.4e-6 sits where round-off is within 100x: not interior
    assert not b.bracketed[0, 1]
    assert np.all(b.bias[0] > 100 * b.roundoff[0])
