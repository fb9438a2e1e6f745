r"""Studies of the Fallah, Mokhtari & Ozdaglar statements on the stochastic family (:mod:`bmaml_theory.tasks.stochastic`).

The search space of this family is :class:`bmaml_theory.search.StochasticSpace`.

* :func:`simulate`: the note's MAML, FO-MAML and HF-MAML with the stochastic step :math:`1/(C\tilde L(w_k))`,
  vectorised over independent runs (the same law as :meth:`StochasticTasks.run`, which runs one).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bmaml_theory.tasks.stochastic import StochasticTasks, step_constant

__all__ = ["grad_F_batch", "simulate"]


def _apply(T: np.ndarray, idx: np.ndarray, W: np.ndarray) -> np.ndarray:
    r""":math:`T_{I}W` for matrices T (M, n, n), task indices idx (R, B), points W (R, B, n)."""
    return np.einsum("rbjk,rbk->rbj", T[idx], W)


def _grads(t: StochasticTasks, idx: np.ndarray, W: np.ndarray) -> np.ndarray:
    r""":math:`\nabla f_{I}(W)` for task indices idx (R, B) at points W (R, B, n)."""
    return _apply(t.A, idx, W) + t.b[idx] + t.c * np.tanh(W)


def grad_F_batch(t: StochasticTasks, W: Any, alpha: float) -> np.ndarray:
    r""":math:`\nabla F(w)=\sum_ip_i(I-\alpha\nabla^2f_i(w))\nabla f_i(w-\alpha\nabla f_i(w))` at every row of W (R, n)."""
    W = np.asarray(W, dtype=np.float64)
    Wm = np.broadcast_to(W[:, None], (W.shape[0], t.M, t.n))
    idx = np.broadcast_to(np.arange(t.M), (W.shape[0], t.M))
    U = Wm - alpha * _grads(t, idx, Wm)
    G = _grads(t, idx, U)
    HG = np.einsum("ijk,rik->rij", t.A, G) + t.c * G / np.cosh(Wm) ** 2
    return np.einsum("i,rij->rj", t.p, G - alpha * HG)


def _noisy(
    t: StochasticTasks, idx: np.ndarray, W: np.ndarray, D: int, g: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    r"""One data set of size D per (run, task): :math:`\tilde\nabla f_I(W,D)=(A_I+\bar\eta S_I)W+b_I+\bar\xi+c\tanh W`."""
    R, B = idx.shape
    eta = g.normal(0.0, t.sH / math.sqrt(D), (R, B))
    xi = g.normal(0.0, t.sg / math.sqrt(t.n * D), (R, B, t.n))
    return _grads(t, idx, W) + eta[..., None] * _apply(t.S, idx, W) + xi, eta


def simulate(
    t: StochasticTasks,
    method: str,
    w0: Any,
    alpha: float,
    *,
    steps: int,
    runs: int,
    B: int,
    D_in: int,
    D_o: int,
    D_h: int,
    B_prime: int,
    D_beta: int,
    seed: int,
    rho: float | None = None,
    return_last: bool = False,
    step_scale: float = 1.0,
    step_decay: float | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    r""":math:`\|\nabla F(w_k)\|` (exact) along ``runs`` independent runs of the note's method, shape (steps+1, runs)
    (and, with ``return_last``, the last iterates, shape (runs, n)).

    :math:`w_{k+1}=w_k-g_k/(C\tilde L(w_k))` (C of :func:`~bmaml_theory.tasks.stochastic.step_constant`),
    :math:`\tilde L(w)=4L+2\rho\alpha\frac1{B'}\sum_{j\in\mathcal B'}\|\tilde\nabla f_j(w,D_\beta^j)\|`; the
    direction :math:`g_k` is MAML's, FO-MAML's or HF-MAML's (with :math:`\delta_k^i=1/(6\rho\alpha\|v_i\|)`) over
    B tasks drawn from p, each with independent data sets D_in, D_o, D_h.  Every draw is independent across runs,
    so the runs are i.i.d.; a run that leaves the finite numbers raises FloatingPointError.  ``step_scale`` multiplies
    the prescribed step (1: the note's; anything else violates the theorems' prescription, for can-fail tests);
    ``step_decay = k0`` divides the step at iteration k by 1 + k/k0 (a diminishing step, also outside the theorems).
    """
    if step_decay is not None and not (math.isfinite(step_decay) and step_decay > 0):
        raise ValueError(
            f"step_decay must be None or finite and > 0 (iterations k0 of 1/(1 + k/k0)), got {step_decay!r}"
        )
    if not (math.isfinite(step_scale) and step_scale > 0):
        raise ValueError(f"step_scale must be finite and > 0 (1 is the note's step), got {step_scale!r}")
    C = step_constant(method) / step_scale
    rho = t.constants().rho if rho is None else float(rho)
    if method == "hf_maml" and not rho > 0:
        raise ValueError("hf_maml needs rho > 0 (delta = 1/(6 rho alpha ||v||)); pass rho or use c > 0.")
    g = np.random.default_rng(seed)
    L = t.constants().L
    W = np.tile(np.asarray(w0, dtype=np.float64), (runs, 1))
    out = np.empty((steps + 1, runs))
    for k in range(steps + 1):
        out[k] = np.linalg.norm(grad_F_batch(t, W, alpha), axis=1)
        if k == steps:
            break
        J = g.choice(t.M, size=(runs, B_prime), p=t.p)
        Gb, _ = _noisy(t, J, np.broadcast_to(W[:, None], (runs, B_prime, t.n)), D_beta, g)
        Lt = 4 * L + 2 * rho * alpha * np.linalg.norm(Gb, axis=-1).mean(axis=1)
        idx = g.choice(t.M, size=(runs, B), p=t.p)
        Wb = np.broadcast_to(W[:, None], (runs, B, t.n))
        gin, _ = _noisy(t, idx, Wb, D_in, g)
        v, _ = _noisy(t, idx, Wb - alpha * gin, D_o, g)
        if method == "maml":
            eta = g.normal(0.0, t.sH / math.sqrt(D_h), (runs, B))
            Hv = _apply(t.A, idx, v) + eta[..., None] * _apply(t.S, idx, v) + t.c * v / np.cosh(Wb) ** 2
            d = v - alpha * Hv
        elif method == "fo_maml":
            d = v
        elif method == "hf_maml":
            nv = np.linalg.norm(v, axis=-1, keepdims=True)
            dl = 1.0 / (6 * rho * alpha * np.where(nv > 0, nv, 1.0))
            eta = g.normal(0.0, t.sH / math.sqrt(D_h), (runs, B))
            xi = g.normal(0.0, t.sg / math.sqrt(t.n * D_h), (runs, B, t.n))

            # one D_h data set, shared by both points of the central difference
            gp = _grads(t, idx, Wb + dl * v) + eta[..., None] * _apply(t.S, idx, Wb + dl * v) + xi
            gm = _grads(t, idx, Wb - dl * v) + eta[..., None] * _apply(t.S, idx, Wb - dl * v) + xi
            d = v - alpha * (gp - gm) / (2 * dl)
        else:
            raise ValueError(f"method must be 'maml', 'fo_maml' or 'hf_maml', got {method!r}.")
        decay = 1.0 if step_decay is None else 1.0 + k / step_decay
        W = W - d.mean(axis=1) / (C * decay * Lt[:, None])
        if not np.all(np.isfinite(W)):
            raise FloatingPointError(f"{method} diverged (non-finite iterate); check alpha and the batch sizes.")
    return (out, W) if return_last else out
