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

from typing import NamedTuple

import numpy as np

__all__ = ["RateFit", "fit_order"]


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

    ``x`` must be sorted (either direction); ``floor`` is an array like ``err`` or a scalar.
    """
    x = np.asarray(x, dtype=float)
    err = np.asarray(err, dtype=float)
    if x.shape != err.shape or x.ndim != 1:
        raise ValueError(f"x and err must be 1-D of the same length, got {x.shape} and {err.shape}.")
    ok = np.isfinite(err) & (err > 0) & np.isfinite(x) & (x > 0) & (x <= x_max) & (x >= x_min)
    if floor is not None:
        ok &= err > floor_factor * np.broadcast_to(np.asarray(floor, dtype=float), err.shape)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    run = _longest_run(ok)
    n = int(run.sum())
    if n == 0:
        return RateFit(False, None, None, None, 0, 0.0, None, "no point in the asymptotic window", run)
    lx, le = np.log10(x[run]), np.log10(err[run])
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
    p, c = np.polyfit(lx, le, 1)
    res = float(np.max(np.abs(le - (p * lx + c))))
    return RateFit(
        True,
        float(p),
        float(c),
        (float(x[run].min()), float(x[run].max())),
        n,
        decades,
        res,
        "",
        run,
    )
