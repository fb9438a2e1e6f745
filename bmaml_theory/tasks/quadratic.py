r"""Quadratic task families with closed-form inner solutions and meta-gradients.

Task i has the training objective :math:`\hat f_i(\phi) = \tfrac12\phi^\top\hat A_i\phi + \hat b_i^\top\phi`
and the test objective :math:`f_i(\phi) = \tfrac12\phi^\top A_i\phi + b_i^\top\phi` (Appendix B of
Chayti & Jaggi takes :math:`A_i=\hat A_i`, :math:`b_i=\hat b_i`; here they may differ and
:math:`\hat A_i` may be indefinite, as Assumption 1 allows).

Factorisation (once, batched over tasks).  With :math:`S_i=\hat A_i+\lambda I\succ0`,
:math:`K_i=S_i^{-1/2}A_iS_i^{-1/2}=W_i\Gamma_iW_i^\top` and :math:`V_i=S_i^{-1/2}W_i`,

.. math::  V_i^\top S_i V_i = I,\qquad V_i^\top A_i V_i=\Gamma_i=\mathrm{diag}(\gamma_{ij}),

so the perturbed Hessian of eq. (9) is :math:`S_i+\nu A_i=V_i^{-\top}(I+\nu\Gamma_i)V_i^{-1}` and, with
:math:`c_i=V_i^\top(\lambda\theta-\hat b_i)` and :math:`d_i=V_i^\top b_i`,

.. math::  \phi^*_{i,\nu}(\theta)=V_i\,\frac{c_i-\nu d_i}{1+\nu\gamma_i},\qquad
           \nabla F_i(\theta)=\lambda V_i(\Gamma_ic_i+d_i),\qquad
           \nabla^2F_i(\theta)=\lambda^2V_i\Gamma_iV_i^\top .

A whole grid of nu costs one batched matrix product.  Eq. (9) has a unique solution exactly when
:math:`1+\nu\gamma_{ij}>0` for all j (the perturbed problem is then strongly convex; otherwise it is
unbounded below), which gives the exact interval returned by :meth:`QuadraticTasks.nu_interval`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from bmaml_theory._backend import device_of, eps, namespace, resolve_backend, resolve_device
from bmaml_theory._validation import (
    check_bool,
    check_dtype,
    check_finite_result,
    finite_scalar,
    real_array,
    warn_accuracy,
)
from bmaml_theory.tasks._checks import FamilyChecks
from bmaml_theory.tasks._protocol import Constants

__all__ = ["QuadraticTasks"]

# cond(S) above eps**-1/2: more than half the significant digits of the dtype are lost -> AccuracyWarning


def _as_task_batch(
    A: Any, b: Any, *, xp: Any, dtype: Any, names: tuple[str, str], device: Any = None
) -> tuple[Any, Any]:
    nA, nb = names
    A = real_array(A, nA, xp=xp, dtype=dtype, ndim=(2, 3), device=device)
    b = real_array(b, nb, xp=xp, dtype=dtype, ndim=(1, 2), device=device)
    if A.ndim == 2 and b.ndim == 1:  # one task
        A, b = A[None, ...], b[None, ...]
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        raise ValueError(f"{nA} must have shape (M, n, n) (M square n x n matrices), got {tuple(A.shape)}.")
    M, n = A.shape[0], A.shape[1]
    if M < 1 or n < 1:
        raise ValueError(f"{nA} must hold at least one task of dimension >= 1, got shape {tuple(A.shape)}.")
    if b.shape != (M, n):
        raise ValueError(f"{nb} must have shape ({M}, {n}) to match {nA} {tuple(A.shape)}, got {tuple(b.shape)}.")
    scale = float(xp.max(xp.abs(A)))
    asym = float(xp.max(xp.abs(A - A.mT)))
    if asym > 1e3 * eps(xp, A.dtype) * max(scale, 1e-300):
        raise ValueError(
            f"{nA} is not symmetric (max |A - A^T| = {asym:.3g} relative to max |A| = {scale:.3g}); "
            "a Hessian is symmetric: pass (A + A^T)/2."
        )
    return A / 2 + A.mT / 2, b  # halves first: (A + A^T)/2 overflows for entries above 8.9e307


def _spectral(fn: Callable[[Any], Any], X: Any, what: str, fix: str, xp: Any) -> Any:
    """``fn(X)`` (an eigen-decomposition) with a clear error naming the argument when float64 cannot hold it.

    Entries near the largest float (about 1.8e308) make LAPACK's eigenvalues overflow to inf/nan or fail to converge
    (LinAlgError); neither may leave here unnamed.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            out = fn(X)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
        raise ValueError(f"{what} has no float64 eigen-decomposition ({type(exc).__name__}: {exc}); {fix}") from exc
    vals = out[0] if isinstance(out, tuple) else out
    if not bool(xp.all(xp.isfinite(vals))):
        raise ValueError(f"{what} has eigenvalues beyond the float64 range (inf or nan); {fix}")
    return out


