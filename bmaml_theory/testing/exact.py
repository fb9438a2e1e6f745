r"""Exact reference answers, computed from a problem's plain arrays (independently of the library's estimators).

Conventions (those of :mod:`bmaml_theory.baselines` and :mod:`bmaml_theory.estimators`):

* inner problem of task i: :math:`h_i(\phi)=\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2`; K steps of GD with step
  :math:`\alpha` (``lr``) from :math:`\phi_0=\theta`: :math:`\phi_{k+1}=\phi_k-\alpha(\nabla\hat f_i(\phi_k)+\lambda(\phi_k-\theta))`;
* **meta-gradient**, eq. (7): :math:`\nabla F_i(\theta)=\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)`;
* **MAML**: :math:`\nabla_\theta f_i(\phi_K(\theta))=J_K^\top\nabla f_i(\phi_K)`,
  :math:`J_{k+1}=(I-\alpha(\nabla^2\hat f_i(\phi_k)+\lambda I))J_k+\alpha\lambda I`, :math:`J_0=I`;
* **FO-MAML**, eq. (3): :math:`\nabla f_i(\phi_K)`; **Reptile**, eq. (4): :math:`(\theta-\phi_K)/(K\alpha)`;
* **iMAML**: the exact solution of eq. (8) at :math:`\phi_K` (or at :math:`\phi^*` when ``steps`` is None),
  :math:`v=\lambda(\lambda I+\nabla^2\hat f_i(\phi))^{-1}\nabla f_i(\phi)`;
* **FO-B-MAML**, eqs. (10)/(11) and any stencil (nodes :math:`t_k`, weights :math:`w_k`) at exact solutions of (9):
  :math:`g_\nu=-\frac\lambda\nu\sum_kw_k\phi^*_{i,t_k\nu}`.

Every quantity is averaged over tasks (eq. (5)), or per task with ``per_task=True``.

Quadratic problems use closed forms: with :math:`S=\hat A+\lambda I=U\,\mathrm{diag}(s)\,U^\top` and
:math:`B=I-\alpha S`, :math:`\phi^*=S^{-1}(\lambda\theta-\hat b)`, :math:`\phi_K=\phi^*+B^K(\theta-\phi^*)`,
:math:`J_K=U\,\mathrm{diag}\big((1-\alpha s)^K+\lambda(1-(1-\alpha s)^K)/s\big)U^\top`, and
:math:`g_\nu=\sum_kw_kt_k(S+t_k\nu A)^{-1}S\,\nabla F` (no cancellation: :math:`\sum_kw_k=0` was used exactly).
Logistic problems use Newton's method to machine precision for :math:`\phi^*_\nu` and forward-mode
accumulation of :math:`J_k` along the GD trajectory.

Each function also returns, per task, an **error scale** ``scale`` (same unit as the value): the size of the
terms a backward-stable float implementation combines, amplified by the problem's conditioning.  A correct
implementation in a floating type with unit roundoff u is within ``C * (n + K) * u * scale`` of the value (see
:mod:`bmaml_theory.testing.assertions` for C and the derivation).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from scipy.special import expit

from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil, stencil
from bmaml_theory.testing.problems import ELL2_MAX, ELL3_MAX, LogisticProblem, QuadraticProblem

__all__ = [
    "Reference",
    "as_stencil",
    "default_nu",
    "fo_bmaml_estimate",
    "fo_bmaml_leading_bias",
    "fo_maml_gradient",
    "imaml_gradient",
    "inner_solution",
    "maml_gradient",
    "meta_gradient",
    "reptile_direction",
    "stable_lr",
]


class Reference(NamedTuple):
    """An exact answer: ``value`` (n,) averaged over tasks, ``per_task`` (M, n), error ``scale`` (M,) per task."""

    value: np.ndarray
    per_task: np.ndarray
    scale: np.ndarray


def _norm2(A: np.ndarray) -> float:
    return float(np.linalg.norm(A, 2)) if A.ndim == 2 else float(np.linalg.norm(A))


# ----------------------------------------------------------------------------- per-task oracles
class _Task:
    r"""One task's :math:`\nabla\hat f,\nabla^2\hat f,\nabla f,\nabla^2 f`, and the size of the terms they add up."""

    L2 = 0.0  # Lipschitz constant of the training Hessian (0 for quadratics)

    def grad_tr(self, phi: np.ndarray) -> np.ndarray: ...
    def hess_tr(self, phi: np.ndarray) -> np.ndarray: ...
    def grad_te(self, phi: np.ndarray) -> np.ndarray: ...
    def hess_te(self, phi: np.ndarray) -> np.ndarray: ...
    def terms_tr(self, phi: np.ndarray) -> float: ...
    def terms_te(self, phi: np.ndarray) -> float: ...


