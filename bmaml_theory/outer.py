r"""Outer optimisers of Section 4.3 on the meta-objective F, and iteration counts to an eps-stationary point.

* :class:`GD`            :math:`\theta\leftarrow\theta-\eta g`
* :class:`ClippedGD`     :math:`\theta\leftarrow\theta-\eta\min(1,c/\|g\|)g`
* :class:`NormalizedGD`  :math:`\theta\leftarrow\theta-\eta g/(\beta+\|g\|)` (Theorem 1 with :math:`\eta=1/\mathcal L_1`,
  :math:`\beta=\mathcal L_0/\mathcal L_1`)
* :class:`Adam`          Kingma & Ba, for comparison (no theorem in the paper).

(The inner solvers of eq. (9) are :mod:`bmaml_theory.solvers`' ``GDSolver``, ``NesterovSolver``, ``CGSolver``.)

:func:`run` iterates one of them with a gradient oracle ``grad(theta)`` (the exact :math:`\nabla F` or an
FO-B-MAML estimate) and reports the first iteration with :math:`\|\nabla F\|\le\varepsilon` for each eps.

>>> import numpy as np
>>> r = run(GD(0.5), lambda th: th, np.ones(2), eps=[1e-3], max_iter=100)
>>> r.iterations_to_eps
[11]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from bmaml_theory._validation import check_int, check_positive, finite_scalar, real_array

__all__ = ["GD", "Adam", "ClippedGD", "NormalizedGD", "OuterRun", "run"]


@dataclass(frozen=True)
class GD:
    r""":math:`\theta\leftarrow\theta-\eta g` (Theorem 2 with :math:`\eta=1/(\mathcal L_0+G\mathcal L_1)`)."""

    eta: float
    name = "GD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", check_positive(self.eta, "eta"))

    def step(self, g: np.ndarray, state: Any, k: int) -> tuple[np.ndarray, Any]:
        return self.eta * g, state


@dataclass(frozen=True)
class ClippedGD:
    r""":math:`\theta\leftarrow\theta-\eta\min(1,c/\|g\|)g`."""

    eta: float
    c: float
    name = "ClippedGD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", check_positive(self.eta, "eta"))
        object.__setattr__(self, "c", check_positive(self.c, "c"))

    def step(self, g: np.ndarray, state: Any, k: int) -> tuple[np.ndarray, Any]:
        ng = float(np.linalg.norm(g))
        return self.eta * min(1.0, self.c / ng if ng > 0 else 1.0) * g, state


@dataclass(frozen=True)
class NormalizedGD:
    r""":math:`\theta\leftarrow\theta-\eta g/(\beta+\|g\|)` (Theorem 1)."""

    eta: float
    beta: float
    name = "NormalizedGD"

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", check_positive(self.eta, "eta"))
        object.__setattr__(self, "beta", check_positive(self.beta, "beta"))

    def step(self, g: np.ndarray, state: Any, k: int) -> tuple[np.ndarray, Any]:
        return self.eta * g / (self.beta + float(np.linalg.norm(g))), state


@dataclass(frozen=True)
class Adam:
    """Adam with bias correction (b1, b2, eps_adam as in Kingma & Ba)."""

    eta: float
    b1: float = 0.9
    b2: float = 0.999
    eps_adam: float = 1e-8
    name = "Adam"

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", check_positive(self.eta, "eta"))
        for name in ("b1", "b2"):
            v = finite_scalar(getattr(self, name), name)
            if not 0 <= v < 1:
                raise ValueError(f"{name} must lie in [0, 1) (an exponential moving-average factor), got {v}.")
            object.__setattr__(self, name, v)
        object.__setattr__(self, "eps_adam", check_positive(self.eps_adam, "eps_adam"))

    def step(self, g: np.ndarray, state: Any, k: int) -> tuple[np.ndarray, Any]:
        m, v = state if state is not None else (np.zeros_like(g), np.zeros_like(g))
        m = self.b1 * m + (1 - self.b1) * g
        v = self.b2 * v + (1 - self.b2) * g * g
        mh, vh = m / (1 - self.b1 ** (k + 1)), v / (1 - self.b2 ** (k + 1))
        return self.eta * mh / (np.sqrt(vh) + self.eps_adam), (m, v)


class OuterRun(NamedTuple):
    """grad_norms[k] = ||grad F(theta_k)|| (exact, even when the oracle is an estimate); iterations_to_eps[j]
    is the first k with grad_norms[k] <= eps[j], or None if not reached within max_iter; ``cycled`` is True
    when the run stopped because theta_k returned to theta_{k-2} (a 2-cycle of the deterministic map, so
    no further step can reach eps)."""

    theta: np.ndarray
    grad_norms: np.ndarray
    iterations_to_eps: list[int | None]
    eps: list[float]
    cycled: bool = False


def run(
    opt: Any,
    grad: Callable[[np.ndarray], np.ndarray],
    theta0: Any,
    *,
    eps: Sequence[float],
    max_iter: int,
    exact_grad: Callable[[np.ndarray], np.ndarray] | None = None,
    cycle_tol: float = 0.0,
) -> OuterRun:
    r"""Iterate ``opt`` from ``theta0`` until :math:`\|\nabla F\|\le\min\varepsilon` or ``max_iter`` steps.

    ``grad`` is the oracle the optimiser uses; ``exact_grad`` (default: ``grad``) measures stationarity.
    With ``cycle_tol > 0`` the run also stops when :math:`\|\theta_k-\theta_{k-2}\|\le` ``cycle_tol``
    :math:`(1+\|\theta_k\|)` (GD-type maps with exact gradients are deterministic, so the orbit repeats).
    """
    if not callable(getattr(opt, "step", None)):
        raise TypeError(
            f"opt must be an outer optimiser (GD, ClippedGD, NormalizedGD, Adam), got {type(opt).__name__}."
        )
    if not callable(grad):
        raise TypeError(f"grad must be a callable theta -> gradient, got {type(grad).__name__}.")
    if exact_grad is not None and not callable(exact_grad):
        raise TypeError(f"exact_grad must be a callable or None, got {type(exact_grad).__name__}.")
    if isinstance(eps, (str, bytes)):
        raise TypeError(f"eps must be a float or a sequence of floats > 0, got the string {eps!r}.")
    eps = [check_positive(e, "eps") for e in (list(eps) if hasattr(eps, "__iter__") and np.ndim(eps) > 0 else [eps])]
    if not eps:
        raise ValueError("eps is empty; pass at least one stationarity target eps > 0.")
    max_iter = check_int(max_iter, "max_iter", lo=0)
    cycle_tol = finite_scalar(cycle_tol, "cycle_tol")
    if cycle_tol < 0:
        raise ValueError(f"cycle_tol must be >= 0, got {cycle_tol}.")
    exact = exact_grad or grad
    theta = np.array(real_array(theta0, "theta0", ndim=1), dtype=np.float64)

    def checked(fn: Callable[[np.ndarray], np.ndarray], name: str, th: np.ndarray) -> np.ndarray:
        g = np.asarray(fn(th))
        if g.shape != th.shape or g.dtype.kind not in "fiu":
            raise ValueError(f"{name}(theta) must return a real array of shape {th.shape}, got {g.dtype} {g.shape}.")
        return g.astype(np.float64)

    norms: list[float] = []
    hit: list[int | None] = [None] * len(eps)
    state = None
    target = min(eps)
    prev: list[np.ndarray] = []
    cycled = False
    for k in range(int(max_iter) + 1):
        g_exact = checked(exact, "exact_grad" if exact_grad is not None else "grad", theta)
        with np.errstate(over="ignore", invalid="ignore"):
            nk = float(np.linalg.norm(g_exact))
        if not np.isfinite(nk):
            raise FloatingPointError(
                f"grad: the gradient became non-finite at iteration {k}; the step (eta of opt) is too large."
            )
        norms.append(nk)
        for j, e in enumerate(eps):
            if hit[j] is None and nk <= e:
                hit[j] = k
        if nk <= target or k == max_iter:
            break
        if (
            cycle_tol > 0
            and len(prev) == 2
            and np.linalg.norm(theta - prev[0]) <= cycle_tol * (1 + np.linalg.norm(theta))
        ):
            cycled = True
            break
        prev = [*prev[-1:], theta.copy()]  # theta_{k-1}, theta_k
        g = g_exact if grad is exact else checked(grad, "grad", theta)
        if not np.all(np.isfinite(g)):
            raise FloatingPointError(f"grad returned a non-finite gradient at iteration {k}.")
        d, state = opt.step(g, state, k)
        theta = theta - d
    return OuterRun(theta, np.asarray(norms), hit, list(eps), cycled)
