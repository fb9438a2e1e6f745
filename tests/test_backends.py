"""The core on every backend: array-api-strict catches any NumPy-only call; CuPy runs where a GPU is."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import to_backend

from bmaml_theory import QuadraticTasks, estimators, solvers, stencils, sweeps
from bmaml_theory._backend import resolve_backend, to_numpy
from bmaml_theory.inexact import Adversarial, RandomDirection
from bmaml_theory.tasks.generate import random_family


@pytest.fixture(scope="module")
def reference():
    tasks, theta = random_family("indefinite-both", 3, 4, 21)
    return tasks, theta


def _same(ref, backend):
    tasks, theta = ref
    args = [to_backend(to_numpy(a), backend) for a in (tasks.A_train, tasks.b_train)]
    test = [to_backend(to_numpy(a), backend) for a in (tasks.A_test, tasks.b_test)]
    return QuadraticTasks(args[0], args[1], tasks.lam, test[0], test[1]), to_backend(theta, backend)


def _close(a, b, tol=1e-11):
    a, b = to_numpy(a), to_numpy(b)
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= tol * (1 + np.abs(b).max())


def test_core_on_backend(backend, reference):
    tasks, theta = reference
    bt, bth = _same(reference, backend)
    xp = resolve_backend(backend)
    assert type(bt.meta_gradient(bth)) is type(xp.asarray([1.0]))
    _close(bt.inner_solution(bth, 0.05), tasks.inner_solution(theta, 0.05))
    _close(
        bt.inner_solution(bth, xp.asarray([0.0, 0.1])),
        tasks.inner_solution(theta, np.array([0.0, 0.1])),
    )
    _close(bt.meta_gradient(bth, per_task=True), tasks.meta_gradient(theta, per_task=True))
    _close(bt.meta_hessian(bth), tasks.meta_hessian(theta))
    assert abs(bt.meta_objective(bth) - tasks.meta_objective(theta)) <= 1e-11 * (1 + abs(tasks.meta_objective(theta)))
    assert bt.nu_interval() == pytest.approx(tasks.nu_interval(), rel=1e-12)
    assert bt.constants() == pytest.approx(tasks.constants(), rel=1e-12)


@pytest.mark.parametrize(
    "inner",
    [
        None,
        Adversarial(1e-6),
        Adversarial(1e-6, align="mean"),
        RandomDirection(1e-6, seed=3),
        solvers.GDSolver(1e-8),
        solvers.NesterovSolver(1e-8),
        solvers.CGSolver(1e-8),
    ],
    ids=["exact", "adversarial", "adversarial-mean", "random", "gd", "nesterov", "cg"],
)
def test_estimators_on_backend(backend, reference, inner):
    tasks, theta = reference
    bt, bth = _same(reference, backend)
    for order in (1, 2, 3):
        s = stencils.stencil(order)
        a = estimators.estimate(bt, bth, 1e-3, s, inner=inner)
        b = estimators.estimate(tasks, theta, 1e-3, s, inner=inner)
        _close(a.per_task, b.per_task, tol=1e-8)


def test_sweeps_on_backend(backend, reference):
    tasks, theta = reference
    bt, bth = _same(reference, backend)
    s = stencils.FORWARD
    nus = sweeps.nu_grid(tasks, s, decades=4, per_decade=2)
    deltas = np.array([1e-3, 1e-6])
    for model in ("adversarial", "random"):
        a = sweeps.bias_grid(bt, bth, nus, s, deltas, model=model)
        b = sweeps.bias_grid(tasks, theta, nus, s, deltas, model=model)
        _close(a.total, b.total, tol=1e-8)
    a = sweeps.solver_bias_grid(bt, bth, nus, s, deltas, solvers.NesterovSolver(1.0))
    b = sweeps.solver_bias_grid(tasks, theta, nus, s, deltas, solvers.NesterovSolver(1.0))
    _close(a.total, b.total, tol=1e-8)


def test_float32_dtype_is_honoured():
    tasks, theta = random_family("same-psd", 2, 3, 0)
    t32 = QuadraticTasks(to_numpy(tasks.A_train), to_numpy(tasks.b_train), tasks.lam, dtype=np.float32)
    assert t32.meta_gradient(theta).dtype == np.float32
    assert np.allclose(t32.meta_gradient(theta), tasks.meta_gradient(theta), rtol=1e-4, atol=1e-5)