class _QuadTask(_Task):
    def __init__(self, Ah, bh, A, b):
        self.Ah, self.bh, self.A, self.b = Ah, bh, A, b
        self.nAh, self.nA = _norm2(Ah), _norm2(A)

    def grad_tr(self, phi):
        return self.Ah @ phi + self.bh

    def hess_tr(self, phi):
        return self.Ah

    def grad_te(self, phi):
        return self.A @ phi + self.b

    def hess_te(self, phi):
        return self.A

    def terms_tr(self, phi):
        return self.nAh * _norm2(phi) + _norm2(self.bh)

    def terms_te(self, phi):
        return self.nA * _norm2(phi) + _norm2(self.b)


class _LogTask(_Task):
    def __init__(self, Zh, Z, Q, q, r):
        self.Zh, self.Z, self.Q, self.q, self.r = Zh, Z, Q, q, r
        nzh = np.linalg.norm(Zh, axis=1)
        self.mzh, self.mz = float(nzh.mean()), float(np.linalg.norm(Z, axis=1).mean())
        self.nQ = _norm2(Q)
        self.L2 = ELL3_MAX * float(np.mean(nzh**3))

    def val_tr(self, phi):
        return float(np.mean(np.logaddexp(0.0, -(self.Zh @ phi))) + 0.5 * phi @ self.Q @ phi + self.q @ phi)

    def val_te(self, phi):
        return float(np.mean(np.logaddexp(0.0, -(self.Z @ phi))) + self.r @ phi)

    def grad_tr(self, phi):
        return -(expit(-(self.Zh @ phi)) @ self.Zh) / len(self.Zh) + self.Q @ phi + self.q

    def hess_tr(self, phi):
        s = self.Zh @ phi
        return (self.Zh.T * (expit(s) * expit(-s))) @ self.Zh / len(self.Zh) + self.Q

    def grad_te(self, phi):
        return -(expit(-(self.Z @ phi)) @ self.Z) / len(self.Z) + self.r

    def hess_te(self, phi):
        s = self.Z @ phi
        return (self.Z.T * (expit(s) * expit(-s))) @ self.Z / len(self.Z)

    def terms_tr(self, phi):
        return self.mzh + self.nQ * _norm2(phi) + _norm2(self.q)

    def terms_te(self, phi):
        return self.mz + _norm2(self.r)


def _tasks(problem: Any) -> list[_Task]:
    if isinstance(problem, QuadraticProblem):
        p = problem.validate()
        return [_QuadTask(p.A_train[i], p.b_train[i], p.A_test[i], p.b_test[i]) for i in range(p.M)]
    if isinstance(problem, LogisticProblem):
        p = problem.validate()
        Zh = p.y_train[..., None] * p.X_train
        Z = p.y_test[..., None] * p.X_test
        return [_LogTask(Zh[i], Z[i], p.Q[i], p.q[i], p.r[i]) for i in range(p.M)]
    raise TypeError(
        f"problem must be a QuadraticProblem or a LogisticProblem (bmaml_theory.testing), got {type(problem).__name__}."
    )


