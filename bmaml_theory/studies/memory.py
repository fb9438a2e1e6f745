r"""Memory and compute of the meta-gradient estimators, measured with :mod:`tracemalloc` (Table 1, Section 4.3).

The unit of memory is what the paper writes :math:`\mathrm{Mem}(\nabla f_i)`, measured on the same family: the
:mod:`tracemalloc` peak of one call of ``tasks.test_grad`` at an (M, n) point, its output included.  A method's
memory is the peak of one call of it (its output included) above what was allocated before the call; NumPy
registers every array buffer with :mod:`tracemalloc`, so the peak counts every array held at once, temporaries
included.  Peaks are also reported as the number of n-vectors per task they amount to (peak / (8 M n), rounded):
a Hessian counts n of them.  Each measurement runs the call once to warm up (imports, caches) and then measures
:data:`REPEATS` calls and keeps the smallest peak, so what is left is the call's own allocations.  The bytes still
vary by a few hundred between runs (the interpreter's free lists); the counts, which the claims score, do not where
the peak lies away from a half-vector (a test checks that two measurements give the same counts).

Families (fixed before any measurement, sized so the arrays of the method dominate the interpreter's small objects):

* ``"quadratic"``: :func:`bmaml_theory.tasks.generate.random_family` ``("indefinite-both", M=4, n=128)``: an n-vector
  per task is 4 KiB over the 4 tasks; gradients are matrix-vector products (no n x n temporary).
* ``"logistic"``: :class:`~bmaml_theory.tasks.logistic.LogisticTasks` with M = 4, n = 48, 8 training and 8 test
  points per task, an indefinite Q: its gradient, as implemented, forms the n x n Hessian of each task too, so its
  Mem(grad f_i) is dominated by n^2 (a family where one gradient is not one vector).

Estimators of order n (Table 1: Nesterov's AGD as the inner optimizer, :class:`~bmaml_theory.solvers.NesterovSolver`
certified to ``SOLVER_DELTA``, the stencil of :func:`bmaml_theory.stencils.stencil`):

* ``"sequential"``: the perturbed problems of the stencil solved in turn (one :meth:`~bmaml_theory.solvers.Solver.solve_path`
  each) and :math:`-\frac\lambda\nu\sum_kw_k\phi_k` accumulated in a running sum: the solutions are never held
  together.  This is the least memory we found for an order-n stencil.
* ``"batched"``: every perturbed problem solved at once (one ``solve_path`` over all nodes: M x G x n arrays; what a
  parallel implementation holds); the same estimate up to round-off.
* ``"sequential-gd"``: :func:`bmaml_theory.baselines.fo_bmaml`, K GD steps per problem in turn (the package's
  instrumented baseline).
* :func:`bmaml_theory.baselines.imaml`: K GD steps, then ``cg`` conjugate-gradient steps on eq. (8).
"""

from __future__ import annotations

import functools
import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from bmaml_theory import baselines
from bmaml_theory.solvers import NesterovSolver
from bmaml_theory.stencils import Stencil, stencil
from bmaml_theory.tasks.generate import random_family
from bmaml_theory.tasks.logistic import LogisticTasks

__all__ = [
    "FAMILIES",
    "IMPLEMENTATIONS",
    "family",
    "grad_memory",
    "imaml_peak",
    "order_n_cost",
    "order_n_estimate",
    "peak_bytes",
    "vector_bytes",
]

FAMILIES = ("quadratic", "logistic")
IMPLEMENTATIONS = ("sequential", "batched", "sequential-gd")
REPEATS = 2  # measured calls per number (after the warm-up); the smallest peak is kept (a call's own allocations)
K_STEPS = 10  # inner GD steps of every estimator (memory does not depend on K for these methods)
CG_STEPS = 10  # iMAML's conjugate-gradient steps
SOLVER_DELTA = 1e-4  # certified precision of the AGD inner solves (Table 1's AGD; memory does not depend on it)
NU = 1e-2  # perturbation of the stencils (inside every family's uniqueness interval; memory does not depend on it)


def peak_bytes(fn: Callable[[], Any], *, warm_up: bool = True) -> int:
    """Peak bytes traced by :mod:`tracemalloc` during ``fn()`` above those traced before it (smallest of REPEATS
    calls, after one warm-up call; ``warm_up=False`` when the caller has just run the same call).  Works whether or
    not tracing was on; restores the previous state."""
    if not callable(fn):
        raise TypeError(f"fn must be callable with no arguments, got {type(fn).__name__}.")
    if warm_up:
        fn()  # lazy imports, caches
    was = tracemalloc.is_tracing()
    if not was:
        tracemalloc.start()
    try:
        best = None
        for _ in range(REPEATS):
            gc.collect()
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            out = fn()
            peak = tracemalloc.get_traced_memory()[1] - base
            del out
            best = peak if best is None else min(best, peak)
    finally:
        if not was:
            tracemalloc.stop()
    return int(best)


