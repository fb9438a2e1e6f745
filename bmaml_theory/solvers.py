r"""Inner solvers for the perturbed problem (9) that stop at a *certified* precision delta, eq. (13).

The certificate never looks at :math:`\phi^*`: the perturbed objective :math:`h_\nu` is
:math:`\mu_\nu`-strongly convex, so :math:`\|\phi-\phi^*_\nu\|\le\|\nabla h_\nu(\phi)\|/\mu_\nu`, with
:math:`\mu_\nu` the family's certified lower bound (:meth:`TaskFamily.mu_nu`).  A solver returns the
first iterate whose certificate is :math:`\le\delta`.

All problems (M tasks x G perturbations) run batched in lock-step from the same start
(``theta``, the natural warm start of Algorithm 1); :meth:`Solver.solve_path` records, for a whole
decreasing list of deltas at once, the first certified iterate of each.

* :class:`GDSolver`: step :math:`1/L_\nu`.
* :class:`NesterovSolver`: constant momentum :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`, :math:`\kappa=L_\nu/\mu_\nu`;
  certified at the extrapolated point where the gradient is evaluated.
* :class:`CGSolver`: linear conjugate gradients (quadratic inner problems only).

(The outer optimisers of Section 4.3 live in :mod:`bmaml_theory.outer`: ``outer.GD``, ``outer.NormalizedGD``, ...)

Fail fast: a delta below the certificate's round-off floor :math:`\varepsilon L_\nu\max(\|\phi\|,\|\theta\|,1)/\mu_\nu`
is rejected before iterating, and a run whose best certificate has not halved over the last
:math:`100+10\lceil\kappa\rceil` iterations (:math:`\kappa=\max L_\nu/\mu_\nu`; GD contracts by :math:`1-1/\kappa` per step,
so a healthy run halves in under :math:`\kappa`) stops with ``RuntimeError`` naming delta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from bmaml_theory._backend import eps, on_device, safe_norm, to_numpy
from bmaml_theory._validation import check_int, check_positive, real_array

__all__ = ["CGSolver", "GDSolver", "NesterovSolver", "SolvePath", "Solver"]


class SolvePath(NamedTuple):
    """phi: (M, G, D, n) first certified iterate per delta; iterations: (M, G, D) its index;
    certificate: (M, G, D) the bound ||grad h||/mu at that iterate (<= delta)."""

    phi: Any
    iterations: Any
    certificate: Any
    deltas: tuple[float, ...]


@dataclass(frozen=True)
class Solver:
    """Base class: ``delta`` is the certified precision, ``max_iter`` a hard cap (exceeding it raises)."""

    delta: float
    max_iter: int = 100_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "delta", check_positive(self.delta, "delta"))
        object.__setattr__(self, "max_iter", check_int(self.max_iter, "max_iter", lo=1))

    name = "solver"

    # -- the source protocol used by the estimators
    def solutions(self, tasks: Any, theta: Any, nus: Any, coeffs: Any) -> tuple[Any, dict]:
        path = self.solve_path(tasks, theta, nus, (self.delta,))
        its = to_numpy(path.iterations)
        return path.phi[:, :, 0, :], {
            "source": self.name,
            "delta": self.delta,
            "iterations_max": int(its.max()),
            "iterations_mean": float(its.mean()),
        }

    def solve(self, tasks: Any, theta: Any, nu: Any) -> Any:
        """Certified solution(s) of (9): (M, n) for a float nu, (M, G, n) for a 1-D array or list of G values."""
        from bmaml_theory.tasks._protocol import check_tasks

        tasks = check_tasks(tasks)
        nus = real_array(nu, "nu", xp=tasks.xp, dtype=tasks.dtype, ndim=(0, 1), device=getattr(tasks, "device", None))
        scalar = nus.ndim == 0
        nus = tasks.xp.reshape(nus, (-1,))
        phi = self.solve_path(tasks, theta, nus, (self.delta,)).phi[:, :, 0, :]
        return phi[:, 0, :] if scalar else phi

    def solve_path(self, tasks: Any, theta: Any, nus: Any, deltas: Any) -> SolvePath:
        """First certified iterate for each of the decreasing ``deltas``, all problems batched.

        ``nus`` is a non-empty 1-D array of perturbations inside the uniqueness interval; ``deltas`` a
        non-empty sequence of certified precisions > 0 above the certificate's round-off floor.
        """
        from bmaml_theory.tasks._protocol import check_tasks

        tasks = check_tasks(tasks)
        if isinstance(deltas, (str, bytes)) or not hasattr(deltas, "__iter__"):
            raise TypeError(f"deltas must be a sequence of floats > 0, got {type(deltas).__name__}.")
        deltas = tuple(sorted((check_positive(d, "delta") for d in deltas), reverse=True))
        if not deltas:
            raise ValueError("deltas is empty; pass at least one certified precision delta > 0.")
        xp = tasks.xp
        nus = real_array(nus, "nus", xp=xp, dtype=tasks.dtype, ndim=1, device=getattr(tasks, "device", None))
        theta = tasks.check_theta(theta)
        mu = tasks.mu_nu(nus)  # (M, G); checks nus against the uniqueness interval
        if not bool(xp.all(mu > 0)):
            raise ValueError(
                "some nu makes the perturbed inner problem (9) not certifiably strongly convex "
                f"(mu_nu <= 0) for nus={to_numpy(nus).tolist()}; choose a smaller |nu|."
            )
        L = tasks.L_nu(nus)
        M, G, D = tasks.M, int(nus.shape[0]), len(deltas)
        shape = (M, G, tasks.n)
        phi0 = xp.broadcast_to(theta, shape) + xp.zeros(shape, dtype=tasks.dtype, **on_device(tasks))
        # round-off floor of the certificate ||grad h||/mu: the gradient is computed with relative error ~ eps at
        # the scale L ||phi|| of its terms, with phi ~ phi0 = theta and the solution (bounded through the first
        # gradient: ||phi* - theta|| <= ||grad h(theta)||/mu)
        g0 = tasks.inner_grad(phi0, theta, nus)
        scale = float(xp.max(L / mu * (safe_norm(phi0, xp=xp) + safe_norm(g0, xp=xp) / mu)))
        floor = eps(xp, tasks.dtype) * max(scale, 1.0)
        if deltas[-1] < floor:
            raise ValueError(
                f"delta={deltas[-1]:g} is below the round-off floor {floor:.2g} of the certificate ||grad h||/mu "
                f"(eps * L/mu * ||phi||); no iterate can be certified that precisely in {tasks.dtype}: raise delta."
            )
        kappa = float(xp.max(L / mu))
        window = 100 + 10 * math.ceil(kappa)
        out = xp.zeros((M, G, D, tasks.n), dtype=tasks.dtype, **on_device(tasks))
        its = xp.full((M, G, D), -1, dtype=xp.int64, **on_device(tasks))
        certs = xp.full((M, G, D), xp.inf, dtype=tasks.dtype, **on_device(tasks))
        dvec = xp.asarray(deltas, dtype=tasks.dtype, **on_device(tasks))
        best, best_at = math.inf, 0
        for k, (point, grad) in enumerate(self._iterates(tasks, theta, nus, phi0, mu, L)):
            cert = safe_norm(grad, xp=xp) / mu  # (M, G)
            if not bool(xp.all(xp.isfinite(cert))):
                raise FloatingPointError(
                    f"{self.name} diverged (non-finite certificate at iteration {k}); check the task data and nu."
                )
            newly = (cert[..., None] <= dvec) & (its < 0)  # (M, G, D)
            if bool(xp.any(newly)):
                out = xp.where(newly[..., None], point[:, :, None, :], out)
                its = xp.where(newly, xp.asarray(k, dtype=xp.int64, **on_device(tasks)), its)
                certs = xp.where(newly, cert[..., None], certs)
            if bool(xp.all(its >= 0)):
                return SolvePath(out, its, certs, deltas)
            worst = float(xp.max(xp.where(its[..., -1] < 0, cert, xp.zeros_like(cert))))
            if worst <= 0.5 * best:
                best, best_at = worst, k
            elif k - best_at > window:
                raise RuntimeError(
                    f"{self.name} stagnated: the worst certificate {worst:.3g} has not halved in {window} iterations "
                    f"(stuck near round-off); delta={deltas[-1]:g} is not reachable: raise delta."
                )
            if k >= self.max_iter:
                raise RuntimeError(
                    f"{self.name} did not certify delta={deltas[-1]:g} within max_iter={self.max_iter} "
                    f"iterations (worst certificate {worst:.3g}); raise max_iter or delta."
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _iterates(self, tasks: Any, theta: Any, nus: Any, phi0: Any, mu: Any, L: Any):  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class GDSolver(Solver):
    r"""Gradient descent :math:`\phi\leftarrow\phi-\nabla h_\nu(\phi)/L_\nu`, certified at each iterate."""

    name = "gd"

    def _iterates(self, tasks, theta, nus, phi0, mu, L):
        phi = phi0
        step = (1.0 / L)[..., None]
        while True:
            g = tasks.inner_grad(phi, theta, nus)
            yield phi, g
            phi = phi - step * g


@dataclass(frozen=True)
class NesterovSolver(Solver):
    r"""Nesterov's AGD for strongly convex problems (constant momentum), certified at the gradient point."""

    name = "nesterov"

    def _iterates(self, tasks, theta, nus, phi0, mu, L):
        xp = tasks.xp
        kappa = L / mu
        beta = ((xp.sqrt(kappa) - 1) / (xp.sqrt(kappa) + 1))[..., None]
        step = (1.0 / L)[..., None]
        x_prev = phi0
        y = phi0
        while True:
            g = tasks.inner_grad(y, theta, nus)
            yield y, g
            x = y - step * g
            y = x + beta * (x - x_prev)
            x_prev = x