class _Swapped:
    """A task whose outer (test) oracles are its training ones: grad fhat used for grad f."""

    def __init__(self, t: Any) -> None:
        self.t, self.L2 = t, t.L2

    def __getattr__(self, name: str) -> Any:
        return getattr(self.t, name)

    def grad_te(self, phi):
        return self.t.grad_tr(phi)

    def hess_te(self, phi):
        return self.t.hess_tr(phi)

    def terms_te(self, phi):
        return self.t.terms_tr(phi)


def _swap(ts: list) -> list:
    return [_Swapped(t) for t in ts]


def _finish(per_task: list, scales: list, what: str) -> Reference:
    G = np.stack(per_task)
    s = np.asarray(scales, dtype=float)
    if not (np.all(np.isfinite(G)) and np.all(np.isfinite(s))):
        raise FloatingPointError(f"the exact {what} is not finite on this problem; the comparison is impossible.")
    return Reference(G.mean(axis=0), G, s)


# ----------------------------------------------------------------------------- inner solutions
def _newton(t: _LogTask, theta: np.ndarray, lam: float, nu: float) -> np.ndarray:
    """argmin fhat + nu f + lam/2||.-theta||^2 by damped Newton (Armijo backtracking) to machine precision.

    Converged when the relative Newton step is below 4 eps, or below 1e-10 and no longer halving (round-off
    reached); one more step is then taken.  200 steps without convergence raise RuntimeError.
    """
    eps = np.finfo(float).eps
    n = theta.shape[0]

    def h(p):
        return t.val_tr(p) + nu * t.val_te(p) + 0.5 * lam * float((p - theta) @ (p - theta))

    phi = theta.copy()
    prev, extra = np.inf, False
    for _ in range(200):
        g = t.grad_tr(phi) + nu * t.grad_te(phi) + lam * (phi - theta)
        H = t.hess_tr(phi) + nu * t.hess_te(phi) + lam * np.eye(n)
        p = -np.linalg.solve(H, g)
        rel = float(np.linalg.norm(p)) / (1.0 + float(np.linalg.norm(phi)))
        step = 1.0
        if rel > 1e-6:  # outside the quadratic-convergence region: backtrack
            h0, slope = h(phi), float(g @ p)
            while step > 1e-12 and h(phi + step * p) > h0 + 1e-4 * step * slope:
                step *= 0.5
        phi = phi + step * p
        if rel <= 4 * eps or (rel <= 1e-10 and rel >= 0.5 * prev):
            if extra:
                return phi
            extra = True
        prev = rel
    raise RuntimeError("Newton on the inner problem (9) did not reach machine precision in 200 steps.")


def _solution(t: _Task, theta: np.ndarray, lam: float, nu: float) -> tuple[np.ndarray, float]:
    r""":math:`\phi^*_\nu` and its error scale :math:`\kappa/\mu\cdot(\text{terms of }\nabla h)`."""
    n = theta.shape[0]
    if isinstance(t, _Swapped) and nu == 0.0:
        t = t.t  # phi*_0 depends on the training objective only
    if isinstance(t, _QuadTask):
        H = t.Ah + nu * t.A + lam * np.eye(n)
        phi = np.linalg.solve(H, lam * theta - t.bh - nu * t.b)
    else:
        phi = _newton(t, theta, lam, nu)
        H = t.hess_tr(phi) + nu * t.hess_te(phi) + lam * np.eye(n)
    ev = np.linalg.eigvalsh(H)
    if ev[0] <= 0:
        raise ValueError(f"the perturbed inner problem (9) is not strongly convex at nu={nu:g}; choose a smaller |nu|.")
    kappa, mu = ev[-1] / ev[0], ev[0]
    terms = t.terms_tr(phi) + abs(nu) * t.terms_te(phi) + lam * (_norm2(phi) + _norm2(theta))
    return phi, kappa / mu * terms