@functools.cache
def family(name: str) -> tuple[Any, np.ndarray]:
    """The measured family ``name`` (see the module docstring) and a theta; seeded, deterministic."""
    if name == "quadratic":
        return random_family("indefinite-both", 4, 128, 0)
    if name == "logistic":
        rng = np.random.default_rng(0)
        M, n, m = 4, 48, 8
        Zh = rng.standard_normal((M, m, n)) / np.sqrt(n)
        Z = rng.standard_normal((M, m, n)) / np.sqrt(n)
        U = rng.standard_normal((M, n, n)) / np.sqrt(n)
        Q = 0.2 * (U + U.transpose(0, 2, 1)) / 2
        r = 0.1 * rng.standard_normal((M, n))
        return LogisticTasks.at_threshold(Zh, None, Z, Q=Q, r=r), rng.standard_normal(n)
    raise ValueError(f"name must be one of {FAMILIES}, got {name!r}.")


def vector_bytes(name: str) -> int:
    """Bytes of one n-vector per task of family ``name`` (M n float64): the unit in which peaks are counted."""
    tasks, _ = family(name)
    return 8 * tasks.M * tasks.n


def _lr(tasks: Any) -> float:
    c = tasks.constants()
    return 1.0 / (tasks.lam + c.Lhat1 + NU * 8 * c.L1)  # GD step below 1/L_nu at every node |t| <= 3 of the stencils


def grad_memory(name: str) -> int:
    r""":math:`\mathrm{Mem}(\nabla f_i)` on family ``name``: peak bytes of one ``test_grad`` call (output included)."""
    tasks, theta = family(name)
    phi = np.broadcast_to(theta, (tasks.M, tasks.n)).copy()
    return peak_bytes(lambda: tasks.test_grad(phi))


def _agd_estimate(tasks: Any, theta: np.ndarray, st: Stencil, nodes: Any) -> tuple[np.ndarray, int]:
    r"""The order-n estimate :math:`-\frac\lambda\nu\sum_kw_k\phi_{t_k\nu}` with Nesterov's AGD certified to
    SOLVER_DELTA, the perturbed problems grouped as ``nodes`` (a list of index lists: solved together within a group,
    the groups in turn, the weighted sum accumulated); returns the estimate (n,) and the gradient calls of the worst
    task (one gradient of (9) per AGD iterate up to the certified one; a train and a test gradient when nu != 0)."""
    solver = NesterovSolver(SOLVER_DELTA)
    g = 0.0
    grads = np.zeros(tasks.M, dtype=np.int64)
    for group in nodes:
        nus = np.array([st.nodes[k] * NU for k in group], dtype=np.float64)
        path = solver.solve_path(tasks, theta, nus, (SOLVER_DELTA,))
        for j, k in enumerate(group):
            g = g - tasks.lam * st.weights[k] / NU * path.phi[:, j, 0, :]
            grads += (np.asarray(path.iterations)[:, j, 0] + 1) * (2 if st.nodes[k] != 0 else 1)
        del path
    return np.mean(g, axis=0), int(grads.max())


def _estimate(tasks: Any, theta: np.ndarray, st: Stencil, impl: str) -> np.ndarray:
    if impl == "sequential-gd":
        return baselines.fo_bmaml(tasks, theta, K_STEPS, _lr(tasks), NU, st)
    groups = [[k] for k in range(len(st.nodes))] if impl == "sequential" else [list(range(len(st.nodes)))]
    return _agd_estimate(tasks, theta, st, groups)[0]


def order_n_estimate(name: str, impl: str, order: int) -> np.ndarray:
    """The order-``order`` estimate of ``impl`` on family ``name`` (the two AGD implementations agree to round-off)."""
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be one of {IMPLEMENTATIONS}, got {impl!r}.")
    tasks, theta = family(name)
    return _estimate(tasks, theta, stencil(order), impl)


def order_n_cost(name: str, impl: str, order: int) -> dict:
    """Peak bytes and gradient calls of the order-``order`` estimator ``impl`` on family ``name`` (the stencil and
    the family are built before the measured call: only the estimator's own allocations are counted)."""
    if impl not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be one of {IMPLEMENTATIONS}, got {impl!r}.")
    tasks, theta = family(name)
    st = stencil(order)
    if impl == "sequential-gd":
        counter = baselines.Oracle()
        baselines.fo_bmaml(tasks, theta, K_STEPS, _lr(tasks), NU, st, counter=counter)
        grads = counter.grads
    else:
        groups = [[k] for k in range(len(st.nodes))] if impl == "sequential" else [list(range(len(st.nodes)))]
        grads = _agd_estimate(tasks, theta, st, groups)[1]
    # the call above (the same computation) was the warm-up
    peak = peak_bytes(lambda: _estimate(tasks, theta, st, impl), warm_up=False)
    return {
        "peak_bytes": peak,
        "vectors": round(peak / vector_bytes(name)),
        "grads": int(grads),
        "solves": len(st.nodes),
    }


def imaml_peak(name: str) -> dict:
    """Peak bytes of iMAML (CG on eq. (8)) and of the forward FO-B-MAML estimator, both from baselines.py, same K."""
    tasks, theta = family(name)
    lr = _lr(tasks)
    im = peak_bytes(lambda: baselines.imaml(tasks, theta, K_STEPS, lr, CG_STEPS))
    fo = peak_bytes(lambda: baselines.fo_bmaml(tasks, theta, K_STEPS, lr, NU))
    g = grad_memory(name)
    v = vector_bytes(name)
    return {
        "imaml": im,
        "fo_bmaml": fo,
        "grad": g,
        "imaml_vectors": round(im / v),
        "fo_bmaml_vectors": round(fo / v),
        "grad_vectors": round(g / v),
    }
