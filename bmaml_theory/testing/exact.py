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
from bmaml_theory.testing._network import _MLPSide
from bmaml_theory.testing.problems import ELL2_MAX, ELL3_MAX, LogisticProblem, MLPProblem, QuadraticProblem

__all__ = [
    "GD",
    "MAX_STEPS",
    "SOFTPLUS_THRESHOLD",
    "Inner",
    "Reference",
    "as_stencil",
    "check_steps",
    "default_nu",
    "fo_bmaml_estimate",
    "fo_bmaml_leading_bias",
    "fo_maml_gradient",
    "imaml_gradient",
    "inner_solution",
    "maml_gradient",
    "meta_gradient",
    "meta_sgd_lr_gradient",
    "reptile_direction",
    "softplus_slack",
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


SOFTPLUS_THRESHOLD = 20.0
r"""``torch.nn.functional.softplus(x)`` returns x itself when x > 20 (its ``threshold``): where a margin
:math:`|s|=|y x^\top\phi|` exceeds it, an implementation built on it drops the tail :math:`e^{-|s|}\le2\cdot10^{-9}`
of :math:`\ell(s)=\log(1+e^{-s})` and of its derivatives (``softplus(-s)`` at s < -20; ``softplus(z) - y z`` with
0/1 labels at s > 20)."""


def _ell1(s: np.ndarray, drop: np.ndarray | None) -> np.ndarray:
    r""":math:`\ell'(s)=-\sigma(-s)`; with the tail dropped where ``drop`` and :math:`|s|>20`: -1 (s < -20) or 0 (s > 20)."""
    d = -expit(-s)
    if drop is not None:
        cut = drop & (np.abs(s) > SOFTPLUS_THRESHOLD)
        d = np.where(cut, np.where(s < 0, -1.0, 0.0), d)
    return d


def _ell2(s: np.ndarray, drop: np.ndarray | None) -> np.ndarray:
    r""":math:`\ell''(s)=\sigma(s)\sigma(-s)`; 0 where the tail is dropped."""
    d = expit(s) * expit(-s)
    if drop is not None:
        d = np.where(drop & (np.abs(s) > SOFTPLUS_THRESHOLD), 0.0, d)
    return d


def _ell0(s: np.ndarray, drop: np.ndarray | None) -> np.ndarray:
    v = np.logaddexp(0.0, -s)
    if drop is not None:
        v = np.where(drop & (np.abs(s) > SOFTPLUS_THRESHOLD), np.maximum(-s, 0.0), v)
    return v


class _LogTask(_Task):
    def __init__(self, Zh, Z, Q, q, r, drop_tr=None, drop_te=None):
        self.Zh, self.Z, self.Q, self.q, self.r = Zh, Z, Q, q, r
        self.drop_tr, self.drop_te = drop_tr, drop_te
        nzh = np.linalg.norm(Zh, axis=1)
        self.mzh, self.mz = float(nzh.mean()), float(np.linalg.norm(Z, axis=1).mean())
        self.nQ = _norm2(Q)
        self.L2 = ELL3_MAX * float(np.mean(nzh**3))
        # the largest |margin| each point meets wherever the reference evaluates it (softplus threshold check)
        self.reach_tr, self.reach_te = np.zeros(len(Zh)), np.zeros(len(Z))

    def _s_tr(self, phi):
        s = self.Zh @ phi
        np.maximum(self.reach_tr, np.abs(s), out=self.reach_tr)
        return s

    def _s_te(self, phi):
        s = self.Z @ phi
        np.maximum(self.reach_te, np.abs(s), out=self.reach_te)
        return s

    def val_tr(self, phi):
        return float(np.mean(_ell0(self._s_tr(phi), self.drop_tr)) + 0.5 * phi @ self.Q @ phi + self.q @ phi)

    def val_te(self, phi):
        return float(np.mean(_ell0(self._s_te(phi), self.drop_te)) + self.r @ phi)

    def grad_tr(self, phi):
        return (_ell1(self._s_tr(phi), self.drop_tr) @ self.Zh) / len(self.Zh) + self.Q @ phi + self.q

    def hess_tr(self, phi):
        return (self.Zh.T * _ell2(self._s_tr(phi), self.drop_tr)) @ self.Zh / len(self.Zh) + self.Q

    def grad_te(self, phi):
        return (_ell1(self._s_te(phi), self.drop_te) @ self.Z) / len(self.Z) + self.r

    def hess_te(self, phi):
        return (self.Z.T * _ell2(self._s_te(phi), self.drop_te)) @ self.Z / len(self.Z)

    def terms_tr(self, phi):
        return self.mzh + self.nQ * _norm2(phi) + _norm2(self.q)

    def terms_te(self, phi):
        return self.mz + _norm2(self.r)


class _MLPTask(_Task):
    def __init__(self, Xh, yh, X, y, h, act):
        self.tr, self.te = _MLPSide(Xh, yh, h, act), _MLPSide(X, y, h, act)

    @property  # type: ignore[override]
    def L2(self) -> float:
        return max(self.tr.L2, 1e-300)

    def grad_tr(self, phi):
        return self.tr.grad(phi)

    def hess_tr(self, phi):
        return self.tr.hess(phi)

    def grad_te(self, phi):
        return self.te.grad(phi)

    def hess_te(self, phi):
        return self.te.hess(phi)

    def terms_tr(self, phi):
        return self.tr.terms(phi)

    def terms_te(self, phi):
        return self.te.terms(phi)


def _tasks(problem: Any) -> list[_Task]:
    if isinstance(problem, MLPProblem):
        p = problem.validate()
        return [
            _MLPTask(p.X_train[i], p.y_train[i], p.X_test[i], p.y_test[i], p.hidden, p.activation) for i in range(p.M)
        ]
    if isinstance(problem, QuadraticProblem):
        p = problem.validate()
        return [_QuadTask(p.A_train[i], p.b_train[i], p.A_test[i], p.b_test[i]) for i in range(p.M)]
    if isinstance(problem, LogisticProblem):
        p = problem.validate()
        Zh = p.y_train[..., None] * p.X_train
        Z = p.y_test[..., None] * p.X_test
        return [_LogTask(Zh[i], Z[i], p.Q[i], p.q[i], p.r[i]) for i in range(p.M)]
    raise TypeError(
        "problem must be a QuadraticProblem, LogisticProblem or MLPProblem (bmaml_theory.testing), got "
        f"{type(problem).__name__}."
    )


def softplus_slack(problem: Any, compute: Any, ts: list) -> float:
    r"""How far a correct implementation built on ``F.softplus`` (threshold 20) may land from the exact answer.

    ``compute(tasks) -> (n,)`` evaluates a reference; ``ts`` are the tasks it was first evaluated on (they recorded
    the largest margin each point met).  For every point whose margin passed 20 the reference is recomputed with
    that point's tail dropped (:data:`SOFTPLUS_THRESHOLD`); the dropped tails are below :math:`2\cdot10^{-9}`, so the
    answer is linear in them to round-off and the sum over points of those differences bounds any combination
    (every point, the training or the test loss only, one label convention).  0 where no margin passed 20
    (quadratic problems: always).
    """
    if not isinstance(problem, LogisticProblem):
        return 0.0
    ref = compute(ts)
    total = 0.0
    for i, t in enumerate(ts):
        t = getattr(t, "t", t)
        for side in ("tr", "te"):
            reach = getattr(t, f"reach_{side}")
            for j in np.flatnonzero(reach > SOFTPLUS_THRESHOLD):
                fresh = _tasks(problem)
                u = fresh[i]
                mask = np.zeros(len(reach), dtype=bool)
                mask[j] = True
                setattr(u, f"drop_{side}", mask)
                if isinstance(ts[i], _Swapped):
                    fresh = _swap(fresh)
                try:
                    total += float(np.linalg.norm(compute(fresh) - ref))
                except (RuntimeError, ValueError, FloatingPointError, np.linalg.LinAlgError):
                    return math.inf  # the variant cannot be evaluated: no finite slack can be claimed
    return total


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
    # (||parts|| + lam)/mu, not lambda_max/mu: forming H from its parts cancels when lam ~ -min eig (n = 1 included)
    kappa, mu = (_norm2(H - lam * np.eye(n)) + abs(lam)) / ev[0], ev[0]
    terms = t.terms_tr(phi) + abs(nu) * t.terms_te(phi) + lam * (_norm2(phi) + _norm2(theta))
    return phi, kappa / mu * terms


def inner_solution(problem: Any, nu: float = 0.0) -> np.ndarray:
    r"""Exact :math:`\phi^*_{i,\nu}(\theta)` of eq. (9), :math:`\arg\min\hat f_i+\nu f_i+\frac\lambda2\|\cdot-\theta\|^2`: (M, n)."""
    p = problem.validate()
    _need_prox(p, "The inner solution of eq. (9)")
    nu = _real(nu, "nu", "the perturbation of eq. (9)")
    return np.stack([_solution(t, p.theta, p.lam, nu)[0] for t in _tasks(p)])


def _meta(ts: list[_Task], theta: np.ndarray, lam: float) -> tuple[list, list]:
    n = theta.shape[0]
    vals, scales = [], []
    for t in ts:
        phi, e = _solution(t, theta, lam, 0.0)
        S = t.hess_tr(phi) + lam * np.eye(n)
        v = lam * np.linalg.solve(S, t.grad_te(phi))
        ev = np.linalg.eigvalsh(S)
        kappa, lm = (_norm2(S - lam * np.eye(n)) + abs(lam)) / ev[0], abs(lam) / ev[0]
        vals.append(v)
        scales.append(kappa * lm * (t.terms_te(phi) + _norm2(t.hess_te(phi)) * e) + lm * t.L2 * e * _norm2(v))
    return vals, scales


def meta_gradient(problem: Any) -> Reference:
    r"""Eq. (7): :math:`\nabla F_i(\theta)=\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)`.

    Scale: :math:`\kappa\frac\lambda\mu\big(T_i(\phi^*)+\|\nabla^2f_i\|e^*\big)+\frac{\lambda}{\mu}\hat L_2e^*\|v\|` with
    :math:`e^*` the scale of :math:`\phi^*`, :math:`T_i` the size of the terms of :math:`\nabla f_i`,
    :math:`\mu` the smallest eigenvalue of :math:`S=\lambda I+\nabla^2\hat f_i(\phi^*)` and
    :math:`\kappa=(\|\nabla^2\hat f_i\|+\lambda)/\mu\ge\mathrm{cond}(S)`: forming S from its parts loses
    :math:`u(\|\nabla^2\hat f_i\|+\lambda)` even where S itself is well conditioned (n = 1, :math:`\lambda\approx-\hat A`).
    """
    p = problem.validate()
    _need_prox(p, "The meta-gradient of eq. (7)")
    return _finish(*_meta(_tasks(p), p.theta, p.lam), "meta-gradient")


# ----------------------------------------------------------------------------- K GD steps
MAX_STEPS = 10_000
"""The largest K the kit accepts (a reference costs K Hessian products per task; K beyond it is a typo)."""


def _need_prox(p: Any, what: str) -> None:
    if isinstance(p, MLPProblem):
        raise ValueError(
            f"{what} is not defined on an MLPProblem: the network's inner problem is non-convex, so it has no unique "
            "solution phi*(theta) and eq. (7)/(8)/(9) are undefined; check the K-step quantities (assert_maml_gradient, "
            "assert_fo_maml, assert_reptile)."
        )
    if float(p.lam) == 0.0:
        raise ValueError(
            f"{what} needs a proximal term (lam > 0): with lam = 0 (standard MAML) the inner problem has no "
            "lam-dependent solution and eq. (7)/(8)/(9) are undefined; check standard MAML with assert_maml_gradient, "
            "assert_fo_maml or assert_reptile, or give the problem lam > 0."
        )


def stable_lr(problem: Any) -> float:
    r"""The default inner step: :math:`\alpha=1/(\lambda+\hat L_1)` (GD on the inner problem contracts), or for
    standard MAML (:math:`\lambda=0`) :math:`\alpha=1/(2\hat L_1)` (1 where :math:`\hat f_i` is linear).

    (:math:`\lambda+\hat L_1` bounds the smoothness of :math:`h_i`; any :math:`\alpha<2/(\lambda+\hat L_1)` contracts
    when :math:`h_i` is convex.  At :math:`\lambda=0` the step :math:`1/\hat L_1` would make
    :math:`I-\alpha\nabla^2\hat f_i` singular along the top eigenvector, and the MAML gradient there a difference of
    nearly equal numbers; :math:`1/(2\hat L_1)` keeps its eigenvalues in [1/2, 1] on convex tasks.)
    """
    p = problem.validate()
    if p.lam == 0:
        return 0.5 / p.Lhat1 if p.Lhat1 > 0 else 1.0
    return 1.0 / (p.lam + p.Lhat1)


def _real(x: Any, name: str, what: str) -> float:
    """``x`` as a float, or a TypeError naming ``name`` (bools, strings, complex numbers and arrays refused)."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a real number ({what}), got {type(x).__name__} {x!r}.")
    return float(x)


def check_steps(steps: Any) -> int:
    """``steps`` as an int in [1, MAX_STEPS], or an error naming ``steps``."""
    if isinstance(steps, bool | np.bool_) or not isinstance(steps, int | np.integer):
        raise TypeError(f"steps must be an integer >= 1 (inner GD steps K), got {type(steps).__name__} {steps!r}.")
    if not 1 <= int(steps) <= MAX_STEPS:
        raise ValueError(
            f"steps must be an integer in [1, {MAX_STEPS}] (inner GD steps K), got {steps!r}"
            + ("; K beyond it costs the reference K Hessian products per task." if steps > MAX_STEPS else ".")
        )
    return int(steps)


def _check_steps(problem: Any, steps: Any, lr: Any) -> tuple[int, Any]:
    r"""K and the inner step: a real number, or a vector of shape (n,) (Meta-SGD's per-coordinate steps), every
    entry in :math:`(0,2/(\lambda+\hat L_1))`."""
    K = check_steps(steps)
    if hasattr(lr, "detach") and hasattr(lr, "cpu"):
        lr = lr.detach().cpu().numpy()
    if isinstance(lr, list | tuple | np.ndarray) and np.ndim(lr) > 0:
        raw = np.asarray(lr)
        if raw.dtype.kind not in "fiu" or raw.shape != (problem.n,):
            raise TypeError(
                f"lr must be a real number or a real vector of shape ({problem.n},) (Meta-SGD's per-coordinate inner "
                f"steps), got dtype {raw.dtype} and shape {raw.shape}."
            )
        a: Any = raw.astype(np.float64)
    else:
        if isinstance(lr, np.ndarray):
            lr = lr[()]
        a = _real(lr, "lr", "the inner GD step alpha")
    L = problem.lam + problem.Lhat1
    top = 2.0 / L if L > 0 else math.inf
    if not (np.all(np.isfinite(a)) and np.all(a > 0) and np.all(a < top)):
        raise ValueError(
            f"lr={lr!r} must lie in (0, 2/(lam + Lhat1)) = (0, {top:.6g}) so that GD on the inner problem contracts "
            f"(beyond it phi_K grows like |1 - lr*s|^K and no comparison is meaningful); lr=None gives stable_lr (1/(lam + Lhat1); 1/(2 Lhat1) at lam = 0)."
        )
    return K, a


class Inner(NamedTuple):
    r"""The inner optimiser: GD (default), heavy-ball ``momentum`` (``torch.optim.SGD`` semantics: buffer
    :math:`v_{k+1}=\mu v_k+g_k`, :math:`v_0=0`; ``nesterov``: step along :math:`g_k+\mu v_{k+1}`), or ``adam``
    (default betas, eps 1e-8; used to name a bug).  ``detach_centre``: the proximal term's theta is a constant
    (a ``.detach()``'d centre; names a bug)."""

    momentum: float = 0.0
    nesterov: bool = False
    adam: bool = False
    detach_centre: bool = False

    @property
    def plain(self) -> bool:
        return self == Inner()


GD = Inner()


class _Trajectory(NamedTuple):
    phi_K: np.ndarray  # noqa: N815
    J: np.ndarray  # d phi_K / d theta
    err: float  # error scale of phi_K
    P: float  # sum_j ||T_{K-1}...T_{j+1}||: amplification of per-step errors
    L: float  # max ||grad^2 fhat|| along the path


def _trajectory(
    t: _Task, theta: np.ndarray, lam: float, K: int, a: Any, closed: bool = True, inner: Inner = GD, start=None
) -> _Trajectory:
    n = theta.shape[0]
    if np.ndim(a) > 0 or not inner.plain or start is not None:
        return _general(t, theta, lam, K, np.asarray(a, dtype=float), inner, start)
    if closed and lam > 0 and isinstance(t, _QuadTask):
        S = t.Ah + lam * np.eye(n)
        s, U = np.linalg.eigh(S)
        # the closed form divides by s and subtracts phi* (of size 1/s): only where a s is not small (else the
        # forward recursion, which is what an implementation computes, is the accurate reference)
        closed = float(a * s[0]) >= 1e-2
    else:
        closed = False
    if closed:
        phis = np.linalg.solve(S, lam * theta - t.bh)
        r = 1.0 - a * s
        phi_K = phis + U @ (r**K * (U.T @ (theta - phis)))
        J = (U * (r**K + lam * (1.0 - r**K) / s)) @ U.T
        beta = float(np.max(np.abs(r)))
        # ||phi_k|| <= ||phi*|| + beta^k ||theta - phi*|| <= ||phi*|| + ||theta - phi*|| for every k (beta < 1)
        big = _norm2(phis) + _norm2(theta - phis)
        R = big + a * (t.nAh * big + _norm2(t.bh) + lam * (big + _norm2(theta)))
        L = t.nAh
    else:  # forward mode along the trajectory (any task; any sign of lam; lam = 0 is standard MAML)
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


def _general(t: _Task, theta: np.ndarray, lam: float, K: int, a: np.ndarray, inner: Inner, start) -> _Trajectory:
    r"""Forward mode through K steps of any inner optimiser (:class:`Inner`), per-coordinate steps ``a``.

    Per-step errors are carried by the linearised step :math:`T_k` on the optimiser's state (for momentum
    :math:`(\phi,v)`); their amplification is :math:`P=\sum_j\|T_{K-1}\cdots T_{j+1}\|` (exact products, not norms of
    factors, which for momentum exceed 1 although the iteration contracts).
    """
    n = theta.shape[0]
    eye = np.eye(n)
    av = np.broadcast_to(a, (n,)) if a.ndim == 0 else a
    amax = float(np.max(av))
    phi, J = (theta.copy(), eye.copy()) if start is None else (start[0].copy(), start[1].copy())
    mu = float(inner.momentum)
    v, Jv = np.zeros(n), np.zeros((n, n))
    m, sq, Jm, Js = np.zeros(n), np.zeros(n), np.zeros((n, n)), np.zeros((n, n))
    centre = 0.0 if inner.detach_centre else lam
    Ts: list[np.ndarray] = []
    R, L = 0.0, 0.0
    for k in range(K):
        H = t.hess_tr(phi)
        Hp = H + lam * eye
        g = t.grad_tr(phi) + lam * (phi - theta)
        dg = Hp @ J - centre * eye
        R = max(R, _norm2(phi) + amax * (t.terms_tr(phi) + abs(lam) * (_norm2(phi) + _norm2(theta))) / (1 - mu))
        L = max(L, _norm2(H))
        if inner.adam:
            b1, b2, eps = 0.9, 0.999, 1e-8
            m, Jm = b1 * m + (1 - b1) * g, b1 * Jm + (1 - b1) * dg
            sq, Js = b2 * sq + (1 - b2) * g * g, b2 * Js + (1 - b2) * 2 * g[:, None] * dg
            c1, c2 = 1 - b1 ** (k + 1), 1 - b2 ** (k + 1)
            r = np.sqrt(sq / c2)
            d = (m / c1) / (r + eps)
            dd = (Jm / c1) / (r + eps)[:, None] - ((m / c1) / (r + eps) ** 2 / (2 * np.maximum(r, 1e-300) * c2))[
                :, None
            ] * Js
        else:
            v, Jv = mu * v + g, mu * Jv + dg
            d, dd = (g + mu * v, dg + mu * Jv) if inner.nesterov else (v, Jv)
            if mu == 0.0:
                Ts.append(eye - av[:, None] * Hp)
            else:
                Dp, Dv = ((1 + mu) * Hp, mu * mu * eye) if inner.nesterov else (Hp, mu * eye)
                Ts.append(np.block([[eye - av[:, None] * Dp, -av[:, None] * Dv], [Hp, mu * eye]]))
        phi = phi - av * d
        J = J - av[:, None] * dd
    if Ts:
        P, Q = 0.0, np.eye(Ts[0].shape[0])
        for T in reversed(Ts):
            P += _norm2(Q)
            Q = Q @ T
    else:
        P = float(K)
    return _Trajectory(phi, J, P * R, P, L)


def _amax(a: Any) -> float:
    return float(np.max(a))


def _maml(ts, theta, lam, K, a, closed=True, inner=GD):
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed, inner)
        g = t.grad_te(tr.phi_K)
        vals.append(tr.J.T @ g)
        nJ, ng = _norm2(tr.J), _norm2(g)
        scales.append(
            nJ * (t.terms_te(tr.phi_K) + _norm2(t.hess_te(tr.phi_K)) * tr.err)
            + tr.P * (1 + _amax(a) * (tr.L + 2 * abs(lam))) * ng / (1 - inner.momentum)
            + _amax(a) * tr.P * t.L2 * tr.err * ng
        )
    return vals, scales


def _fo_maml(ts, theta, lam, K, a, closed=True, inner=GD):
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed, inner)
        vals.append(t.grad_te(tr.phi_K))
        scales.append(t.terms_te(tr.phi_K) + _norm2(t.hess_te(tr.phi_K)) * tr.err)
    return vals, scales


def _reptile(ts, theta, lam, K, a, closed=True, inner=GD, norm_steps=None):
    """``norm_steps``: the K in 1/(K lr) when it differs from the steps taken (a loop-only off-by-one)."""
    Kn = K if norm_steps is None else norm_steps
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed, inner)
        vals.append((theta - tr.phi_K) / (Kn * a))
        scales.append((tr.err + _norm2(theta) + _norm2(tr.phi_K)) / (Kn * float(np.min(a))))
    return vals, scales