def inner_solution(problem: Any, nu: float = 0.0) -> np.ndarray:
    r"""Exact :math:`\phi^*_{i,\nu}(\theta)` of eq. (9), :math:`\arg\min\hat f_i+\nu f_i+\frac\lambda2\|\cdot-\theta\|^2`: (M, n)."""
    p = problem.validate()
    return np.stack([_solution(t, p.theta, p.lam, float(nu))[0] for t in _tasks(p)])


def _meta(ts: list[_Task], theta: np.ndarray, lam: float) -> tuple[list, list]:
    n = theta.shape[0]
    vals, scales = [], []
    for t in ts:
        phi, e = _solution(t, theta, lam, 0.0)
        S = t.hess_tr(phi) + lam * np.eye(n)
        v = lam * np.linalg.solve(S, t.grad_te(phi))
        ev = np.linalg.eigvalsh(S)
        kappa, lm = ev[-1] / ev[0], abs(lam) / ev[0]
        vals.append(v)
        scales.append(kappa * lm * (t.terms_te(phi) + _norm2(t.hess_te(phi)) * e) + lm * t.L2 * e * _norm2(v))
    return vals, scales


def meta_gradient(problem: Any) -> Reference:
    r"""Eq. (7): :math:`\nabla F_i(\theta)=\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)`.

    Scale: :math:`\kappa\frac\lambda\mu\big(T_i(\phi^*)+\|\nabla^2f_i\|e^*\big)+\frac{\lambda}{\mu}\hat L_2e^*\|v\|` with
    :math:`e^*` the scale of :math:`\phi^*`, :math:`T_i` the size of the terms of :math:`\nabla f_i`,
    :math:`\kappa,\mu` the condition number and smallest eigenvalue of :math:`\lambda I+\nabla^2\hat f_i(\phi^*)`.
    """
    p = problem.validate()
    return _finish(*_meta(_tasks(p), p.theta, p.lam), "meta-gradient")


# ----------------------------------------------------------------------------- K GD steps
def stable_lr(problem: Any) -> float:
    r"""The default inner step :math:`\alpha=1/(\lambda+\hat L_1)`: GD on the inner problem contracts.

    (:math:`\lambda+\hat L_1` bounds the smoothness of :math:`h_i`; any :math:`\alpha<2/(\lambda+\hat L_1)` contracts.)
    """
    p = problem.validate()
    return 1.0 / (p.lam + p.Lhat1)


def _check_steps(problem: Any, steps: Any, lr: Any) -> tuple[int, float]:
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be an integer >= 1 (inner GD steps K), got {steps!r}.")
    try:
        a = float(lr)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"lr must be a real number (the inner GD step alpha), got {lr!r}.") from exc
    L = problem.lam + problem.Lhat1
    if not (math.isfinite(a) and 0 < a < 2.0 / L):
        raise ValueError(
            f"lr={lr!r} must lie in (0, 2/(lam + Lhat1)) = (0, {2.0 / L:.6g}) so that GD on the inner problem contracts "
            f"(beyond it phi_K grows like |1 - lr*s|^K and no comparison is meaningful); lr=None gives 1/(lam + Lhat1)."
        )
    return int(steps), a


class _Trajectory(NamedTuple):
    phi_K: np.ndarray  # noqa: N815
    J: np.ndarray  # d phi_K / d theta
    err: float  # error scale of phi_K
    P: float  # sum_j beta^j: amplification of per-step errors
    L: float  # max ||grad^2 fhat|| along the path


