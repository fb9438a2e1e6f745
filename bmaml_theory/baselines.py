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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bmaml_theory._backend import namespace, safe_norm
from bmaml_theory._validation import (
    ACCURACY_WARN_REL,
    check_bool,
    check_int,
    check_nu_values,
    check_positive,
    warn_accuracy,
    warn_near_edge,
)
from bmaml_theory.stencils import FORWARD, Stencil, roundoff_estimate
from bmaml_theory.tasks._protocol import check_tasks

__all__ = ["Oracle", "fo_bmaml", "fo_maml", "hf_maml", "imaml", "maml", "reptile"]


@dataclass
class Oracle:
    """Counts per task: gradient calls (train and test), Hessian-vector products, peak vectors held."""

    grads: int = 0
    hvps: int = 0
    peak_vectors: int = 0

    def hold(self, k: int) -> None:
        """Record that k n-vectors per task are held at once."""
        self.peak_vectors = max(self.peak_vectors, k)


MAX_STEPS = 10**6  # inner GD steps; MAML stores all of them


def _check(tasks: Any, theta: Any, steps: Any, lr: Any, per_task: Any, counter: Any) -> tuple:
    """The common arguments, validated: (tasks, theta, K, lr, per_task, counter)."""
    tasks = check_tasks(tasks)
    K = check_int(steps, "steps", lo=1, hi=MAX_STEPS)
    lr = check_positive(lr, "lr")
    per_task = check_bool(per_task, "per_task")
    if counter is not None and not isinstance(counter, Oracle):
        raise TypeError(f"counter must be an Oracle or None, got {type(counter).__name__}.")
    return tasks, tasks.check_theta(theta), K, lr, per_task, (counter if counter is not None else Oracle())


def _all_finite(x: Any, xp: Any) -> bool:
    """Whether every entry of ``x`` is finite (NumPy directly: this runs in every inner step)."""
    return bool(np.isfinite(x).all()) if type(x) is np.ndarray else bool(xp.all(xp.isfinite(x)))


def _inner(tasks: Any, theta: Any, K: int, lr: float, c: Oracle, store: bool = False, nu: float = 0.0):
    """K GD steps on h_nu = fhat + nu f + lam/2||.-theta||^2 from theta; the trajectory if store."""
    xp = tasks.xp
    phi = xp.broadcast_to(theta, (tasks.M, tasks.n)) * 1.0
    traj = [phi] if store else None
    L_nu = float(xp.max(tasks.L_nu(nu)))  # smoothness of h_nu (a bound): GD contracts for lr < 2 / L_nu
    beyond = lr >= 2.0 / L_nu
    if beyond:
        g_first = float(xp.max(safe_norm(_inner_grad(tasks, phi, theta, nu), xp=xp)))
    for _ in range(K):
        try:
            g = tasks.train_grad(phi) + tasks.lam * (phi - theta)
            c.grads += 1
            if nu != 0.0:
                g = g + nu * tasks.test_grad(phi)
                c.grads += 1
        except FloatingPointError as exc:
            raise FloatingPointError(f"GD on the inner problem diverged (gradient overflow): lower lr={lr:g}.") from exc
        with np.errstate(over="ignore", invalid="ignore"):
            phi = phi - lr * g
        if not _all_finite(phi, xp):
            raise FloatingPointError(f"GD on the inner problem diverged (non-finite iterate): lower lr={lr:g}.")
        if store:
            traj.append(phi)
        c.hold((len(traj) if store else 1) + 2)  # iterate(s), theta, gradient
    if beyond:  # a check, not part of the method: not counted by the oracle
        try:
            g_last = float(xp.max(safe_norm(_inner_grad(tasks, phi, theta, nu), xp=xp)))
        except FloatingPointError:
            g_last = math.inf
        msg = (
            f"lr={lr:g} is at or beyond 2/L_nu = {2.0 / L_nu:.3g}, the stable step of GD on the inner problem at "
            f"nu={nu:g} (L_nu = lam + Lhat1 + |nu| L1 = {L_nu:.3g}, the smoothness of h_nu)"
        )
        if not g_last <= g_first:
            raise FloatingPointError(
                f"GD on the inner problem diverged: {msg}; ||grad h|| grew from {g_first:.3g} to {g_last:.3g} in "
                f"{K} steps. Lower lr below {2.0 / L_nu:.3g}" + (" or |nu|." if nu != 0.0 else ".")
            )
        warn_accuracy(f"{msg}: convergence is not guaranteed (here ||grad h|| did not grow); lower lr.", stacklevel=4)
    return phi, traj


def _inner_grad(tasks: Any, phi: Any, theta: Any, nu: float) -> Any:
    """grad h_nu(phi) = grad fhat(phi) + nu grad f(phi) + lam (phi - theta)."""
    g = tasks.train_grad(phi) + tasks.lam * (phi - theta)
    return g + nu * tasks.test_grad(phi) if nu != 0.0 else g


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
    tasks, theta, K, lr, per_task, c = _check(tasks, theta, steps, lr, per_task, counter)
    phiK, traj = _inner(tasks, theta, K, lr, c, store=True)
    v = tasks.test_grad(phiK)
    c.grads += 1
    acc = 0.0 * v
    for k in range(K - 1, -1, -1):
        acc = acc + lr * tasks.lam * v
        with np.errstate(over="ignore", invalid="ignore"):
            v = v - lr * (tasks.train_hvp(traj[k], v) + tasks.lam * v)
        if not bool(tasks.xp.all(tasks.xp.isfinite(v))):
            raise FloatingPointError(f"MAML's reverse pass through the inner GD diverged: lower lr={lr:g}.")
        c.hvps += 1
        c.hold(len(traj) + 3)
    return _out(v + acc, per_task, tasks.xp)


