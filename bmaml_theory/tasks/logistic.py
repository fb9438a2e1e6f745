r"""Logistic-regression task families: non-quadratic, with global constants computed from the data.

Task i has a training set :math:`(\hat x_{ij},\hat y_{ij})_{j\le\hat m}` and a test set
:math:`(x_{ij},y_{ij})_{j\le m}`, labels in :math:`\{\pm1\}` (folded into the points,
:math:`\hat z_{ij}=\hat y_{ij}\hat x_{ij}`), and

.. math::  \hat f_i(\phi)=\frac1{\hat m}\sum_j\ell(\hat z_{ij}^\top\phi)+\tfrac12\phi^\top Q_i\phi+q_i^\top\phi,
           \qquad f_i(\phi)=\frac1m\sum_j\ell(z_{ij}^\top\phi)+r_i^\top\phi,

with :math:`\ell(s)=\log(1+e^{-s})`.  :math:`Q_i` is symmetric and may be indefinite, so the training
objective may be non-convex (Assumption 1 asks smoothness only); the test objective is convex and
globally Lipschitz (Assumption 2).  :math:`\ell''\le1/4` and :math:`|\ell'''|\le1/(6\sqrt3)`.

Constants (uniform over tasks, :meth:`LogisticTasks.constants`):

* :math:`L_1=\max_i\lambda_{\max}(Z_i^\top Z_i)/(4m)`: exact (attained at :math:`\phi=0`).
* :math:`L_0=\max_i\sup_\phi\|\nabla f_i\|=\max_i\max_{s\in\{0,1\}^m}\|r_i-\frac1m\sum_js_jz_{ij}\|` over the
  vertices (:math:`m\le12`; exact when every sign pattern is realisable, e.g. :math:`m=1`), else the bound
  :math:`\frac1m\sum_j\|z_{ij}\|+\|r_i\|`.
* :math:`\hat L_1=\max_i\max(\lambda_{\max}(Q_i+\hat Z_i^\top\hat Z_i/(4\hat m)),\,-\lambda_{\min}(Q_i))`: an
  upper bound on :math:`\sup_\phi\|\nabla^2\hat f_i\|` whose first term is attained at :math:`\phi=0`.
* :math:`\hat L_2=\frac{1}{6\sqrt3}\max_i\min(\frac1{\hat m}\sum_j\|\hat z_{ij}\|^3,\ \max_j\|\hat z_{ij}\|\,
  \lambda_{\max}(\hat Z_i^\top\hat Z_i)/\hat m)`: exact for :math:`\hat m=1`.
* :math:`\mu=\min_i\lambda+\lambda_{\min}(Q_i)`: a valid strong-convexity constant (Assumption 3).

Exact solutions: damped Newton on eq. (9) to machine precision (batched over tasks and nu), then
eq. (7), :math:`\nabla F_i=\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)`.
NumPy only (the non-quadratic family is a reference, not a sweep engine).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from bmaml_theory._backend import safe_norm
from bmaml_theory._validation import check_bool, check_finite_result, check_positive, finite_scalar, real_array
from bmaml_theory.tasks._checks import FamilyChecks
from bmaml_theory.tasks._protocol import Constants

__all__ = ["ELL2_MAX", "ELL3_MAX", "LogisticTasks"]

ELL2_MAX = 0.25  # max of l''(s) = sigma(s) sigma(-s), at s = 0
ELL3_MAX = 1.0 / (6.0 * math.sqrt(3.0))  # max |l'''(s)|, at sigma(s) = 1/2 +- 1/(2 sqrt 3)


def _sig(s: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * s))  # overflow-free logistic function


def _ell(s: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, -s)


def _d1(s: np.ndarray) -> np.ndarray:
    return -_sig(-s)


def _d2(s: np.ndarray) -> np.ndarray:
    return _sig(s) * _sig(-s)


def _d3(s: np.ndarray) -> np.ndarray:
    return _sig(s) * _sig(-s) * (_sig(-s) - _sig(s))


def _quiet_overflow(fn: Any) -> Any:
    """Run a Newton-based method with NumPy's overflow/invalid warnings off: far from the solution (extreme theta)
    the line search's trial values may overflow, which the search handles (it backtracks, or the step is already
    at round-off); the method's *result* is checked finite before it is returned."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)

    return wrapper