def _trajectory(t: _Task, theta: np.ndarray, lam: float, K: int, a: float, closed: bool = True) -> _Trajectory:
    n = theta.shape[0]
    if closed and isinstance(t, _QuadTask):
        S = t.Ah + lam * np.eye(n)
        s, U = np.linalg.eigh(S)
        phis = np.linalg.solve(S, lam * theta - t.bh)
        r = 1.0 - a * s
        phi_K = phis + U @ (r**K * (U.T @ (theta - phis)))
        J = (U * (r**K + lam * (1.0 - r**K) / s)) @ U.T
        beta = float(np.max(np.abs(r)))
        # ||phi_k|| <= ||phi*|| + beta^k ||theta - phi*|| <= ||phi*|| + ||theta - phi*|| for every k (beta < 1)
        big = _norm2(phis) + _norm2(theta - phis)
        R = big + a * (t.nAh * big + _norm2(t.bh) + lam * (big + _norm2(theta)))
        L = t.nAh
    else:  # forward mode along the trajectory (any task; any sign of lam)
        phi, J = theta.copy(), np.eye(n)
        beta, R, L = 0.0, 0.0, 0.0
        for _ in range(K):
            H = t.hess_tr(phi)
            B = np.eye(n) - a * (H + lam * np.eye(n))
            R = max(R, _norm2(phi) + a * (t.terms_tr(phi) + abs(lam) * (_norm2(phi) + _norm2(theta))))
            beta, L = max(beta, _norm2(B)), max(L, _norm2(H))
            J = B @ J + a * lam * np.eye(n)
            phi = phi - a * (t.grad_tr(phi) + lam * (phi - theta))
        phi_K = phi
    P = float(sum(beta**j for j in range(K)))
    return _Trajectory(phi_K, J, P * R, P, L)


def _maml(ts, theta, lam, K, a, closed=True):
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed)
        g = t.grad_te(tr.phi_K)
        vals.append(tr.J.T @ g)
        nJ, ng = _norm2(tr.J), _norm2(g)
        scales.append(
            nJ * (t.terms_te(tr.phi_K) + _norm2(t.hess_te(tr.phi_K)) * tr.err)
            + tr.P * (1 + a * (tr.L + 2 * abs(lam))) * ng
            + a * tr.P * t.L2 * tr.err * ng
        )
    return vals, scales


def _fo_maml(ts, theta, lam, K, a, closed=True):
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed)
        vals.append(t.grad_te(tr.phi_K))
        scales.append(t.terms_te(tr.phi_K) + _norm2(t.hess_te(tr.phi_K)) * tr.err)
    return vals, scales


def _reptile(ts, theta, lam, K, a, closed=True):
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed)
        vals.append((theta - tr.phi_K) / (K * a))
        scales.append((tr.err + _norm2(theta) + _norm2(tr.phi_K)) / (K * a))
    return vals, scales


def _imaml(ts, theta, lam, K, a, closed=True):
    n = theta.shape[0]
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed)
        # |lam|: a variant with the proximal sign flipped flips it in the inner loop only (eq. (8) keeps +lam)
        S = t.hess_tr(tr.phi_K) + abs(lam) * np.eye(n)
        v = abs(lam) * np.linalg.solve(S, t.grad_te(tr.phi_K))
        ev = np.linalg.eigvalsh(S)
        kappa, lm = ev[-1] / ev[0], abs(lam) / ev[0]
        vals.append(v)
        scales.append(
            kappa * lm * (t.terms_te(tr.phi_K) + _norm2(t.hess_te(tr.phi_K)) * tr.err) + lm * t.L2 * tr.err * _norm2(v)
        )
    return vals, scales


def maml_gradient(problem: Any, steps: int, lr: float) -> Reference:
    r"""MAML: :math:`\nabla_\theta f_i(\phi_K(\theta))=J_K^\top\nabla f_i(\phi_K)` (K GD steps on :math:`h_i` from theta).

    Scale: :math:`\|J_K\|(T_i(\phi_K)+\|\nabla^2f_i\|e_K)+P(1+\alpha(\hat L+2\lambda))\|\nabla f_i(\phi_K)\|+\alpha P\hat L_2e_K\|\nabla f_i\|`,
    :math:`P=\sum_{j<K}\beta^j`, :math:`\beta=\max_k\|I-\alpha(\nabla^2\hat f_i(\phi_k)+\lambda I)\|`, :math:`e_K=PR` the
    error scale of :math:`\phi_K` (R bounds the terms of one GD step), :math:`\hat L` the largest training Hessian met.
    """
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_maml(_tasks(p), p.theta, p.lam, K, a), "MAML gradient")


