r"""Outer runs of Section 4.3 on instances with a known :math:`F^*`: Theorems 1-2 and Appendix A.4.

**Instances.** One task (M = 1, so Assumption 4 holds with :math:`\zeta=0`), n = 2, test set
:math:`\{(x,+1),(x,-1)\}` with :math:`x=(s_x,0)` (non-separable, no linear term), so
:math:`f(\phi)=\tfrac12(\ell(x^\top\phi)+\ell(-x^\top\phi))\ge\log2` with equality on :math:`x^\top\phi=0`; the map
:math:`\theta\mapsto\phi^*_0(\theta)` is onto, hence :math:`F^*=\inf F=\log 2` exactly.  Training: one point
:math:`(0,0.3)` plus :math:`-\tfrac s2\phi_1^2` (``s = 1``: non-convex training at the threshold; ``s = 0``: convex),
:math:`\lambda=2\hat L_1`.

**Runs.** NormalizedGD with Theorem 1's :math:`\eta=1/\mathcal L_1`, :math:`\beta=\mathcal L_0/\mathcal L_1` and GD with
Theorem 2's :math:`\eta=1/(\mathcal L_0+G\mathcal L_1)`, with Corollary 2's constants as printed ("stated") or as
corrected (errata E6), exact :math:`\nabla F` (:math:`\delta=0`).  A run stops at the smallest eps, at ``max_iter``,
or on a detected 2-cycle (:math:`\theta_k=\theta_{k-2}` to ``CYCLE_TOL``; the map is deterministic, so the orbit then
repeats for ever and no later step reaches eps).

Library code: plain settings in, plain results out (never imports :mod:`bmaml_theory.claims`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bmaml_theory import estimators, outer, theory
from bmaml_theory._replay import replayable
from bmaml_theory.tasks.logistic import LogisticTasks

__all__ = [
    "CYCLE_TOL",
    "EPS_GRID",
    "FSTAR",
    "MAX_ITER",
    "instance",
    "instances",
    "rates",
    "run",
    "run_one",
    "run_with_forward_estimator",
    "steps_ratio",
    "steps_to_eps",
]

FSTAR = math.log(2.0)  # inf of f = log 2 on x^T phi = 0, reached because theta -> phi*_0(theta) is onto
EPS_GRID = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)  # six decades: the figure's x-axis; each run records every eps
MAX_ITER = 150  # corrected runs reach 1e-6 in < 40 steps; a stated run that neither reaches nor cycles by 150 is
# reported as a lower bound (steps run / rate), never as "never"
CYCLE_TOL = 1e-13  # relative: ||theta_k - theta_{k-2}|| <= 1e-13 (1 + ||theta_k||), a few ulps of theta
METHODS = ("NormalizedGD", "GD")
CONSTANTS = ("stated", "corrected")
RATES = ("thm1_rate", "a4_bound", "thm2_rate", "gd_bound")  # the keys of rates()


def instance(s: float, scale: float) -> LogisticTasks:
    r"""The task with test set :math:`\{((\mathrm{scale},0),\pm1)\}`, training point (0, 0.3), :math:`Q=-s\,e_1e_1^\top`,
    :math:`\lambda=2\hat L_1`; :math:`F^*=\log 2` (module docstring)."""
    x = np.array([[[scale, 0.0], [scale, 0.0]]])
    y = np.array([[1.0, -1.0]])
    xh = np.array([[[0.0, 0.3]]])
    Q = np.array([[[-s, 0.0], [0.0, 0.0]]])
    return LogisticTasks.at_threshold(xh, None, x, y, Q=Q)


def instances(quick: bool) -> list[dict]:
    """The (s, scale, theta0) grid: quick keeps the convex-training 2-cycle and one non-convex instance."""
    if quick:
        return [{"s": 0.0, "scale": 1.0, "theta0": [3.0, 1.0]}, {"s": 1.0, "scale": 1.0, "theta0": [3.0, 1.0]}]
    return [
        {"s": s, "scale": scale, "theta0": th0}
        for s in (1.0, 0.0)
        for scale in (1.0, 3.0)
        for th0 in ([3.0, 1.0], [-8.0, 2.0])
    ]


def _constants(t: LogisticTasks, constants: str) -> tuple[float, float]:
    if constants == "stated":
        return theory.cor2_constants_stated(t.constants(), 0.0)
    if constants == "corrected":
        return theory.cor2_constants_corrected(t.constants(), 0.0)
    raise ValueError(f"constants must be 'stated' or 'corrected', got {constants!r}")


def rates(calL0: float, calL1: float, G: float, Delta: float, eps: float) -> dict[str, float]:
    r"""The printed rates at one eps: Theorem 1's :math:`\mathcal L_0\Delta/\varepsilon^2+\mathcal L_1^2\Delta/\mathcal L_0`,
    A.4's explicit :math:`4(\cdot)`, Theorem 2's :math:`(\mathcal L_0+G\mathcal L_1)\Delta/\varepsilon^2` and the descent
    lemma's :math:`2(\mathcal L_0+G\mathcal L_1)\Delta/\varepsilon^2`."""
    return {
        "thm1_rate": calL0 * Delta / eps**2 + calL1**2 * Delta / calL0,
        "a4_bound": theory.a4_steps(calL0, calL1, Delta, eps),
        "thm2_rate": (calL0 + G * calL1) * Delta / eps**2,
        "gd_bound": theory.gd_steps(calL0 + G * calL1, Delta, eps),
    }


