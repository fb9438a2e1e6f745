r"""Meta-gradient estimators on a neural network, one protocol: ``meta_gradient(method, model, theta, task, cfg)``.

Notation of Chayti & Jaggi (arXiv 2409.03682): :math:`\hat f_i` is the support (training) loss of task
:math:`i`, :math:`f_i` its query (validation) loss, both cross-entropy of the CNN's logits; ``theta`` is the
meta-parameter :math:`\theta`.  Every inner solver is :math:`K` steps of gradient descent with step
:math:`\alpha`, started at :math:`\theta`.

* ``maml``        :math:`\nabla_\theta f_i(\phi_K(\theta))`, :math:`\phi_{k+1}=\phi_k-\alpha\nabla\hat f_i(\phi_k)`,
                  differentiated through all :math:`K` steps (second order; eq. (1)).
* ``fomaml``      :math:`\nabla f_i(\phi_K(\theta))` (eq. (3)).
* ``reptile``     :math:`(\theta-\phi_K(\theta))/(K\alpha)` (eq. (4)).
* ``imaml``       :math:`v\approx(I+\nabla^2\hat f_i(\tilde\phi)/\lambda)^{-1}\nabla f_i(\tilde\phi)` by ``cg_steps``
                  conjugate-gradient steps with Hessian-vector products (eq. (8), [30]), :math:`\tilde\phi` the
                  :math:`K`-step solution of the proximal problem (6).
* ``fobmaml``     Algorithm 1, forward: :math:`-\lambda(\tilde\phi_{\nu}-\tilde\phi_{0})/\nu` (eq. (10)), where
                  :math:`\tilde\phi_\nu` is the :math:`K`-step solution of the perturbed problem (9)
                  :math:`\min_\phi \nu f_i(\phi)+\hat f_i(\phi)+\tfrac\lambda2\|\phi-\theta\|^2`.
* ``fobmaml-sym`` Algorithm 1, symmetric: :math:`-\lambda(\tilde\phi_{\nu}-\tilde\phi_{-\nu})/(2\nu)` (eq. (11)).
* ``fobmaml-jvp`` :math:`-\lambda\,\mathrm d\tilde\phi_\nu/\mathrm d\nu|_{\nu=0}`: the exact derivative of the
                  inexact solution, by forward-mode automatic differentiation through the :math:`K` inner steps
                  (the tangent recursion carried next to the iterate, one JVP of the gradient map per step; the
                  Limitations paragraph leaves it open).  :func:`jvp_reference` is the same derivative by
                  ``torch.func.jvp`` through the whole loop.  The metered implementation avoids
                  ``torch.autograd.forward_ad`` because, combined with ``torch.autograd.grad``, it kept every step's
                  saved tensors alive in torch 2.13 (observed with the meter), and ``torch.func`` refuses the hooks.

Each estimator is the derivative of a different objective: MAML's :math:`f_i(\phi_K(\theta))`, and the
B-MAML objective (5)-(6) for iMAML and FO-B-MAML; FO-MAML and Reptile approximate MAML's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from bmaml_theory.nn.data import Task
from bmaml_theory.nn.memory import MemoryMeter
from bmaml_theory.nn.model import CNN1d, Params

__all__ = ["METHODS", "PROXIMAL", "Inner", "accuracy", "adapt", "jvp_reference", "meta_gradient", "to_torch"]

METHODS = ("maml", "fomaml", "reptile", "imaml", "fobmaml", "fobmaml-sym", "fobmaml-jvp")
PROXIMAL = frozenset({"imaml", "fobmaml", "fobmaml-sym", "fobmaml-jvp"})  # adapt with the proximal problem (6)


@dataclass(frozen=True)
class Inner:
    r"""Inner-loop settings: ``K`` GD steps of size ``alpha``; ``lam`` (:math:`\lambda`), ``nu``
    (:math:`\nu`), ``cg_steps`` (iMAML's conjugate-gradient steps)."""

    K: int = 5
    alpha: float = 0.1
    lam: float = 1.0
    nu: float = 0.05
    cg_steps: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.K, int) or isinstance(self.K, bool) or self.K < 1:
            raise ValueError(f"K (inner steps) must be an int >= 1, got {self.K!r}.")
        if not isinstance(self.cg_steps, int) or self.cg_steps < 1:
            raise ValueError(f"cg_steps must be an int >= 1, got {self.cg_steps!r}.")
        for name in ("alpha", "lam", "nu"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {v!r}.")


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`, else a ValueError naming the argument."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    return method


def to_torch(
    task: Task, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"
) -> tuple[torch.Tensor, ...]:
    """(xs, ys, xq, yq) of ``task`` as tensors (signals in ``dtype``) on ``device`` (``"meta"``: shapes only)."""
    return (
        torch.as_tensor(task.xs, dtype=dtype).to(device),
        torch.as_tensor(task.ys).to(device),
        torch.as_tensor(task.xq, dtype=dtype).to(device),
        torch.as_tensor(task.yq).to(device),
    )


def _scalar(t: torch.Tensor) -> float:
    """``float(t)``, or NaN for a tensor on the meta device (which has a shape and no value)."""
    return math.nan if t.device.type == "meta" else float(t.detach())


def _loss(model: CNN1d, phi: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return functional.cross_entropy(model.logits(phi, x), y)


def _objective(model: CNN1d, phi: Params, theta: Params, data: tuple, nu: Any, lam: float | None) -> torch.Tensor:
    r""":math:`\nu f(\phi)+\hat f(\phi)+\tfrac\lambda2\|\phi-\theta\|^2` (the proximal term only when ``lam``)."""
    xs, ys, xq, yq = data
    out = _loss(model, phi, xs, ys)
    if lam is not None:
        out = out + 0.5 * lam * sum(((phi[k] - theta[k]) ** 2).sum() for k in phi)
    if not (isinstance(nu, (int, float)) and nu == 0):
        out = out + nu * _loss(model, phi, xq, yq)
    return out


def _solve(
    model: CNN1d,
    theta: Params,
    data: tuple,
    cfg: Inner,
    nu: float,
    lam: float | None,
    meter: MemoryMeter | None,
    tag: str = "phi",
) -> Params:
    r"""K first-order GD steps on the (perturbed, proximal) inner objective, from :math:`\theta` (no graph kept)."""
    phi = {k: v.detach().clone() for k, v in theta.items()}
    for _ in range(cfg.K):
        leaves = {k: v.requires_grad_() for k, v in phi.items()}
        if meter is not None:
            meter.hold(tag, leaves.values())
        g = torch.autograd.grad(_objective(model, leaves, theta, data, nu, lam), list(leaves.values()))
        phi = {k: (v - cfg.alpha * gk).detach() for (k, v), gk in zip(leaves.items(), g, strict=True)}
    if meter is not None:
        meter.hold(tag, phi.values())
    return phi


def adapt(method: str, model: CNN1d, theta: Params, xs: torch.Tensor, ys: torch.Tensor, cfg: Inner) -> Params:
    r"""The task-adapted parameters a method uses at meta-test time: :math:`K` GD steps on :math:`\hat f`
    (MAML, FO-MAML, Reptile) or on the proximal problem (6) (iMAML, FO-B-MAML)."""
    check_method(method)
    lam = cfg.lam if method in PROXIMAL else None
    theta = {k: v.detach() for k, v in theta.items()}
    return _solve(model, theta, (xs, ys, None, None), cfg, 0.0, lam, None)


def accuracy(model: CNN1d, phi: Params, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of ``x`` whose arg-max logit under ``phi`` equals ``y``."""
    with torch.no_grad():
        return float((model.logits(phi, x).argmax(1) == y).double().mean())


def _maml(model: CNN1d, theta: Params, data: tuple, cfg: Inner, meter: MemoryMeter | None) -> tuple[Params, float]:
    th = {k: v.detach().requires_grad_() for k, v in theta.items()}
    phi = th
    for _ in range(cfg.K):
        g = torch.autograd.grad(_loss(model, phi, data[0], data[1]), list(phi.values()), create_graph=True)
        phi = {k: v - cfg.alpha * gk for (k, v), gk in zip(phi.items(), g, strict=True)}
    q = _loss(model, phi, data[2], data[3])
    grads = torch.autograd.grad(q, list(th.values()))
    return dict(zip(th, grads, strict=True)), _scalar(q)


def _imaml(model: CNN1d, theta: Params, data: tuple, cfg: Inner, meter: MemoryMeter | None) -> tuple[Params, float]:
    phi = _solve(model, theta, data, cfg, 0.0, cfg.lam, meter)
    leaves = {k: v.requires_grad_() for k, v in phi.items()}
    ps = list(leaves.values())
    q = _loss(model, leaves, data[2], data[3])
    b = [t.detach() for t in torch.autograd.grad(q, ps)]
    gs = torch.autograd.grad(_loss(model, leaves, data[0], data[1]), ps, create_graph=True)

    def A(v: list[torch.Tensor]) -> list[torch.Tensor]:  # (I + H / lam) v
        hv = torch.autograd.grad(gs, ps, grad_outputs=v, retain_graph=True)
        return [vi + h.detach() / cfg.lam for vi, h in zip(v, hv, strict=True)]

    def dot(a: list[torch.Tensor], c: list[torch.Tensor]) -> torch.Tensor:
        return sum((ai * ci).sum() for ai, ci in zip(a, c, strict=True))

    x = [torch.zeros_like(t) for t in b]
    r = [t.clone() for t in b]
    p = [t.clone() for t in b]
    rr = dot(r, r)
    if meter is not None:
        meter.hold("cg", [*b, *x, *r, *p])
    for _ in range(cfg.cg_steps):
        if rr.device.type != "meta" and float(rr) == 0.0:
            break
        Ap = A(p)
        a = rr / dot(p, Ap)
        x = [xi + a * pi for xi, pi in zip(x, p, strict=True)]
        r = [ri - a * api for ri, api in zip(r, Ap, strict=True)]
        rr_new = dot(r, r)
        p = [ri + (rr_new / rr) * pi for ri, pi in zip(r, p, strict=True)]
        rr = rr_new
        if meter is not None:
            meter.hold("cg", [*b, *x, *r, *p])
    return dict(zip(leaves, x, strict=True)), _scalar(q)


def _fobmaml(
    model: CNN1d, theta: Params, data: tuple, cfg: Inner, meter: MemoryMeter | None, symmetric: bool
) -> tuple[Params, float]:
    lo, den = (-cfg.nu, 2 * cfg.nu) if symmetric else (0.0, cfg.nu)
    phi_lo = _solve(model, theta, data, cfg, lo, cfg.lam, meter, tag="phi_first")
    phi_hi = _solve(model, theta, data, cfg, cfg.nu, cfg.lam, meter)
    g = {k: -cfg.lam * (phi_hi[k] - phi_lo[k]) / den for k in theta}
    with torch.no_grad():
        mid = phi_lo if not symmetric else {k: 0.5 * (phi_lo[k] + phi_hi[k]) for k in phi_lo}
        q = _loss(model, mid, data[2], data[3])
    return g, _scalar(q)


def _fobmaml_jvp(
    model: CNN1d, theta: Params, data: tuple, cfg: Inner, meter: MemoryMeter | None
) -> tuple[Params, float]:
    r"""Forward mode through the K inner steps: the tangent :math:`\dot\phi_k=\mathrm d\tilde\phi_{\nu,k}/\mathrm d\nu`
    at :math:`\nu=0` obeys

    .. math:: \dot\phi_{k+1}=\dot\phi_k-\alpha\big(\nabla f(\phi_k)+(\nabla^2\hat f(\phi_k)+\lambda I)\dot\phi_k\big),
              \qquad \dot\phi_0=0,

    carried forward next to :math:`\phi_k` (the JVP of one GD step of (9); the term :math:`\nu\nabla^2 f` vanishes at
    :math:`\nu=0`).  Each step's JVP of the gradient map is taken by double backward, so the saved-tensor hooks
    see it and each step's graph is freed before the next; :func:`jvp_reference` computes the same derivative with
    ``torch.func.jvp`` through the whole loop (a test checks they agree)."""
    phi = {k: v.detach().clone() for k, v in theta.items()}
    tang = {k: torch.zeros_like(v) for k, v in theta.items()}
    for _ in range(cfg.K):
        leaves = {k: v.requires_grad_() for k, v in phi.items()}
        ps = list(leaves.values())
        if meter is not None:
            meter.hold("phi", [*ps, *tang.values()])
        gq = torch.autograd.grad(_loss(model, leaves, data[2], data[3]), ps)
        gs = torch.autograd.grad(_loss(model, leaves, data[0], data[1]), ps, create_graph=True)
        hv = torch.autograd.grad(gs, ps, grad_outputs=list(tang.values()))
        new_phi, new_tang = {}, {}
        for i, k in enumerate(leaves):
            grad_obj = gs[i].detach() + cfg.lam * (phi[k].detach() - theta[k])
            new_phi[k] = (phi[k].detach() - cfg.alpha * grad_obj).detach()
            new_tang[k] = (tang[k] - cfg.alpha * (gq[i] + hv[i] + cfg.lam * tang[k])).detach()
        del gs, hv, gq, leaves, ps
        phi, tang = new_phi, new_tang
    with torch.no_grad():
        q = _loss(model, phi, data[2], data[3])
    return {k: -cfg.lam * tang[k] for k in theta}, _scalar(q)


def jvp_reference(model: CNN1d, theta: Params, task: Task, cfg: Inner) -> Params:
    r""":math:`-\lambda\,\mathrm d\tilde\phi_\nu/\mathrm d\nu|_{\nu=0}` by ``torch.func.jvp`` through the K inner
    steps of (9) (each step's gradient by ``torch.func.grad``): the reference for ``fobmaml-jvp``."""
    from torch.func import grad, jvp

    dtype = next(iter(theta.values())).dtype
    data = to_torch(task, dtype)
    theta = {k: v.detach() for k, v in theta.items()}

    def solve(nu: torch.Tensor) -> Params:
        phi = dict(theta)
        step = grad(lambda p: _objective(model, p, theta, data, nu, cfg.lam))
        for _ in range(cfg.K):
            g = step(phi)
            phi = {k: phi[k] - cfg.alpha * g[k] for k in phi}
        return phi

    _, tangent = jvp(solve, (torch.zeros((), dtype=dtype),), (torch.ones((), dtype=dtype),))
    return {k: -cfg.lam * v for k, v in tangent.items()}


def meta_gradient(
    method: str,
    model: CNN1d,
    theta: Params,
    tasks: Sequence[Task] | Task,
    cfg: Inner,
    meter: MemoryMeter | None = None,
) -> tuple[Params, float]:
    r"""The method's meta-gradient estimate averaged over ``tasks`` (Algorithm 1, lines 5-9), and the mean
    query loss at the adapted parameters.  Tasks are processed one after another (the memory of one task plus
    an accumulator, which ``meter`` sees as state)."""
    check_method(method)
    if not isinstance(cfg, Inner):
        raise TypeError(f"cfg must be an Inner, got {type(cfg).__name__}.")
    if isinstance(tasks, Task):
        tasks = [tasks]
    if len(tasks) == 0:
        raise ValueError("tasks must hold at least one task.")
    first = next(iter(theta.values()))
    dtype, device = first.dtype, first.device
    theta = {k: v.detach() for k, v in theta.items()}
    acc: Params = {k: torch.zeros_like(v) for k, v in theta.items()}
    losses = []
    for task in tasks:
        data = to_torch(task, dtype, device)
        if meter is not None:
            meter.hold("accumulator", acc.values())
        if method == "maml":
            g, q = _maml(model, theta, data, cfg, meter)
        elif method in ("fomaml", "reptile"):
            phi = _solve(model, theta, data, cfg, 0.0, None, meter)
            if method == "fomaml":
                leaves = {k: v.requires_grad_() for k, v in phi.items()}
                qt = _loss(model, leaves, data[2], data[3])
                g, q = (
                    dict(zip(leaves, torch.autograd.grad(qt, list(leaves.values())), strict=True)),
                    _scalar(qt),
                )
            else:
                g = {k: (theta[k] - phi[k]) / (cfg.K * cfg.alpha) for k in theta}
                with torch.no_grad():
                    q = _scalar(_loss(model, phi, data[2], data[3]))
        elif method == "imaml":
            g, q = _imaml(model, theta, data, cfg, meter)
        elif method == "fobmaml-jvp":
            g, q = _fobmaml_jvp(model, theta, data, cfg, meter)
        else:
            g, q = _fobmaml(model, theta, data, cfg, meter, symmetric=method == "fobmaml-sym")
        if meter is not None:
            for name in ("phi", "phi_first", "cg"):
                meter.release(name)
        for k in acc:
            acc[k] = acc[k] + g[k].detach() / len(tasks)
        losses.append(q)
    return acc, float(np.mean(losses)) if device.type != "meta" else math.nan