def fo_maml_gradient(problem: Any, steps: int, lr: float) -> Reference:
    r"""FO-MAML, eq. (3): :math:`\nabla f_i(\phi_K)`.  Scale: :math:`T_i(\phi_K)+\|\nabla^2f_i(\phi_K)\|e_K`."""
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_fo_maml(_tasks(p), p.theta, p.lam, K, a), "FO-MAML gradient")


def reptile_direction(problem: Any, steps: int, lr: float) -> Reference:
    r"""Reptile, eq. (4): :math:`(\theta-\phi_K)/(K\alpha)`.  Scale: :math:`(e_K+\|\theta\|+\|\phi_K\|)/(K\alpha)`."""
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_reptile(_tasks(p), p.theta, p.lam, K, a), "Reptile direction")


def imaml_gradient(problem: Any, steps: int | None = None, lr: float | None = None) -> Reference:
    r"""iMAML: :math:`v=\lambda(\lambda I+\nabla^2\hat f_i(\phi))^{-1}\nabla f_i(\phi)`, the exact solution of eq. (8).

    :math:`\phi=\phi_K` (K GD steps of ``lr``, default :func:`stable_lr`) or, with ``steps=None``,
    :math:`\phi=\phi^*_i` (then v is eq. (7)'s meta-gradient).  Scale: as :func:`meta_gradient`, :math:`e_K` for
    :math:`e^*`.
    """
    p = problem.validate()
    if steps is None:
        return meta_gradient(p)
    K, a = _check_steps(p, steps, stable_lr(p) if lr is None else lr)
    return _finish(*_imaml(_tasks(p), p.theta, p.lam, K, a), "iMAML gradient")


# ----------------------------------------------------------------------------- FO-B-MAML
def as_stencil(st: Any) -> Stencil:
    """``"forward"`` (eq. 10), ``"symmetric"`` (eq. 11), an order n >= 1 (Table 1's caption), or a Stencil."""
    if isinstance(st, Stencil):
        return st
    if st == "forward":
        return FORWARD
    if st == "symmetric":
        return SYMMETRIC
    if isinstance(st, int) and not isinstance(st, bool):
        return stencil(st)
    raise ValueError(f"stencil must be 'forward', 'symmetric', an order >= 1 or a Stencil, got {st!r}.")


def _moments(st: Stencil, upto: int) -> list[float]:
    r""":math:`s_j=\sum_kw_kt_k^{j+1}`, exactly in rationals then rounded."""
    w = st.weights_exact or tuple(Fraction(x) for x in st.weights)
    return [float(sum(wk * Fraction(t) ** (j + 1) for wk, t in zip(w, st.nodes, strict=True))) for j in range(upto + 1)]


