r"""Task families with exactly the smoothness of Assumptions 1-2 and no more (Chayti & Jaggi, Section 4.1).

Assumption 1 asks of every training objective :math:`\hat f_i`: twice differentiable, :math:`\hat L_1`-smooth,
:math:`\hat L_2`-Lipschitz Hessian (:math:`C^{2,1}`); Assumption 2 asks of every test objective :math:`f_i`:
differentiable, :math:`L_0`-Lipschitz, :math:`L_1`-smooth (:math:`C^{1,1}`).  :class:`KinkedTasks` is the logistic
family of :class:`~bmaml_theory.tasks.logistic.LogisticTasks` plus one *kink term* per task and objective:

.. math::  \hat f_i(\phi)=\text{logistic}_i(\phi)+\tfrac12\phi^\top Q_i\phi+q_i^\top\phi
           +\hat c_i\,g(\hat a_i^\top\phi-\hat b_i),\qquad
           f_i(\phi)=\text{logistic}_i(\phi)+r_i^\top\phi+c_i\,h(a_i^\top\phi-b_i),

with the profiles

* :math:`g(s)=s^2/2-|s|^3/6` on :math:`|s|\le1`, :math:`|s|/2-1/6` outside: :math:`g''(s)=\max(0,1-|s|)` is
  1-Lipschitz and bounded by 1, and :math:`g'''` jumps (by 2 at :math:`s=0`, by 1 at :math:`s=\pm1`): :math:`C^{2,1}`,
  not :math:`C^3`;
* :math:`h(s)=s^2/2` on :math:`|s|\le1`, :math:`|s|-1/2` outside (Huber): :math:`|h'|\le1`, :math:`h''=1_{|s|<1}`
  jumps at :math:`s=\pm1`: :math:`C^{1,1}`, not :math:`C^2`.

Constants (bounds, uniform over tasks): :math:`\hat L_1=\max_i\max(\lambda_{\max}(Q_i+\hat Z_i^\top\hat Z_i/(4\hat m)
+\hat c_i\hat a_i\hat a_i^\top),-\lambda_{\min}(Q_i))`; :math:`\hat L_2=` the logistic bound of
:class:`LogisticTasks` :math:`+\,\hat c_i\|\hat a_i\|^3`; :math:`L_1=\max_i\lambda_{\max}(Z_i^\top Z_i/(4m)+c_ia_ia_i^\top)`;
:math:`L_0=\max_i\max_{s,t}\|r_i-\frac1m\sum_js_jz_{ij}+tc_ia_i\|` over the vertices :math:`s\in\{0,1\}^m`,
:math:`t=\pm1` (the gradient's range lies in their convex hull); :math:`\mu=\lambda+\min_i\lambda_{\min}(Q_i)`
(both profiles are convex).  :meth:`KinkedTasks.rho` adds to :class:`LogisticTasks`' :math:`L_1/\mu` the curvature
scale :math:`\hat L_2L_0/\mu^2` and the speed at which the kink terms' arguments move,
:math:`\|\Delta s\|\le2\max(\|a_i\|,\|\hat a_i\|)L_0|\nu|/\mu`, so that the window :math:`\nu\rho\le10^{-2}` of the
rate fits never reaches a kink that the path does not cross at :math:`\nu=0` (arguments placed at least
:data:`KINK_MARGIN` from every kink; see :func:`placed_family`).

:func:`placed_family` draws such a family with the kinks *placed*: :math:`\phi^*_{i,0}(\theta)` is chosen first, the
offsets put the crossed kink exactly at it, and :math:`q_i` makes it the exact minimiser of eq. (6), so the path
:math:`\nu\mapsto\phi^*_{i,\nu}` crosses the kink at :math:`\nu=0` (transversally, for data in general position).
Exact solutions: the damped Newton of :class:`LogisticTasks` (semismooth across the kinks; strongly convex, so it
converges to machine precision).  The meta-Hessian does not exist at a kink and is not provided.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from bmaml_theory._validation import check_int, finite_scalar, real_array
from bmaml_theory.tasks.logistic import ELL2_MAX, ELL3_MAX, LogisticTasks, _d1, _d2, _ell, _quiet_overflow

__all__ = ["KINDS", "KINK_MARGIN", "KinkedTasks", "g_profile", "h_profile", "placed_family"]

KINDS = ("test-kink", "train-kink", "both-kinks", "no-kink-crossed")
KINK_MARGIN = 0.25  # uncrossed kinks sit at least this far (in the kink term's argument s) from s at phi*_0


def g_profile(s: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Training kink profile: :math:`g,g',g''` with :math:`g''(s)=\max(0,1-|s|)` (:math:`C^{2,1}`, not :math:`C^3`)."""
    s = np.asarray(s, dtype=np.float64)
    a = np.abs(s)
    inside = a <= 1.0
    val = np.where(inside, s * s / 2 - a**3 / 6, a / 2 - 1.0 / 6.0)
    d1 = np.where(inside, s - s * a / 2, np.sign(s) / 2)
    d2 = np.maximum(0.0, 1.0 - a)
    return val, d1, d2


