r"""Bias of the FO-B-MAML estimators over (nu, delta) grids, batched over tasks; the best nu per delta.

For a stencil with nodes :math:`t_k` and weights :math:`w_k` (:mod:`bmaml_theory.stencils`), the exact
solutions on the whole grid :math:`\{t_k\nu_g\}` come from one batched product (no solve per point),
and the estimator is formed from them in floating point exactly as Algorithm 1 would, so the
round-off of the difference quotient is real, not modelled.  The inexact bias then follows per model:

* ``"adversarial"``: :math:`\|b_i(\nu)\|+\lambda\delta\|w\|_1/\nu` where :math:`b_i(\nu)=\nabla F_i-g_{i,\nu}`
  (the worst case over errors of norm delta; equal to what :class:`~bmaml_theory.inexact.Adversarial`
  produces through the estimator, which the tests check);
* ``"random"``: :math:`\|b_i(\nu)+\frac{\lambda\delta}{\nu}\sum_kw_ku_{ik}\|` with unit :math:`u_{ik}` drawn
  once per task and node (common random numbers across the grid, so curves are smooth);
* :func:`solver_bias_grid`: a certified solver (GD, Nesterov, CG) run from theta, its first iterate
  certified at each delta.

``roundoff`` is an a-priori estimate of the floating-point error of the difference quotient,
:math:`\lambda\|w\|_1\,\varepsilon\,\mathrm{cond}(S)\max_k\|\phi_k\|/\nu`, used by :mod:`bmaml_theory.rates`
to exclude the round-off floor.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bmaml_theory._backend import on_device, safe_norm, to_numpy
from bmaml_theory._validation import check_finite_result, check_int, check_nu_values, check_positive, real_array
from bmaml_theory.rates import RateFit, fit_order
from bmaml_theory.stencils import Stencil, roundoff_estimate
from bmaml_theory.tasks._protocol import check_tasks

__all__ = [
    "ASYMPTOTIC_NU_RHO",
    "FLOOR_FACTOR",
    "BiasGrid",
    "best_nu",
    "bias_grid",
    "delta_grid",
    "fit_delta_order",
    "fit_nu_order",
    "nu_grid",
    "solver_bias_grid",
]

# The a-priori asymptotic window of every rate fit on a sweep (fixed before any fit):
# nu * rho <= 1e-2, rho = max_j |gamma_ij| the radius of the nu-expansion of phi*_nu, so the next
# term of the expansion moves the local slope by about 1e-2; and error > 100x the a-priori
# round-off estimate (an error below about 100*eps*scale is the round-off floor).
ASYMPTOTIC_NU_RHO = 1e-2
FLOOR_FACTOR = 100.0


class BiasGrid(NamedTuple):
    """Per-task biases (NumPy, host side).

    nus (G,), deltas (D,); exact (M, G): bias at exact solutions; exact_mean (G,): bias of the
    task-averaged estimate; roundoff (M, G); total (M, G, D): bias with delta-inexact solutions
    (empty D axis when no deltas); rho (M,): radius of the nu-expansion, ``max_j |gamma_ij|``.
    """

    stencil: Stencil
    model: str
    nus: np.ndarray
    deltas: np.ndarray
    exact: np.ndarray
    exact_mean: np.ndarray
    roundoff: np.ndarray
    total: np.ndarray
    rho: np.ndarray


def delta_grid(delta_range: Any) -> np.ndarray:
    r"""The inexactness levels :math:`\delta` of a study: ``count`` points log-spaced from :math:`10^{hi}` down to
    :math:`10^{lo}`, ``delta_range = (hi, lo, count)`` (log10 of the largest delta, log10 of the smallest, number of
    points), as ``np.logspace(hi, lo, count)``; a malformed range is a ``ValueError`` naming ``delta_range``."""
    try:
        hi, lo, count = (float(v) for v in delta_range)
    except (TypeError, ValueError):
        raise ValueError(f"delta_range must be (log10 largest, log10 smallest, count), got {delta_range!r}.") from None
    if not (np.isfinite(hi) and np.isfinite(lo) and hi > lo and count >= 2 and count == int(count)):
        raise ValueError(
            f"delta_range must be (log10 largest > log10 smallest, integer count >= 2), got {delta_range!r}."
        )
    return np.logspace(float(hi), float(lo), int(count))


def nu_grid(tasks: Any, st: Stencil, *, decades: float = 10.0, per_decade: int = 20) -> np.ndarray:
    r"""Log-spaced nu from :math:`\nu_{\max}=\tfrac12 r/\max_k|t_k|` down ``decades`` decades (descending).

    r is the distance from 0 to the nearer end of :meth:`nu_interval`, so every node lies inside it.
    ``decades`` in (0, 300] (float64 spans ~ 630 decades), ``per_decade`` an integer in [1, 1000].
    """
    tasks = check_tasks(tasks)
    _check_stencil(st)
    decades = check_positive(decades, "decades")
    if decades > 300:
        raise ValueError(f"decades must be <= 300 (the grid would leave float64's range), got {decades:g}.")
    per_decade = check_int(per_decade, "per_decade", lo=1, hi=1000)
    lo, hi = tasks.nu_interval()
    r = min(-lo, hi)
    r = 1.0 if not np.isfinite(r) else r
    top = 0.5 * r / max(abs(t) for t in st.nodes)
    return np.logspace(np.log10(top), np.log10(top) - decades, int(decades * per_decade) + 1)


def _check_stencil(st: Any) -> Stencil:
    if not isinstance(st, Stencil):
        raise TypeError(f"st must be a Stencil (see bmaml_theory.stencils), got {type(st).__name__}.")
    return st


def _check_grid(nus: Any, deltas: Any) -> tuple[np.ndarray, np.ndarray]:
    nus = real_array(nus, "nus", ndim=1)
    deltas = real_array(deltas, "deltas", ndim=(0, 1), allow_empty=True).reshape(-1)
    if np.any(nus <= 0):
        raise ValueError("nus must be > 0 (the stencil's nodes give the signs; see nu_grid).")
    if np.any(deltas <= 0):
        raise ValueError("deltas must be > 0 (certified precisions of eq. (13)).")
    return nus, deltas


def _exact_parts(tasks: Any, theta: Any, nus: np.ndarray, st: Stencil, phis_fn: Any = None):
    """g (M, G, n) formed from the solutions, grad F (M, n), max ||phi_k|| (M, G)."""
    xp = tasks.xp
    K, G = len(st.nodes), len(nus)
    all_nus = np.concatenate([t * nus for t in st.nodes])
    check_nu_values([float(all_nus.max()), float(all_nus.min())], tasks.nu_interval(), what="nus * stencil node")
    nus_x = xp.asarray(all_nus, dtype=tasks.dtype, **on_device(tasks))
    phis = tasks.inner_solution(theta, nus_x) if phis_fn is None else phis_fn(nus_x)
    lead = phis.shape[:1]
    phis = xp.reshape(phis, (*lead, K, G, *phis.shape[2:]))  # (M, K, G, [D,] n)
    coeffs = xp.asarray(np.array(st.weights)[:, None] / nus[None, :], dtype=tasks.dtype, **on_device(tasks))  # (K, G)
    cshape = (1, K, G) + (1,) * (phis.ndim - 3)
    g = -tasks.lam * xp.sum(xp.reshape(coeffs, cshape) * phis, axis=1)
    phinorm = xp.max(safe_norm(phis, xp=xp), axis=1)  # (M, G[, D]); no overflow of the squares
    return g, tasks.meta_gradient(theta, per_task=True), phinorm


def _rho(tasks: Any) -> np.ndarray:
    return np.asarray(to_numpy(tasks.rho), dtype=float)


def bias_grid(
    tasks: Any,
    theta: Any,
    nus: np.ndarray,
    st: Stencil,
    deltas: np.ndarray | tuple = (),
    *,
    model: str = "adversarial",
    seed: int = 0,
) -> BiasGrid:
    """Per-task bias over the (nu, delta) grid for the exact solutions and an inexactness ``model``."""
    tasks = check_tasks(tasks)
    _check_stencil(st)
    if model not in ("adversarial", "random"):
        raise ValueError(f"model must be 'adversarial' or 'random', got {model!r}; for solvers use solver_bias_grid.")
    seed = check_int(seed, "seed", lo=0)
    nus, deltas = _check_grid(nus, deltas)
    xp = tasks.xp
    theta = tasks.check_theta(theta)
    g, grad, phinorm = _exact_parts(tasks, theta, nus, st)
    bvec = grad[:, None, :] - g  # (M, G, n)
    exact = xp.linalg.vector_norm(bvec, axis=-1)
    exact_mean = xp.linalg.vector_norm(xp.mean(bvec, axis=0), axis=-1)
    roundoff = roundoff_estimate(tasks, st, nus[None, :], to_numpy(phinorm))
    lam_d_nu = tasks.lam * deltas[None, :] / nus[:, None]  # (G, D)
    if deltas.size == 0:
        total = np.zeros((tasks.M, len(nus), 0))
    elif model == "adversarial":
        total = to_numpy(exact)[:, :, None] + st.w_l1 * lam_d_nu[None, :, :]
    else:
        rng = np.random.default_rng(seed)
        u = rng.standard_normal((tasks.M, len(st.nodes), tasks.n))
        u /= np.linalg.norm(u, axis=-1, keepdims=True)
        s = xp.asarray(np.einsum("k,mkn->mn", np.array(st.weights), u), dtype=tasks.dtype, **on_device(tasks))  # (M, n)
        scale = xp.asarray(lam_d_nu, dtype=tasks.dtype, **on_device(tasks))
        v = bvec[:, :, None, :] + scale[None, :, :, None] * s[:, None, None, :]
        total = to_numpy(xp.linalg.vector_norm(v, axis=-1))
    for arr in (to_numpy(exact), to_numpy(exact_mean), total, roundoff):
        check_finite_result(arr, "the bias grid (theta or nus too large for float64)", np)
    return BiasGrid(st, model, nus, deltas, to_numpy(exact), to_numpy(exact_mean), roundoff, total, _rho(tasks))


def solver_bias_grid(tasks: Any, theta: Any, nus: np.ndarray, st: Stencil, deltas: Any, solver: Any) -> BiasGrid:
    """Per-task bias when every perturbed problem is solved by ``solver`` to each certified delta.

    ``solver`` is a :class:`~bmaml_theory.solvers.Solver` instance; its own ``delta`` is ignored in
    favour of ``deltas`` (one trajectory per problem, snapshotted at each delta).
    """
    from bmaml_theory.solvers import Solver

    tasks = check_tasks(tasks)
    _check_stencil(st)
    if not isinstance(solver, Solver):
        raise TypeError(
            f"solver must be a bmaml_theory.solvers.Solver (GDSolver, NesterovSolver, CGSolver), got "
            f"{type(solver).__name__}; for inexactness models use bias_grid."
        )
    nus, deltas = _check_grid(nus, deltas)
    if deltas.size == 0:
        raise ValueError("deltas is empty: solver_bias_grid needs at least one delta.")
    deltas = np.sort(deltas)[::-1]
    xp = tasks.xp
    theta = tasks.check_theta(theta)

    def phis_fn(nus_x: Any) -> Any:
        return solver.solve_path(tasks, theta, nus_x, tuple(float(d) for d in deltas)).phi  # (M, KG, D, n)

    g, grad, _phinorm = _exact_parts(tasks, theta, nus, st, phis_fn)  # g (M, G, D, n)
    total = to_numpy(xp.linalg.vector_norm(grad[:, None, None, :] - g, axis=-1))
    ge, _, phin0 = _exact_parts(tasks, theta, nus, st)
    bvec = grad[:, None, :] - ge
    roundoff = roundoff_estimate(tasks, st, nus[None, :], to_numpy(phin0))
    return BiasGrid(
        st,
        solver.name,
        nus,
        deltas,
        to_numpy(xp.linalg.vector_norm(bvec, axis=-1)),
        to_numpy(xp.linalg.vector_norm(xp.mean(bvec, axis=0), axis=-1)),
        roundoff,
        total,
        _rho(tasks),
    )


class BestNu(NamedTuple):
    """The bias-minimising nu, from a grid (:func:`best_nu`: arrays (M, D), per task and delta) or from a
    search (:meth:`bmaml_theory.precision.MPQuadraticTask.best_nu`: floats, one task and delta).

    nu: the minimiser; bias: the bias there (NaN where no grid point is trusted); roundoff: the a-priori
    round-off estimate at that nu; bracketed: True where the minimiser is not at an end of the grid/search and,
    for grids, both neighbours are trusted, so the true optimum is bracketed.
    """

    nu: Any
    bias: Any
    roundoff: Any
    bracketed: Any


def _check_grid_obj(grid: Any) -> BiasGrid:
    if not isinstance(grid, BiasGrid):
        raise TypeError(f"grid must be a BiasGrid (from bias_grid or solver_bias_grid), got {type(grid).__name__}.")
    return grid


def best_nu(grid: BiasGrid, *, floor_factor: float = 100.0) -> BestNu:
    """The best nu per delta, per task: the grid minimiser of the total bias among *trusted* points.

    A grid point is trusted when its bias exceeds ``floor_factor`` times its a-priori round-off
    estimate, so a minimiser is never an artefact of round-off.  ``bias`` is NaN where no point is trusted
    (and ``bracketed`` False there): a documented marker, never used as a number.
    """
    grid = _check_grid_obj(grid)
    floor_factor = check_positive(floor_factor, "floor_factor")
    if grid.total.shape[-1] == 0:
        raise ValueError("the grid has no deltas; pass deltas to bias_grid.")
    M, G, D = grid.total.shape
    trusted = grid.total > floor_factor * grid.roundoff[:, :, None]
    masked = np.where(trusted, grid.total, np.inf)
    idx = np.argmin(masked, axis=1)  # (M, D)
    rows, cols = np.arange(M)[:, None], np.arange(D)[None, :]
    any_trusted = np.any(trusted, axis=1)
    bias = np.where(any_trusted, grid.total[rows, idx, cols], np.nan)
    lo, hi = np.clip(idx - 1, 0, G - 1), np.clip(idx + 1, 0, G - 1)
    interior = (idx > 0) & (idx < G - 1) & trusted[rows, lo, cols] & trusted[rows, hi, cols] & any_trusted
    return BestNu(grid.nus[idx], bias, grid.roundoff[rows, idx], interior)


def _task_index(grid: BiasGrid, i: Any) -> int:
    return check_int(i, "i", lo=0, hi=grid.exact.shape[0] - 1)


def fit_nu_order(grid: BiasGrid, i: int) -> RateFit:
    """Observed order in nu of task i's bias at exact solutions, on the a-priori window (eq. 12).

    The window nu*rho <= 1e-2 (``ASYMPTOTIC_NU_RHO``) is asymptotic where nu -> phi*_nu is smooth: rho bounds the
    relative size of the next term of the expansion.  It is *not* asymptotic at a kink crossed at nu = 0 (a jump of
    grad^2 f or grad^3 fhat at phi*_0, :mod:`bmaml_theory.tasks.kinked`): the order-nu term there is proportional
    to the jump of phi'' along the path, which rho does not bound from below and which can be arbitrarily small next
    to the smooth nu^2 term (a path crossing the kink nearly tangentially), so the fitted order can lie anywhere
    between 1 and 2 (or dip below 1 where the two terms have opposite signs) on that window.  Read such fits as
    evidence only; decide the order at a kink on exact closed forms (``sec3-regularity``).
    """
    grid = _check_grid_obj(grid)
    i = _task_index(grid, i)
    return fit_order(
        grid.nus,
        grid.exact[i],
        x_max=ASYMPTOTIC_NU_RHO / grid.rho[i],
        floor=grid.roundoff[i],
        floor_factor=FLOOR_FACTOR,
    )


def fit_delta_order(grid: BiasGrid, best: BestNu, i: int, *, asymptotic_nu: bool = True) -> RateFit:
    """Observed order in delta of task i's bias at the best nu (eq. 14).

    Points count only where the best nu is bracketed by trusted grid points and, with
    ``asymptotic_nu`` (the inexactness models), lies in the asymptotic window nu*rho <= 1e-2.
    """
    grid = _check_grid_obj(grid)
    if not isinstance(best, BestNu):
        raise TypeError(f"best must be the BestNu of best_nu(grid), got {type(best).__name__}.")
    i = _task_index(grid, i)
    valid = best.bracketed[i]
    if asymptotic_nu:
        valid = valid & (best.nu[i] <= ASYMPTOTIC_NU_RHO / grid.rho[i])
    return fit_order(grid.deltas, best.bias[i], floor=best.roundoff[i], floor_factor=FLOOR_FACTOR, valid=valid)