def default_nu(problem: Any, st: Any = "forward") -> float:
    r"""A perturbation with a measurable bias and a convergent bias series: :math:`\nu=0.1/(\max_k|t_k|\,\rho)`.

    :math:`\rho=\max_i\|(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\|\,\|\nabla^2f_i(\phi^*_i)\|` bounds the spectral radius of
    :math:`S^{-1}A`, so every node :math:`t_k\nu` lies well inside the interval where eq. (9) is strongly convex
    (logistic problems: also at least :math:`L_1/\mu`, the global bound of Assumption 3, so that (9) is strongly
    convex everywhere and Newton's method is safe).
    """
    p = problem.validate()
    s = as_stencil(st)
    rho = 0.0
    if isinstance(p, LogisticProblem):  # global bound L1/mu: (9) stays strongly convex everywhere, not only at phi*
        Z = p.y_test[..., None] * p.X_test
        L1 = ELL2_MAX * np.linalg.eigvalsh(np.swapaxes(Z, -1, -2) @ Z / Z.shape[1])[:, -1]
        rho = float(np.max(L1 / (p.lam + np.linalg.eigvalsh(p.Q)[:, 0])))
    for t in _tasks(p):
        phi, _ = _solution(t, p.theta, p.lam, 0.0)
        S = t.hess_tr(phi) + p.lam * np.eye(p.n)
        rho = max(rho, _norm2(t.hess_te(phi)) / float(np.linalg.eigvalsh(S)[0]))
    return 0.1 / (max(abs(x) for x in s.nodes) * max(rho, 1e-300)) if rho > 0 else 0.1


def fo_bmaml_estimate(problem: Any, nu: float, st: Any = "forward") -> Reference:
    r"""FO-B-MAML at exact solutions of (9): :math:`g_\nu=-\frac\lambda\nu\sum_kw_k\phi^*_{i,t_k\nu}` (eqs. 10, 11).

    Quadratic: :math:`g_\nu=\sum_kw_kt_k(S+t_k\nu A)^{-1}S\,\nabla F` (the differences taken exactly).
    Scale (what a correct implementation that subtracts float solutions loses):
    :math:`\frac\lambda{|\nu|}\sum_k|w_k|e_k+` the meta-gradient's scale, :math:`e_k` the error scale of
    :math:`\phi^*_{t_k\nu}`.
    """
    p = problem.validate()
    s = as_stencil(st)
    nu = float(nu)
    if not math.isfinite(nu) or nu == 0:
        raise ValueError(f"nu must be a finite non-zero perturbation, got {nu!r}.")
    mg = meta_gradient(p)
    vals, scales = [], []
    for i, t in enumerate(_tasks(p)):
        sols = [_solution(t, p.theta, p.lam, tk * nu) for tk in s.nodes]
        if isinstance(t, _QuadTask):
            S = t.Ah + p.lam * np.eye(p.n)
            gF = mg.per_task[i]
            g = sum(
                w * tk * np.linalg.solve(S + tk * nu * t.A, S @ gF) for w, tk in zip(s.weights, s.nodes, strict=True)
            )
        else:
            g = -p.lam / nu * sum(w * phi for w, (phi, _) in zip(s.weights, sols, strict=True))
        vals.append(g)
        scales.append(
            p.lam / abs(nu) * sum(abs(w) * e for w, (_, e) in zip(s.weights, sols, strict=True)) + mg.scale[i]
        )
    return _finish(vals, scales, "FO-B-MAML estimate")


def fo_bmaml_leading_bias(problem: QuadraticProblem, nu: float, st: Any = "forward") -> np.ndarray:
    r"""Leading term of the bias on quadratics, :math:`s_p(-\nu)^p(S^{-1}A)^p\nabla F` (eq. 12), averaged: (n,).

    :math:`s_p=\sum_kw_kt_k^{p+1}`, p the stencil's order (forward: :math:`-\nu S^{-1}A\nabla F`; symmetric:
    :math:`+\nu^2(S^{-1}A)^2\nabla F`).
    """
    if not isinstance(problem, QuadraticProblem):
        raise TypeError("fo_bmaml_leading_bias needs a QuadraticProblem (the series is that of quadratic tasks).")
    p = problem.validate()
    s = as_stencil(st)
    order = s.order
    sp_ = _moments(s, order)[order]
    mg = meta_gradient(p)
    out = []
    for i in range(p.M):
        S = p.A_train[i] + p.lam * np.eye(p.n)
        v = mg.per_task[i]
        for _ in range(order):
            v = np.linalg.solve(S, p.A_test[i] @ v)
        out.append(sp_ * (-nu) ** order * v)
    return np.mean(out, axis=0)
