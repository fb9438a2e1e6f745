r"""Inner solvers for the perturbed problem (9) that stop at a *certified* precision delta, eq. (13).

The certificate never looks at :math:`\phi^*`: the perturbed objective :math:`h_\nu` is
:math:`\mu_\nu`-strongly convex, so :math:`\|\phi-\phi^*_\nu\|\le\|\nabla h_\nu(\phi)\|/\mu_\nu`, with
:math:`\mu_\nu` the family's certified lower bound (:meth:`TaskFamily.mu_nu`).  A solver returns the
first iterate whose certificate is :math:`\le\delta`.

All problems (M tasks x G perturbations) run batched in lock-step from the same start
(``theta``, the natural warm start of Algorithm 1); :meth:`Solver.solve_path` records, for a whole
decreasing list of deltas at once, the first certified iterate of each.

* :class:`GD`: step :math:`1/L_\nu`.
* :class:`Nesterov`: constant momentum :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1)`, :math:`\kappa=L_\nu/\mu_\nu`;
  certified at the extrapolated point where the gradient is evaluated.
* :class:`CG`: linear conjugate gradients (quadratic inner problems only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from bmaml_theory._backend import namespace, to_numpy
from bmaml_theory._validation import check_positive

__all__ = ["CG", "GD", "Nesterov", "SolvePath", "Solver"]


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
        check_positive(self.delta, "delta")
        if int(self.max_iter) < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}.")

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
        """Certified solution(s) of (9): (M, n) for a float nu, (M, G, n) for G values."""
        xp = tasks.xp
        scalar = not hasattr(nu, "shape") or getattr(nu, "ndim", 0) == 0
        nus = xp.reshape(xp.asarray(nu, dtype=tasks.dtype), (-1,))
        phi = self.solve_path(tasks, theta, nus, (self.delta,)).phi[:, :, 0, :]
        return phi[:, 0, :] if scalar else phi

    def solve_path(self, tasks: Any, theta: Any, nus: Any, deltas: tuple[float, ...]) -> SolvePath:
        """First certified iterate for each of the decreasing ``deltas``, all problems batched."""
        deltas = tuple(sorted((check_positive(d, "delta") for d in deltas), reverse=True))
        xp = namespace(nus)
        theta = tasks._theta(theta) if hasattr(tasks, "_theta") else theta
        mu = tasks.mu_nu(nus)  # (M, G)
        if not bool(xp.all(mu > 0)):
            raise ValueError(
                "some nu makes the perturbed inner problem (9) not certifiably strongly convex "
                f"(mu_nu <= 0) for nus={to_numpy(nus).tolist()}; choose a smaller |nu|."
            )
        L = tasks.L_nu(nus)
        M, G, D = tasks.M, int(nus.shape[0]), len(deltas)
        shape = (M, G, tasks.n)
        phi0 = xp.broadcast_to(theta, shape) + xp.zeros(shape, dtype=tasks.dtype)
        out = xp.zeros((M, G, D, tasks.n), dtype=tasks.dtype)
        its = xp.full((M, G, D), -1, dtype=xp.int64)
        certs = xp.full((M, G, D), xp.inf, dtype=tasks.dtype)
        dvec = xp.asarray(deltas, dtype=tasks.dtype)
        for k, (point, grad) in enumerate(self._iterates(tasks, theta, nus, phi0, mu, L)):
            cert = xp.linalg.vector_norm(grad, axis=-1) / mu  # (M, G)
            newly = (cert[..., None] <= dvec) & (its < 0)  # (M, G, D)
            if bool(xp.any(newly)):
                out = xp.where(newly[..., None], point[:, :, None, :], out)
                its = xp.where(newly, xp.asarray(k, dtype=xp.int64), its)
                certs = xp.where(newly, cert[..., None], certs)
            if bool(xp.all(its >= 0)):
                return SolvePath(out, its, certs, deltas)
            if k >= self.max_iter:
                worst = float(xp.max(cert))
                raise RuntimeError(
                    f"{self.name} did not certify delta={deltas[-1]:g} within max_iter={self.max_iter} "
                    f"iterations (worst certificate {worst:.3g}); raise max_iter or delta."
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _iterates(self, tasks: Any, theta: Any, nus: Any, phi0: Any, mu: Any, L: Any):  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class GD(Solver):
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
class Nesterov(Solver):
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
class CG(Solver):
    r"""Linear conjugate gradients on :math:`(\nu A_i+\hat A_i+\lambda I)\phi=\lambda\theta-\hat b_i-\nu b_i`.

    Needs a quadratic inner problem (``tasks.is_quadratic``); the residual is :math:`-\nabla h_\nu`.
    """

    name = "cg"

    def _iterates(self, tasks, theta, nus, phi0, mu, L):
        if not getattr(tasks, "is_quadratic", False):
            raise TypeError("CG solves linear systems: it needs a quadratic inner problem; use GD or Nesterov.")
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
