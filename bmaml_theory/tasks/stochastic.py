r"""A stochastic task family for the statements of Fallah, Mokhtari & Ozdaglar (MAML convergence).

Tasks :math:`i=1..M` are drawn with probabilities :math:`p_i`.  A data point of task i is
:math:`\theta=(\eta,\xi)`, :math:`\eta\sim N(0,s_H^2)`, :math:`\xi\sim N(0,\frac{s_g^2}{n}I_n)`, and its loss is

.. math::  f_i(w,\theta)=\tfrac12w^\top(A_i+\eta S_i)w+(b_i+\xi)^\top w+c\,\psi(w),\qquad
           \psi(w)=\sum_k\log\cosh w_k,

with :math:`A_i` symmetric, :math:`S_i` symmetric of spectral norm 1 and :math:`c` of either sign (c < 0 with
:math:`\lambda_{\min}(A_i)>0` gives losses that are non-convex near 0, where :math:`\nabla^2f_i(0)=A_i+cI`, yet
bounded below and quadratically growing: :math:`|c\,\psi(w)|\le|c|\,\|w\|_1`).  The task loss is
:math:`f_i(w)=\mathbb E_\theta f_i(w,\theta)=\frac12w^\top A_iw+b_i^\top w+c\,\psi(w)`, with
:math:`\nabla f_i=A_iw+b_i+c\tanh w` and :math:`\nabla^2f_i=A_i+c\,\mathrm{diag}(\mathrm{sech}^2w)`.

**Why this family.**  The one-step MAML objective :math:`F(w)=\sum_ip_if_i(w-\alpha\nabla f_i(w))` and
:math:`\nabla F(w)=\sum_ip_i(I-\alpha\nabla^2f_i(w))\nabla f_i(w-\alpha\nabla f_i(w))` are exact closed forms (no
expectation over data is left inside), and every constant of the note's Assumptions 2-5 is known exactly:

* :math:`L=\max_i\max(\lambda_{\max}(A_i)+c^+,\,-(\lambda_{\min}(A_i)-c^-))`, :math:`c^\pm=\max(\pm c,0)` (the sup
  of :math:`\|\nabla^2f_i\|` over :math:`\nabla^2f_i=A_i+cD`, :math:`D=\mathrm{diag}(\mathrm{sech}^2w)\in(0,I]`:
  :math:`A_i+cD` lies between :math:`A_i+\min(c,0)I` and :math:`A_i+\max(c,0)I`; the bound with :math:`D=I` is
  attained at w = 0, the one with :math:`D\to0` approached as :math:`|w_k|\to\infty`);
* :math:`\rho=\frac{4|c|}{3\sqrt3}` (the sup of :math:`|\psi'''|=|2\,\mathrm{sech}^2\tanh|`, approached along one
  axis: :math:`\|\nabla^2f_i(w)-\nabla^2f_i(u)\|=|c|\max_k|\mathrm{sech}^2w_k-\mathrm{sech}^2u_k|`);
  with c = 0 the family is quadratic, :math:`\rho=0`, and any :math:`\rho\ge0` is a valid Lipschitz constant, so
  the statements can be exercised at any declared rho;
* :math:`\sigma_H=s_H` (:math:`\mathbb E\|\eta S_i\|^2=s_H^2`);
* :math:`\tilde\sigma^2(w)=\max_i(s_g^2+s_H^2\|S_iw\|^2)`: uniform in w (:math:`\tilde\sigma=s_g`, Assumption 5
  globally) iff :math:`s_H=0`; over the ball :math:`\|w\|\le R` the exact sup is :math:`s_g^2+s_H^2R^2`;
* :math:`\sigma^2(w)=\sum_ip_i\|(A_i-\bar A)w+b_i-\bar b\|^2` (the c-term is shared and cancels): uniform
  (:math:`\sigma^2=\sum_ip_i\|b_i-\bar b\|^2`, Assumption 4 globally) iff all :math:`A_i` are equal; otherwise
  :meth:`StochasticTasks.sigma_on_ball` is a certified upper bound on the ball.

The family exercises the statements where they bite: the random Hessian :math:`\eta S_i` makes
:math:`\hat F\ne F` (the gap's second term :math:`\alpha^2L\sigma_H\tilde\sigma/D` is attained when
:math:`S_iA_iS_iw=LS_iw`), the nonlinearity c makes the inner-step bias :math:`e_{i,k}` non-zero (it is exactly 0
for c = 0 because :math:`\nabla f_i` is affine), and the task spread :math:`b_i` sets sigma, so the batch-size
conditions and the stochastic step :math:`1/\tilde L(w)` depend on all three.

**Data sets.**  The per-sample gradient and Hessian are affine in :math:`\theta`, so every batch quantity of a data
set D of size |D| is a function of its means :math:`\bar\eta\sim N(0,s_H^2/|D|)`,
:math:`\bar\xi\sim N(0,\frac{s_g^2}{n|D|}I)`: :class:`Batch` holds exactly these sufficient statistics, which is
how :meth:`StochasticTasks.sample_batch` draws a data set (same law as averaging |D| samples, O(n) cost).
The note's D_in, D_o, D_h (and D_beta of the step size) are independent draws.

>>> import numpy as np
>>> t = StochasticTasks(np.stack([np.eye(2), np.eye(2)]), [[1.0, 0.0], [-1.0, 0.0]], sg=0.5)
>>> k = t.constants(); (k.L, k.rho, k.sigma, k.sigma_tilde, k.sigma_H)
(1.0, 0.0, 1.0, 0.5, 0.0)
>>> np.round(t.grad_F(np.array([1.0, 2.0]), alpha=0.5), 12).tolist()
[0.25, 0.5]
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy import integrate, stats

from bmaml_theory._validation import check_int, check_positive, finite_scalar, real_array

__all__ = [
    "PSI3_MAX",
    "Batch",
    "FallahConstants",
    "MCEstimate",
    "StochasticTasks",
    "batch_sizes",
    "mc_mean",
    "step_constant",
]

PSI3_MAX = 4.0 / (3.0 * math.sqrt(3.0))  # sup |d^3/dw^3 log cosh w| = sup |2 sech^2 tanh|, at tanh = 1/sqrt 3

# Bounds that keep a call tractable (the oracles are Python loops over tasks, about 1e5 draws per second): a batch of
# tasks B, the outer steps of `run`, their product with the batch sizes (draws per run), Monte Carlo samples, and a
# data-set size (a count; 2**53 keeps it exact in float64, where its square root is taken).
MAX_BATCH = 10**6
MAX_STEPS = 10**6
MAX_DRAWS = 10**7
MAX_SAMPLES = 10**7
MAX_DATA = 2**53


class FallahConstants(NamedTuple):
    """Constants of the note's Assumptions 2-5: L, rho, sigma (task spread), sigma_tilde, sigma_H (data noise).

    ``inf`` where the assumption holds on no uniform constant over all of R^n (see the module docstring; the
    ``*_on_ball`` methods give the constants over a ball)."""

    L: float
    rho: float
    sigma: float
    sigma_tilde: float
    sigma_H: float  # noqa: N815 (the note's symbol)


class Batch(NamedTuple):
    r"""A data set of task i, by its sufficient statistics: size D, :math:`\bar\eta` (scalar), :math:`\bar\xi` (n,)."""

    i: int
    D: int
    eta: float
    xi: np.ndarray


class MCEstimate(NamedTuple):
    r"""A Monte Carlo mean with a normal-approximation confidence interval: ``mean +- half_width`` (per entry)."""

    mean: Any
    half_width: Any
    stderr: Any
    samples: int
    level: float

    @property
    def low(self) -> Any:
        return self.mean - self.half_width

    @property
    def high(self) -> Any:
        return self.mean + self.half_width

    def contains(self, value: Any) -> bool:
        """Whether every entry of ``value`` lies inside the interval."""
        return bool(np.all(np.abs(np.asarray(value) - self.mean) <= self.half_width))


def mc_mean(samples: Any, level: float = 0.99, *, student: bool = False) -> MCEstimate:
    r"""Mean of i.i.d. draws (axis 0) with the CI :math:`\bar X\pm q\,s/\sqrt N`: :math:`q=z_{(1+\text{level})/2}`
    (CLT) or, with ``student``, :math:`q=t_{N-1,(1+\text{level})/2}` (Student's t with N - 1 degrees of freedom: the
    interval for a small number of runs, e.g. :math:`t_{23}` for 24 runs)."""
    X = np.asarray(samples)
    if X.dtype.kind not in "fiu":  # complex, bool, objects, strings: the validation's TypeError naming samples
        X = np.asarray(real_array(samples, "samples", allow_empty=True))
    X = X.astype(np.float64)
    if X.ndim < 1 or X.shape[0] < 2:
        raise ValueError(f"samples must hold at least 2 draws along axis 0, got shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise FloatingPointError("non-finite Monte Carlo draw; check the instance (a mean is never taken over NaN).")
    level = finite_scalar(level, "level")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1) (e.g. 0.99), got {level}.")
    N = X.shape[0]
    se = X.std(axis=0, ddof=1) / math.sqrt(N)
    q = stats.t.ppf((1 + level) / 2, N - 1) if student else stats.norm.ppf((1 + level) / 2)
    return MCEstimate(X.mean(axis=0), float(q) * se, se, N, level)


def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}.")


def _size(v: Any, name: str, hi: int = MAX_DATA) -> int:
    """A batch or data-set size: an int in [1, hi] (bool and float refused)."""
    return check_int(v, name, lo=1, hi=hi)


def _rho_arg(rho: Any) -> float:
    """A declared Lipschitz constant of the Hessians: finite and >= 0."""
    rho = finite_scalar(rho, "rho")
    if rho < 0:
        raise ValueError(f"rho (a Lipschitz constant of the Hessians) must be >= 0, got {rho}.")
    return rho


def _alpha(alpha: Any) -> float:
    return check_positive(alpha, "alpha")


def _check_fallah_constants(c: Any) -> FallahConstants:
    if not isinstance(c, FallahConstants):
        raise TypeError(f"c must be a FallahConstants (e.g. tasks.constants()), got {type(c).__name__}.")
    vals = {}
    for f in FallahConstants._fields:
        v = getattr(c, f)
        if isinstance(v, float) and v == math.inf and f != "L":
            vals[f] = v
            continue
        vals[f] = finite_scalar(v, f"c.{f}")
        if vals[f] < 0:
            raise ValueError(f"c.{f} must be >= 0, got {vals[f]}.")
    if vals["L"] <= 0:
        raise ValueError(
            f"c.L must be > 0 (the note's smoothness constant divides rho*alpha in every condition), got {vals['L']}; "
            "a family with L = 0 has constant gradients and needs no batch-size condition."
        )
    return FallahConstants(**vals)


def batch_sizes(method: str, alpha: float, c: FallahConstants) -> dict[str, int]:
    r"""The note's batch-size conditions, as the smallest admissible integers.

    Step-size lemma: :math:`B'\ge\lceil\frac12(\rho\alpha\sigma/L)^2\rceil`, :math:`D_\beta\ge\lceil(2\rho\alpha\tilde\sigma/L)^2\rceil`;
    MAML and FO-MAML theorems: :math:`D_h\ge\lceil2\alpha^2\sigma_H^2\rceil`, :math:`B\ge20`; the third theorem
    (HF-MAML): :math:`D_h\ge\lceil36(\alpha\rho\sigma_H)^2\rceil`, :math:`B\ge20`.  Every size is at least 1.
    """
    if not isinstance(method, str) or method not in ("maml", "fo_maml", "hf_maml"):
        raise ValueError(f"method must be 'maml', 'fo_maml' or 'hf_maml', got {method!r:.60}.")
    alpha = check_positive(alpha, "alpha")
    c = _check_fallah_constants(c)
    ra = c.rho * alpha / c.L
    Dh = 2 * alpha**2 * c.sigma_H**2 if method != "hf_maml" else 36 * (alpha * c.rho * c.sigma_H) ** 2
    vals = {"B_prime": 0.5 * (ra * c.sigma) ** 2, "D_beta": (2 * ra * c.sigma_tilde) ** 2, "D_h": Dh, "B": 20}
    for k, v in vals.items():
        if not math.isfinite(v):
            raise ValueError(
                f"the condition on {k} is infinite (a constant is inf): restrict to a ball (the *_on_ball constants)."
            )
    return {k: max(1, math.ceil(v)) for k, v in vals.items()}


def step_constant(method: str) -> float:
    r"""The note's step :math:`\beta_k=1/(C\tilde L(w_k))`: C = 12 (MAML), 18 (FO-MAML), 25 (HF-MAML)."""
    table = {"maml": 12.0, "fo_maml": 18.0, "hf_maml": 25.0}
    if not isinstance(method, str) or method not in table:
        raise ValueError(f"method must be one of {sorted(table)}, got {method!r}.")
    return table[method]