def _apply(Mat: Any, v: Any) -> Any:
    """Mat[i] @ v[i, ...] for v of shape (M, n) or (M, G, n)."""
    if v.ndim == 2:
        return (Mat @ v[..., None])[..., 0]
    return v @ Mat.mT


class QuadraticTasks(FamilyChecks):
    r"""M quadratic tasks sharing a proximal weight ``lam``; exact eq. (7) and eq. (9).

    Parameters
    ----------
    A_train, b_train : ``(M, n, n)``, ``(M, n)``
        Training Hessians :math:`\hat A_i` (symmetric, possibly indefinite) and linear terms.
    lam : float
        Proximal weight :math:`\lambda` of eq. (6).
    A_test, b_test : optional, same shapes
        Test objective; defaults to the training one (Appendix B).
    dtype : optional
        Real floating dtype of the backend (float64 by default; float32 allowed).
    strict : bool
        ``True`` (default) enforces the paper's standing assumption :math:`\lambda\ge2\hat L_1`
        (Propositions 2, 3); ``False`` only requires the inner problem to be strongly convex
        (:math:`\lambda+\lambda_{\min}(\hat A_i)>0`, Assumption 3), for exploring outside the theorems.
    backend : str, optional
        Array backend (:data:`bmaml_theory._backend.BACKENDS`: ``"numpy"``, ``"array_api_strict"``, ``"torch"``,
        ``"jax"``, ``"cupy"``); the data are converted to it.  ``None`` (default): the namespace of the data.
    device : optional
        Device of the backend (``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a native device object); ``None``: the
        data's device (or the backend's default).  Every array the family and the estimators, solvers and sweeps
        create on it lives there.
    dense : bool
        ``False`` (default): every solution from the simultaneous eigenbasis (a whole nu grid in one batched
        product).  ``True``: dense LU solves of :math:`(S_i+\nu A_i)\phi=\lambda\theta-\hat b_i-\nu b_i` and of
        eq. (7), one per task and nu - slower, but it loses about :math:`\mathrm{cond}(S)\varepsilon` instead of
        the eigenbasis's larger error at high cond(S) (an :class:`~bmaml_theory.AccuracyWarning` says when).

    Notes
    -----
    The factorisation works in a per-task scaled basis (:math:`S_i=\sigma_i\hat S_i`, :math:`\sigma_i=\lambda_{\max}(S_i)`)
    so that data at extreme magnitudes do not overflow in intermediate products; a result that is itself not
    representable raises ``FloatingPointError``.

    Examples
    --------
    >>> import numpy as np
    >>> from bmaml_theory import QuadraticTasks
    >>> A = np.array([[[2.0, 0.0], [0.0, -1.0]]]); b = np.array([[1.0, 0.5]])
    >>> tasks = QuadraticTasks(A, b, lam=4.0)
    >>> tasks.meta_gradient(np.zeros(2)).shape
    (2,)
    """

    is_quadratic = True

    def __init__(
        self,
        A_train: Any,
        b_train: Any,
        lam: float,
        A_test: Any = None,
        b_test: Any = None,
        *,
        dtype: Any = None,
        strict: bool = True,
        dense: bool = False,
        backend: str | None = None,
        device: Any = None,
    ) -> None:
        xp = namespace(A_train, b_train, A_test, b_test) if backend is None else resolve_backend(backend)
        self.xp = xp
        self.dtype = check_dtype(dtype, xp)
        self.strict = check_bool(strict, "strict")
        self.dense = check_bool(dense, "dense")
        dev = resolve_device(xp, device) if device is not None else (device_of(A_train) if backend is None else None)
        self.A_train, self.b_train = _as_task_batch(
            A_train, b_train, xp=xp, dtype=self.dtype, names=("A_train", "b_train"), device=dev
        )
        self.device = device_of(self.A_train)
        M, n = self.b_train.shape
        if (A_test is None) != (b_test is None):
            raise ValueError(
                "pass both A_test and b_test, or neither (the test objective defaults to the training one)."
            )
        if A_test is None:
            self.A_test, self.b_test = self.A_train, self.b_train
        else:
            self.A_test, self.b_test = _as_task_batch(
                A_test, b_test, xp=xp, dtype=self.dtype, names=("A_test", "b_test"), device=self.device
            )
            if self.b_test.shape != (M, n):
                raise ValueError(
                    f"A_test/b_test describe {tuple(self.b_test.shape)} tasks x dims but the training data "
                    f"has ({M}, {n}); pass one test objective per training task."
                )
        self.M, self.n = int(M), int(n)
        self.lam = finite_scalar(lam, "lam")
        if self.lam <= 0:
            raise ValueError(f"lam must be > 0 (the proximal weight of eq. (6)), got {self.lam}.")

        fix = (
            "rescale the problem (divide A_train, A_test, b_train, b_test and lam by a common factor: the minimisers "
            "are unchanged) so that its entries stay well below 1e308"
        )
        ev_train = _spectral(xp.linalg.eigvalsh, self.A_train, "A_train", fix, xp)
        ev_test = _spectral(xp.linalg.eigvalsh, self.A_test, "A_test", fix, xp)
        self._Lhat1_task = xp.max(xp.abs(ev_train), axis=1)
        self._L1_task = xp.max(xp.abs(ev_test), axis=1)
        self._mu_task = self.lam + ev_train[:, 0]
        Lhat1 = float(xp.max(self._Lhat1_task))
        slack = 100 * self.n * eps(xp, self.dtype)
        if self.strict and self.lam < 2 * Lhat1 * (1 - slack):
            raise ValueError(
                f"lam={self.lam:g} is below 2*Lhat1={2 * Lhat1:g}, the threshold of Propositions 2 and 3 "
                "(Lhat1 = largest |eigenvalue| of the training Hessians A_train). Raise lam, or pass strict=False "
                "to explore outside the paper's assumptions."
            )
        mu = float(xp.min(self._mu_task))
        if not mu > 0:
            raise ValueError(
                f"the inner problem fhat_i + lam/2||.||^2 is not strongly convex (lam + min eig(A_train) = {mu:g} "
                "<= 0), so phi*_i(theta) of eq. (6) does not exist; raise lam above -min eig(A_train)."
            )
        self._factor()
        e = eps(xp, self.dtype)
        if self._condS > 1.0 / math.sqrt(e):
            warn_accuracy(
                f"cond(lam I + A_train) = {self._condS:.3g}: about {math.log10(self._condS):.1f} of the "
                f"{-math.log10(e):.1f} significant digits are lost (estimated relative error ~ eps*cond = "
                f"{e * self._condS:.1e}{' or more on the eigenbasis path' if not self.dense else ''}); "
                + ("pass dense=True for LU solves (accuracy over batching)." if not self.dense else ""),
                stacklevel=3,
            )

    # ------------------------------------------------------------------ factorisation
    def _factor(self) -> None:
        xp = self.xp
        S = self.A_train + self.lam * xp.eye(self.n, dtype=self.dtype, device=self.device)
        fix = "rescale the problem (divide A_train, A_test, b_train, b_test and lam by a common factor)"
        s, U = _spectral(xp.linalg.eigh, S, "A_train + lam I (A_train and lam)", fix, xp)
        sig = s[:, -1]  # sigma_i = largest eigenvalue of S_i > 0; S_i = sigma_i Shat_i, eig(Shat_i) in (0, 1]
        sh = s / sig[:, None]
        Sh_mhalf = (U * (1.0 / xp.sqrt(sh))[:, None, :]) @ U.mT
        K = (Sh_mhalf @ self.A_test @ Sh_mhalf) / sig[:, None, None]  # = S^-1/2 A S^-1/2
        gamma, W = _spectral(
            xp.linalg.eigh, K / 2 + K.mT / 2, "S^-1/2 A_test S^-1/2 (A_test against A_train + lam I)", fix, xp
        )
        self._sig = sig  # (M,)
        self._Vh = Sh_mhalf @ W  # (M, n, n): V = Vh / sqrt(sigma); Vh^T Shat Vh = I
        self.gamma = gamma  # (M, n), ascending
        self._dh = (self._Vh.mT @ self.b_test[..., None])[..., 0]  # sqrt(sigma) d = Vh^T b
        self._hbh = (self._Vh.mT @ self.b_train[..., None])[..., 0]  # Vh^T bhat
        self._condS = float(xp.max(s[:, -1] / s[:, 0]))
        check_finite_result(self.gamma, "the simultaneous diagonalisation of (A_train + lam I, A_test)", xp)
        check_finite_result(self._Vh, "the simultaneous diagonalisation of (A_train + lam I, A_test)", xp)

    @property
    def V(self) -> Any:
        r""":math:`V_i=S_i^{-1/2}W_i` with :math:`V_i^\top S_iV_i=I`, :math:`V_i^\top A_iV_i=\Gamma_i` (M, n, n)."""
        return self._Vh / self.xp.sqrt(self._sig)[:, None, None]

    def _ch(self, theta: Any) -> Any:
        """sqrt(sigma_i) c_i = Vh_i^T (lam theta - bhat_i), shape (M, n)."""
        return self.lam * (theta @ self._Vh) - self._hbh

    def _S(self) -> Any:
        return self.A_train + self.lam * self.xp.eye(self.n, dtype=self.dtype, device=self.device)

    # ------------------------------------------------------------------ the protocol
    def nu_interval(self) -> tuple[float, float]:
        r"""Exact open interval of nu for which eq. (9) is strongly convex for every task.

        :math:`1+\nu\gamma_{ij}>0` for all i, j, i.e. :math:`(-1/\gamma_{\max},\,-1/\gamma_{\min})` with an
        infinite end where no gamma has that sign.  It contains the paper's sufficient interval
        :math:`(-\mu/L_1,\mu/L_1)` of Assumption 3.
        """
        gmax = float(self.xp.max(self.gamma))
        gmin = float(self.xp.min(self.gamma))
        lo = -1.0 / gmax if gmax > 0 else -math.inf
        hi = -1.0 / gmin if gmin < 0 else math.inf
        return lo, hi

    @property
    def rho(self) -> Any:
        r"""Radius of the nu-expansion of :math:`\phi^*_{i,\nu}`: :math:`\rho_i=\max_j|\gamma_{ij}|`, shape (M,)."""
        return self.xp.max(self.xp.abs(self.gamma), axis=1)

    def inner_solution(self, theta: Any, nu: Any = 0.0) -> Any:
        r"""Exact :math:`\phi^*_{i,\nu}(\theta)` of eq. (9): shape (M, n), or (M, G, n) for G values of nu.

        Eigenbasis: :math:`\phi=V(c-\nu d)/(1+\nu\gamma)`; with ``dense=True`` an LU solve per task and nu.
        """
        xp = self.xp
        theta = self.check_theta(theta)
        nus, scalar = self._nus(nu)
        if self.dense:
            rhs = (self.lam * theta - self.b_train)[:, None, :] - nus[None, :, None] * self.b_test[:, None, :]
            H = self._S()[:, None, :, :] + nus[None, :, None, None] * self.A_test[:, None, :, :]
            phi = xp.linalg.solve(H, rhs[..., None])[..., 0]
        else:
            z = (self._ch(theta)[:, None, :] - nus[None, :, None] * self._dh[:, None, :]) / (
                1.0 + nus[None, :, None] * self.gamma[:, None, :]
            )
            phi = (z @ self._Vh.mT) / self._sig[:, None, None]
        check_finite_result(phi, "the inner solution phi*_nu", xp)
        return phi[:, 0, :] if scalar else phi

    def meta_gradient(self, theta: Any, per_task: bool = False) -> Any:
        r"""Exact meta-gradient of eq. (7).

        :math:`\nabla F_i(\theta)=(I+\hat A_i/\lambda)^{-1}\nabla f_i(\phi_i^*(\theta))`.

        Evaluated as :math:`\lambda V_i(\Gamma_ic_i+d_i)` (or by LU with ``dense=True``).  Shape (n,) (average
        over tasks, eq. (5)) or (M, n) with ``per_task=True``.
        """
        xp = self.xp
        theta = self.check_theta(theta)
        per_task = check_bool(per_task, "per_task")
        if self.dense:
            S = self._S()
            phi0 = xp.linalg.solve(S, (self.lam * theta - self.b_train)[..., None])
            g = self.lam * xp.linalg.solve(S, self.A_test @ phi0 + self.b_test[..., None])[..., 0]
        else:
            w = self.gamma * self._ch(theta) + self._dh
            g = (self.lam / self._sig)[:, None] * _apply(self._Vh, w)
        check_finite_result(g, "the meta-gradient", xp)
        return g if per_task else check_finite_result(xp.mean(g, axis=0), "the meta-gradient", xp)

    def meta_hessian(self, theta: Any, per_task: bool = False) -> Any:
        r"""Exact meta-Hessian (differentiating eq. (7) in theta).

        :math:`\nabla^2F_i=\lambda^2(\hat A_i+\lambda I)^{-1}A_i(\hat A_i+\lambda I)^{-1}=\lambda^2V_i\Gamma_iV_i^\top`.

        Constant in theta for quadratics; (n, n) or (M, n, n).
        """
        xp = self.xp
        self.check_theta(theta)
        per_task = check_bool(per_task, "per_task")
        if self.dense:
            S = self._S()
            H = self.lam**2 * xp.linalg.solve(S, xp.linalg.solve(S, self.A_test).mT)
            H = (H + H.mT) / 2
        else:
            H = (self.lam * (self.lam / self._sig))[:, None, None] * ((self._Vh * self.gamma[:, None, :]) @ self._Vh.mT)
        check_finite_result(H, "the meta-Hessian", xp)
        return H if per_task else xp.mean(H, axis=0)

    def meta_objective(self, theta: Any, per_task: bool = False) -> Any:
        r""":math:`F(\theta)=\frac1M\sum_i f_i(\phi_i^*(\theta))`, eq. (5)."""
        per_task = check_bool(per_task, "per_task")
        phi = self.inner_solution(theta)
        Fi = check_finite_result(self._value(self.A_test, self.b_test, phi), "the meta-objective F", self.xp)
        return Fi if per_task else float(check_finite_result(self.xp.mean(Fi), "the meta-objective F", self.xp))

    def _value(self, A: Any, b: Any, phi: Any) -> Any:
        bb = b if phi.ndim == 2 else b[:, None, :]
        return self.xp.sum(phi * (0.5 * _apply(A, phi) + bb), axis=-1)

    def train_value(self, phi: Any) -> Any:
        r""":math:`\hat f_i(\phi)=\tfrac12\phi^\top\hat A_i\phi+\hat b_i^\top\phi`, shape (M,) or (M, G)."""
        phi = self.check_phi(phi)
        return check_finite_result(self._value(self.A_train, self.b_train, phi), "fhat_i(phi)", self.xp)

    def test_value(self, phi: Any) -> Any:
        r""":math:`f_i(\phi)=\tfrac12\phi^\top A_i\phi+b_i^\top\phi`, shape (M,) or (M, G)."""
        phi = self.check_phi(phi)
        return check_finite_result(self._value(self.A_test, self.b_test, phi), "f_i(phi)", self.xp)

    def test_grad(self, phi: Any) -> Any:
        r""":math:`\nabla f_i(\phi)=A_i\phi+b_i` for phi of shape (M, n) or (M, G, n)."""
        phi = self.check_phi(phi)
        b = self.b_test if phi.ndim == 2 else self.b_test[:, None, :]
        return check_finite_result(_apply(self.A_test, phi) + b, "grad f_i(phi)", self.xp)

    def train_grad(self, phi: Any) -> Any:
        r""":math:`\nabla\hat f_i(\phi)=\hat A_i\phi+\hat b_i`."""
        phi = self.check_phi(phi)
        b = self.b_train if phi.ndim == 2 else self.b_train[:, None, :]
        return check_finite_result(_apply(self.A_train, phi) + b, "grad fhat_i(phi)", self.xp)

    def train_hvp(self, phi: Any, v: Any) -> Any:
        r""":math:`\nabla^2\hat f_i(\phi)v=\hat A_iv` (phi checked, unused: quadratic)."""
        phi, v = self.check_phi(phi), self.check_phi(v, "v")
        return check_finite_result(_apply(self.A_train, v), "Hess fhat_i v", self.xp)

    def test_hvp(self, phi: Any, v: Any) -> Any:
        r""":math:`\nabla^2f_i(\phi)v=A_iv`."""
        phi, v = self.check_phi(phi), self.check_phi(v, "v")
        return check_finite_result(_apply(self.A_test, v), "Hess f_i v", self.xp)

    def inner_grad(self, phi: Any, theta: Any, nu: Any) -> Any:
        r"""Gradient of the perturbed inner objective (9): :math:`\nu\nabla f_i+\nabla\hat f_i+\lambda(\phi-\theta)`.

        ``phi`` is (M, n) with a float ``nu``, or (M, G, n) with ``nu`` of shape (G,).
        """
        phi, nus = self._pair(phi, nu)
        theta = self.check_theta(theta)
        out = nus * self.test_grad(phi) + self.train_grad(phi) + self.lam * (phi - theta)
        return check_finite_result(out, "inner_grad (phi, theta or nu too large for float64)", self.xp)

    def inner_hvp(self, phi: Any, v: Any, nu: Any) -> Any:
        r"""Hessian-vector product of (9): :math:`(\nu A_i+\hat A_i+\lambda I)v` (independent of phi)."""
        self.check_phi(phi)
        v, nus = self._pair(v, nu, "v")
        return check_finite_result(
            nus * _apply(self.A_test, v) + _apply(self.A_train, v) + self.lam * v,
            "the inner Hessian-vector product",
            self.xp,
        )

    def mu_nu(self, nu: Any) -> Any:
        r"""Certified lower bound on the strong convexity of (9) per task and nu: shape (M,) or (M, G).

        :math:`S_i+\nu A_i=V_i^{-\top}(I+\nu\Gamma_i)V_i^{-1}\succeq\min_j(1+\nu\gamma_{ij})\,S_i`, so
        :math:`\mu_{i,\nu}\ge\min_j(1+\nu\gamma_{ij})\,\mu_i`; Weyl gives :math:`\mu_i-|\nu|\,\|A_i\|`; the larger
        of the two is returned.  Both are bounds, never computed from :math:`\phi^*`.  nu must lie in
        :meth:`nu_interval`.
        """
        xp = self.xp
        nus, scalar = self._nus(nu)
        fac = xp.min(1.0 + nus[None, :, None] * self.gamma[:, None, :], axis=-1)
        a = fac * self._mu_task[:, None]
        b = self._mu_task[:, None] - xp.abs(nus)[None, :] * self._L1_task[:, None]
        out = check_finite_result(xp.maximum(a, b), "mu_nu(nu) (|nu| too large for float64)", xp)
        return out[:, 0] if scalar else out

    def L_nu(self, nu: Any) -> Any:
        r"""Upper bound on the smoothness of (9): :math:`\lambda+\|\hat A_i\|+|\nu|\,\|A_i\|`, shape (M,) or (M, G)."""
        xp = self.xp
        nus, scalar = self._nus(nu)
        out = self.lam + self._Lhat1_task[:, None] + xp.abs(nus)[None, :] * self._L1_task[:, None]
        check_finite_result(out, "L_nu(nu) (|nu| too large for float64)", xp)
        return out[:, 0] if scalar else out

    def constants(self) -> Constants:
        """The constants of Assumptions 1-3 for this family (uniform over tasks); see :class:`Constants`."""
        xp = self.xp
        return Constants(
            lam=self.lam,
            Lhat1=float(xp.max(self._Lhat1_task)),
            Lhat2=0.0,
            L0=math.inf,
            L1=float(xp.max(self._L1_task)),
            mu=float(xp.min(self._mu_task)),
        )

    @property
    def cond_S(self) -> float:
        """Largest condition number of the inner Hessians lam I + Ahat_i (<= 3 when lam >= 2 Lhat1)."""
        return self._condS

    def __repr__(self) -> str:
        return f"QuadraticTasks(M={self.M}, n={self.n}, lam={self.lam:g}, strict={self.strict})"
