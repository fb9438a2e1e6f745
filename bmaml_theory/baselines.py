r"""Baseline meta-gradient estimators with instrumented oracles (Chayti & Jaggi, Section 2; Fallah et al.).

All run K steps of GD with step ``lr`` on the proximal inner problem
:math:`h_i(\phi)=\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2` started at :math:`\phi_0=\theta`, then:

* :func:`maml`    the exact gradient of :math:`f_i(\phi_K(\theta))` (reverse mode through the stored trajectory;
  for quadratics it equals the closed-form Jacobian :math:`B^K+\alpha\lambda\sum_{j<K}B^j`, :math:`B=I-\alpha(\hat A+\lambda I)`).
* :func:`imaml`   ``cg`` conjugate-gradient steps on eq. (8) at :math:`\phi_K`: :math:`(I+\nabla^2\hat f_i/\lambda)v=\nabla f_i`.
* :func:`fo_maml` eq. (3): :math:`\nabla f_i(\phi_K)`.
* :func:`reptile` eq. (4): :math:`(\theta-\phi_K)/(K\alpha)`.
* :func:`hf_maml` eq. (7) with the Hessian-vector products of iMAML's CG replaced by Fallah et al.'s central
  differences :math:`(\nabla\hat f(\phi+\delta v)-\nabla\hat f(\phi-\delta v))/(2\delta)`.
* :func:`fo_bmaml` the FO-B-MAML estimators (10)/(11) with the same K GD steps on each perturbed problem.

Every function accepts ``counter=`` (an :class:`Oracle` record): gradient calls, Hessian-vector products and the
peak number of n-vectors per task the method holds at once (Table 1's compute and memory columns).
Results are averaged over tasks, shape (n,), or (M, n) with ``per_task=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bmaml_theory._validation import check_positive
from bmaml_theory.stencils import FORWARD, Stencil

__all__ = ["Oracle", "fo_bmaml", "fo_maml", "hf_maml", "imaml", "maml", "reptile"]


@dataclass
class Oracle:
    """Counts per task: gradient calls (train and test), Hessian-vector products, peak vectors held."""

    grads: int = 0
    hvps: int = 0
    vectors: int = 0
    peak_vectors: int = 0

    def hold(self, k: int) -> None:
        self.vectors = k
        self.peak_vectors = max(self.peak_vectors, k)


def _check(steps: int, lr: float) -> tuple[int, float]:
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be an integer >= 1 (inner GD steps K), got {steps!r}.")
    return int(steps), check_positive(lr, "lr")


def _inner(tasks: Any, theta: Any, K: int, lr: float, c: Oracle, store: bool = False, nu: float = 0.0):
    """K GD steps on h_nu = fhat + nu f + lam/2||.-theta||^2 from theta; the trajectory if store."""
    xp = tasks.xp
    phi = xp.broadcast_to(theta, (tasks.M, tasks.n)) * 1.0
    traj = [phi] if store else None
    for _ in range(K):
        g = tasks.train_grad(phi) + tasks.lam * (phi - theta)
        c.grads += 1
        if nu != 0.0:
            g = g + nu * tasks.test_grad(phi)
            c.grads += 1
        phi = phi - lr * g
        if store:
            traj.append(phi)
        c.hold((len(traj) if store else 1) + 2)  # iterate(s), theta, gradient
    return phi, traj


def _out(g: Any, per_task: bool, xp: Any) -> Any:
    if not bool(xp.all(xp.isfinite(g))):
        raise FloatingPointError("the estimate is not finite: lower lr (GD on the inner problem diverged).")
    return g if per_task else xp.mean(g, axis=0)


def maml(
    tasks: Any, theta: Any, steps: int, lr: float, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""MAML: :math:`\nabla_\theta f_i(\phi_K(\theta))` exactly, by reverse mode through the K stored iterates.

    :math:`J_K^\top u` with :math:`J_{k+1}=(I-\alpha(\nabla^2\hat f_i(\phi_k)+\lambda I))J_k+\alpha\lambda I`, :math:`J_0=I`.
    Memory: the K+1 iterates (Table 1: :math:`\mathrm{Mem}(\nabla f_i)\cdot K`).
    """
    K, lr = _check(steps, lr)
    c = counter if counter is not None else Oracle()
    theta = tasks._theta(theta)
    phiK, traj = _inner(tasks, theta, K, lr, c, store=True)
    v = tasks.test_grad(phiK)
    c.grads += 1
    acc = 0.0 * v
    for k in range(K - 1, -1, -1):
        acc = acc + lr * tasks.lam * v
        v = v - lr * (tasks.train_hvp(traj[k], v) + tasks.lam * v)
        c.hvps += 1
        c.hold(len(traj) + 3)
    return _out(v + acc, per_task, tasks.xp)