def _imaml(ts, theta, lam, K, a, closed=True, inner=GD):
    n = theta.shape[0]
    vals, scales = [], []
    for t in ts:
        tr = _trajectory(t, theta, lam, K, a, closed, inner)
        # |lam|: a variant with the proximal sign flipped flips it in the inner loop only (eq. (8) keeps +lam)
        S = t.hess_tr(tr.phi_K) + abs(lam) * np.eye(n)
        v = abs(lam) * np.linalg.solve(S, t.grad_te(tr.phi_K))
        ev = np.linalg.eigvalsh(S)
        kappa, lm = (_norm2(S - abs(lam) * np.eye(n)) + abs(lam)) / ev[0], abs(lam) / ev[0]
        vals.append(v)
        scales.append(
            kappa * lm * (t.terms_te(tr.phi_K) + _norm2(t.hess_te(tr.phi_K)) * tr.err) + lm * t.L2 * tr.err * _norm2(v)
        )
    return vals, scales


def maml_gradient(problem: Any, steps: int, lr: Any, inner: Inner = GD) -> Reference:
    r"""MAML: :math:`\nabla_\theta f_i(\phi_K(\theta))=J_K^\top\nabla f_i(\phi_K)` (K GD steps on :math:`h_i` from theta).

    Scale: :math:`\|J_K\|(T_i(\phi_K)+\|\nabla^2f_i\|e_K)+P(1+\alpha(\hat L+2\lambda))\|\nabla f_i(\phi_K)\|+\alpha P\hat L_2e_K\|\nabla f_i\|`,
    :math:`P=\sum_{j<K}\beta^j`, :math:`\beta=\max_k\|I-\alpha(\nabla^2\hat f_i(\phi_k)+\lambda I)\|`, :math:`e_K=PR` the
    error scale of :math:`\phi_K` (R bounds the terms of one GD step), :math:`\hat L` the largest training Hessian met.
    """
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_maml(_tasks(p), p.theta, p.lam, K, a, inner=inner), "MAML gradient")


