"""The core on every backend: array-api-strict catches any NumPy-only call; torch and JAX (CPU here) and CuPy run
the same code path through array-api-compat.

Tolerances are derived from the operations, never tuned (each pair of backends computes the same formulas, so the
difference of two results is at most the sum of their two forward-error bounds):

* ``solve_tol``: a quantity built from the two batched ``eigh`` of the factorisation and a fixed chain of about
  ``OPS = 10`` batched products and solves (S^-1/2, K, V, c, d, phi, the meta-gradient, ...) carries a relative
  error of at most ``OPS * n * eps * cond(S)`` each (backward-stable kernels: Higham's gamma_n = n eps per inner
  product of length n, amplified by the inner problem's condition number); two backends: twice that.
* ``quotient_tol``: a difference quotient -lam/nu sum_k w_k phi_k amplifies the solutions' absolute error
  (``OPS * n * eps * cond(S) * ||phi||``) by lam ||w||_1 / nu: ``2 * OPS * n * roundoff_estimate``.
* certified solvers: both backends' points lie within delta of phi* (the certificate), so their estimates differ by
  at most 2 delta lam ||w||_1 / nu (whatever iteration each stopped at), plus ``quotient_tol``.
* the adversarial direction u: on a trusted row (bias > TRUST_FACTOR * r) it is the bias direction, whose error is
  at most 2 r / ||b|| each (``info["direction_error"]``); the estimate moves by lam delta ||w||_1/nu * u; on an
  untrusted row u = e_1 on every backend, so only ``quotient_tol`` remains.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import to_backend

from bmaml_theory import QuadraticTasks, estimators, solvers, stencils, sweeps
from bmaml_theory._backend import eps, resolve_backend, to_numpy
from bmaml_theory.inexact import Adversarial, RandomDirection
from bmaml_theory.tasks.generate import random_family

OPS = 10
EPS = float(np.finfo(np.float64).eps)


@pytest.fixture(scope="module")
def reference():
    tasks, theta = random_family("indefinite-both", 3, 4, 21)
    return tasks, theta


# benchmarks/gpu_check.sh runs this file with BMAML_TEST_DEVICE=cuda: the torch, JAX and CuPy families then live
# on the GPU (NumPy and array-api-strict stay on the CPU); unset, every backend uses its default device.
DEVICE = os.environ.get("BMAML_TEST_DEVICE") or None


def _device(backend):
    """The device under test for ``backend``; a backend installed without that device (a CPU build) skips."""
    if DEVICE is None or backend not in ("torch", "jax", "cupy"):
        return None
    try:
        resolve_backend(backend, DEVICE)
    except RuntimeError as exc:
        pytest.skip(f"{backend} cannot use device {DEVICE!r} here: {exc}")
    return DEVICE


def _same(ref, backend):
    tasks, theta = ref
    data = [to_numpy(a) for a in (tasks.A_train, tasks.b_train, tasks.A_test, tasks.b_test)]
    bt = QuadraticTasks(*data[:2], tasks.lam, *data[2:], backend=backend, device=_device(backend))
    return bt, to_backend(theta, backend)


def _solve_tol(tasks) -> float:
    return 2 * OPS * tasks.n * EPS * tasks.cond_S


def _close(a, b, tol):
    a, b = to_numpy(a), to_numpy(b)
    assert a.shape == b.shape
    err = np.abs(a - b).max()
    assert err <= tol * (1 + np.abs(b).max()), (err, tol)


def test_core_on_backend(backend, reference):
    tasks, theta = reference
    bt, bth = _same(reference, backend)
    xp = resolve_backend(backend)
    tol = _solve_tol(tasks)
    assert type(bt.meta_gradient(bth)) is type(xp.asarray([1.0]))
    assert bt.meta_gradient(bth).dtype == xp.float64  # float64 by default on every backend
    _close(bt.inner_solution(bth, 0.05), tasks.inner_solution(theta, 0.05), tol)
    _close(
        bt.inner_solution(bth, xp.asarray([0.0, 0.1], dtype=xp.float64)),
        tasks.inner_solution(theta, np.array([0.0, 0.1])),
        tol,
    )
    _close(bt.meta_gradient(bth, per_task=True), tasks.meta_gradient(theta, per_task=True), tol)
    _close(bt.meta_hessian(bth), tasks.meta_hessian(theta), tol)
    assert abs(bt.meta_objective(bth) - tasks.meta_objective(theta)) <= tol * (1 + abs(tasks.meta_objective(theta)))
    assert bt.nu_interval() == pytest.approx(tasks.nu_interval(), rel=tol)
    assert bt.constants() == pytest.approx(tasks.constants(), rel=tol)


def _quotient_tol(tasks, est) -> float:
    phin = float(np.linalg.norm(to_numpy(est.phis), axis=-1).max())
    return 2 * OPS * tasks.n * estimators.roundoff_estimate(tasks, est.stencil, est.nu, max(phin, 1.0))


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
    nu = 1e-3
    for order in (1, 2, 3):
        s = stencils.stencil(order)
        a = estimators.estimate(bt, bth, nu, s, inner=inner)
        b = estimators.estimate(tasks, theta, nu, s, inner=inner)
        tol = _quotient_tol(tasks, b)
        if isinstance(inner, solvers.Solver):
            tol += 2 * inner.delta * tasks.lam * s.w_l1 / nu
        if isinstance(inner, Adversarial):
            assert a.info["trusted"] == b.info["trusted"]
            step = tasks.lam * inner.delta * s.w_l1 / nu
            tol += step * (a.info["direction_error"] + b.info["direction_error"])
        err = np.abs(to_numpy(a.per_task) - to_numpy(b.per_task)).max()
        assert err <= tol, (order, err, tol)


def test_adversarial_order3_rule_is_deterministic(backend, reference):
    """The order-3 case whose bias (7e-11 to 5e-9) is near round-off: the untrusted rows take e_1 on every
    backend, so the estimates agree to the difference quotient's round-off on those rows."""
    tasks, theta = reference
    bt, bth = _same(reference, backend)
    s = stencils.stencil(3)
    a = estimators.estimate(bt, bth, 1e-3, s, inner=Adversarial(1e-6))
    b = estimators.estimate(tasks, theta, 1e-3, s, inner=Adversarial(1e-6))
    untrusted = ~np.array(b.info["trusted"])
    assert untrusted.any()  # this instance has rows below the floor (the point of the test)
    d = np.abs(to_numpy(a.per_task) - to_numpy(b.per_task))[untrusted].max()
    assert d <= _quotient_tol(tasks, b)


