"""Every bound of Section 4: corrected versions hold over Hypothesis draws; the stated versions' counterexamples
are pinned with @example and asserted to violate (the claims' search finds them independently)."""

from __future__ import annotations

import math

import n2_instances
import numpy as np
from hypothesis import assume, example, given, note
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from n2_instances import EXTREMAL_P

from bmaml_theory import estimators, outer, theory
from bmaml_theory.inexact import Adversarial
from bmaml_theory.studies import convergence
from bmaml_theory.tasks.logistic import LogisticTasks

TOL = 1 + 1e-6  # same a-priori tolerance as the claims
enc = st.lists(st.floats(-3, 3), min_size=12, max_size=12).map(np.array)


def _decode(p):
    """An instance of the class; degenerate draws (a zero test point: L1 = 0) are outside it."""
    t, theta = n2_instances.decode(p)
    c = t.constants()
    inside = c.L1 > 1e-6 and c.Lhat1 > 1e-6
    if currently_in_test_context():
        assume(inside)
    else:
        assert inside, "a pinned instance must lie inside the class"
    return t, theta


PIN = EXTREMAL_P


def _prop2(p, nu_rel):
    t, theta = _decode(p)
    c = t.constants()
    nu = nu_rel * c.mu / c.L1
    b = np.linalg.norm(t.meta_gradient(theta) - estimators.forward(t, theta, nu))
    return b, c, nu


@given(enc, st.floats(1e-3, 0.99))
@example(PIN, 1e-3)
def test_prop2_corrected_holds(p, nu_rel):
    b, c, nu = _prop2(p, nu_rel)
    note(f"ratio {b / theory.prop2_bound_corrected(c, nu):.6f}")
    assert b <= TOL * theory.prop2_bound_corrected(c, nu) + 1e-9


def test_prop2_as_stated_is_violated_by_the_pinned_instance():
    b, c, nu = _prop2(PIN, 1e-3)
    assert b > 3.5 * theory.prop2_bound_stated(c, nu)  # ratio -> 4 as nu -> 0


def _pair(p, angle, logd):
    t, theta = _decode(p)
    u = np.array([math.cos(angle), math.sin(angle)])
    th2 = theta + 10**logd * u
    G1, G2 = t.meta_gradient(theta), t.meta_gradient(th2)
    return t, np.linalg.norm(G1 - G2), 10**logd, np.linalg.norm(G1), np.linalg.norm(G2)


@given(enc, st.floats(0, 2 * math.pi), st.floats(-3, 1))
@example(PIN, 0.0, -3.0)
def test_prop3_and_cor2_corrected_hold(p, angle, logd):
    t, dG, d, n1, n2 = _pair(p, angle, logd)
    c = t.constants()
    L = min(theory.prop3_L_corrected(c, n1), theory.prop3_L_corrected(c, n2))
    a, b = theory.cor2_constants_corrected(c, 0.0)
    L2 = min(a + b * n1, a + b * n2)
    assert dG <= TOL * L * d + 1e-10
    assert dG <= TOL * L2 * d + 1e-10


def test_prop3_cor2_cor3_as_stated_are_violated_by_the_pinned_instance():
    t, dG, d, n1, n2 = _pair(PIN, 0.0, -4.0)
    c = t.constants()
    assert dG > 3.9 * min(theory.prop3_L_stated(c, n1), theory.prop3_L_stated(c, n2)) * d
    a, b = theory.cor2_constants_stated(c, 0.0)
    assert dG > 15 * min(a + b * n1, a + b * n2) * d
    assert dG > 15 * theory.cor3_L_stated(c, 0.0) * d


@given(enc)
def test_cor3_gradient_bound_holds(p):
    t, theta = _decode(p)
    assert np.linalg.norm(t.meta_gradient(theta)) <= TOL * theory.cor3_G(t.constants())


@given(enc, st.floats(-10, -2))
@example(PIN, -6.0)
def test_cor1_corrected_holds(p, logdelta):
    t, theta = _decode(p)
    c = t.constants()
    delta = 10**logdelta
    nu = theory.cor1_nu_corrected(c, delta)
    if nu >= 0.999 * c.mu / c.L1:
        return
    g = estimators.forward(t, theta, nu, inner=Adversarial(delta))
    b = np.linalg.norm(t.meta_gradient(theta) - g)
    assert b <= TOL * theory.cor1_bias_corrected(c, delta, nu)


def test_cor1_as_stated_is_violated_and_grows_with_lam():
    ratios = []
    t0, theta = n2_instances.decode(PIN)
    for mult in (1.0, 100.0):  # beyond the search box's cap on lam
        t = LogisticTasks.at_threshold(t0.Zh, None, t0.Z, factor=2 * mult, Q=t0.Q, r=t0.r)
        c = t.constants()
        delta = 1e-8
        nu = theory.cor1_nu_stated(c, delta)
        b = np.linalg.norm(t.meta_gradient(theta) - estimators.forward(t, theta, nu, inner=Adversarial(delta)))
        ratios.append(b / theory.cor1_bias_stated(c, delta, nu))
    assert ratios[0] > 1 and ratios[1] > 30 * ratios[0]


def test_theorems_with_stated_constants_never_converge_and_corrected_ones_meet_a4():
    inst = convergence.instances(True)[0]  # convex training (s = 0): the stated constants 2-cycle
    t, th0 = convergence.instance(inst["s"], inst["scale"]), np.array(inst["theta0"])
    c = t.constants()
    Delta = t.meta_objective(th0) - convergence.FSTAR
    eta, beta = theory.thm1_parameters(*theory.cor2_constants_stated(c, 0.0))
    r = outer.run(outer.NormalizedGD(eta, beta), t.meta_gradient, th0, eps=[1e-2], max_iter=3000)
    assert r.iterations_to_eps == [None] and r.grad_norms[-100:].min() > 0.45  # the 2-cycle sits at 0.45225
    cL0, cL1 = theory.cor2_constants_corrected(c, 0.0)
    eta, beta = theory.thm1_parameters(cL0, cL1)
    for e in (1e-2, 1e-5):
        r = outer.run(outer.NormalizedGD(eta, beta), t.meta_gradient, th0, eps=[e], max_iter=10_000)
        assert r.iterations_to_eps[0] is not None
        assert r.iterations_to_eps[0] <= theory.a4_steps(cL0, cL1, Delta, e)


def test_constants_and_shorthands():
    from bmaml_theory.tasks import Constants

    c = Constants(lam=2.0, Lhat1=1.0, Lhat2=0.5, L0=1.0, L1=1.0, mu=1.0)
    A = theory.prop2_coefficient(c)
    assert math.isclose(theory.cor1_bias_stated(c, 1e-4, theory.cor1_nu_stated(c, 1e-4)), 3 * math.sqrt(A * 1e-4))
    assert math.isclose(theory.prop2_bound_corrected(c, 1.0), 4 * (1.0 / 2) * (1 + 0.5 / 2))  # = 4A at mu = lam/2
    assert theory.prop2_bound_corrected(c, 1.0) <= 4 * A + 1e-15
    assert theory.assumption3_interval(c) == (-1.0, 1.0)
    nu = theory.cor1_nu_corrected(c, 1e-6)
    f = lambda v: theory.cor1_bias_corrected(c, 1e-6, v)  # noqa: E731
    assert f(nu) <= min(f(nu * 1.01), f(nu / 1.01))