def run_one(
    s: float,
    scale: float,
    theta0: Sequence[float],
    method: str,
    constants: str,
    *,
    eps: Sequence[float] = EPS_GRID,
    max_iter: int = MAX_ITER,
) -> dict:
    r"""One outer run (exact :math:`\nabla F`) of Theorem 1's NormalizedGD or Theorem 2's GD; plain results.

    Returns ``iterations`` (first k with :math:`\|\nabla F(\theta_k)\|\le\varepsilon`, None if not reached),
    ``cycled``, ``steps_run``, ``grad_norms``, the constants, :math:`\Delta` and the rates of :func:`rates` per eps.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    t = instance(s, scale)
    c = t.constants()
    th0 = np.asarray(theta0, dtype=np.float64)
    cL0, cL1 = _constants(t, constants)
    G = theory.cor3_G(c)
    Delta = float(t.meta_objective(th0)) - FSTAR
    if method == "NormalizedGD":
        eta, beta = theory.thm1_parameters(cL0, cL1)
        opt = outer.NormalizedGD(eta, beta)
    else:
        opt = outer.GD(theory.thm2_step(cL0, cL1, G))
    r = outer.run(opt, t.meta_gradient, th0, eps=list(eps), max_iter=max_iter, cycle_tol=CYCLE_TOL)
    return {
        "s": s,
        "scale": scale,
        "theta0": th0.tolist(),
        "method": method,
        "constants": constants,
        "calL0": cL0,
        "calL1": cL1,
        "G": G,
        "Delta": Delta,
        "eps": list(eps),
        "iterations": list(r.iterations_to_eps),
        "cycled": bool(r.cycled),
        "steps_run": len(r.grad_norms) - 1,
        "grad_norms": r.grad_norms.tolist(),
        "theta_final": r.theta.tolist(),
        "rates": [rates(cL0, cL1, G, Delta, e) for e in eps],
    }


FORWARD_NU_FRACTION = 1e-6  # Algorithm 1's oracle: the forward estimator (10) at nu = 1e-6 mu/L1, exact solutions


def run_with_forward_estimator(
    s: float, scale: float, theta0: Sequence[float], method: str, constants: str, *, eps: Sequence[float] = EPS_GRID
) -> dict:
    r"""The run of :func:`run_one` with Algorithm 1's own oracle, the forward estimator (10) at
    :math:`\nu=10^{-6}\mu/L_1` and exact inner solutions (stationarity still measured with the exact gradient)."""
    t = instance(s, scale)
    c = t.constants()
    nu = FORWARD_NU_FRACTION * c.mu / c.L1
    cL0, cL1 = _constants(t, constants)
    if method == "NormalizedGD":
        opt = outer.NormalizedGD(*theory.thm1_parameters(cL0, cL1))
    else:
        opt = outer.GD(theory.thm2_step(cL0, cL1, theory.cor3_G(c)))
    r = outer.run(
        opt,
        lambda th: estimators.forward(t, th, nu),
        np.asarray(theta0, dtype=np.float64),
        eps=list(eps),
        max_iter=MAX_ITER,
        exact_grad=t.meta_gradient,
        cycle_tol=CYCLE_TOL,
    )
    return {
        "nu": nu,
        "iterations": list(r.iterations_to_eps),
        "cycled": bool(r.cycled),
        "steps_run": len(r.grad_norms) - 1,
        "final_grad_norm": float(r.grad_norms[-1]),
    }


def steps_to_eps(s: float, scale: float, theta0: Sequence[float], method: str, constants: str, eps: float) -> float:
    r"""Iterations to :math:`\|\nabla F\|\le` ``eps`` (the run of :func:`run_one` with ``MAX_ITER``): ``inf`` when the
    run ends on a 2-cycle (never reaches eps), ``nan`` when it stops at ``MAX_ITER`` without either."""
    r = run_one(s, scale, theta0, method, constants, eps=[eps])
    k = r["iterations"][0]
    if k is not None:
        return float(k)
    return math.inf if r["cycled"] else math.nan


@replayable
def steps_ratio(
    s: float, scale: float, theta0: Sequence[float], method: str, constants: str, eps: float, rate: str
) -> float:
    """Iterations to eps (:func:`steps_to_eps`) over one of the rates of :func:`rates` (``rate`` names it):
    ``inf`` on a 2-cycle, ``nan`` when the run stops at ``MAX_ITER`` without reaching eps or cycling."""
    if rate not in RATES:
        raise ValueError(f"rate must be one of {RATES}, got {rate!r}")
    k = steps_to_eps(s, scale, theta0, method, constants, eps)
    r = run_one(s, scale, theta0, method, constants, eps=[eps], max_iter=0)
    return k / r["rates"][0][rate]


def run(quick: bool, check_time=None) -> list[dict]:
    """Every run of :func:`instances` x METHODS x CONSTANTS (``check_time()`` is called between runs)."""
    rows = []
    for inst in instances(quick):
        for method in METHODS:
            for constants in CONSTANTS:
                if check_time is not None:
                    check_time()
                rows.append(run_one(inst["s"], inst["scale"], inst["theta0"], method, constants))
    return rows
