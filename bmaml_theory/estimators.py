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
certified solver (:class:`~bmaml_theory.solvers.GD`, ``Nesterov``, ``CG``).  The result is averaged
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

from bmaml_theory._validation import check_nu_values, check_positive
from bmaml_theory.inexact import Exact
from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil, stencil

__all__ = ["Estimate", "estimate", "forward", "order_n", "symmetric"]


class Estimate(NamedTuple):
    """value (n,) averaged over tasks; per_task (M, n); phis (M, K, n) the solutions used; info from the source."""

    value: Any
    per_task: Any
    phis: Any
    stencil: Stencil
    nu: float
    info: dict


def estimate(tasks: Any, theta: Any, nu: float, st: Stencil = FORWARD, *, inner: Any = None) -> Estimate:
    r""":math:`g_{i,\nu}=-\frac\lambda\nu\sum_kw_k\tilde\phi_{i,t_k\nu}(\theta)` for any stencil; the rich result."""
    nu = check_positive(nu, "nu")
    if not isinstance(st, Stencil):
        raise TypeError(f"st must be a Stencil (see bmaml_theory.stencils), got {type(st).__name__}.")
    source = Exact() if inner is None else inner
    if not hasattr(source, "solutions"):
        raise TypeError(
            "inner must be None (exact), an inexactness model (Adversarial, RandomDirection) or a solver "
            f"(GD, Nesterov, CG); got {type(inner).__name__}."
        )
    check_nu_values([t * nu for t in st.nodes], tasks.nu_interval(), what="nu * stencil node")
    xp = tasks.xp
    theta = tasks._theta(theta) if hasattr(tasks, "_theta") else theta
    nus = xp.asarray([t * nu for t in st.nodes], dtype=tasks.dtype)
    coeffs = xp.asarray([w / nu for w in st.weights], dtype=tasks.dtype)
    phis, info = source.solutions(tasks, theta, nus, coeffs)
    g = -tasks.lam * xp.sum(coeffs[None, :, None] * phis, axis=1)
    if not bool(xp.all(xp.isfinite(g))):
        raise FloatingPointError(f"the estimate is not finite (nu={nu:g}); check the task data and nu.")
    return Estimate(xp.mean(g, axis=0), g, phis, st, nu, info)


def forward(tasks: Any, theta: Any, nu: float, *, inner: Any = None, per_task: bool = False) -> Any:
    r"""Forward estimator, eq. (10): :math:`-\lambda(\tilde\phi_{i,\nu}-\tilde\phi_{i,0})/\nu`."""
    e = estimate(tasks, theta, nu, FORWARD, inner=inner)
    return e.per_task if per_task else e.value


def symmetric(tasks: Any, theta: Any, nu: float, *, inner: Any = None, per_task: bool = False) -> Any:
    r"""Symmetric estimator, eq. (11): :math:`-\lambda(\tilde\phi_{i,\nu}-\tilde\phi_{i,-\nu})/(2\nu)`."""
    e = estimate(tasks, theta, nu, SYMMETRIC, inner=inner)
    return e.per_task if per_task else e.value


def order_n(tasks: Any, theta: Any, nu: float, order: int, *, inner: Any = None, per_task: bool = False) -> Any:
    r"""Order-n stencil estimator (Table 1's caption): truncation bias :math:`O(\nu^n)`.

    The stencil is :func:`bmaml_theory.stencils.stencil` ``(order)``.
    """
    e = estimate(tasks, theta, nu, stencil(order), inner=inner)
    return e.per_task if per_task else e.value


# the baselines of Section 2 and Fallah et al., importable from here too: estimators.maml, estimators.imaml, ...
from bmaml_theory.baselines import fo_bmaml, fo_maml, hf_maml, imaml, maml, reptile  # noqa: E402

__all__ += ["fo_bmaml", "fo_maml", "hf_maml", "imaml", "maml", "reptile"]