@dataclass(frozen=True)
class CGSolver(Solver):
    r"""Linear conjugate gradients on :math:`(\nu A_i+\hat A_i+\lambda I)\phi=\lambda\theta-\hat b_i-\nu b_i`.

    Needs a quadratic inner problem (``tasks.is_quadratic``); the residual is :math:`-\nabla h_\nu`.
    """

    name = "cg"

    def _iterates(self, tasks, theta, nus, phi0, mu, L):
        if not tasks.is_quadratic:
            raise TypeError(
                "tasks must be a quadratic family for CGSolver (it solves linear systems); use GDSolver or "
                "NesterovSolver."
            )
        xp = tasks.xp
        x = phi0
        r = -tasks.inner_grad(x, theta, nus)
        p = r
        rr = xp.sum(r * r, axis=-1)
        while True:
            # certify with the true gradient, not the recursively updated residual (which drifts)
            yield x, tasks.inner_grad(x, theta, nus)
            Ap = tasks.inner_hvp(x, p, nus)
            pAp = xp.sum(p * Ap, axis=-1)
            ok = pAp > 0
            alpha = xp.where(ok, rr / xp.where(ok, pAp, xp.ones_like(pAp)), xp.zeros_like(pAp))
            x = x + alpha[..., None] * p
            r = r - alpha[..., None] * Ap
            rr_new = xp.sum(r * r, axis=-1)
            okr = rr > 0
            beta = xp.where(okr, rr_new / xp.where(okr, rr, xp.ones_like(rr)), xp.zeros_like(rr))
            p = r + beta[..., None] * p
            rr = rr_new
