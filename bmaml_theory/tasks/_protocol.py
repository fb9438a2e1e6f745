"""The protocol every task family implements, and the constants of Assumptions 1-3."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = ["Constants", "TaskFamily", "check_tasks"]


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
    outputs gain a G axis after the task axis.  Everything a caller of the library uses is listed here
    (no caller reaches for a private name); every method validates its arguments (errors name them).

    Attributes: ``M``, ``n`` (sizes), ``lam`` (eq. (6)), ``xp``/``dtype`` (backend), ``is_quadratic``
    (linear inner problems: CG applies), ``strict`` (whether lam >= 2 Lhat1 was enforced), ``cond_S``
    (largest condition number of the inner Hessians at nu = 0, a bound for non-quadratic families),
    ``rho`` ((M,) bound on the radius of the nu-expansion of phi*_nu: the series converges for
    |nu| rho_i < 1).
    """

    M: int
    n: int
    lam: float
    xp: Any
    dtype: Any
    is_quadratic: bool
    strict: bool

    @property
    def cond_S(self) -> float: ...

    @property
    def rho(self) -> Any: ...

    def check_theta(self, theta: Any) -> Any: ...

    def check_phi(self, phi: Any, name: str = "phi") -> Any: ...

    def inner_solution(self, theta: Any, nu: Any = 0.0) -> Any: ...

    def meta_gradient(self, theta: Any, per_task: bool = False) -> Any: ...

    def meta_hessian(self, theta: Any, per_task: bool = False) -> Any: ...

    def meta_objective(self, theta: Any, per_task: bool = False) -> Any: ...

    def train_value(self, phi: Any) -> Any: ...

    def test_value(self, phi: Any) -> Any: ...

    def train_grad(self, phi: Any) -> Any: ...

    def test_grad(self, phi: Any) -> Any: ...

    def train_hvp(self, phi: Any, v: Any) -> Any: ...

    def test_hvp(self, phi: Any, v: Any) -> Any: ...

    def inner_grad(self, phi: Any, theta: Any, nu: Any) -> Any: ...

    def inner_hvp(self, phi: Any, v: Any, nu: Any) -> Any: ...

    def nu_interval(self) -> tuple[float, float]: ...

    def mu_nu(self, nu: Any) -> Any: ...

    def L_nu(self, nu: Any) -> Any: ...

    def constants(self) -> Constants: ...


def check_tasks(tasks: Any, name: str = "tasks") -> Any:
    """``tasks`` if it implements :class:`~bmaml_theory.tasks.TaskFamily`, else a ``TypeError`` naming it."""
    if not isinstance(tasks, TaskFamily):
        raise TypeError(
            f"{name} must be a task family (QuadraticTasks, LogisticTasks or any TaskFamily), got {type(tasks).__name__}."
        )
    return tasks