def _maml_lr(ts, theta, lam, K, a, closed=True, inner=GD, first_order=False):
    r"""Meta-SGD's learned steps: :math:`\partial_\alpha f_i(\phi_K)=D_K^\top\nabla f_i(\phi_K)`, forward mode
    :math:`D_{k+1}=D_k-\mathrm{diag}(g_k)-\mathrm{diag}(\alpha)(\nabla^2\hat f_i(\phi_k)+\lambda I)D_k`, :math:`D_0=0`,
    :math:`g_k=\nabla\hat f_i(\phi_k)+\lambda(\phi_k-\theta)` (``first_order``: the Hessian term dropped, a bug)."""
    if not inner.plain:
        raise ValueError("the learned-step gradient is defined for a plain GD inner loop (momentum=0).")
    n = theta.shape[0]
    av = np.broadcast_to(np.asarray(a, dtype=float), (n,))
    amax = float(np.max(av))
    vals, scales = [], []
    for t in ts:
        phi, D = theta.copy(), np.zeros((n, n))
        beta, Rg, R, L, nDmax = 0.0, 0.0, 0.0, 0.0, 0.0
        for _ in range(K):
            H = t.hess_tr(phi)
            g = t.grad_tr(phi) + lam * (phi - theta)
            B = np.eye(n) - av[:, None] * (H + lam * np.eye(n))
            Rg = max(Rg, t.terms_tr(phi) + abs(lam) * (_norm2(phi) + _norm2(theta)))
            R = max(R, _norm2(phi) + amax * Rg)
            beta, L = max(beta, _norm2(B)), max(L, _norm2(H))
            D = (D if first_order else B @ D) - np.diag(g)
            nDmax = max(nDmax, _norm2(D))
            phi = phi - av * g
        P = float(sum(beta**j for j in range(K)))
        err = P * R  # phi_K's error scale, as in _trajectory
        gt = t.grad_te(phi)
        nD, ng = _norm2(D), _norm2(gt)
        vals.append(D.T @ gt)
        # D_K adds diag(g_k) (terms of size Rg) each step, carried by P; the Hessian products add alpha (L + 2 lam)
        # relative; phi_k's error moves the Hessians by L2 err, which alpha carries into D (as maml_gradient's scale)
        scales.append(
            nD * (t.terms_te(phi) + _norm2(t.hess_te(phi)) * err)
            + P * Rg * (1 + amax * (L + 2 * abs(lam))) * ng
            + amax * P * t.L2 * err * nDmax * ng
        )
    return vals, scales


