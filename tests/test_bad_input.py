"""Every public entry point rejects bad input with an error that names the argument and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from bmaml_theory import QuadraticTasks, estimators, rates, solvers, stencils, sweeps
from bmaml_theory._backend import resolve_backend
from bmaml_theory.claims import run_claim
from bmaml_theory.inexact import Adversarial, RandomDirection
from bmaml_theory.tasks.generate import random_family

A = np.array([[[1.0, 0.0], [0.0, -0.5]]])
B = np.array([[1.0, 2.0]])


@pytest.fixture
def tasks():
    return QuadraticTasks(A, B, 2.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"A_train": np.array([[[1.0, 0.3], [0.0, 1.0]]])}, "not symmetric"),
        ({"lam": 1.0}, "below 2\\*Lhat1"),
        ({"lam": 0.0}, "lam must be > 0"),
        ({"lam": float("nan")}, "lam must be finite"),
        ({"lam": "big"}, "lam must be a real number"),
        ({"A_train": np.array([[[np.nan, 0.0], [0.0, 1.0]]])}, "A_train has non-finite"),
        ({"b_train": np.ones((1, 3))}, "b_train must have shape \\(1, 2\\)"),
        ({"A_train": np.ones((1, 2, 3))}, "A_train must have shape \\(M, n, n\\)"),
        ({"A_test": A}, "pass both A_test and b_test"),
        (
            {"A_test": np.stack([A[0], A[0]]), "b_test": np.ones((2, 2))},
            "pass one test objective per training task",
        ),
    ],
)
def test_quadratic_tasks_rejects(kwargs, match):
    args = {"A_train": A, "b_train": B, "lam": 2.0}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        QuadraticTasks(**args)


def test_inner_solution_and_meta_gradient_reject(tasks):
    with pytest.raises(ValueError, match=r"outside .* unique solution"):
        tasks.inner_solution(np.zeros(2), nu=-10.0)
    with pytest.raises(ValueError, match="theta must have shape \\(2,\\)"):
        tasks.inner_solution(np.zeros(3))
    with pytest.raises(ValueError, match="theta has non-finite"):
        tasks.meta_gradient(np.array([np.inf, 0.0]))
    with pytest.raises(ValueError, match="nu has non-finite"):
        tasks.inner_solution(np.zeros(2), nu=float("nan"))
    with pytest.raises(ValueError, match="nu is empty"):
        tasks.inner_solution(np.zeros(2), nu=np.array([]))
    with pytest.raises(ValueError, match="theta must have shape"):
        tasks.meta_hessian(np.zeros(5))
    with pytest.raises(ValueError, match="theta must have shape"):
        tasks.meta_objective(np.zeros(5))


def test_estimators_reject(tasks):
    th = np.zeros(2)
    with pytest.raises(ValueError, match="nu must be > 0"):
        estimators.forward(tasks, th, nu=0.0)
    with pytest.raises(ValueError, match=r"nu \* stencil node=.* outside"):
        estimators.symmetric(tasks, th, nu=5.0)
    with pytest.raises(TypeError, match="inner must be None"):
        estimators.forward(tasks, th, nu=1e-3, inner="gd")
    with pytest.raises(TypeError, match="must be a Stencil"):
        estimators.estimate(tasks, th, 1e-3, (0, 1))
    with pytest.raises(ValueError, match="order must be >= 1"):
        estimators.order_n(tasks, th, 1e-3, 0)


def test_stencils_reject():
    with pytest.raises(TypeError, match="order must be an integer, got bool"):
        stencils.stencil(True)
    with pytest.raises(ValueError, match="order must be <= 24"):
        stencils.stencil(200)
    with pytest.raises(TypeError, match=r"nodes\[k\] must be an integer, got float 0.5"):
        stencils.make_stencil((0.5, 1))
    with pytest.raises(ValueError, match="distinct integers"):
        stencils.make_stencil((1, 1))
    with pytest.raises(ValueError, match="distinct integers"):
        stencils.make_stencil((0,))
    with pytest.raises(ValueError, match="nodes must hold 2 to 25"):
        stencils.make_stencil(tuple(range(30)))


def test_inexactness_models_and_solvers_reject(tasks):
    with pytest.raises(ValueError, match="delta must be > 0"):
        Adversarial(0.0)
    with pytest.raises(ValueError, match="align must be"):
        Adversarial(1e-3, align="worst")
    with pytest.raises(ValueError, match="delta must be finite"):
        RandomDirection(float("nan"))
    with pytest.raises(ValueError, match="delta must be > 0"):
        solvers.GDSolver(-1.0)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        solvers.NesterovSolver(1e-3, max_iter=0)
    with pytest.raises(ValueError, match=r"nu=-10 is outside \(-3, 3\)"):
        solvers.GDSolver(1e-3).solve(tasks, np.zeros(2), np.array([-10.0]))
    with pytest.raises(TypeError, match="max_iter must be an integer, got str"):
        solvers.GDSolver(1e-3, max_iter="10")
    with pytest.raises(ValueError, match=r"delta=1e-300 is below the round-off floor"):
        solvers.GDSolver(1e-300).solve(tasks, np.zeros(2), 1e-3)
    # a list of nus is a grid, not a scalar: one solution per nu
    assert solvers.CGSolver(1e-10).solve(tasks, np.zeros(2), [0.0, 1e-3, -1e-3]).shape == (1, 3, 2)


def test_sweeps_and_rates_reject():
    t, th = random_family("same-psd", 1, 2, 0)
    nus = np.array([1e-2, 1e-3])
    with pytest.raises(ValueError, match="model must be"):
        sweeps.bias_grid(t, th, nus, stencils.FORWARD, model="gd")
    with pytest.raises(ValueError, match="nus must be"):
        sweeps.bias_grid(t, th, -nus, stencils.FORWARD)
    with pytest.raises(ValueError, match=r"deltas must be > 0"):
        sweeps.bias_grid(t, th, nus, stencils.FORWARD, deltas=[0.0])
    with pytest.raises(ValueError, match="nus must be"):
        sweeps.solver_bias_grid(t, th, np.array([0.0]), stencils.FORWARD, [1e-3], solvers.GDSolver(1.0))
    with pytest.raises(ValueError, match="deltas is empty"):
        sweeps.solver_bias_grid(t, th, nus, stencils.FORWARD, [], solvers.GDSolver(1.0))
    with pytest.raises(ValueError, match="per_decade must be >= 1"):
        sweeps.nu_grid(t, stencils.FORWARD, per_decade=0)
    with pytest.raises(ValueError, match="no deltas"):
        sweeps.best_nu(sweeps.bias_grid(t, th, nus, stencils.FORWARD))
    with pytest.raises(ValueError, match="same length"):
        rates.fit_order(np.ones(3), np.ones(4))
    x = np.logspace(-1, -6, 11)
    with pytest.raises(ValueError, match="x must be strictly monotone"):
        rates.fit_order(np.concatenate([x[::2], x[1::2]]), x**2)


def test_backend_errors():
    with pytest.raises(ValueError, match="backend='tpu' is not known"):
        resolve_backend("tpu")
    try:
        import cupy

        has_gpu = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        has_gpu = False
    if not has_gpu:
        with pytest.raises(RuntimeError, match="backend='cupy' was asked for"):
            resolve_backend("cupy")


def test_unknown_claim():
    with pytest.raises(KeyError, match="no claim 'thm9'"):
        run_claim("thm9")
