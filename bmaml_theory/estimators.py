r"""FO-B-MAML meta-gradient estimators (Chayti & Jaggi, Section 3).

By Proposition 1, :math:`\nabla F_i(\theta)=-\lambda\,\frac{d}{d\nu}\phi^*_{i,\nu}(\theta)\big|_{\nu=0}`; a
finite-difference stencil (see :mod:`bmaml_theory.stencils`) turns solutions of the perturbed problem
(9) into a first-order estimate

.. math::  g_{i,\nu}=-\frac\lambda\nu\sum_kw_k\,\tilde\phi_{i,t_k\nu}(\theta).

* :func:`forward`   eq. (10): bias :math:`O(\lambda\nu)` exact, :math:`O(\lambda\nu+\lambda\delta/\nu)` inexact.
* :func:`symmetric` eq. (11): bias :math:`O(\lambda\nu^2)` exact, :math:`O(\lambda\nu^2+\lambda\delta/\nu)` inexact.
* :func:`order_n`   Table 1's caption: bias :math:`O(\nu^n)` exact, :math:`O(\delta^{n/(n+1)})` at the best nu.

Every estimator takes ``inner=``: ``None`` for exact solutions, an inexactness model
(:class:`~bmaml_theory.inexact.Adversarial`, :class:`~bmaml_theory.inexact.RandomDirection`) or a
certified solver (:class:`~bmaml_theory.solvers.GDSolver`, ``NesterovSolver``, ``CGSolver``).  The result is averaged
over tasks, shape (n,) (line 9 of Algorithm 1), or (M, n) with ``per_task=True``.

Example
-------
>>> import numpy as np
>>> from bmaml_theory import QuadraticTasks, estimators
>>> rng = np.random.default_rng(0)
>>> A = np.stack([np.diag([1.0, -0.5, 0.25])] * 2); b = rng.standard_normal((2, 3))
>>> tasks = QuadraticTasks(A, b, lam=2.0)
>>> theta = np.ones(3)
>>> exact = tasks.meta_gradient(theta)
>>> [float(np.linalg.norm(estimators.forward(tasks, theta, nu=h) - exact)) < 2 * h for h in (1e-2, 1e-3)]
[True, True]
"""

from __future__ import annotations

from typing import Any, NamedTuple

from bmaml_theory._backend import on_device, safe_norm
from bmaml_theory._validation import (
    ACCURACY_WARN_REL,
    check_bool,
    check_finite_result,
    check_int,
    check_nu_values,
    check_positive,
    warn_accuracy,
    warn_near_edge,
)
from bmaml_theory.baselines import fo_bmaml, fo_maml, hf_maml, imaml, maml, reptile
from bmaml_theory.inexact import Exact
from bmaml_theory.stencils import FORWARD, MAX_ORDER, SYMMETRIC, Stencil, roundoff_estimate, stencil
from bmaml_theory.tasks._protocol import check_tasks

# check_tasks (bmaml_theory.tasks) and roundoff_estimate (bmaml_theory.stencils) are importable from here too, and
# so are the baselines of Section 2 and Fallah et al. (bmaml_theory.baselines): estimators.maml, estimators.imaml, ...
__all__ = [
    "Estimate",
    "check_tasks",
    "estimate",
    "fo_bmaml",
    "fo_maml",
    "forward",
    "hf_maml",
    "imaml",
    "maml",
    "order_n",
    "reptile",
    "roundoff_estimate",
    "symmetric",
]


class Estimate(NamedTuple):
    """value (n,) averaged over tasks; per_task (M, n); phis (M, K, n) the solutions used; info from the source."""

    value: Any
    per_task: Any
    phis: Any
    stencil: Stencil
    nu: float
    info: dict