def meta_sgd_lr_gradient(problem: Any, steps: int, lr: Any) -> Reference:
    r"""Meta-SGD's gradient with respect to its learned per-coordinate inner steps :math:`\alpha\in\mathbb R^n`:
    :math:`\partial_\alpha\frac1M\sum_if_i(\phi_{i,K}(\theta,\alpha))`, :math:`\phi_{k+1}=\phi_k-\alpha\odot g_k`
    (Li et al., Meta-SGD), by forward mode along the trajectory.  Scale: that of :func:`maml_gradient` with
    :math:`D_K=\partial\phi_K/\partial\alpha` for :math:`J_K` and the gradient's terms for the identity."""
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_maml_lr(_tasks(p), p.theta, p.lam, K, a), "Meta-SGD learned-step gradient")


def fo_maml_gradient(problem: Any, steps: int, lr: Any, inner: Inner = GD) -> Reference:
    r"""FO-MAML, eq. (3): :math:`\nabla f_i(\phi_K)`.  Scale: :math:`T_i(\phi_K)+\|\nabla^2f_i(\phi_K)\|e_K`."""
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_fo_maml(_tasks(p), p.theta, p.lam, K, a, inner=inner), "FO-MAML gradient")


def reptile_direction(problem: Any, steps: int, lr: Any, inner: Inner = GD) -> Reference:
    r"""Reptile, eq. (4): :math:`(\theta-\phi_K)/(K\alpha)`.  Scale: :math:`(e_K+\|\theta\|+\|\phi_K\|)/(K\alpha)`."""
    p = problem.validate()
    K, a = _check_steps(p, steps, lr)
    return _finish(*_reptile(_tasks(p), p.theta, p.lam, K, a, inner=inner), "Reptile direction")