def _points(X: Any, y: Any, M: int | None, name: str) -> np.ndarray:
    X = real_array(X, name, ndim=(2, 3))
    if X.ndim == 2:
        X = X[None]
    if X.shape[1] < 1 or X.shape[2] < 1:
        raise ValueError(f"{name} must have shape (M, m, n) (m >= 1 points per task), got {X.shape}.")
    if M is not None and X.shape[0] != M:
        raise ValueError(f"{name} holds {X.shape[0]} tasks but the training data holds {M}; pass one set per task.")
    yname = "y_train" if name == "X_train" else "y_test"
    if y is None:
        y = np.ones(X.shape[:2])
    y = real_array(y, yname, ndim=(1, 2))
    if y.ndim == 1:
        y = y[None]
    if y.shape != X.shape[:2]:
        raise ValueError(f"{yname} (labels for {name}) must have shape {X.shape[:2]}, got {y.shape}.")
    if not np.all(np.isin(y, (-1.0, 1.0))):
        raise ValueError(f"{yname} (labels for {name}) must be -1 or +1; map 0/1 labels by 2*y - 1.")
    return y[..., None] * X


class LogisticTasks(FamilyChecks):
    r"""M logistic-regression tasks with an optional (indefinite) quadratic part in training; eqs. (7), (9).

    Parameters
    ----------
    X_train, y_train : ``(M, mh, n)``, ``(M, mh)``
        Training points and labels in {-1, +1} (``y_train=None``: all +1).
    lam : float
        Proximal weight; ``strict=True`` (default) requires :math:`\lambda\ge2\hat L_1` (Propositions 2, 3).
    X_test, y_test : ``(M, m, n)``, ``(M, m)``
        Test points and labels.
    Q, q : optional ``(M, n, n)``, ``(M, n)``
        Quadratic and linear part of the training objective (Q symmetric, may be indefinite).
    r : optional ``(M, n)``
        Linear part of the test objective (keeps it globally Lipschitz).

    Examples
    --------
    >>> import numpy as np
    >>> t = LogisticTasks([[[1.0, 0.0]]], None, 2.0, [[[0.0, 1.0], [0.0, -1.0]]], Q=[[[-0.5, 0.0], [0.0, 0.1]]])
    >>> np.round(t.meta_gradient(np.zeros(2)), 12).tolist()
    [0.0, 0.0]
    """

    is_quadratic = False
    xp = np
    dtype = np.float64

    def __init__(
        self,
        X_train: Any,
        y_train: Any,
        lam: float,
        X_test: Any,
        y_test: Any = None,
        *,
        Q: Any = None,
        q: Any = None,
        r: Any = None,
        strict: bool = True,
    ) -> None:
        self.Zh = _points(X_train, y_train, None, "X_train")
        M, _, n = self.Zh.shape
        self.Z = _points(X_test, y_test, M, "X_test")
        if self.Z.shape[2] != n:
            raise ValueError(f"X_test has dimension {self.Z.shape[2]} but X_train has {n}.")
        self.M, self.n = int(M), int(n)
        self.Q = self._mat(Q, "Q")
        self.q = self._vec(q, "q")
        self.r = self._vec(r, "r")
        self.lam = finite_scalar(lam, "lam")
        if self.lam <= 0:
            raise ValueError(f"lam must be > 0 (the proximal weight of eq. (6)), got {self.lam}.")
        self.strict = check_bool(strict, "strict")
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                self._constants_per_task()
        except np.linalg.LinAlgError as exc:
            raise ValueError(
                "the constants of Assumptions 1-3 cannot be computed for this data (X_train, X_test or Q too large "
                f"for float64: {exc}); rescale X_train and X_test."
            ) from exc
        c = self.constants()
        if not all(math.isfinite(v) for v in (c.Lhat1, c.Lhat2, c.L0, c.L1, c.mu)):
            raise ValueError(
                "the constants of Assumptions 1-3 overflow for this data (X_train, X_test, Q, q, r too large: "
                f"Lhat1={c.Lhat1:g}, Lhat2={c.Lhat2:g}, L0={c.L0:g}, L1={c.L1:g}); rescale X_train and X_test."
            )
        if self.strict and self.lam < 2 * c.Lhat1 * (1 - 1e-12):
            raise ValueError(
                f"lam={self.lam:g} is below 2*Lhat1={2 * c.Lhat1:g}, the threshold of Propositions 2 and 3 (Lhat1 "
                "from X_train and Q); raise lam (LogisticTasks.at_threshold picks it) or pass strict=False."
            )
        if c.mu <= 0:
            raise ValueError(
                f"lam + min eig(Q) = {c.mu:g} <= 0: the inner problem is not certified strongly convex; raise lam."
            )

    @classmethod
    def at_threshold(
        cls, X_train: Any, y_train: Any, X_test: Any, y_test: Any = None, *, factor: float = 2.0, **kw: Any
    ) -> LogisticTasks:
        r"""The family with :math:`\lambda=` ``factor`` :math:`\cdot\hat L_1` (default: the threshold :math:`2\hat L_1`).

        :math:`\hat L_1` is read from the data (floored at 1e-6 so that a data set with no curvature still
        gives a valid lam); ``kw`` are ``Q``, ``q``, ``r``.
        """
        factor = check_positive(factor, "factor")
        if factor < 2:
            raise ValueError(
                f"factor must be >= 2 (lam = factor * Lhat1 with Propositions 2-3's lam >= 2 Lhat1), got {factor:g}; "
                "below the threshold build LogisticTasks(X_train, y_train, lam, ..., strict=False) directly."
            )
        probe = cls(X_train, y_train, 1e12, X_test, y_test, strict=False, **kw)  # lam only makes mu > 0
        return cls(X_train, y_train, factor * max(probe.constants().Lhat1, 1e-6), X_test, y_test, **kw)

    # ------------------------------------------------------------------ data checks
    def _mat(self, Q: Any, name: str) -> np.ndarray:
        if Q is None:
            return np.zeros((self.M, self.n, self.n))
        Q = real_array(Q, name, ndim=(2, 3))
        Q = Q[None] if Q.ndim == 2 else Q
        if Q.shape != (self.M, self.n, self.n):
            raise ValueError(f"{name} must have shape ({self.M}, {self.n}, {self.n}), got {Q.shape}.")
        if np.max(np.abs(Q - Q.swapaxes(-1, -2))) > 1e-12 * max(1.0, np.max(np.abs(Q))):
            raise ValueError(f"{name} is not symmetric; a Hessian is symmetric: pass (Q + Q^T)/2.")
        return (Q + Q.swapaxes(-1, -2)) / 2

    def _vec(self, v: Any, name: str) -> np.ndarray:
        if v is None:
            return np.zeros((self.M, self.n))
        v = real_array(v, name, ndim=(1, 2))
        v = v[None] if v.ndim == 1 else v
        if v.shape != (self.M, self.n):
            raise ValueError(f"{name} must have shape ({self.M}, {self.n}), got {v.shape}.")
        return v

    def _constants_per_task(self) -> None:
        Zh, Z = self.Zh, self.Z
        mh, m = Zh.shape[1], Z.shape[1]
        Ph = Zh.swapaxes(-1, -2) @ Zh / mh  # (M, n, n)
        P = Z.swapaxes(-1, -2) @ Z / m
        evQ = np.linalg.eigvalsh(self.Q)
        self._L1_task = ELL2_MAX * np.linalg.eigvalsh(P)[:, -1]
        self._Lhat1_task = np.maximum(np.linalg.eigvalsh(self.Q + ELL2_MAX * Ph)[:, -1], -evQ[:, 0])
        nh = np.linalg.norm(Zh, axis=-1)
        self._Lhat2_task = ELL3_MAX * np.minimum(np.mean(nh**3, axis=1), nh.max(axis=1) * np.linalg.eigvalsh(Ph)[:, -1])
        if m <= 12:
            S = np.array(list(itertools.product((0.0, 1.0), repeat=m)))  # (2^m, m)
            V = self.r[:, None, :] - np.einsum("sj,ijn->isn", S, Z) / m
            self._L0_task = np.linalg.norm(V, axis=-1).max(axis=1)
        else:
            self._L0_task = np.linalg.norm(Z, axis=-1).mean(axis=1) + np.linalg.norm(self.r, axis=-1)
        self._mu_task = self.lam + evQ[:, 0]

    def constants(self) -> Constants:
        """Constants of Assumptions 1-3 (see the module docstring for which are exact and which bounds)."""
        return Constants(
            lam=self.lam,
            Lhat1=float(self._Lhat1_task.max()),
            Lhat2=float(self._Lhat2_task.max()),
            L0=float(self._L0_task.max()),
            L1=float(self._L1_task.max()),
            mu=float(self._mu_task.min()),
        )

    def task_constants(self) -> dict[str, np.ndarray]:
        r"""Per-task constants, each of shape (M,): ``Lhat1``, ``Lhat2``, ``L0``, ``L1`` and ``mu``
        (:math:`\mu_i=\lambda+\lambda_{\min}(Q_i)`); :meth:`constants` gives their worst case over the tasks.
        Copies: changing them changes nothing here."""
        return {
            "Lhat1": self._Lhat1_task.copy(),
            "Lhat2": self._Lhat2_task.copy(),
            "L0": self._L0_task.copy(),
            "L1": self._L1_task.copy(),
            "mu": self._mu_task.copy(),
        }

    @property
    def cond_S(self) -> float:
        r"""Bound on the condition number of the inner Hessians: :math:`\max_i(\lambda+\hat L_{1,i})/\mu_i`."""
        return float(np.max((self.lam + self._Lhat1_task) / self._mu_task))

    @property
    def rho(self) -> np.ndarray:
        r"""Bound on the radius of the nu-expansion: :math:`\rho_i=L_{1,i}/\mu_i\ge\|S_i^{-1}\nabla^2f_i\|`, shape (M,)."""
        return self._L1_task / self._mu_task

    def nu_interval(self) -> tuple[float, float]:
        r"""Certified interval of nu with a unique solution of (9): :math:`(-\mu/L_1,\infty)` (f is convex)."""
        L1 = float(self._L1_task.max())
        return (-float(self._mu_task.min()) / L1 if L1 > 0 else -math.inf), math.inf

    # ------------------------------------------------------------------ objectives
    @_quiet_overflow
    def _train_parts(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """value, gradient, Hessian of fhat_i at phi (M, ..., n)."""
        Zh = self.Zh.reshape(self.M, *([1] * (phi.ndim - 2)), *self.Zh.shape[1:])
        Q = self.Q.reshape(self.M, *([1] * (phi.ndim - 2)), self.n, self.n)
        q = self.q.reshape(self.M, *([1] * (phi.ndim - 2)), self.n)
        s = np.einsum("...jn,...n->...j", Zh, phi)
        mh = self.Zh.shape[1]
        Qphi = np.einsum("...ab,...b->...a", Q, phi)
        val = _ell(s).mean(-1) + 0.5 * np.sum(phi * Qphi, -1) + np.sum(q * phi, -1)
        grad = np.einsum("...j,...jn->...n", _d1(s), Zh) / mh + Qphi + q
        hess = np.einsum("...j,...ja,...jb->...ab", _d2(s), Zh, Zh) / mh + Q
        return val, grad, hess

    @_quiet_overflow
    def _test_parts(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Z = self.Z.reshape(self.M, *([1] * (phi.ndim - 2)), *self.Z.shape[1:])
        r = self.r.reshape(self.M, *([1] * (phi.ndim - 2)), self.n)
        s = np.einsum("...jn,...n->...j", Z, phi)
        m = self.Z.shape[1]
        val = _ell(s).mean(-1) + np.sum(r * phi, -1)
        grad = np.einsum("...j,...jn->...n", _d1(s), Z) / m + r
        hess = np.einsum("...j,...ja,...jb->...ab", _d2(s), Z, Z) / m
        return val, grad, hess

    def train_value(self, phi: Any) -> np.ndarray:
        r""":math:`\hat f_i(\phi)`, shape (M,) or (M, G)."""
        return check_finite_result(self._train_parts(self.check_phi(phi))[0], "fhat_i(phi)", np)

    def test_value(self, phi: Any) -> np.ndarray:
        r""":math:`f_i(\phi)`, shape (M,) or (M, G)."""
        return check_finite_result(self._test_parts(self.check_phi(phi))[0], "f_i(phi)", np)

    def test_grad(self, phi: Any) -> np.ndarray:
        r""":math:`\nabla f_i(\phi)` for phi (M, n) or (M, G, n)."""
        return check_finite_result(self._test_parts(self.check_phi(phi))[1], "grad f_i(phi)", np)

    def train_grad(self, phi: Any) -> np.ndarray:
        r""":math:`\nabla\hat f_i(\phi)` for phi (M, n) or (M, G, n)."""
        return check_finite_result(self._train_parts(self.check_phi(phi))[1], "grad fhat_i(phi)", np)

    def train_hvp(self, phi: Any, v: Any) -> np.ndarray:
        r""":math:`\nabla^2\hat f_i(\phi)v`."""
        phi, v = self._same(phi, v)
        H = self._train_parts(phi)[2]
        return check_finite_result(np.einsum("...ab,...b->...a", H, v), "Hess fhat_i v", np)

    def test_hvp(self, phi: Any, v: Any) -> np.ndarray:
        r""":math:`\nabla^2f_i(\phi)v`."""
        phi, v = self._same(phi, v)
        H = self._test_parts(phi)[2]
        return check_finite_result(np.einsum("...ab,...b->...a", H, v), "Hess f_i v", np)

    def _same(self, phi: Any, v: Any) -> tuple[np.ndarray, np.ndarray]:
        phi, v = self.check_phi(phi), self.check_phi(v, "v")
        if phi.shape != v.shape:
            raise ValueError(f"v must have the shape of phi {phi.shape}, got {v.shape}.")
        return phi, v

    def _h(self, phi, theta, nus):
        """value, gradient and Hessian of the perturbed inner objective (9) at phi (M, G, n)."""
        tv, tg, tH = self._train_parts(phi)
        fv, fg, fH = self._test_parts(phi)
        nu = nus[None, :]
        d = phi - theta
        val = tv + nu * fv + 0.5 * self.lam * np.sum(d * d, -1)
        grad = tg + nu[..., None] * fg + self.lam * d
        hess = tH + nu[..., None, None] * fH + self.lam * np.eye(self.n)
        return val, grad, hess

    @_quiet_overflow
    def inner_solution(self, theta: Any, nu: Any = 0.0) -> np.ndarray:
        r"""Exact :math:`\phi^*_{i,\nu}(\theta)` of eq. (9) by damped Newton to machine precision: (M, n) or (M, G, n).

        Converged when the relative Newton step is below :math:`4\epsilon`, or below 1e-10 and no longer
        halving (round-off reached); one more step is then taken.  More than 200 iterations raise
        ``RuntimeError``.
        """
        theta = self.check_theta(theta)
        nus, scalar = self._nus(nu)
        G = nus.shape[0]
        phi = np.broadcast_to(theta, (self.M, G, self.n)).copy()
        eps = np.finfo(np.float64).eps
        done_extra = False
        prev_rel = np.inf
        for _ in range(200):
            val, grad, hess = self._h(phi, theta, nus)
            try:
                p = -np.linalg.solve(hess, grad[..., None])[..., 0]
            except np.linalg.LinAlgError as exc:
                raise RuntimeError(self._newton_failure(nus, theta, f"singular Hessian ({exc})")) from exc
            small = safe_norm(p, xp=np) <= 1e-6 * (1 + safe_norm(phi, xp=np))
            t = np.ones((self.M, G))
            for _ in range(60):  # Armijo backtracking, skipped inside the quadratic-convergence region
                cand = phi + t[..., None] * p
                ok = small | (self._h(cand, theta, nus)[0] <= val + 1e-4 * t * np.sum(grad * p, -1))
                if ok.all():
                    break
                t = np.where(ok, t, 0.5 * t)
            phi = phi + t[..., None] * p
            rel = float(np.max(safe_norm(p, xp=np) / (1 + safe_norm(phi, xp=np))))
            # converged: the step is at round-off, or (inside the quadratic region) stopped shrinking
            if rel <= 4 * eps or (rel <= 1e-10 and rel >= 0.5 * prev_rel):
                if done_extra:
                    break
                done_extra = True
            prev_rel = rel
        else:
            raise RuntimeError(
                self._newton_failure(nus, theta, "no convergence to machine precision in 200 iterations")
            )
        if not np.all(np.isfinite(phi)):
            raise FloatingPointError(self._newton_failure(nus, theta, "non-finite inner solution"))
        return phi[:, 0, :] if scalar else phi

    @staticmethod
    def _newton_failure(nus: np.ndarray, theta: np.ndarray, why: str) -> str:
        return (
            f"Newton on eq. (9) failed ({why}) for nu in [{float(nus.min()):.3g}, {float(nus.max()):.3g}] and "
            f"||theta|| = {float(safe_norm(theta, xp=np)):.3g}; such extreme nu or theta make (9) too ill-conditioned "
            "in float64: use moderate values."
        )

    def _at_solution(self, theta: Any):
        theta = self.check_theta(theta)
        phi = self.inner_solution(theta, 0.0)
        _, _, Hh = self._train_parts(phi)
        _, g, Ht = self._test_parts(phi)
        H = Hh + self.lam * np.eye(self.n)
        return phi, H, g, Ht

    @_quiet_overflow
    def meta_gradient(self, theta: Any, per_task: bool = False) -> np.ndarray:
        r"""Eq. (7): :math:`\nabla F_i(\theta)=\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)`."""
        per_task = check_bool(per_task, "per_task")
        _, H, g, _ = self._at_solution(theta)
        G = check_finite_result(self.lam * np.linalg.solve(H, g[..., None])[..., 0], "the meta-gradient", np)
        return G if per_task else G.mean(0)

    @_quiet_overflow
    def meta_hessian(self, theta: Any, per_task: bool = False) -> np.ndarray:
        r"""Differentiating eq. (7): :math:`\nabla^2F_i=\lambda^2H^{-1}(\nabla^2f_i-\nabla^3\hat f_i[v])H^{-1}`.

        :math:`H=\lambda I+\nabla^2\hat f_i(\phi^*_i)`, :math:`v=H^{-1}\nabla f_i(\phi^*_i)=\nabla F_i/\lambda`.
        """
        per_task = check_bool(per_task, "per_task")
        phi, H, g, Ht = self._at_solution(theta)
        v = np.linalg.solve(H, g[..., None])[..., 0]
        s = np.einsum("ijn,in->ij", self.Zh, phi)
        a = np.einsum("ijn,in->ij", self.Zh, v)
        T = np.einsum("ij,ija,ijb->iab", _d3(s) * a, self.Zh, self.Zh) / self.Zh.shape[1]
        Hinv = np.linalg.inv(H)
        out = self.lam**2 * Hinv @ (Ht - T) @ Hinv
        out = check_finite_result((out + out.swapaxes(-1, -2)) / 2, "the meta-Hessian", np)
        return out if per_task else out.mean(0)

    @_quiet_overflow
    def meta_objective(self, theta: Any, per_task: bool = False) -> Any:
        r""":math:`F(\theta)=\frac1M\sum_if_i(\phi^*_i(\theta))`, eq. (5)."""
        per_task = check_bool(per_task, "per_task")
        phi = self.inner_solution(theta, 0.0)
        Fi = check_finite_result(self._test_parts(phi[:, None, :])[0][:, 0], "the meta-objective F", np)
        return Fi if per_task else float(Fi.mean())

    # ------------------------------------------------------------------ solver protocol
    def inner_grad(self, phi: Any, theta: Any, nu: Any) -> np.ndarray:
        r"""Gradient of (9): :math:`\nu\nabla f_i+\nabla\hat f_i+\lambda(\phi-\theta)`.

        ``phi`` is (M, n) with a float ``nu``, or (M, G, n) with ``nu`` of shape (G,).
        """
        phi, nus = self._pair(phi, nu)
        theta = self.check_theta(theta)
        out = nus * self.test_grad(phi) + self.train_grad(phi) + self.lam * (phi - theta)
        return check_finite_result(out, "inner_grad (phi, theta or nu too large for float64)", np)

    def inner_hvp(self, phi: Any, v: Any, nu: Any) -> np.ndarray:
        r"""Hessian-vector product of (9) at phi: :math:`(\nu\nabla^2f_i+\nabla^2\hat f_i+\lambda I)v`."""
        phi, nus = self._pair(phi, nu)
        return nus * self.test_hvp(phi, v) + self.train_hvp(phi, v) + self.lam * self.check_phi(v, "v")

    def mu_nu(self, nu: Any) -> np.ndarray:
        r"""Certified strong convexity of (9): :math:`\mu_i` for :math:`\nu\ge0`, :math:`\mu_i-|\nu|L_{1,i}` below."""
        nus, scalar = self._nus(nu)
        with np.errstate(over="ignore"):
            out = self._mu_task[:, None] - np.maximum(-nus, 0.0)[None, :] * self._L1_task[:, None]
        check_finite_result(out, "mu_nu(nu) (|nu| too large for float64)", np)
        return out[:, 0] if scalar else out

    def L_nu(self, nu: Any) -> np.ndarray:
        r"""Smoothness bound of (9): :math:`\lambda+\hat L_{1,i}+|\nu|L_{1,i}`."""
        nus, scalar = self._nus(nu)
        with np.errstate(over="ignore"):
            out = self.lam + self._Lhat1_task[:, None] + np.abs(nus)[None, :] * self._L1_task[:, None]
        check_finite_result(out, "L_nu(nu) (|nu| too large for float64)", np)
        return out[:, 0] if scalar else out

    def __repr__(self) -> str:
        return f"LogisticTasks(M={self.M}, n={self.n}, lam={self.lam:g}, strict={self.strict})"
