r"""The quadratic path at arbitrary precision (mpmath): rates over many more decades than float64 allows.

In float64 a rate in delta is visible only between the truncation error and the round-off floor
:math:`\sim\lambda\|w\|_1\varepsilon_{64}\|\phi\|/\nu`: a few decades for eq. (14), and for the order-n stencils of
Table 1's caption (best :math:`\nu\sim\delta^{1/(n+1)}`) often none at all.  Here every quantity is computed
with ``dps`` significant digits, so the floor moves to :math:`10^{-\mathrm{dps}}` and the asymptotic window can span
as many decades as asked for.

:class:`MPQuadraticTask` holds one task of a :class:`~bmaml_theory.tasks.quadratic.QuadraticTasks` family,
converted exactly (every float64 is a binary rational, represented exactly in mpmath):

* the reference meta-gradient by eq. (7) with dense LU solves at ``dps`` digits;
* exact perturbed solutions :math:`\phi^*_\nu=V(c-\nu d)/(1+\nu\gamma)` from the same simultaneous
  diagonalisation as the float64 path (Cholesky of :math:`S=\hat A+\lambda I`, ``eigsy`` of
  :math:`L^{-1}AL^{-\top}`), its residuals checked at construction;
* the estimator :math:`-\frac\lambda\nu\sum_kw_k\tilde\phi_{t_k\nu}` with the stencil's exact rational weights,
  differencing the solutions exactly as Algorithm 1 does (the cancellation is real, only at more digits);
* the adversarial delta-inexact solutions of eq. (13) (:class:`~bmaml_theory.inexact.Adversarial`:
  :math:`e_k=\mathrm{sign}(w_k)\,\delta\,\hat u`, :math:`\hat u` along the exact estimator's bias);
* :meth:`MPQuadraticTask.best_nu`: the minimiser of the bias over nu, by a coarse scan in
  :math:`\log\nu` then SciPy's bounded scalar minimiser (Brent) around the scan's best point, reported as a
  :class:`~bmaml_theory.sweeps.BestNu` (bracketed or not).

:func:`delta_study` and :func:`nu_study` run these over grids and fit the observed order with
:func:`bmaml_theory.rates.fit_order` on an a-priori window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import mpmath
import numpy as np
from scipy.optimize import minimize_scalar

from bmaml_theory._backend import to_numpy
from bmaml_theory._validation import check_int, check_positive, finite_scalar, real_array
from bmaml_theory.inexact import adversarial_errors
from bmaml_theory.rates import RateFit, fit_order
from bmaml_theory.stencils import Stencil
from bmaml_theory.sweeps import ASYMPTOTIC_NU_RHO, FLOOR_FACTOR, BestNu, _check_stencil

__all__ = ["DeltaStudy", "MPQuadraticTask", "NuStudy", "delta_study", "dps_for", "nu_study"]

MAX_DPS = 5000  # mpmath cost grows ~ dps^1.6 per operation; beyond this a study takes hours

# digits kept beyond the smallest quantity measured: the factorisation loses ~log10(cond) digits and
# the difference quotient log10(1/nu) more; 10 digits cover the factorisation's loss (checked at
# construction), and dps_for adds the quotient's loss explicitly
GUARD_DIGITS = 10


def dps_for(smallest: float) -> int:
    r"""Digits to resolve quantities down to ``smallest`` (relative to the data's scale), plus guard digits.

    For the delta study ``smallest`` is the least delta: the bias at the best nu is of order
    :math:`\lambda\delta/\nu` while the difference quotient's round-off is :math:`10^{-\mathrm{dps}}\lambda\|w\|_1\|\phi\|/\nu`.
    For the exact-solution nu study it is :math:`\nu_{min}^{p+1}` (bias :math:`\nu^p` above round-off :math:`/\nu`).
    """
    smallest = finite_scalar(smallest, "smallest")
    if not 0 < smallest < 1:
        raise ValueError(f"smallest must be a number in (0, 1), got {smallest!r}.")
    return math.ceil(-math.log10(smallest)) + 3 * GUARD_DIGITS


class MPQuadraticTask:
    r"""Task ``i`` of a quadratic family at ``dps`` digits: :math:`\phi^*_\nu`, eq. (7), estimators, best nu.

    Parameters
    ----------
    tasks : QuadraticTasks
        The family (any backend; its float64 data are converted exactly).
    i : int
        Which task.
    theta : array ``(n,)``
        The meta-parameter.
    dps : int
        Working precision in significant decimal digits (>= 20).
    """

    def __init__(self, tasks: Any, i: int, theta: Any, *, dps: int) -> None:
        from bmaml_theory.tasks.quadratic import QuadraticTasks

        if not isinstance(tasks, QuadraticTasks):
            raise TypeError(
                f"tasks must be a QuadraticTasks family (the mpmath path is exact), got {type(tasks).__name__}."
            )
        dps = check_int(dps, "dps", lo=20, hi=MAX_DPS)
        i = check_int(i, "i", lo=0, hi=tasks.M - 1)
        self.dps = dps
        self.n = tasks.n
        self.i = i
        theta = np.asarray(to_numpy(tasks.check_theta(theta)), dtype=np.float64)
        with mpmath.workdps(dps):
            conv = lambda a: mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in np.atleast_2d(a)])  # noqa: E731
            col = lambda a: mpmath.matrix([mpmath.mpf(float(v)) for v in np.asarray(a).reshape(-1)])  # noqa: E731
            Ah, A = conv(to_numpy(tasks.A_train[i])), conv(to_numpy(tasks.A_test[i]))
            bh, b = col(to_numpy(tasks.b_train[i])), col(to_numpy(tasks.b_test[i]))
            self.lam = mpmath.mpf(float(tasks.lam))
            th = col(theta)
            n = self.n
            S = Ah + self.lam * mpmath.eye(n)
            r = self.lam * th - bh
            # reference: eq. (7) by dense LU, independent of the factorisation
            phi0 = mpmath.lu_solve(S, r)
            self.grad = self.lam * mpmath.lu_solve(S, A * phi0 + b)
            # simultaneous diagonalisation: S = L L^T, K = L^-1 A L^-T = W Gamma W^T, V = L^-T W
            L = mpmath.cholesky(S)
            Linv = mpmath.inverse(L)
            K = Linv * A * Linv.T
            K = (K + K.T) / 2
            gam, W = mpmath.eigsy(K)
            self.V = Linv.T * W
            self.gamma = [gam[k] for k in range(n)]
            self.c = self.V.T * r
            self.d = self.V.T * b
            res = max(
                mpmath.mnorm(self.V.T * S * self.V - mpmath.eye(n), 1),
                mpmath.mnorm(self.V.T * A * self.V - mpmath.diag(self.gamma), 1) / (1 + mpmath.mnorm(A, 1)),
            )
            if res > mpmath.mpf(10) ** (-(dps - GUARD_DIGITS)):
                raise ArithmeticError(f"factorisation residual {mpmath.nstr(res, 3)} above 1e-{dps - GUARD_DIGITS}.")
            self.rho = float(max(abs(g) for g in self.gamma))
            self.phi_norm = float(mpmath.norm(phi0))
            self.grad_norm = float(mpmath.norm(self.grad))

    # -- exact solutions and the estimator ------------------------------------------------------------

    def _check_nu(self, st: Stencil | None, nu: Any) -> float:
        """nu finite, non-zero, with every node t_k nu inside the uniqueness interval (1 + t nu gamma_j > 0)."""
        v = finite_scalar(nu, "nu")
        nodes = (1,) if st is None else st.nodes
        if any(1 + t * v * float(g) <= 0 for t in nodes for g in self.gamma):
            raise ValueError(
                f"nu={v:g} puts a node t_k nu outside the uniqueness interval of (9) (some 1 + t_k nu gamma_j <= 0); "
                "choose a smaller |nu|."
            )
        return v

    def inner_solution(self, nu: Any) -> mpmath.matrix:
        r""":math:`\phi^*_\nu=V(c-\nu d)/(1+\nu\gamma)` (eq. 9), at the working precision."""
        if not isinstance(nu, mpmath.mpf):
            self._check_nu(None, nu)
        with mpmath.workdps(self.dps):
            nu = mpmath.mpf(nu)
            z = mpmath.matrix([(self.c[k] - nu * self.d[k]) / (1 + nu * self.gamma[k]) for k in range(self.n)])
            return self.V * z

    def _weights(self, st: Stencil) -> list:
        return [mpmath.mpf(x.numerator) / x.denominator for x in st.weights_exact]

    def estimate(self, st: Stencil, nu: Any, delta: Any = 0) -> mpmath.matrix:
        r""":math:`g=-\frac\lambda\nu\sum_kw_k(\phi^*_{t_k\nu}+e_k)`, with adversarial :math:`\|e_k\|=\delta` (0: exact).

        The solutions are differenced in the coordinates :math:`z=V^{-1}\phi` (one product by V at the end);
        with ``delta`` > 0 every solution is perturbed by :math:`e_k=\mathrm{sign}(w_k)\,\delta\,\hat u` in the original
        coordinates, :math:`\hat u` the unit vector along the exact estimator's bias (the worst case of eq. 13).
        """
        with mpmath.workdps(self.dps):
            nu, delta = mpmath.mpf(nu), mpmath.mpf(delta)
            w = self._weights(st)
            zsum = [mpmath.mpf(0)] * self.n
            for wk, t in zip(w, st.nodes, strict=True):
                tn = t * nu
                for j in range(self.n):
                    zsum[j] += wk * (self.c[j] - tn * self.d[j]) / (1 + tn * self.gamma[j])
            g = self.V * mpmath.matrix([-self.lam / nu * zj for zj in zsum])
            if delta == 0:
                return g
            bias = self.grad - g
            nb = mpmath.norm(bias)
            u = bias / nb if nb > 0 else mpmath.matrix([1] + [0] * (self.n - 1))
            # inexact.Adversarial's rule: e_k = sign(w_k) delta u, so -lam/nu sum_k w_k e_k moves g along -u
            e = adversarial_errors(u, w, delta)
            shift = e[0] * w[0]
            for ek, wk in zip(e[1:], w[1:], strict=True):
                shift = shift + ek * wk
            return g - self.lam / nu * shift

    def bias(self, st: Stencil, nu: Any, delta: Any = 0) -> float:
        r""":math:`\|\nabla F_i-g\|` with the estimator of :meth:`estimate`, as a float (far inside float64's range).

        With ``delta`` > 0 this is the adversarial bias :math:`\|b(\nu)\|+\lambda\delta\|w\|_1/\nu`, computed from
        the exact-solution bias :math:`\|b(\nu)\|` (taken at full precision, where the cancellation happens) plus
        the inexactness term: :meth:`estimate` with ``delta`` > 0 gives the same number through perturbed
        solutions, which the tests check.
        """
        _check_stencil(st)
        nu = self._check_nu(st, nu)
        if nu == 0:
            raise ValueError("nu must be non-zero (the estimator divides by nu).")
        delta = finite_scalar(delta, "delta")
        if delta < 0:
            raise ValueError(f"delta must be >= 0 (0: exact solutions), got {delta}.")
        with mpmath.workdps(self.dps):
            b = float(mpmath.norm(self.grad - self.estimate(st, nu)))
        return b + float(self.lam) * st.w_l1 * delta / abs(nu)

    def roundoff(self, st: Stencil, nu: float) -> float:
        r"""A-priori round-off of the difference quotient: :math:`10^{-(\mathrm{dps}-10)}\lambda\|w\|_1\max(\|\phi\|,1)/\nu`."""
        return 10.0 ** (-(self.dps - GUARD_DIGITS)) * float(self.lam) * st.w_l1 * max(self.phi_norm, 1.0) / nu

    def nu_max(self, st: Stencil) -> float:
        """The a-priori end of the asymptotic window: nu * rho * max|t_k| <= ASYMPTOTIC_NU_RHO."""
        return ASYMPTOTIC_NU_RHO / (max(self.rho, 1e-300) * max(abs(t) for t in st.nodes))

    def nu_search_max(self, st: Stencil) -> float:
        """The largest nu searched: half the distance to the uniqueness interval's nearer end over max|t_k|."""
        return 0.5 / (max(self.rho, 1e-300) * max(abs(t) for t in st.nodes))

    def best_nu(self, st: Stencil, delta: float, *, scan: tuple[np.ndarray, np.ndarray] | None = None) -> BestNu:
        r"""The nu minimising the adversarial bias at ``delta``: a scan of :math:`\log_{10}\nu` every 1/2 decade
        over [delta, :meth:`nu_search_max`], then SciPy's bounded Brent minimiser to 1e-4 decades.

        ``scan`` = (log10 nu grid, exact-solution bias on it) reuses one scan for many deltas (the exact
        bias does not depend on delta).  ``bracketed`` is False when the scan's minimum is at either end.
        """
        _check_stencil(st)
        delta = check_positive(delta, "delta")
        if scan is None:
            if delta >= self.nu_search_max(st):
                raise ValueError(
                    f"delta={delta:g} is above the largest nu searched ({self.nu_search_max(st):g}); the bias-minimising "
                    "nu is searched over nu >= delta: pass a smaller delta."
                )
            scan = self.scan(st, delta)
        xs, ts = scan
        keep = xs >= math.log10(delta) - 1e-12
        xs, ts = xs[keep], ts[keep]
        if xs.size < 3:
            raise ValueError(
                f"delta={delta:g} leaves fewer than 3 scan points of nu above it (nu >= delta is searched); pass a "
                "smaller delta, or a scan from a smaller delta_min."
            )
        term = float(self.lam) * st.w_l1 * delta
        fs = ts + term / 10.0**xs
        k = int(np.argmin(fs))
        bracketed = 0 < k < xs.size - 1
        a, b = sorted((float(xs[max(k - 1, 0)]), float(xs[min(k + 1, xs.size - 1)])))
        # 1e-4 decades: the bias is then within ~1e-8 relative of its minimum
        res = minimize_scalar(
            lambda x: self.bias(st, 10.0**x, delta), bounds=(a, b), method="bounded", options={"xatol": 1e-4}
        )
        x, fx = float(res.x), float(res.fun)
        if fs[k] < fx:
            x, fx = float(xs[k]), float(fs[k])
        nu = 10.0**x
        return BestNu(nu, fx, self.roundoff(st, nu), bracketed)

    def scan(self, st: Stencil, delta_min: float, per_decade: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """(log10 nu, exact-solution bias) on a grid from delta_min to :meth:`nu_search_max`."""
        _check_stencil(st)
        delta_min = check_positive(delta_min, "delta_min")
        per_decade = check_int(per_decade, "per_decade", lo=1, hi=100)
        hi = math.log10(self.nu_search_max(st))
        if math.log10(delta_min) >= hi:
            raise ValueError(
                f"delta_min={delta_min:g} is above the largest nu searched {10**hi:g}; pass a smaller one."
            )
        xs = np.linspace(hi, math.log10(delta_min), math.ceil((hi - math.log10(delta_min)) * per_decade) + 1)
        return xs, np.array([self.bias(st, 10.0**x) for x in xs])


class DeltaStudy(NamedTuple):
    """Best-nu bias against delta for one task and stencil, and its fitted order (eq. 14 / Table 1)."""

    deltas: np.ndarray
    nu: np.ndarray
    bias: np.ndarray
    valid: np.ndarray
    fit: RateFit


def delta_study(
    task: MPQuadraticTask, st: Stencil, deltas: Sequence[float], *, min_decades: float = 20.0
) -> DeltaStudy:
    """Adversarial bias at the best nu for each delta; order fitted on the a-priori window.

    A point enters the fit when its best nu is bracketed by the scan and lies in the asymptotic window
    (nu * rho * max|t_k| <= 1e-2), and its bias exceeds 100x the round-off estimate; the fit needs
    ``min_decades`` decades of delta (the issue asks for >= 20).
    """
    if not isinstance(task, MPQuadraticTask):
        raise TypeError(f"task must be an MPQuadraticTask, got {type(task).__name__}.")
    _check_stencil(st)
    deltas = real_array(deltas, "deltas", ndim=1)
    if np.any(deltas <= 0):
        raise ValueError("deltas must be > 0.")
    min_decades = finite_scalar(min_decades, "min_decades")
    deltas = np.sort(deltas)[::-1]
    scan = task.scan(st, float(deltas[-1]))
    bests = [task.best_nu(st, float(d), scan=scan) for d in deltas]
    nu = np.array([b.nu for b in bests])
    bias = np.array([b.bias for b in bests])
    valid = np.array([b.bracketed for b in bests]) & (nu <= task.nu_max(st))
    floor = np.array([b.roundoff for b in bests])
    fit = fit_order(deltas, bias, floor=floor, floor_factor=FLOOR_FACTOR, valid=valid, min_decades=min_decades)
    return DeltaStudy(deltas, nu, bias, valid, fit)


class NuStudy(NamedTuple):
    """Exact-solution bias against nu for one task and stencil, and its fitted order (eq. 12)."""

    nus: np.ndarray
    bias: np.ndarray
    fit: RateFit


def nu_study(task: MPQuadraticTask, st: Stencil, *, decades: float = 20.0, per_decade: int = 2) -> NuStudy:
    """Exact-solution bias over ``decades`` decades of nu below the a-priori window's end; fitted order."""
    if not isinstance(task, MPQuadraticTask):
        raise TypeError(f"task must be an MPQuadraticTask, got {type(task).__name__}.")
    _check_stencil(st)
    decades = check_positive(decades, "decades")
    if decades > 300:
        raise ValueError(f"decades must be <= 300, got {decades:g}.")
    per_decade = check_int(per_decade, "per_decade", lo=1, hi=100)
    hi = task.nu_max(st)
    nus = hi * np.logspace(0, -decades, int(decades * per_decade) + 1)
    bias = np.array([task.bias(st, v) for v in nus])
    floor = np.array([task.roundoff(st, v) for v in nus])
    fit = fit_order(nus, bias, x_max=hi, floor=floor, floor_factor=FLOOR_FACTOR, min_decades=min(10.0, decades))
    return NuStudy(nus, bias, fit)