def _cg(apply, b, iters: int, c: Oracle, *, hvp: bool = True):
    """iters steps of CG on apply(x) = b from x = 0 (batched over tasks); each apply is one HVP if ``hvp``."""
    xp_sum = lambda a, d: (a * d).sum(-1, keepdims=True)  # noqa: E731
    x = 0.0 * b
    r = b
    p = r
    rs = xp_sum(r, r)
    for _ in range(iters):
        Ap = apply(p)
        c.hvps += int(hvp)
        c.hold(6)  # x, r, p, Ap, b, phi
        alpha = rs / np.maximum(xp_sum(p, Ap), 1e-300)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = xp_sum(r, r)
        p = r + (rs_new / np.maximum(rs, 1e-300)) * p
        rs = rs_new
    return x


def imaml(
    tasks: Any, theta: Any, steps: int, lr: float, cg: int, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""iMAML: ``cg`` CG steps on eq. (8), :math:`(I+\nabla^2\hat f_i(\phi_K)/\lambda)v=\nabla f_i(\phi_K)`, from v = 0."""
    K, lr = _check(steps, lr)
    if int(cg) != cg or cg < 0:
        raise ValueError(f"cg must be an integer >= 0 (conjugate-gradient steps), got {cg!r}.")
    c = counter if counter is not None else Oracle()
    theta = tasks._theta(theta)
    phiK, _ = _inner(tasks, theta, K, lr, c)
    b = tasks.test_grad(phiK)
    c.grads += 1
    v = _cg(lambda p: p + tasks.train_hvp(phiK, p) / tasks.lam, b, int(cg), c)
    return _out(v, per_task, tasks.xp)


def hf_maml(
    tasks: Any,
    theta: Any,
    steps: int,
    lr: float,
    cg: int,
    delta: float = 1e-6,
    *,
    per_task: bool = False,
    counter: Oracle | None = None,
) -> Any:
    r"""Hessian-free variant: iMAML's CG with :math:`\nabla^2\hat f_i(\phi)p\approx(\nabla\hat f_i(\phi+\delta p)-\nabla\hat f_i(\phi-\delta p))/(2\delta)`
    (Fallah et al.'s HF-MAML product; error :math:`\le\hat L_2\delta\|p\|^2/2`, claim ``fallah-hfmaml-error``)."""
    K, lr = _check(steps, lr)
    delta = check_positive(delta, "delta")
    c = counter if counter is not None else Oracle()
    theta = tasks._theta(theta)
    phiK, _ = _inner(tasks, theta, K, lr, c)
    b = tasks.test_grad(phiK)
    c.grads += 1

    def apply(p):
        c.grads += 2  # two gradient calls replace the Hessian-vector product
        d = (tasks.train_grad(phiK + delta * p) - tasks.train_grad(phiK - delta * p)) / (2 * delta)
        return p + d / tasks.lam

    v = _cg(apply, b, int(cg), c, hvp=False)
    return _out(v, per_task, tasks.xp)


def fo_maml(
    tasks: Any, theta: Any, steps: int, lr: float, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""FO-MAML, eq. (3): :math:`\nabla f_i(\phi_K(\theta))`."""
    K, lr = _check(steps, lr)
    c = counter if counter is not None else Oracle()
    theta = tasks._theta(theta)
    phiK, _ = _inner(tasks, theta, K, lr, c)
    c.grads += 1
    return _out(tasks.test_grad(phiK), per_task, tasks.xp)


def reptile(
    tasks: Any, theta: Any, steps: int, lr: float, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""Reptile, eq. (4): :math:`(\theta-\phi_K(\theta))/(K\alpha)`."""
    K, lr = _check(steps, lr)
    c = counter if counter is not None else Oracle()
    theta = tasks._theta(theta)
    phiK, _ = _inner(tasks, theta, K, lr, c)
    return _out((theta - phiK) / (K * lr), per_task, tasks.xp)


def fo_bmaml(
    tasks: Any,
    theta: Any,
    steps: int,
    lr: float,
    nu: float,
    st: Stencil = FORWARD,
    *,
    per_task: bool = False,
    counter: Oracle | None = None,
) -> Any:
    r"""FO-B-MAML (Algorithm 1) with K GD steps on each perturbed problem (9) of the stencil, from theta:
    :math:`-\frac\lambda\nu\sum_kw_k\phi_{K,t_k\nu}`.  Memory: one iterate per stencil node (run in turn: 2)."""
    K, lr = _check(steps, lr)
    nu = check_positive(nu, "nu")
    c = counter if counter is not None else Oracle()
    theta = tasks._theta(theta)
    g = 0.0
    for t, w in zip(st.nodes, st.weights, strict=True):
        if w == 0:
            continue
        phi, _ = _inner(tasks, theta, K, lr, c, nu=float(t) * nu)
        g = g - tasks.lam * float(w) / nu * phi
        c.hold(4)  # running sum, iterate, theta, gradient
    return _out(g, per_task, tasks.xp)
