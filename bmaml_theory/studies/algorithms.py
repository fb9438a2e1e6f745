r"""Algorithm 1 as a whole (Chayti & Jaggi, Section 4.3): outer optimisers fed by the :math:`\delta`-inexact forward
estimator, ClippedGD against NormalizedGD, and the gradient calls that Nesterov's inner solver makes.

* :func:`normalized_spread`: the smallest factor :math:`\rho\ge1` within which a NormalizedGD with *constant*
  :math:`(\eta',\beta)` reproduces every step of a ClippedGD run (:math:`\rho=1` iff the rate change is exact).
* :func:`clipped_norms`: the gradient norms a ClippedGD run visits (exact :math:`\nabla F`).
* :func:`alg1_run`: Algorithm 1 with the forward estimator (10) at Corollary 1's :math:`\nu`, inner solutions
  :math:`\delta`-inexact as in (13) (the worst case, :class:`bmaml_theory.inexact.Adversarial`, or Nesterov's AGD
  certified to :math:`\delta`), outer NormalizedGD (Theorem 1) or GD (Theorem 2) with Corollary 2's constants as
  printed or as corrected (errata E6); stationarity is measured with the exact :math:`\nabla F`.
* :func:`inner_calls`: gradient calls of :class:`bmaml_theory.solvers.NesterovSolver` in Algorithm 1's outer steps.

Library code: plain settings in, plain results out (never imports :mod:`bmaml_theory.claims`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from bmaml_theory import outer, search, solvers, theory
from bmaml_theory.inexact import adversarial_errors

__all__ = [
    "SPREAD_BISECTIONS",
    "alg1_run",
    "clipped_norms",
    "inner_calls",
    "normalized_spread",
    "outer_constants",
]

SPREAD_BISECTIONS = 64  # bisection on rho in [1, 2]: 2^-64 < 1e-19, below double precision of rho


def normalized_spread(norms: Sequence[float], c: float) -> float:
    r""":math:`\rho^*=\inf_{\beta\ge0}\max_t f_t(\beta)/\min_t f_t(\beta)` with :math:`f_t(\beta)=\min(1,c/x_t)(\beta+x_t)`.

    ClippedGD's step at gradient norm :math:`x_t` is :math:`\eta\min(1,c/x_t)g_t`; NormalizedGD's is
    :math:`\eta'g_t/(\beta+x_t)`.  They coincide iff :math:`\eta'=\eta f_t(\beta)`, so a *constant* :math:`\eta'`
    reproduces every step within the factor :math:`\max_tf_t/\min_tf_t` (with :math:`\eta'` its geometric mean, the
    iterates agree step for step up to that factor), and :math:`\rho^*=1` iff some constant (:math:`\eta',\beta`)
    reproduces the run exactly (:math:`\beta\to\infty` and :math:`\beta=0` included as limits).  Computed exactly:
    for a fixed :math:`\rho` the constraints :math:`f_t\le\rho f_s` are linear in :math:`\beta`, so feasibility is an
    interval test, and :math:`\rho` is bisected on :math:`[1,2]` (:math:`\beta=c` gives :math:`\rho\le2` always:
    :math:`\min(1,c/x)/2\le c/(c+x)\le\min(1,c/x)`, Zhang et al. 2020's factor 2).
    """
    x = np.asarray(norms, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"norms must be a non-empty 1-D sequence of finite gradient norms >= 0, got {norms!r}.")
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"c must be the clipping level, finite and > 0, got {c!r}.")
    m = np.where(x <= c, 1.0, c / np.where(x > 0, x, 1.0))

    def feasible(rho: float) -> bool:
        a = m[:, None] - rho * m[None, :]  # a_ts beta <= b_ts
        b = rho * (m * x)[None, :] - (m * x)[:, None]
        if np.any((a == 0) & (b < 0)):
            return False
        lo = max(0.0, float(np.max(np.where(a < 0, b / np.where(a < 0, a, -1.0), -np.inf))))
        hi = float(np.min(np.where(a > 0, b / np.where(a > 0, a, 1.0), np.inf)))
        return lo <= hi

    if feasible(1.0):
        return 1.0
    lo, hi = 1.0, 2.0
    if not feasible(hi):  # pragma: no cover - excluded by the derivation above (beta = c gives <= 2)
        raise ArithmeticError("beta = c should reproduce ClippedGD within a factor 2; the norms are not finite?")
    for _ in range(SPREAD_BISECTIONS):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if feasible(mid) else (mid, hi)
    return hi


def clipped_norms(tasks: Any, theta0: Any, eta: float, c: float, steps: int) -> list[float]:
    r"""The gradient norms :math:`\|\nabla F(\theta_k)\|`, k < steps, at which a ClippedGD run
    :math:`\theta\leftarrow\theta-\eta\min(1,c/\|\nabla F\|)\nabla F` (exact meta-gradient) takes its steps."""
    r = outer.run(outer.ClippedGD(eta, c), tasks.meta_gradient, theta0, eps=[1e-300], max_iter=int(steps))
    return [float(v) for v in r.grad_norms[:-1]]


def outer_constants(tasks: Any, constants: str) -> dict:
    r"""Corollary 2's :math:`(\mathcal L_0,\mathcal L_1)` as printed (``"stated"``) or corrected (``"corrected"``,
    errata E6) with the certified :math:`\zeta` (:func:`bmaml_theory.search.zeta_bound`), and Corollary 3's G."""
    c = tasks.constants()
    zeta = search.zeta_bound(tasks) if hasattr(tasks, "Zh") else 0.0
    if constants == "stated":
        cL0, cL1 = theory.cor2_constants_stated(c, zeta)
    elif constants == "corrected":
        cL0, cL1 = theory.cor2_constants_corrected(c, zeta)
    else:
        raise ValueError(f"constants must be 'stated' or 'corrected', got {constants!r}.")
    return {"calL0": cL0, "calL1": cL1, "G": theory.cor3_G(c), "zeta": zeta}