def imaml_gradient(problem: Any, steps: int | None = None, lr: float | None = None) -> Reference:
    r"""iMAML: :math:`v=\lambda(\lambda I+\nabla^2\hat f_i(\phi))^{-1}\nabla f_i(\phi)`, the exact solution of eq. (8).

    :math:`\phi=\phi_K` (K GD steps of ``lr``, default :func:`stable_lr`) or, with ``steps=None``,
    :math:`\phi=\phi^*_i` (then v is eq. (7)'s meta-gradient).  Scale: as :func:`meta_gradient`, :math:`e_K` for
    :math:`e^*`.
    """
    p = problem.validate()
    _need_prox(p, "iMAML")
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
    _need_prox(p, "FO-B-MAML")
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
    _need_prox(p, "FO-B-MAML")
    s = as_stencil(st)
    nu = _real(nu, "nu", "the perturbation of eqs. (9)-(11)")
    if not math.isfinite(nu) or nu == 0:
        raise ValueError(f"nu must be a finite non-zero perturbation, got {nu!r}.")
    return _finish(*_fo_bmaml(_tasks(p), p.theta, p.lam, nu, s), "FO-B-MAML estimate")


def _fo_bmaml(ts, theta, lam, nu, s):
    n = theta.shape[0]
    mg_vals, mg_scales = _meta(ts, theta, lam)
    vals, scales = [], []
    for i, t in enumerate(ts):
        sols = [_solution(t, theta, lam, tk * nu) for tk in s.nodes]
        if isinstance(t, _QuadTask):
            S = t.Ah + lam * np.eye(n)
            gF = mg_vals[i]
            g = sum(
                w * tk * np.linalg.solve(S + tk * nu * t.A, S @ gF) for w, tk in zip(s.weights, s.nodes, strict=True)
            )
        else:
            g = -lam / nu * sum(w * phi for w, (phi, _) in zip(s.weights, sols, strict=True))
        vals.append(g)
        scales.append(lam / abs(nu) * sum(abs(w) * e for w, (_, e) in zip(s.weights, sols, strict=True)) + mg_scales[i])
    return vals, scales


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