class StochasticTasks:
    r"""Tasks drawn with probabilities p, each with noisy quadratic-plus-log-cosh losses (module docstring).

    Parameters
    ----------
    A, b : ``(M, n, n)``, ``(M, n)``
        Mean Hessians (symmetric, any sign) and linear terms.
    p : ``(M,)``, optional
        Task probabilities (uniform by default).
    c : float
        Weight (either sign) of the shared nonlinearity :math:`\psi(w)=\sum_k\log\cosh w_k`.
    sg, sH : float
        Gradient and Hessian noise levels (>= 0): :math:`\mathbb E\|\xi\|^2=s_g^2`, :math:`\eta\sim N(0,s_H^2)`.
    S : ``(M, n, n)``, optional
        Directions of the Hessian noise, symmetric with spectral norm 1 (default :math:`e_1e_1^\top`).
    """

    def __init__(
        self,
        A: Any,
        b: Any,
        p: Any = None,
        *,
        c: float = 0.0,
        sg: float = 0.0,
        sH: float = 0.0,
        S: Any = None,
    ) -> None:
        A = np.asarray(real_array(A, "A", ndim=(2, 3)))
        A = A[None] if A.ndim == 2 else A
        if A.ndim != 3 or A.shape[1] != A.shape[2] or A.shape[0] < 1:
            raise ValueError(f"A must have shape (M, n, n), got {A.shape}.")
        if np.max(np.abs(A - A.swapaxes(1, 2))) > 1e-12 * max(1.0, np.abs(A).max()):
            raise ValueError("A must be symmetric (a Hessian): pass (A + A^T)/2.")
        self.A = A / 2 + A.swapaxes(1, 2) / 2  # no overflow of the sum near the float64 maximum
        self.M, self.n = int(A.shape[0]), int(A.shape[1])
        b = np.asarray(real_array(b, "b", ndim=(1, 2)))
        b = b[None] if b.ndim == 1 else b
        if b.shape != (self.M, self.n):
            raise ValueError(f"b must have shape ({self.M}, {self.n}) (one linear term per task), got {b.shape}.")
        self.b = b
        if p is None:
            p = np.full(self.M, 1.0 / self.M)
        p = np.asarray(real_array(p, "p", ndim=1))
        if p.shape != (self.M,) or np.any(p < 0) or abs(p.sum() - 1) > 1e-12:
            raise ValueError(f"p must be {self.M} non-negative probabilities summing to 1, got {p!r}.")
        self.p = p / p.sum()
        self.c = finite_scalar(c, "c")
        self.sg = finite_scalar(sg, "sg")
        self.sH = finite_scalar(sH, "sH")
        for name, v in (("sg", self.sg), ("sH", self.sH)):
            if v < 0:
                raise ValueError(f"{name} must be >= 0, got {v}.")
        if S is None:
            S = np.zeros((self.M, self.n, self.n))
            S[:, 0, 0] = 1.0
        S = np.asarray(real_array(S, "S", ndim=(2, 3)))
        S = S[None] if S.ndim == 2 else S
        if S.shape != (self.M, self.n, self.n):
            raise ValueError(f"S must have shape ({self.M}, {self.n}, {self.n}), got {S.shape}.")
        if np.max(np.abs(S - S.swapaxes(1, 2))) > 1e-12:
            raise ValueError("S must be symmetric (a Hessian perturbation).")
        nrm = np.abs(np.linalg.eigvalsh(S)).max(axis=1)
        if np.any(np.abs(nrm - 1) > 1e-12):
            raise ValueError(
                f"every S_i must have spectral norm 1 (so sigma_H = sH exactly); got norms {nrm.tolist()}."
            )
        self.S = S
        with np.errstate(over="ignore", invalid="ignore"):
            ev = np.linalg.eigvalsh(self.A)
            self._L_task = np.maximum(ev[:, -1] + max(self.c, 0.0), -(ev[:, 0] + min(self.c, 0.0)))
        if not np.all(np.isfinite(self._L_task)):
            raise ValueError(
                "the smoothness constant L of A (+ c) overflows float64; rescale A, b and c by a common factor."
            )

    # ------------------------------------------------------------------ constants
    def constants(self) -> FallahConstants:
        """Exact constants of the note's Assumptions 2-5 over all of R^n (inf where none is uniform)."""
        shared_A = bool(np.all(self.A[:1] == self.A))
        db = self.b - self.p @ self.b
        return FallahConstants(
            L=float(self._L_task.max()),
            rho=abs(self.c) * PSI3_MAX,
            sigma=float(np.sqrt(self.p @ np.sum(db**2, axis=1))) if shared_A else math.inf,
            sigma_tilde=self.sg if self.sH == 0 else math.inf,
            sigma_H=self.sH,
        )

    def sigma_at(self, w: Any) -> float:
        r""":math:`\sigma(w)=(\sum_ip_i\|\nabla f_i(w)-\nabla f(w)\|^2)^{1/2}`, exact at w."""
        g = self.task_grad(self._w(w))
        return float(np.sqrt(self.p @ np.sum((g - self.p @ g) ** 2, axis=1)))

    def sigma_tilde_at(self, w: Any) -> float:
        r""":math:`\tilde\sigma(w)=\max_i(s_g^2+s_H^2\|S_iw\|^2)^{1/2}`, exact at w."""
        Sw = self.S @ self._w(w)
        return float(np.sqrt(self.sg**2 + self.sH**2 * np.max(np.sum(Sw**2, axis=1))))

    def sigma_on_ball(self, R: float) -> float:
        r"""Certified upper bound on :math:`\sup_{\|w\|\le R}\sigma(w)`: :math:`\sqrt{\lambda_{\max}(P)}R+\sqrt r` with
        :math:`P=\sum_ip_i(A_i-\bar A)^2`, :math:`r=\sum_ip_i\|b_i-\bar b\|^2` (Minkowski); exact when the A_i are equal."""
        R = self._radius(R)
        dA = self.A - np.einsum("i,ijk->jk", self.p, self.A)
        P = np.einsum("i,ijk,ikl->jl", self.p, dA, dA)
        r = float(self.p @ np.sum((self.b - self.p @ self.b) ** 2, axis=1))
        return float(math.sqrt(max(np.linalg.eigvalsh(P)[-1], 0.0)) * R + math.sqrt(r))

    def sigma_tilde_on_ball(self, R: float) -> float:
        r""":math:`\sup_{\|w\|\le R}\tilde\sigma(w)=\sqrt{s_g^2+s_H^2R^2}` (exact: :math:`\|S_i\|=1` is attained)."""
        R = self._radius(R)
        return math.sqrt(self.sg**2 + self.sH**2 * R**2)

    @staticmethod
    def _radius(R: float) -> float:
        R = finite_scalar(R, "R")
        if R < 0:
            raise ValueError(f"R (a ball radius) must be >= 0, got {R}.")
        return R

    def _w(self, w: Any, name: str = "w", per_task: bool = False) -> np.ndarray:
        """``w`` as a finite real (n,) vector (or (M, n) per-task points with ``per_task``); errors name it."""
        w = np.asarray(real_array(w, name, ndim=(1, 2) if per_task else 1))
        if w.shape != (self.n,) and not (per_task and w.shape == (self.M, self.n)):
            shapes = f"({self.n},)" + (f" or ({self.M}, {self.n})" if per_task else "")
            raise ValueError(f"{name} must have shape {shapes}, got {w.shape}.")
        return w

    def _i(self, i: Any) -> int:
        """A task index: an int in [0, M) (floats and bools refused, never truncated)."""
        return check_int(i, "i", lo=0, hi=self.M - 1)

    @staticmethod
    def _finite(x: Any, what: str, **args: Any) -> Any:
        """``x`` if finite, else ``FloatingPointError`` naming the result and the arguments to lower."""
        if np.all(np.isfinite(x)):
            return x
        given = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in args.items())
        raise FloatingPointError(
            f"{what} overflowed float64 (a non-finite result) at {given}: lower "
            + " or ".join(args)
            + " (or rescale the family's data)."
        )

    @staticmethod
    def _wnorm(w: np.ndarray) -> float:
        return float(np.max(np.abs(w))) if w.size else 0.0

    # ------------------------------------------------------------------ exact task losses and F
    def loss(self, w: Any) -> np.ndarray:
        r""":math:`f_i(w)` for every task at one w (n,) or at per-task points (M, n), shape (M,)."""
        w = self._w(w, per_task=True)
        return self._finite(self._loss_raw(w), "f_i(w)", w=self._wnorm(w))

    def _loss_raw(self, w: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            psi = np.sum(np.logaddexp(w, -w) - math.log(2.0), axis=-1)
            return 0.5 * np.einsum("...j,...jk,...k->...", w, self.A, w) + np.sum(self.b * w, -1) + self.c * psi

    def hess(self, w: Any) -> np.ndarray:
        r""":math:`\nabla^2f_i(w)=A_i+c\,\mathrm{diag}(\mathrm{sech}^2w)`; shape (M, n, n)."""
        w = self._w(w, per_task=True)
        with np.errstate(over="ignore"):
            d = 1.0 / np.cosh(w) ** 2  # cosh overflows to inf for |w| > 710: sech^2 = 0 there, exactly the limit
        D = np.einsum("...k,kl->...kl", d, np.eye(self.n))
        return self.A + self.c * D

    def F(self, w: Any, alpha: float) -> float:
        r"""One-step MAML objective :math:`F(w)=\sum_ip_if_i(w-\alpha\nabla f_i(w))` (exact)."""
        w, alpha = self._w(w), _alpha(alpha)
        with np.errstate(over="ignore", invalid="ignore"):
            u = w - alpha * self._task_grad_raw(w)
        self._finite(u, "the inner step w - alpha grad f_i(w)", alpha=alpha, w=self._wnorm(w))
        with np.errstate(over="ignore", invalid="ignore"):
            val = self.p @ self._loss_raw(u)
        return float(self._finite(val, "F(w)", alpha=alpha, w=self._wnorm(w)))

    def task_grad(self, w: Any) -> np.ndarray:
        r""":math:`\nabla f_i(w)=A_iw+b_i+c\tanh w` for every task at one w (n,) or at per-task points (M, n): (M, n)."""
        w = self._w(w, per_task=True)
        return self._finite(self._task_grad_raw(w), "grad f_i(w)", w=self._wnorm(w))

    def _task_grad_raw(self, w: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            Aw = np.einsum("ijk,k->ij", self.A, w) if w.ndim == 1 else np.einsum("ijk,ik->ij", self.A, w)
            return Aw + self.b + self.c * np.tanh(w)

    def grad_F(self, w: Any, alpha: float, per_task: bool = False) -> np.ndarray:
        r""":math:`\nabla F(w)=\sum_ip_i(I-\alpha\nabla^2f_i(w))\nabla f_i(w-\alpha\nabla f_i(w))` (exact)."""
        w, alpha = self._w(w), _alpha(alpha)
        if not isinstance(per_task, (bool, np.bool_)):
            raise TypeError(f"per_task must be True or False, got {type(per_task).__name__}.")
        with np.errstate(over="ignore", invalid="ignore"):
            u = w - alpha * self._task_grad_raw(w)
            self._finite(u, "the inner step w - alpha grad f_i(w)", alpha=alpha, w=self._wnorm(w))
            g = self._task_grad_raw(u)
            Gi = g - alpha * np.einsum("ijk,ik->ij", self.hess(w), g)
            out = Gi if per_task else self.p @ Gi
        return self._finite(out, "grad F(w)", alpha=alpha, w=self._wnorm(w))

    def grad_F_hat(self, w: Any, alpha: float, D: int) -> np.ndarray:
        r""":math:`\nabla\hat F(w)` for :math:`\hat F(w)=\sum_ip_i\mathbb E_{D}f_i(w-\alpha\tilde\nabla f_i(w,D))`, exact for c = 0:

        with :math:`\zeta=\bar\eta S_iw+\bar\xi`, :math:`\mathbb E f_i(u_0-\alpha\zeta)=f_i(u_0)+\frac{\alpha^2}2\mathrm{tr}(A_i\mathrm{Cov}\,\zeta)`
        and :math:`\mathrm{Cov}\,\zeta=\frac{s_H^2}{D}S_iww^\top S_i+\frac{s_g^2}{nD}I`, so
        :math:`\nabla\hat F=\nabla F+\alpha^2\frac{s_H^2}{D}\sum_ip_iS_iA_iS_iw`."""
        if self.c != 0:
            raise ValueError(
                "grad_F_hat is exact only for c = 0 (quadratic tasks); use c = 0 or estimate it by Monte Carlo."
            )
        w, alpha, D = self._w(w), _alpha(alpha), _size(D, "D")
        SAS = np.einsum("ijk,ikl,ilm->ijm", self.S, self.A, self.S)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.grad_F(w, alpha) + alpha**2 * self.sH**2 / D * (self.p @ (SAS @ w))
        return self._finite(out, "grad F_hat(w)", alpha=alpha, w=self._wnorm(w))

    # ------------------------------------------------------------------ data sets and stochastic oracles
    def sample_tasks(self, B: int, rng: Any) -> np.ndarray:
        """B task indices drawn i.i.d. from p (with replacement, as the note's batch of tasks)."""
        return _rng(rng).choice(self.M, size=_size(B, "B", MAX_BATCH), p=self.p)

    def sample_batch(self, i: int, D: int, rng: Any) -> Batch:
        r"""A data set of size D of task i: :math:`\bar\eta\sim N(0,s_H^2/D)`, :math:`\bar\xi\sim N(0,\frac{s_g^2}{nD}I)`."""
        i, D, g = self._i(i), _size(D, "D"), _rng(rng)
        return Batch(
            i,
            D,
            float(g.normal(0.0, self.sH / math.sqrt(D))),
            g.normal(0.0, self.sg / math.sqrt(self.n * D), self.n),
        )

    def batch_grad(self, w: Any, batch: Batch) -> np.ndarray:
        r""":math:`\tilde\nabla f_i(w,D)=(A_i+\bar\eta S_i)w+b_i+\bar\xi+c\tanh w`."""
        w, i = self._w(w), self._batch(batch).i
        with np.errstate(over="ignore", invalid="ignore"):
            out = (self.A[i] + batch.eta * self.S[i]) @ w + self.b[i] + batch.xi + self.c * np.tanh(w)
        return self._finite(out, "the batch gradient", w=self._wnorm(w))

    def batch_hess(self, w: Any, batch: Batch) -> np.ndarray:
        r""":math:`\tilde\nabla^2f_i(w,D)=A_i+\bar\eta S_i+c\,\mathrm{diag}(\mathrm{sech}^2w)`."""
        w, i = self._w(w), self._batch(batch).i
        with np.errstate(over="ignore"):
            return self.A[i] + batch.eta * self.S[i] + self.c * np.diag(1.0 / np.cosh(w) ** 2)

    def _batch(self, batch: Any) -> Batch:
        if not isinstance(batch, Batch):
            raise TypeError(f"batch must be a Batch (from sample_batch), got {type(batch).__name__}.")
        self._i(batch.i)
        if batch.xi.shape != (self.n,):
            raise ValueError(f"batch.xi must have shape ({self.n},), got {batch.xi.shape}.")
        return batch

    def _inner(self, w: np.ndarray, i: int, alpha: float, D_in: int, D_o: int, g: np.random.Generator):
        D_in, D_o = _size(D_in, "D_in"), _size(D_o, "D_o")
        b_in, b_o = self.sample_batch(i, D_in, g), self.sample_batch(i, D_o, g)
        w1 = w - alpha * self.batch_grad(w, b_in)
        return w1, self.batch_grad(w1, b_o)

    def maml_gradient(self, w: Any, alpha: float, *, B: int, D_in: int, D_o: int, D_h: int, rng: Any) -> np.ndarray:
        r"""MAML's stochastic gradient (the note's update):
        :math:`\frac1B\sum_{i\in\mathcal B}(I-\alpha\tilde\nabla^2f_i(w,D_h^i))\tilde\nabla f_i(w-\alpha\tilde\nabla f_i(w,D_{in}^i),D_o^i)`."""
        w, alpha, g = self._w(w), _alpha(alpha), _rng(rng)
        D_h = _size(D_h, "D_h")
        B = _size(B, "B", MAX_BATCH)
        _size(D_in, "D_in"), _size(D_o, "D_o")
        out = np.zeros(self.n)
        with np.errstate(over="ignore", invalid="ignore"):
            for i in self.sample_tasks(B, g):
                _, v = self._inner(w, i, alpha, D_in, D_o, g)
                out += v - alpha * self.batch_hess(w, self.sample_batch(i, D_h, g)) @ v
        return self._finite(out / B, "MAML's stochastic gradient", alpha=alpha, w=self._wnorm(w))

    def fo_maml_gradient(self, w: Any, alpha: float, *, B: int, D_in: int, D_o: int, rng: Any) -> np.ndarray:
        r"""FO-MAML: :math:`\frac1B\sum_{i\in\mathcal B}\tilde\nabla f_i(w-\alpha\tilde\nabla f_i(w,D_{in}^i),D_o^i)`."""
        w, alpha, g = self._w(w), _alpha(alpha), _rng(rng)
        B = _size(B, "B", MAX_BATCH)
        _size(D_in, "D_in"), _size(D_o, "D_o")
        out = np.zeros(self.n)
        with np.errstate(over="ignore", invalid="ignore"):
            for i in self.sample_tasks(B, g):
                out += self._inner(w, i, alpha, D_in, D_o, g)[1]
        return self._finite(out / B, "FO-MAML's stochastic gradient", alpha=alpha, w=self._wnorm(w))

    def hf_maml_gradient(
        self,
        w: Any,
        alpha: float,
        *,
        B: int,
        D_in: int,
        D_o: int,
        D_h: int,
        rng: Any,
        delta: float | None = None,
        rho: float | None = None,
    ) -> np.ndarray:
        r"""HF-MAML: :math:`\frac1B\sum_i[v_i-\alpha d_i]`, :math:`v_i=\tilde\nabla f_i(w_{k+1}^i,D_o^i)`,
        :math:`d_i=(\tilde\nabla f_i(w+\delta_iv_i,D_h^i)-\tilde\nabla f_i(w-\delta_iv_i,D_h^i))/(2\delta_i)`.

        ``delta=None`` takes the note's :math:`\delta_i=1/(6\rho\alpha\|v_i\|)` with ``rho`` (default the
        family's :math:`\rho`; it must be > 0).  (The note prints ":math:`-f_i(\dots)`" in :math:`d_i`; the
        evident intended term, used here, is :math:`\tilde\nabla f_i`.)"""
        w, alpha, g = self._w(w), _alpha(alpha), _rng(rng)
        D_h = _size(D_h, "D_h")
        B = _size(B, "B", MAX_BATCH)
        _size(D_in, "D_in"), _size(D_o, "D_o")
        if delta is not None:
            delta = check_positive(delta, "delta")
        else:
            rho = self.constants().rho if rho is None else check_positive(rho, "rho")
            if rho <= 0:
                raise ValueError("delta=None needs rho > 0 (delta = 1/(6 rho alpha ||v||)); pass rho or delta.")
        out = np.zeros(self.n)
        for i in self.sample_tasks(B, g):
            _, v = self._inner(w, i, alpha, D_in, D_o, g)
            bh = self.sample_batch(i, D_h, g)
            nv = float(np.linalg.norm(v))
            if nv == 0.0:
                out += v
                continue
            dl = delta if delta is not None else 1.0 / (6 * rho * alpha * nv)
            d = (self.batch_grad(w + dl * v, bh) - self.batch_grad(w - dl * v, bh)) / (2 * dl)
            out += v - alpha * d
        return self._finite(out / B, "HF-MAML's stochastic gradient", alpha=alpha, w=self._wnorm(w))

    # ------------------------------------------------------------------ the note's lemmas
    def L_of_w(self, w: Any, alpha: float, rho: float | None = None) -> float:
        r""":math:`L(w)=4L+2\rho\alpha\,\mathbb E_i\|\nabla f_i(w)\|` (the note's Corollary), exact."""
        w, alpha = self._w(w), _alpha(alpha)
        c = self.constants()
        rho = c.rho if rho is None else _rho_arg(rho)
        with np.errstate(over="ignore", invalid="ignore"):
            out = 4 * c.L + 2 * rho * alpha * float(self.p @ np.linalg.norm(self.task_grad(w), axis=1))
        return float(self._finite(out, "L(w)", alpha=alpha, rho=rho, w=self._wnorm(w)))

    def L_tilde(self, w: Any, alpha: float, *, B_prime: int, D_beta: int, rng: Any, rho: float | None = None) -> float:
        r"""One draw of :math:`\tilde L(w)=4L+2\rho\alpha\frac1{B'}\sum_{j\in\mathcal B'}\|\tilde\nabla f_j(w,D_\beta^j)\|`
        (the note's stochastic step is :math:`\beta_k=1/(C\tilde L(w_k))`, :func:`step_constant`)."""
        w, alpha, g = self._w(w), _alpha(alpha), _rng(rng)
        c = self.constants()
        rho = c.rho if rho is None else _rho_arg(rho)
        J = self.sample_tasks(_size(B_prime, "B_prime", MAX_BATCH), g)
        D_beta = _size(D_beta, "D_beta")
        with np.errstate(over="ignore", invalid="ignore"):
            norms = [np.linalg.norm(self.batch_grad(w, self.sample_batch(int(j), D_beta, g))) for j in J]
            out = 4 * c.L + 2 * rho * alpha * float(np.mean(norms))
        return float(self._finite(out, "L_tilde(w)", alpha=alpha, rho=rho, w=self._wnorm(w)))

    def run(
        self,
        method: str,
        w0: Any,
        alpha: float,
        *,
        steps: int,
        B: int,
        D_in: int,
        D_o: int,
        D_h: int,
        B_prime: int,
        D_beta: int,
        rng: Any,
        rho: float | None = None,
        delta: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""The note's algorithm: :math:`w_{k+1}=w_k-\beta_kg_k`, :math:`\beta_k=1/(C\tilde L(w_k))` (C of
        :func:`step_constant`), :math:`g_k` the method's stochastic gradient; returns the iterates (steps+1, n)
        and :math:`\|\nabla F(w_k)\|` (exact) along them.  ``method``: "maml", "fo_maml" or "hf_maml"."""
        C = step_constant(method)
        w, alpha, g = self._w(w0, "w0").copy(), _alpha(alpha), _rng(rng)
        K = _size(steps, "steps", MAX_STEPS)
        B, B_prime = _size(B, "B", MAX_BATCH), _size(B_prime, "B_prime", MAX_BATCH)
        for name, v in (("D_in", D_in), ("D_o", D_o), ("D_h", D_h), ("D_beta", D_beta)):
            _size(v, name)
        if K * (B + B_prime) > MAX_DRAWS:
            raise ValueError(
                f"steps * (B + B_prime) = {K * (B + B_prime):.3g} task draws exceeds {MAX_DRAWS:.0e} (hours of Python "
                "loops); lower steps or the batch sizes."
            )
        if rho is not None:
            rho = _rho_arg(rho)
        if self.constants().L == 0:
            raise ValueError(
                "the family has L = 0 (A = 0 and c = 0: constant gradients), so the note's step 1/(C L~(w)) with "
                "L~ = 4L + 2 rho alpha ||grad|| can be infinite; give the tasks curvature (A != 0 or c != 0)."
            )
        W = [w.copy()]
        for _ in range(K):
            beta = 1.0 / (C * self.L_tilde(w, alpha, B_prime=B_prime, D_beta=D_beta, rng=g, rho=rho))
            if method == "maml":
                d = self.maml_gradient(w, alpha, B=B, D_in=D_in, D_o=D_o, D_h=D_h, rng=g)
            elif method == "fo_maml":
                d = self.fo_maml_gradient(w, alpha, B=B, D_in=D_in, D_o=D_o, rng=g)
            else:
                d = self.hf_maml_gradient(w, alpha, B=B, D_in=D_in, D_o=D_o, D_h=D_h, rng=g, delta=delta, rho=rho)
            with np.errstate(over="ignore", invalid="ignore"):
                w = w - beta * d
            if not np.all(np.isfinite(w)):
                raise FloatingPointError(
                    f"{method} diverged (non-finite iterate); lower alpha={alpha:.3g} or raise the batch sizes."
                )
            W.append(w.copy())
        W = np.array(W)
        return W, np.array([np.linalg.norm(self.grad_F(x, alpha)) for x in W])

    def inv_L_tilde_moments(
        self,
        w: Any,
        alpha: float,
        *,
        B_prime: int,
        D_beta: int,
        samples: int,
        rng: Any,
        rho: float | None = None,
        level: float = 0.99,
    ) -> tuple[MCEstimate, MCEstimate]:
        r"""Monte Carlo :math:`\mathbb E[1/\tilde L(w)]` and :math:`\mathbb E[1/\tilde L(w)^2]` with CIs, where
        :math:`\tilde L(w)=4L+2\rho\alpha\frac1{B'}\sum_{j\in\mathcal B'}\|\tilde\nabla f_j(w,D_\beta^j)\|`
        (tasks j i.i.d. from p, independent data sets of size :math:`D_\beta`).  Compare with :meth:`L_of_w`:
        the note's lemma says :math:`\ge0.8/L(w)` and :math:`\le3.125/L(w)^2` under its batch-size conditions."""
        w, alpha, g = self._w(w), _alpha(alpha), _rng(rng)
        Bp, Db = _size(B_prime, "B_prime", MAX_BATCH), _size(D_beta, "D_beta")
        N = _size(samples, "samples", MAX_SAMPLES)
        if N * Bp * self.n > MAX_SAMPLES * 10:
            raise ValueError(
                f"samples * B_prime * n = {N * Bp * self.n:.3g} floats exceeds {MAX_SAMPLES * 10:.0e} (memory); lower "
                "samples or B_prime."
            )
        c = self.constants()
        rho = c.rho if rho is None else _rho_arg(rho)
        J = g.choice(self.M, size=(N, Bp), p=self.p)
        eta = g.normal(0.0, self.sH / math.sqrt(Db), (N, Bp))
        xi = g.normal(0.0, self.sg / math.sqrt(self.n * Db), (N, Bp, self.n))
        G = self.task_grad(w)[J] + eta[..., None] * (self.S @ w)[J] + xi
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            Lt = 4 * c.L + 2 * rho * alpha * np.linalg.norm(G, axis=-1).mean(axis=1)
            inv = 1.0 / Lt
        self._finite(inv, "1/L_tilde(w) (L_tilde = 0 needs L > 0 or rho > 0)", alpha=alpha, w=self._wnorm(w))
        self._finite(Lt, "L_tilde(w)", alpha=alpha, rho=rho, w=self._wnorm(w))
        return mc_mean(inv, level), mc_mean(inv**2, level)

    def inner_noise_var(self, i: int, w: Any, D: int) -> np.ndarray:
        r"""Per-coordinate variance of :math:`\zeta=\tilde\nabla f_i(w,D)-\nabla f_i(w)=\bar\eta S_iw+\bar\xi`:
        :math:`\frac{s_H^2}{D}(S_iw)_k^2+\frac{s_g^2}{nD}`."""
        i, w, D = self._i(i), self._w(w), _size(D, "D")
        with np.errstate(over="ignore", invalid="ignore"):
            out = self.sH**2 / D * (self.S[i] @ w) ** 2 + self.sg**2 / (self.n * D)
        return self._finite(out, "the inner noise variance", w=self._wnorm(w))

    def bias_e(self, i: int, w: Any, alpha: float, D_in: int) -> np.ndarray:
        r"""The note's :math:`e_{i,k}=\mathbb E[\tilde\nabla f_i(w-\alpha\tilde\nabla f_i(w,D_{in}),D_o)]-\nabla f_i(w-\alpha\nabla f_i(w))`, exact.

        :math:`D_o` is independent and unbiased and :math:`\nabla f_i` is affine but for :math:`c\tanh`, so
        :math:`e_k=c\,(\mathbb E\tanh(u_{0,k}-\alpha\zeta_k)-\tanh u_{0,k})`, :math:`u_0=w-\alpha\nabla f_i(w)`,
        :math:`\zeta_k\sim N(0,v_k)`: a one-dimensional Gaussian integral per coordinate (adaptive quadrature,
        error estimate <= 1e-10 c, else FloatingPointError).  Exactly 0 for c = 0."""
        i, w, alpha = self._i(i), self._w(w), _alpha(alpha)
        D_in = _size(D_in, "D_in")
        if self.c == 0:
            return np.zeros(self.n)
        u0 = w - alpha * self.task_grad(w)[i]
        sd = np.sqrt(self.inner_noise_var(i, w, D_in))
        e = np.zeros(self.n)
        for k in range(self.n):
            if sd[k] == 0:
                continue
            f = lambda z, a=u0[k], s=alpha * sd[k]: (np.tanh(a - s * z) - np.tanh(a)) * math.exp(-z * z / 2)  # noqa: E731
            val, err = integrate.quad(f, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
            if err > 1e-10:
                raise FloatingPointError(f"quadrature for e_(i,k) did not reach 1e-10 (error estimate {err:.2e}).")
            e[k] = self.c * val / math.sqrt(2 * math.pi)
        return e

    def bias_e_mc(
        self, i: int, w: Any, alpha: float, *, D_in: int, D_o: int, samples: int, rng: Any, level: float = 0.99
    ) -> MCEstimate:
        r"""Monte Carlo :math:`e_{i,k}` from the oracle itself: mean over draws of
        :math:`\tilde\nabla f_i(w-\alpha\tilde\nabla f_i(w,D_{in}),D_o)-\nabla f_i(w-\alpha\nabla f_i(w))`, with CIs."""
        i, w, alpha, g = self._i(i), self._w(w), _alpha(alpha), _rng(rng)
        N = _size(samples, "samples", MAX_BATCH)
        ref = self.task_grad(w - alpha * self.task_grad(w)[i])[i]
        X = np.array([self._inner(w, i, alpha, D_in, D_o, g)[1] - ref for _ in range(N)])
        return mc_mean(X, level)

    def second_moment(self, i: int, w: Any, alpha: float, D_in: int, D_o: int) -> float:
        r""":math:`\mathbb E\|\tilde\nabla f_i(w-\alpha\tilde\nabla f_i(w,D_{in}),D_o)\|^2`, exact for c = 0:
        :math:`\|A_iu_0+b_i\|^2+\alpha^2\mathrm{tr}(A_iCA_i)+\frac{s_H^2}{D_o}(\|S_iu_0\|^2+\alpha^2\mathrm{tr}(S_iCS_i))+\frac{s_g^2}{D_o}`,
        :math:`C=\mathrm{Cov}\,\zeta=\frac{s_H^2}{D_{in}}S_iww^\top S_i+\frac{s_g^2}{nD_{in}}I`."""
        if self.c != 0:
            raise ValueError("second_moment is exact only for c = 0; estimate it by Monte Carlo for c != 0.")
        i, w, alpha = self._i(i), self._w(w), _alpha(alpha)
        D_in, D_o = _size(D_in, "D_in"), _size(D_o, "D_o")
        A, S = self.A[i], self.S[i]
        with np.errstate(over="ignore", invalid="ignore"):
            u0 = w - alpha * self.task_grad(w)[i]
            Sw = S @ w
            C = self.sH**2 / D_in * np.outer(Sw, Sw) + self.sg**2 / (self.n * D_in) * np.eye(self.n)
            g0 = A @ u0 + self.b[i]
            val = (
                g0 @ g0
                + alpha**2 * np.trace(A @ C @ A)
                + self.sH**2 / D_o * (np.sum((S @ u0) ** 2) + alpha**2 * np.trace(S @ C @ S))
                + self.sg**2 / D_o
            )
        return float(self._finite(val, "the second moment", alpha=alpha, w=self._wnorm(w)))

    def __repr__(self) -> str:
        return f"StochasticTasks(M={self.M}, n={self.n}, c={self.c:g}, sg={self.sg:g}, sH={self.sH:g})"