def h_profile(s: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Test kink profile (Huber): :math:`h,h',h''` with :math:`h'=\mathrm{clip}(s,-1,1)` (:math:`C^{1,1}`, not :math:`C^2`)."""
    s = np.asarray(s, dtype=np.float64)
    a = np.abs(s)
    inside = a < 1.0
    val = np.where(inside, s * s / 2, a - 0.5)
    d1 = np.clip(s, -1.0, 1.0)
    d2 = inside.astype(np.float64)
    return val, d1, d2


class KinkedTasks(LogisticTasks):
    r"""Logistic tasks plus one :math:`C^{2,1}` training kink term and one :math:`C^{1,1}` test kink term per task.

    Parameters as :class:`LogisticTasks` (``X_train, y_train, lam, X_test, y_test, Q, q, r, strict``), plus
    ``a_hat`` (M, n), ``b_hat`` (M,), ``c_hat`` (M,) >= 0: the training kink term :math:`\hat c_ig(\hat a_i^\top\phi-
    \hat b_i)`; ``a`` (M, n), ``b`` (M,), ``c`` (M,) >= 0: the test kink term :math:`c_ih(a_i^\top\phi-b_i)`.
    A zero data point contributes a constant (use it for a family without logistic terms).

    Examples
    --------
    >>> t = KinkedTasks([[[0.0]]], None, 2.0, [[[0.0]]], Q=[[[1.0]]], a=[[1.0]], b=[1.0], c=[1.0],
    ...                 a_hat=[[0.0]], b_hat=[0.0], c_hat=[0.0])
    >>> float(t.meta_gradient([3.0])[0])  # theta = 3: phi*_0 = 2 sits on the Huber kink s = 1; lam/(lam + 1)
    0.6666666666666666
    """

    def __init__(
        self,
        X_train: Any,
        y_train: Any,
        lam: float,
        X_test: Any,
        y_test: Any = None,
        *,
        a_hat: Any,
        b_hat: Any,
        c_hat: Any,
        a: Any,
        b: Any,
        c: Any,
        Q: Any = None,
        q: Any = None,
        r: Any = None,
        strict: bool = True,
    ) -> None:
        Zh = real_array(X_train, "X_train", ndim=(2, 3))
        M = 1 if Zh.ndim == 2 else Zh.shape[0]
        n = Zh.shape[-1]
        self.a_hat = _rows(a_hat, "a_hat", M, n)
        self.a = _rows(a, "a", M, n)
        self.b_hat = _scalars(b_hat, "b_hat", M)
        self.b = _scalars(b, "b", M)
        self.c_hat = _scalars(c_hat, "c_hat", M, nonneg=True)
        self.c = _scalars(c, "c", M, nonneg=True)
        super().__init__(X_train, y_train, lam, X_test, y_test, Q=Q, q=q, r=r, strict=strict)

    @classmethod
    def at_threshold(  # type: ignore[override]
        cls, X_train: Any, y_train: Any, X_test: Any, y_test: Any = None, *, factor: float = 2.0, **kw: Any
    ) -> KinkedTasks:
        r"""The family with :math:`\lambda=` ``factor`` :math:`\cdot\hat L_1` (``kw``: the kink terms, Q, q, r)."""
        factor = finite_scalar(factor, "factor")
        if factor < 2.0:
            raise ValueError(f"factor must be >= 2 (lam >= 2 Lhat1, Section 4's standing condition), got {factor}.")
        probe = cls(X_train, y_train, 1e12, X_test, y_test, strict=False, **kw)
        return cls(X_train, y_train, factor * max(probe.constants().Lhat1, 1e-6), X_test, y_test, **kw)

    def _constants_per_task(self) -> None:
        Zh, Z = self.Zh, self.Z
        mh, m = Zh.shape[1], Z.shape[1]
        Ph = Zh.swapaxes(-1, -2) @ Zh / mh
        P = Z.swapaxes(-1, -2) @ Z / m
        Ka = self.c_hat[:, None, None] * self.a_hat[:, :, None] * self.a_hat[:, None, :]
        K = self.c[:, None, None] * self.a[:, :, None] * self.a[:, None, :]
        evQ = np.linalg.eigvalsh(self.Q)
        self._L1_task = np.linalg.eigvalsh(ELL2_MAX * P + K)[:, -1]
        self._Lhat1_task = np.maximum(np.linalg.eigvalsh(self.Q + ELL2_MAX * Ph + Ka)[:, -1], -evQ[:, 0])
        nh = np.linalg.norm(Zh, axis=-1)
        logistic_L2 = ELL3_MAX * np.minimum(np.mean(nh**3, axis=1), nh.max(axis=1) * np.linalg.eigvalsh(Ph)[:, -1])
        self._Lhat2_task = logistic_L2 + self.c_hat * np.linalg.norm(self.a_hat, axis=-1) ** 3
        if m > 12:
            raise ValueError(f"X_test holds {m} points per task; KinkedTasks needs m <= 12 (L0 by vertices).")
        S = np.array(list(itertools.product((0.0, 1.0), repeat=m)))  # (2^m, m)
        V = self.r[:, None, :] - np.einsum("sj,ijn->isn", S, Z) / m  # (M, 2^m, n)
        ca = (self.c[:, None] * self.a)[:, None, :]
        self._L0_task = np.maximum(np.linalg.norm(V + ca, axis=-1), np.linalg.norm(V - ca, axis=-1)).max(axis=1)
        self._mu_task = self.lam + evQ[:, 0]

    @property
    def rho(self) -> np.ndarray:
        r""":math:`\rho_i=L_{1,i}/\mu_i+\hat L_{2,i}L_{0,i}/\mu_i^2+` the kink-speed term (module docstring), (M,)."""
        mu, L0 = self._mu_task, self._L0_task
        speed = 2.0 * np.maximum(np.linalg.norm(self.a, axis=-1), np.linalg.norm(self.a_hat, axis=-1)) * L0 / mu
        # nu * rho <= 1e-2 (the fit window) must keep |Delta s| <= speed * nu below KINK_MARGIN: rho >= 1e-2 speed/margin
        return self._L1_task / mu + self._Lhat2_task * L0 / mu**2 + 1e-2 * speed / KINK_MARGIN

    def _lead(self, arr: np.ndarray, phi: np.ndarray) -> np.ndarray:
        return arr.reshape(self.M, *([1] * (phi.ndim - 2)), *arr.shape[1:])

    @_quiet_overflow
    def _train_parts(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Zh, Q, q = self._lead(self.Zh, phi), self._lead(self.Q, phi), self._lead(self.q, phi)
        ah, bh, ch = self._lead(self.a_hat, phi), self._lead(self.b_hat, phi), self._lead(self.c_hat, phi)
        s = np.einsum("...jn,...n->...j", Zh, phi)
        Qphi = np.einsum("...ab,...b->...a", Q, phi)
        gv, g1, g2 = g_profile(np.sum(ah * phi, -1) - bh)
        val = _ell(s).mean(-1) + 0.5 * np.sum(phi * Qphi, -1) + np.sum(q * phi, -1) + ch * gv
        grad = np.einsum("...j,...jn->...n", _d1(s), Zh) / self.Zh.shape[1] + Qphi + q + (ch * g1)[..., None] * ah
        hess = (
            np.einsum("...j,...ja,...jb->...ab", _d2(s), Zh, Zh) / self.Zh.shape[1]
            + Q
            + (ch * g2)[..., None, None] * ah[..., :, None] * ah[..., None, :]
        )
        return val, grad, hess

    @_quiet_overflow
    def _test_parts(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        Z, r = self._lead(self.Z, phi), self._lead(self.r, phi)
        a, b, c = self._lead(self.a, phi), self._lead(self.b, phi), self._lead(self.c, phi)
        s = np.einsum("...jn,...n->...j", Z, phi)
        hv, h1, h2 = h_profile(np.sum(a * phi, -1) - b)
        m = self.Z.shape[1]
        val = _ell(s).mean(-1) + np.sum(r * phi, -1) + c * hv
        grad = np.einsum("...j,...jn->...n", _d1(s), Z) / m + r + (c * h1)[..., None] * a
        hess = (
            np.einsum("...j,...ja,...jb->...ab", _d2(s), Z, Z) / m
            + (c * h2)[..., None, None] * a[..., :, None] * a[..., None, :]
        )
        return val, grad, hess

    def kink_arguments(self, phi: Any) -> tuple[np.ndarray, np.ndarray]:
        r"""The kink terms' arguments :math:`(\hat a_i^\top\phi-\hat b_i,\ a_i^\top\phi-b_i)` at phi (M, [G,] n)."""
        phi = self.check_phi(phi)
        return (
            np.sum(self._lead(self.a_hat, phi) * phi, -1) - self._lead(self.b_hat, phi),
            np.sum(self._lead(self.a, phi) * phi, -1) - self._lead(self.b, phi),
        )

    def meta_hessian(self, theta: Any, per_task: bool = False) -> np.ndarray:
        """Not provided: at a kink the meta-objective is not twice differentiable (that is the family's purpose)."""
        raise NotImplementedError(
            "KinkedTasks has no meta-Hessian: its objectives have only the smoothness of Assumptions 1-2, so F_i is "
            "not twice differentiable where phi*_i(theta) sits on a kink; use LogisticTasks for meta_hessian."
        )

    def __repr__(self) -> str:
        return f"KinkedTasks(M={self.M}, n={self.n}, lam={self.lam:g}, strict={self.strict})"


def _rows(v: Any, name: str, M: int, n: int) -> np.ndarray:
    v = real_array(v, name, ndim=(1, 2))
    v = v[None] if v.ndim == 1 else v
    if v.shape != (M, n):
        raise ValueError(f"{name} must have shape ({M}, {n}) (one vector per task), got {v.shape}.")
    return v


def _scalars(v: Any, name: str, M: int, *, nonneg: bool = False) -> np.ndarray:
    v = real_array(v, name, ndim=(0, 1))
    v = np.broadcast_to(v, (M,)).copy() if v.ndim == 0 else v
    if v.shape != (M,):
        raise ValueError(f"{name} must have shape ({M},) (one number per task), got {v.shape}.")
    if nonneg and np.any(v < 0):
        raise ValueError(f"{name} must be >= 0 (a negative weight makes the kink term concave), got {v.tolist()}.")
    return v


def placed_family(kind: str, M: int, n: int, seed: int, *, lam_factor: float = 2.0) -> tuple[KinkedTasks, np.ndarray]:
    r"""A :class:`KinkedTasks` family of ``kind`` (see :data:`KINDS`) with the kinks placed, and its theta; seeded.

    Draws per task 2 training and 2 test logistic points, an indefinite :math:`Q_i`, :math:`r_i`, the kink
    directions :math:`\hat a_i,a_i` and weights :math:`\hat c_i,c_i\in[1/2,2]`; then theta and
    :math:`\phi^*_{i,0}` at random, the offsets :math:`\hat b_i,b_i` so that at :math:`\phi^*_{i,0}`

    * ``"train-kink"``: :math:`\hat s_i=0` (the jump of :math:`g'''`), :math:`s_i` at least :data:`KINK_MARGIN` from
      :math:`\pm1`;
    * ``"test-kink"``: :math:`s_i=1` (the jump of :math:`h''`), :math:`\hat s_i` at least :data:`KINK_MARGIN` from
      :math:`0,\pm1`;
    * ``"both-kinks"``: both on their kinks;
    * ``"no-kink-crossed"``: both at least :data:`KINK_MARGIN` from every kink (the control: smooth near nu = 0);

    and :math:`q_i` so that :math:`\phi^*_{i,0}(\theta)` is the exact minimiser of eq. (6).  lam is
    ``lam_factor`` :math:`\cdot\hat L_1` (:math:`\ge2\hat L_1`).
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r:.60}.")
    M = check_int(M, "M", lo=1, hi=64)
    n = check_int(n, "n", lo=1, hi=64)
    seed = check_int(seed, "seed", lo=0)
    rng = np.random.default_rng([seed, KINDS.index(kind), M, n, 13])
    Zh = rng.standard_normal((M, 2, n))
    Z = rng.standard_normal((M, 2, n))
    U = rng.standard_normal((M, n, n))
    Q = 0.5 * (U + U.swapaxes(-1, -2)) / math.sqrt(n)
    r = 0.5 * rng.standard_normal((M, n))
    a_hat = rng.standard_normal((M, n)) / math.sqrt(n)
    a = rng.standard_normal((M, n)) / math.sqrt(n)
    c_hat = rng.uniform(0.5, 2.0, M)
    c = rng.uniform(0.5, 2.0, M)
    theta = rng.standard_normal(n)
    phi0 = theta + 0.5 * rng.standard_normal((M, n))
    # argument of each kink term at phi0: on the kink, or a margin away from every kink of its profile
    away_train = rng.choice([-1.0, 1.0], M) * rng.uniform(KINK_MARGIN, 1.0 - KINK_MARGIN, M)
    away_test = rng.uniform(-1.0 + KINK_MARGIN, 1.0 - KINK_MARGIN, M)
    s_hat = np.zeros(M) if kind in ("train-kink", "both-kinks") else away_train
    s_test = np.ones(M) if kind in ("test-kink", "both-kinks") else away_test
    b_hat = np.sum(a_hat * phi0, -1) - s_hat
    b = np.sum(a * phi0, -1) - s_test
    kw = {"a_hat": a_hat, "b_hat": b_hat, "c_hat": c_hat, "a": a, "b": b, "c": c, "Q": Q, "r": r}
    probe = KinkedTasks.at_threshold(Zh, None, Z, factor=lam_factor, **kw)
    grad_rest = probe._train_parts(phi0[:, None, :])[1][:, 0, :]  # grad fhat_i(phi0) with q = 0
    q = probe.lam * (theta[None, :] - phi0) - grad_rest
    tasks = KinkedTasks(Zh, None, probe.lam, Z, **kw, q=q)
    return tasks, theta
