"""The protocol every task family implements, and the constants of Assumptions 1-3."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = ["Constants", "TaskFamily"]


class Constants(NamedTuple):
    """Constants of a task family, uniform over its tasks (the paper's assumptions say "for all tasks").

    Attributes
    ----------
    lam
        the proximal weight lambda of eq. (6).
    Lhat1
        smoothness of every training objective fhat_i (Assumption 1): max_i ||grad^2 fhat_i||.
    Lhat2
        Lipschitz constant of the training Hessians (Assumption 1); 0 for quadratics.
    L0
        Lipschitz constant of every test objective f_i (Assumption 2); ``inf`` where f_i is not
        globally Lipschitz (quadratics).
    L1
        smoothness of every test objective (Assumption 2): max_i ||grad^2 f_i||.
    mu
        exact strong convexity of every inner problem fhat_i + lam/2 ||.||^2 (Assumption 3);
        the paper's sufficient value is lam - Lhat1 <= mu.
    """

    lam: float
    Lhat1: float
    Lhat2: float
    L0: float
    L1: float
    mu: float


@runtime_checkable
class TaskFamily(Protocol):
    """M tasks of dimension n, batched over tasks (shapes: ``phi`` is ``(M, n)`` or ``(M, G, n)``).

    ``nu`` arguments are a Python float or a 1-D array of G perturbations; with an array the
    outputs gain a G axis after the task axis.
    """

    M: int
    n: int
    lam: float
    xp: Any
    dtype: Any
    is_quadratic: bool

    def inner_solution(self, theta: Any, nu: Any = 0.0) -> Any: ...

    def meta_gradient(self, theta: Any, per_task: bool = False) -> Any: ...

    def meta_objective(self, theta: Any) -> float: ...

    def inner_grad(self, phi: Any, theta: Any, nu: Any) -> Any: ...

    def inner_hvp(self, phi: Any, v: Any, nu: Any) -> Any: ...

    def nu_interval(self) -> tuple[float, float]: ...

    def mu_nu(self, nu: Any) -> Any: ...

    def L_nu(self, nu: Any) -> Any: ...

    def constants(self) -> Constants: ...
