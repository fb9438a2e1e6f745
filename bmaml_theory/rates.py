r"""Observed order of a rate: the log-log slope on the asymptotic window.

A rate :math:`e(x)\approx Cx^p` is read off as the least-squares slope of :math:`\log e` against
:math:`\log x` over a window that the *caller fixes before the fit* from a-priori criteria:

* the pre-asymptotic end: ``x_max`` (e.g. :math:`\nu\rho\le10^{-2}` where :math:`\rho` is the radius of
  the nu-expansion, so the next term changes the local slope by about 1%);
* the round-off floor: points whose error is below ``floor_factor`` times an a-priori round-off
  estimate ``floor`` are dropped (errors below about 100 eps times the scale are round-off);
* anything else the caller masks out (``valid``), e.g. a best nu that sits on the grid's edge.

The longest contiguous run of admissible points is fitted; the window is reported.  Fewer than
``min_points`` admissible points, or fewer than ``min_decades`` decades of x, gives ``ok=False``
with the reason: the rate is then not measurable, which a claim reports as inconclusive.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from bmaml_theory._validation import check_int, check_positive, finite_scalar, real_array

__all__ = ["PowerLaw", "RateFit", "fit_order", "fit_power_law"]


class PowerLaw(NamedTuple):
    r"""Result of :func:`fit_power_law`: :math:`y\approx10^{\mathrm{intercept}}x^{\mathrm{exponent}}`.

    ``stderr`` is the standard error of the exponent (least squares on :math:`\log_{10}`, n - 2 degrees of
    freedom); ``max_residual`` the largest :math:`|\log_{10}y-\text{fit}|`; ``n_points`` the number of points.
    """

    exponent: float
    stderr: float
    intercept: float
    max_residual: float
    n_points: int


def _monotone(x: np.ndarray, name: str) -> None:
    d = np.diff(x)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise ValueError(
            f"{name} must be strictly monotone (sorted ascending or descending, no repeats); sort the points "
            "together first, e.g. i = np.argsort(x); x, y = x[i], y[i]."
        )


def fit_power_law(x: Any, y: Any) -> PowerLaw:
    r"""Exponent p and its standard error of :math:`y=Cx^p`: least squares of :math:`\log_{10}y` on :math:`\log_{10}x`.

    :func:`scipy.stats.linregress` on the logs.  ``x`` and ``y`` are 1-D, of equal length >= 3, finite and > 0;
    ``x`` strictly monotone (a rate is read along an ordered sweep).  The one rate fit of the package:
    :func:`fit_order` fits its window with it, and ``verify bench`` its scaling exponents.
    """
    x = real_array(x, "x", ndim=1)
    y = real_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}.")
    if x.shape[0] < 3:
        raise ValueError(f"x and y need at least 3 points for an exponent and its standard error, got {x.shape[0]}.")
    if np.any(x <= 0):
        raise ValueError("x must be > 0 (a power law is fitted on log x).")
    if np.any(y <= 0):
        raise ValueError("y must be > 0 (a power law is fitted on log y); drop zero errors (e.g. at round-off).")
    _monotone(x, "x")
    lx, ly = np.log10(x), np.log10(y)
    r = stats.linregress(lx, ly)
    resid = ly - (r.slope * lx + r.intercept)
    # the slope's standard error from the residuals, sqrt(sum r^2 / (N - 2) / sum (lx - mean)^2): defined whenever x
    # varies (it is strictly monotone), 0 for an exact fit - also for constant y, where linregress returns NaN
    sxx = float(np.sum((lx - lx.mean()) ** 2))
    stderr = math.sqrt(float(np.sum(resid**2)) / (x.shape[0] - 2) / sxx)
    return PowerLaw(float(r.slope), stderr, float(r.intercept), float(np.max(np.abs(resid))), int(x.shape[0]))


class RateFit(NamedTuple):
    """Result of :func:`fit_order`; ``order`` is None when ``ok`` is False."""

    ok: bool
    order: float | None
    intercept: float | None
    window: tuple[float, float] | None
    n_points: int
    decades: float
    max_residual: float | None
    reason: str
    mask: np.ndarray
    stderr: float | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "order": self.order,
            "window": list(self.window) if self.window else None,
            "n_points": self.n_points,
            "decades": round(self.decades, 3),
            "max_log10_residual": self.max_residual,
            "reason": self.reason,
        }


def _longest_run(mask: np.ndarray) -> np.ndarray:
    best, cur, best_start, start = 0, 0, 0, 0
    for i, m in enumerate(mask):
        if m:
            if cur == 0:
                start = i
            cur += 1
            if cur > best:
                best, best_start = cur, start
        else:
            cur = 0
    out = np.zeros_like(mask, dtype=bool)
    out[best_start : best_start + best] = True
    return out


def fit_order(
    x: np.ndarray,
    err: np.ndarray,
    *,
    x_max: float = np.inf,
    x_min: float = 0.0,
    floor: np.ndarray | float | None = None,
    floor_factor: float = 100.0,
    valid: np.ndarray | None = None,
    min_points: int = 5,
    min_decades: float = 1.0,
) -> RateFit:
    r"""Slope p of :math:`\log e=p\log x+c` on the asymptotic window (see the module docstring).

    ``x`` must be finite, > 0 and strictly monotone (either direction); ``err`` may hold NaN/inf/0 (such
    points are simply not admissible); ``floor`` is an array like ``err`` or a scalar.  The fit itself is
    :func:`fit_power_law` on the window; ``RateFit.stderr`` is the exponent's standard error.
    """
    x = real_array(x, "x", ndim=1)
    err = _err_array(err)
    if x.shape != err.shape:
        raise ValueError(f"x and err must be 1-D of the same length, got {x.shape} and {err.shape}.")
    if np.any(x <= 0):
        raise ValueError("x must be > 0 (the order is a slope in log x).")
    if x.shape[0] > 1:
        _monotone(x, "x")
    x_max = float(x_max) if x_max == np.inf else finite_scalar(x_max, "x_max")
    x_min = finite_scalar(x_min, "x_min")
    floor_factor = check_positive(floor_factor, "floor_factor")
    min_points = check_int(min_points, "min_points", lo=3)
    min_decades = finite_scalar(min_decades, "min_decades")
    if min_decades < 0:
        raise ValueError(f"min_decades must be >= 0, got {min_decades}.")
    ok = np.isfinite(err) & (err > 0) & (x <= x_max) & (x >= x_min)
    if floor is not None:
        fl = real_array(floor, "floor", ndim=(0, 1))
        if fl.ndim == 1 and fl.shape != err.shape:
            raise ValueError(f"floor must be a scalar or have the shape of err {err.shape}, got {fl.shape}.")
        ok &= err > floor_factor * np.broadcast_to(fl, err.shape)
    if valid is not None:
        v = np.asarray(valid)
        if v.dtype.kind != "b" or v.shape != err.shape:
            raise TypeError(f"valid must be a boolean array of the shape of err {err.shape}, got {v.dtype} {v.shape}.")
        ok &= v
    run = _longest_run(ok)
    n = int(run.sum())
    if n == 0:
        return RateFit(False, None, None, None, 0, 0.0, None, "no point in the asymptotic window", run)
    lx = np.log10(x[run])
    decades = float(lx.max() - lx.min())
    if n < min_points or decades < min_decades:
        return RateFit(
            False,
            None,
            None,
            (float(x[run].min()), float(x[run].max())),
            n,
            decades,
            None,
            f"asymptotic window too short ({n} points over {decades:.2f} decades; need "
            f">= {min_points} points over >= {min_decades} decades)",
            run,
        )
    pl = fit_power_law(x[run], err[run])
    return RateFit(
        True,
        pl.exponent,
        pl.intercept,
        (float(x[run].min()), float(x[run].max())),
        n,
        decades,
        pl.max_residual,
        "",
        run,
        pl.stderr,
    )


def _err_array(err: Any) -> np.ndarray:
    """err as a 1-D real float array; NaN/inf allowed (they mark inadmissible points), other types rejected."""
    if err is None or isinstance(err, (str, bytes)):
        raise TypeError(f"err must be a 1-D real array, got {type(err).__name__}.")
    a = np.asarray(err)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"err must be a real array, got dtype {a.dtype}.")
    a = a.astype(float)
    if a.ndim != 1:
        raise ValueError(f"err must be 1-D, got shape {a.shape}.")
    return a