def _optimiser(method: str, k: dict) -> Any:
    if method == "NormalizedGD":
        return outer.NormalizedGD(*theory.thm1_parameters(k["calL0"], k["calL1"]))
    if method == "GD":
        return outer.GD(theory.thm2_step(k["calL0"], k["calL1"], k["G"]))
    raise ValueError(f"method must be 'NormalizedGD' or 'GD', got {method!r}.")


class _AdversarialForward:
    r"""Algorithm 1's forward estimator (10) with the worst :math:`\delta`-errors of (13) for the task average
    (:func:`bmaml_theory.inexact.adversarial_errors`, aligned with the mean bias), sharing one Newton solve of
    (9) at :math:`\{\nu,0\}` and one of eq. (7) per :math:`\theta` with the exact-gradient measurement."""

    def __init__(self, tasks: Any, nu: float, delta: float) -> None:
        self.tasks, self.nu, self.delta = tasks, float(nu), float(delta)
        self._key: bytes | None = None

    def _at(self, theta: np.ndarray) -> None:
        key = np.asarray(theta, dtype=np.float64).tobytes()
        if key == self._key:
            return
        t = self.tasks
        phis = t.inner_solution(theta, np.array([self.nu, 0.0]))  # (M, 2, n)
        Gi = t.meta_gradient(theta, per_task=True)
        gi = -t.lam * (phis[:, 0] - phis[:, 1]) / self.nu
        bias = np.mean(Gi - gi, axis=0)
        nb = float(np.linalg.norm(bias))
        u = bias / nb if nb > 0 else np.eye(t.n)[0]
        e_nu, e_0 = adversarial_errors(u, [1.0 / self.nu, -1.0 / self.nu], self.delta)
        g = np.mean(gi, axis=0) - t.lam * (e_nu - e_0) / self.nu
        self._key, self._exact, self._estimate = key, Gi.mean(0), g

    def exact(self, theta: np.ndarray) -> np.ndarray:
        self._at(theta)
        return self._exact

    def estimate(self, theta: np.ndarray) -> np.ndarray:
        self._at(theta)
        return self._estimate