def _warn_roundoff(tasks: Any, st: Stencil, nu: float, phis: Any, g: Any) -> None:
    xp = tasks.xp
    phin = float(xp.max(safe_norm(phis, xp=xp)))
    gn = float(xp.max(safe_norm(g, xp=xp)))
    err = roundoff_estimate(tasks, st, nu, max(phin, 1.0))
    if err > ACCURACY_WARN_REL * max(gn, 1e-300):
        warn_accuracy(
            f"nu={nu:g} is at or below the round-off floor of the {st.name} difference quotient: estimated "
            f"round-off error {err:.2e} against an estimate of norm {gn:.2e} (relative {err / max(gn, 1e-300):.1e} "
            f"> {ACCURACY_WARN_REL:g}); raise nu (the floor falls as 1/nu, the truncation bias rises as nu^{st.order}).",
            stacklevel=4,
        )


def estimate(tasks: Any, theta: Any, nu: float, st: Stencil = FORWARD, *, inner: Any = None) -> Estimate:
    r""":math:`g_{i,\nu}=-\frac\lambda\nu\sum_kw_k\tilde\phi_{i,t_k\nu}(\theta)` for any stencil; the rich result.

    Warns (:class:`~bmaml_theory.AccuracyWarning`) when nu is at the round-off floor or some node
    :math:`t_k\nu` is within 1e-3 (relative) of an end of the uniqueness interval.
    """
    tasks = check_tasks(tasks)
    nu = check_positive(nu, "nu")
    if not isinstance(st, Stencil):
        raise TypeError(f"st must be a Stencil (see bmaml_theory.stencils), got {type(st).__name__}.")
    source = Exact() if inner is None else inner
    if not callable(getattr(source, "solutions", None)):
        raise TypeError(
            "inner must be None (exact), an inexactness model (Adversarial, RandomDirection) or a solver "
            f"(GDSolver, NesterovSolver, CGSolver); got {type(inner).__name__}."
        )
    node_nus = [t * nu for t in st.nodes]
    check_nu_values(node_nus, tasks.nu_interval(), what="nu * stencil node")
    warn_near_edge(node_nus, tasks.nu_interval(), what="nu * stencil node")
    xp = tasks.xp
    theta = tasks.check_theta(theta)
    nus = xp.asarray(node_nus, dtype=tasks.dtype, **on_device(tasks))
    coeffs = xp.asarray([w / nu for w in st.weights], dtype=tasks.dtype, **on_device(tasks))
    phis, info = source.solutions(tasks, theta, nus, coeffs)
    g = -tasks.lam * xp.sum(coeffs[None, :, None] * phis, axis=1)
    check_finite_result(g, f"the estimate (nu={nu:g})", xp)
    _warn_roundoff(tasks, st, nu, phis, g)
    return Estimate(xp.mean(g, axis=0), g, phis, st, nu, info)


def forward(tasks: Any, theta: Any, nu: float, *, inner: Any = None, per_task: bool = False) -> Any:
    r"""Forward estimator, eq. (10): :math:`-\lambda(\tilde\phi_{i,\nu}-\tilde\phi_{i,0})/\nu`."""
    per_task = check_bool(per_task, "per_task")
    e = estimate(tasks, theta, nu, FORWARD, inner=inner)
    return e.per_task if per_task else e.value


def symmetric(tasks: Any, theta: Any, nu: float, *, inner: Any = None, per_task: bool = False) -> Any:
    r"""Symmetric estimator, eq. (11): :math:`-\lambda(\tilde\phi_{i,\nu}-\tilde\phi_{i,-\nu})/(2\nu)`."""
    per_task = check_bool(per_task, "per_task")
    e = estimate(tasks, theta, nu, SYMMETRIC, inner=inner)
    return e.per_task if per_task else e.value


def order_n(tasks: Any, theta: Any, nu: float, order: int, *, inner: Any = None, per_task: bool = False) -> Any:
    r"""Order-n stencil estimator (Table 1's caption): truncation bias :math:`O(\nu^n)`.

    The stencil is :func:`bmaml_theory.stencils.stencil` ``(order)``.
    """
    per_task = check_bool(per_task, "per_task")
    order = check_int(order, "order", lo=1, hi=MAX_ORDER)
    e = estimate(tasks, theta, nu, stencil(order), inner=inner)
    return e.per_task if per_task else e.value
