r"""Studies of the Fallah, Mokhtari & Ozdaglar statements on the stochastic family (:mod:`bmaml_theory.tasks.stochastic`).

* :class:`StochasticSpace`: the search space of the stochastic family for :func:`bmaml_theory.adversary.maximize`
  (CMA-ES from random starts with successive halving).  An encoding is ``p = (M, n, 1, 1, z)`` (the header of
  :class:`~bmaml_theory.adversary.LogisticSpace`, whose search engine it reuses; the two point-count slots are
  fixed to 1 and unused), M in [1, 8] tasks, dimension n in [2, 10]; z holds, in this order,

  - the mean Hessians: one shared symmetric A (``per_task_A=False``, the class where Assumption 4's sigma is
    uniform) or one per task, each from its upper triangle;
  - per task the linear term :math:`b_i` and a logit of :math:`p_i` (softmax);
  - the nonlinearity weight :math:`c=z` (either sign: c < 0 is in the class, :mod:`bmaml_theory.tasks.stochastic`),
    the noise levels :math:`s_g=|z|` and (``hessian_noise=True``)
    :math:`s_H=|z|` with one direction :math:`S_i=v_iv_i^\top/\|v_i\|^2` per task (spectral norm 1);
  - (``scale_decades`` > 0) a scale :math:`10^{-\text{scale\_decades}\cdot\mathrm{sig}(z)}` multiplying every
    :math:`A_i` (so small L is as easy to reach as large L: the same class, a log-scale encoding of its size);
  - the point w (n), the step :math:`\alpha=\alpha_{\max}\,\mathrm{sig}(z)/L` (so :math:`\alpha\in(0,\alpha_{\max}/L)`);
  - the claim's extras (raw, clipped to the box).

  Every coordinate is clipped to ``[-box, box]`` (a bounded class: every sup is over it).
* :func:`simulate`: the note's MAML, FO-MAML and HF-MAML with the stochastic step :math:`1/(C\tilde L(w_k))`,
  vectorised over independent runs (the same law as :meth:`StochasticTasks.run`, which runs one).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from bmaml_theory.adversary import HEADER, LogisticSpace, Structure
from bmaml_theory.tasks.stochastic import StochasticTasks, step_constant

__all__ = ["StochasticInstance", "StochasticSpace", "grad_F_batch", "simulate"]


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-float(np.clip(v, -50, 50))))


class StochasticInstance(NamedTuple):
    """A decoded instance: the tasks, the point w, the step alpha, the extras by name and the structure."""

    tasks: StochasticTasks
    w: np.ndarray
    alpha: float
    extra: dict[str, np.ndarray]
    structure: Structure


class StochasticSpace(LogisticSpace):
    r"""The stochastic family of :mod:`bmaml_theory.tasks.stochastic`, encoded for :func:`bmaml_theory.adversary.maximize`.

    Parameters
    ----------
    M, n : (low, high)
        Inclusive ranges of the number of tasks (1..8) and the dimension (2..10).
    per_task_A : bool
        One mean Hessian per task (sigma of Assumption 4 is then not uniform) or one shared by all tasks.
    hessian_noise : bool
        Whether the Hessian noise :math:`s_H` (and its directions S_i) is searched; ``False`` fixes
        :math:`s_H=0` (Assumption 5's sigma-tilde is then uniform, :math:`=s_g`).
    nonlinear : bool
        Whether :math:`c` (either sign) is searched; ``False`` fixes :math:`c=0` (quadratic tasks, rho = 0).
    alpha_max : float
        :math:`\alpha=\alpha_{\max}\,\mathrm{sig}(z_\alpha)/L`: the statement's range of alpha in units of 1/L.
    extras : mapping name -> int or "n"
        Claim-specific coordinates (as :class:`~bmaml_theory.adversary.LogisticSpace`).
    box : float
        Every coordinate of z is clipped to ``[-box, box]``.

    Examples
    --------
    scale_decades : float
        When > 0, one more coordinate scales every A_i by :math:`10^{-\text{scale\_decades}\cdot\mathrm{sig}(z)}`.

    >>> sp = StochasticSpace(extras={"u": "n"})
    >>> inst = sp.decode(sp.random_encoding(np.random.default_rng(0), Structure(2, 3, 1, 1)))
    >>> (inst.tasks.M, inst.tasks.n, inst.extra["u"].shape, 0 < inst.alpha * inst.tasks.constants().L < 1)
    (2, 3, (3,), True)
    """

    def __init__(
        self,
        *,
        M: tuple[int, int] = (1, 8),
        n: tuple[int, int] = (2, 10),
        per_task_A: bool = False,
        hessian_noise: bool = False,
        nonlinear: bool = True,
        alpha_max: float = 1.0,
        scale_decades: float = 0.0,
        extras: Any = None,
        box: float = 10.0,
        prior: str = "geometric",
    ) -> None:
        super().__init__(M=M, n=n, mh=(1, 1), m=(1, 1), extras=extras, box=box, prior=prior)
        if not (math.isfinite(alpha_max) and alpha_max > 0):
            raise ValueError(f"alpha_max must be finite and > 0 (alpha's range in units of 1/L), got {alpha_max!r}.")
        self.per_task_A, self.hessian_noise, self.nonlinear = bool(per_task_A), bool(hessian_noise), bool(nonlinear)
        self.alpha_max = float(alpha_max)
        if not (math.isfinite(scale_decades) and scale_decades >= 0):
            raise ValueError(f"scale_decades must be finite and >= 0, got {scale_decades!r}.")
        self.scale_decades = float(scale_decades)

    def dim(self, s: Structure) -> int:
        """Length of z for structure s."""
        tri = s.n * (s.n + 1) // 2
        nA = s.M if self.per_task_A else 1
        per_task = s.n + 1 + (s.n if self.hessian_noise else 0)
        extra = 2 + int(self.hessian_noise) + int(self.scale_decades > 0)
        return nA * tri + s.M * per_task + extra + s.n + 1 + self._extra_dim(s.n)

    def decode(self, p: Any) -> StochasticInstance:  # type: ignore[override]
        """The instance encoded by p (module docstring).  A degenerate instance (L = 0) raises ValueError."""
        s = self.structure_of(p)
        z = np.clip(np.asarray(p, dtype=np.float64)[HEADER:], -self.box, self.box)
        k = 0

        def take(count: int) -> np.ndarray:
            nonlocal k
            out = z[k : k + count]
            k += count
            return out

        M, n = s.M, s.n
        iu = np.triu_indices(n)

        def sym(v: np.ndarray) -> np.ndarray:
            U = np.zeros((n, n))
            U[iu] = v
            return (U + U.T) / 2

        A = np.stack([sym(take(n * (n + 1) // 2)) for _ in range(M if self.per_task_A else 1)])
        if not self.per_task_A:
            A = np.broadcast_to(A, (M, n, n)).copy()
        b, logit, V = np.empty((M, n)), np.empty(M), np.zeros((M, n))
        for i in range(M):
            b[i] = take(n)
            logit[i] = take(1)[0]
            if self.hessian_noise:
                V[i] = take(n)
        zc = float(take(1)[0])
        c = zc if self.nonlinear else 0.0
        sg = abs(float(take(1)[0]))
        sH = abs(float(take(1)[0])) if self.hessian_noise else 0.0
        if self.scale_decades > 0:
            A = A * 10 ** (-self.scale_decades * _sig(float(take(1)[0])))
        S = None
        if self.hessian_noise:
            S = np.zeros((M, n, n))
            for i in range(M):
                v = V[i] if np.linalg.norm(V[i]) > 0 else np.eye(n)[0]
                S[i] = np.outer(v, v) / float(v @ v)
        w = take(n).copy()
        za = float(take(1)[0])
        extra = {name: take(n if v == "n" else int(v)).copy() for name, v in self.extras.items()}
        pr = np.exp(logit - logit.max())
        t = StochasticTasks(A, b, pr / pr.sum(), c=c, sg=sg, sH=sH, S=S)
        L = t.constants().L
        if not L > 0:
            raise ValueError("degenerate instance: L = 0 (every task is linear); alpha = alpha_max/L is undefined.")
        return StochasticInstance(t, w, self.alpha_max * _sig(za) / L, extra, s)

    def instance_dict(self, p: Any) -> dict:
        """A decoded instance as plain lists (the encoding replays it)."""
        inst = self.decode(p)
        t = inst.tasks
        return {
            "family": "StochasticTasks",
            "structure": {"M": t.M, "n": t.n},
            "A": t.A.tolist(),
            "b": t.b.tolist(),
            "p": t.p.tolist(),
            "c": t.c,
            "sg": t.sg,
            "sH": t.sH,
            "S": t.S.tolist(),
            "w": inst.w.tolist(),
            "alpha": inst.alpha,
            "alpha_times_L": inst.alpha * t.constants().L,
            "extra": {k: v.tolist() for k, v in inst.extra.items()},
            "constants": t.constants()._asdict(),
            "encoding": np.asarray(p, dtype=np.float64).tolist(),
        }


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