class _NesterovForward:
    """The forward estimator with both problems of (9) solved by Nesterov's AGD certified to delta; counts calls."""

    def __init__(self, tasks: Any, nu: float, delta: float) -> None:
        self.tasks, self.nu = tasks, float(nu)
        self.solver = solvers.NesterovSolver(float(delta))
        self.calls = 0
        self.max_solve = 0
        self.per_step: list[int] = []

    def exact(self, theta: np.ndarray) -> np.ndarray:
        return self.tasks.meta_gradient(theta)

    def estimate(self, theta: np.ndarray) -> np.ndarray:
        t = self.tasks
        path = self.solver.solve_path(t, theta, np.array([self.nu, 0.0]), (self.solver.delta,))
        its = np.asarray(path.iterations)  # (M, 2, 1): index of the first certified iterate
        calls = int(np.sum(its + 1))  # iterate k is certified by the k-th gradient call (k = 0 is the start)
        self.calls += calls
        self.max_solve = max(self.max_solve, int(np.max(its)) + 1)
        self.per_step.append(calls)
        phi = np.asarray(path.phi)[:, :, 0, :]
        return np.mean(-t.lam * (phi[:, 0] - phi[:, 1]) / self.nu, axis=0)


def alg1_run(
    tasks: Any,
    theta0: Any,
    *,
    method: str,
    constants: str,
    delta: float,
    source: str = "adversarial",
    eps: float,
    max_iter: int,
    cycle_tol: float = 1e-13,
    nu: float | None = None,
) -> dict:
    r"""Algorithm 1 (forward estimator, :math:`\nu=\sqrt{\delta/A}` of Corollary 1's main text unless ``nu``) with
    Theorem 1's NormalizedGD or Theorem 2's GD, stopping at :math:`\|\nabla F\|\le` ``eps``, at ``max_iter`` or on a
    2-cycle / fixed point (:math:`\theta_k=\theta_{k-2}` to ``cycle_tol``; the adversarial map is deterministic, so
    its orbit then repeats for ever).  ``source``: ``"adversarial"`` (worst errors of (13)) or ``"nesterov"``
    (certified AGD; gradient calls counted).  Returns plain results."""
    c = tasks.constants()
    k = outer_constants(tasks, constants)
    A = theory.prop2_coefficient(c)
    nu = theory.cor1_nu_stated(c, delta) if nu is None else float(nu)
    lo, hi = tasks.nu_interval()
    if not (lo < nu < hi):
        raise ValueError(f"nu={nu:g} (from delta={delta:g}) lies outside the uniqueness interval ({lo:g}, {hi:g}).")
    if source == "adversarial":
        oracle: Any = _AdversarialForward(tasks, nu, delta)
        ctol = cycle_tol
    elif source == "nesterov":
        oracle = _NesterovForward(tasks, nu, delta)
        ctol = 0.0  # the certified solver's map is only piecewise smooth in theta: no cycle claim is made
    else:
        raise ValueError(f"source must be 'adversarial' or 'nesterov', got {source!r}.")
    r = outer.run(
        _optimiser(method, k),
        oracle.estimate,
        np.asarray(theta0, dtype=np.float64),
        eps=[float(eps)],
        max_iter=int(max_iter),
        exact_grad=oracle.exact,
        cycle_tol=ctol,
    )
    norms = r.grad_norms
    return {
        "method": method,
        "constants": constants,
        "source": source,
        "delta": float(delta),
        "nu": nu,
        "A": A,
        **k,
        "eps": float(eps),
        "reached": r.iterations_to_eps[0] is not None,
        "iterations": r.iterations_to_eps[0],
        "cycled": bool(r.cycled),
        "steps_run": len(norms) - 1,
        "min_grad_norm": float(norms.min()),
        "final_grad_norm": float(norms[-1]),
        "grad_norms": norms.tolist(),
        "gradient_calls": getattr(oracle, "calls", None),
        "calls_per_step": getattr(oracle, "per_step", None),
    }


def inner_calls(tasks: Any, theta0: Any, *, delta: float, nu: float, outer_steps: int, method: str = "NormalizedGD"):
    r"""Gradient calls of Algorithm 1 with Nesterov's AGD certified to ``delta`` over ``outer_steps`` outer steps
    (Theorem 1's NormalizedGD with the corrected constants; the iterates only move the warm starts), and the
    largest count of one inner solve.  Returns ``(total_calls, max_calls_one_solve, outer_steps_made)``."""
    oracle = _NesterovForward(tasks, nu, delta)
    k = outer_constants(tasks, "corrected")
    theta = np.asarray(theta0, dtype=np.float64)
    opt = _optimiser(method, k)
    state = None
    for j in range(int(outer_steps)):
        d, state = opt.step(oracle.estimate(theta), state, j)
        theta = theta - d
    return oracle.calls, oracle.max_solve, int(outer_steps)