def _cg(apply, b, iters: int, c: Oracle, *, hvp: bool = True):
    """iters steps of CG on apply(x) = b from x = 0 (batched over tasks); each apply is one HVP if ``hvp``."""
    xp = namespace(b)
    xp_sum = lambda a, d: xp.sum(a * d, axis=-1, keepdims=True)  # noqa: E731
    floor = lambda a: xp.where(a > 1e-300, a, xp.full_like(a, 1e-300))  # noqa: E731
    x = 0.0 * b
    r = b
    p = r
    rs = xp_sum(r, r)
    for _ in range(iters):
        Ap = apply(p)
        c.hvps += int(hvp)
        c.hold(6)  # x, r, p, Ap, b, phi
        alpha = rs / floor(xp_sum(p, Ap))
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = xp_sum(r, r)
        p = r + (rs_new / floor(rs)) * p
        rs = rs_new
    return x


def imaml(
    tasks: Any, theta: Any, steps: int, lr: float, cg: int, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""iMAML: ``cg`` CG steps on eq. (8), :math:`(I+\nabla^2\hat f_i(\phi_K)/\lambda)v=\nabla f_i(\phi_K)`, from v = 0."""
    tasks, theta, K, lr, per_task, c = _check(tasks, theta, steps, lr, per_task, counter)
    cg = check_int(cg, "cg", lo=0, hi=MAX_STEPS)
    phiK, _ = _inner(tasks, theta, K, lr, c)
    b = tasks.test_grad(phiK)
    c.grads += 1
    v = _cg(lambda p: p + tasks.train_hvp(phiK, p) / tasks.lam, b, cg, c)
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
    tasks, theta, K, lr, per_task, c = _check(tasks, theta, steps, lr, per_task, counter)
    cg = check_int(cg, "cg", lo=0, hi=MAX_STEPS)
    delta = check_positive(delta, "delta")
    phiK, _ = _inner(tasks, theta, K, lr, c)
    b = tasks.test_grad(phiK)
    c.grads += 1

    xp = tasks.xp
    # the perturbation delta * p is represented with absolute error ~ eps ||phi||: relative error of the product
    rel = (
        float(xp.finfo(tasks.dtype).eps)
        * max(float(xp.max(safe_norm(phiK, xp=xp))), 1.0)
        / (delta * max(float(xp.min(safe_norm(b, xp=xp))), 1e-300))
    )
    if rel > ACCURACY_WARN_REL:
        warn_accuracy(
            f"delta={delta:g} is at the round-off floor of the central difference: phi +- delta*p resolves delta*p "
            f"only to a relative {rel:.1e} (eps*||phi||/(delta*||p||)); raise delta (its truncation error is "
            "Lhat2*delta*||p||^2/2).",
            stacklevel=2,
        )

    def apply(p):
        c.grads += 2  # two gradient calls replace the Hessian-vector product
        d = (tasks.train_grad(phiK + delta * p) - tasks.train_grad(phiK - delta * p)) / (2 * delta)
        return p + d / tasks.lam

    v = _cg(apply, b, cg, c, hvp=False)
    return _out(v, per_task, tasks.xp)


def fo_maml(
    tasks: Any, theta: Any, steps: int, lr: float, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""FO-MAML, eq. (3): :math:`\nabla f_i(\phi_K(\theta))`."""
    tasks, theta, K, lr, per_task, c = _check(tasks, theta, steps, lr, per_task, counter)
    phiK, _ = _inner(tasks, theta, K, lr, c)
    c.grads += 1
    return _out(tasks.test_grad(phiK), per_task, tasks.xp)


def reptile(
    tasks: Any, theta: Any, steps: int, lr: float, *, per_task: bool = False, counter: Oracle | None = None
) -> Any:
    r"""Reptile, eq. (4): :math:`(\theta-\phi_K(\theta))/(K\alpha)`."""
    tasks, theta, K, lr, per_task, c = _check(tasks, theta, steps, lr, per_task, counter)
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
    tasks, theta, K, lr, per_task, c = _check(tasks, theta, steps, lr, per_task, counter)
    nu = check_positive(nu, "nu")
    if not isinstance(st, Stencil):
        raise TypeError(f"st must be a Stencil (see bmaml_theory.stencils), got {type(st).__name__}.")
    node_nus = [t * nu for t, w in zip(st.nodes, st.weights, strict=True) if w != 0]
    check_nu_values(node_nus, tasks.nu_interval(), what="nu * stencil node")
    warn_near_edge(node_nus, tasks.nu_interval(), what="nu * stencil node")
    xp = tasks.xp
    g = 0.0
    phin = 1.0
    for t, w in zip(st.nodes, st.weights, strict=True):
        if w == 0:
            continue
        phi, _ = _inner(tasks, theta, K, lr, c, nu=float(t) * nu)
        phin = max(phin, float(xp.max(safe_norm(phi, xp=xp))))
        g = g - tasks.lam * float(w) / nu * phi
        c.hold(4)  # running sum, iterate, theta, gradient
    out = _out(g, per_task, xp)
    err, gn = roundoff_estimate(tasks, st, nu, phin), float(xp.max(safe_norm(g, xp=xp)))
    if err > ACCURACY_WARN_REL * max(gn, 1e-300):
        warn_accuracy(
            f"nu={nu:g} is at or below the round-off floor of the difference quotient (estimated round-off "
            f"{err:.2e} against an estimate of norm {gn:.2e}); raise nu.",
            stacklevel=2,
        )
    return out