def test_sweeps_on_backend(backend, reference):
    tasks, theta = reference
    bt, bth = _same(reference, backend)
    s = stencils.FORWARD
    nus = sweeps.nu_grid(tasks, s, decades=4, per_decade=2)
    deltas = np.array([1e-3, 1e-6])
    for model in ("adversarial", "random"):
        a = sweeps.bias_grid(bt, bth, nus, s, deltas, model=model)
        b = sweeps.bias_grid(tasks, theta, nus, s, deltas, model=model)
        # a bias norm moves by at most the quotient's error: 2 OPS n times the a-priori round-off, per (task, nu)
        tol = 2 * OPS * tasks.n * np.maximum(b.roundoff, 1e-300)[:, :, None]
        assert np.all(np.abs(a.total - b.total) <= tol)
        assert np.all(np.abs(a.exact - b.exact) <= tol[..., 0])
    a = sweeps.solver_bias_grid(bt, bth, nus, s, deltas, solvers.NesterovSolver(1.0))
    b = sweeps.solver_bias_grid(tasks, theta, nus, s, deltas, solvers.NesterovSolver(1.0))
    tol = (
        2 * OPS * tasks.n * b.roundoff[:, :, None] + 2 * deltas[None, None, :] * tasks.lam * s.w_l1 / nus[None, :, None]
    )
    assert np.all(np.abs(a.total - b.total) <= tol)


def test_backend_keyword_converts_and_keeps_the_device(backend):
    tasks, theta = random_family("same-psd", 2, 3, 0, backend=backend, device=_device(backend))
    xp = resolve_backend(backend)
    assert tasks.xp is xp and tasks.A_train.dtype == xp.float64
    g = tasks.meta_gradient(theta)  # a NumPy theta is converted to the family's backend and device
    assert type(g) is type(xp.asarray([1.0]))
    cpu = QuadraticTasks(to_numpy(tasks.A_train), to_numpy(tasks.b_train), tasks.lam, backend=backend, device="cpu")
    _close(cpu.meta_gradient(theta), g, 2 * OPS * 3 * eps(xp, xp.float64) * tasks.cond_S)


def test_unknown_backend_and_device_are_refused():
    A = np.eye(2)[None]
    with pytest.raises(ValueError, match="backend='tensorflow' is not known"):
        QuadraticTasks(A, np.ones((1, 2)), 4.0, backend="tensorflow")
    with pytest.raises(TypeError, match="backend must be a string"):
        QuadraticTasks(A, np.ones((1, 2)), 4.0, backend=3)
    with pytest.raises(ValueError, match="runs on the CPU only"):
        QuadraticTasks(A, np.ones((1, 2)), 4.0, backend="numpy", device="cuda")
    with pytest.raises(ValueError, match="device='tpu7' is not understood"):
        QuadraticTasks(A, np.ones((1, 2)), 4.0, backend="numpy", device="tpu7")


@pytest.mark.parametrize(
    ("backend", "module", "extra"),
    [("torch", "torch", r"\[torch\]"), ("jax", "jax", r"\[jax\]"), ("cupy", "cupy", r"\[gpu-cuda12\].*\[gpu-cuda13\]")],
)
def test_missing_backend_names_the_extra(monkeypatch, backend, module, extra):
    import builtins

    real_import = builtins.__import__

    def missing(name, *args, **kw):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {module!r}")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", missing)
    with pytest.raises(RuntimeError, match=extra):
        resolve_backend(backend)


def test_cupy_without_cuda_is_a_clear_error():
    pytest.importorskip("cupy")
    try:
        resolve_backend("cupy")
    except RuntimeError as exc:
        assert "CUDA" in str(exc) or "cupy" in str(exc).lower()


def test_core_imports_no_optional_backend():
    import subprocess
    import sys

    code = (
        "import sys, bmaml_theory, bmaml_theory.sweeps, bmaml_theory.solvers, bmaml_theory.estimators;"
        "bad = [m for m in ('torch', 'jax', 'cupy') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_float32_dtype_is_honoured():
    tasks, theta = random_family("same-psd", 2, 3, 0)
    t32 = QuadraticTasks(to_numpy(tasks.A_train), to_numpy(tasks.b_train), tasks.lam, dtype=np.float32)
    assert t32.meta_gradient(theta).dtype == np.float32
    assert np.allclose(t32.meta_gradient(theta), tasks.meta_gradient(theta), rtol=1e-4, atol=1e-5)
