"""Input validation, kept apart from the algorithms (after scipy.differentiate).

Every public entry point calls these so that bad input fails with an error that
names the argument and says how to fix it; results are never silently NaN.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["check_nu_values", "check_positive", "check_theta", "finite_scalar"]


def finite_scalar(value: Any, name: str) -> float:
    """``value`` as a finite Python float, or a ValueError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number, got {value!r}.") from exc
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}.")
    return v


def check_positive(value: Any, name: str) -> float:
    """``value`` as a finite float > 0."""
    v = finite_scalar(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {v}.")
    return v


def check_theta(theta: Any, *, xp: Any, n: int, dtype: Any) -> Any:
    """The meta-parameter ``theta`` as an ``(n,)`` array of the family's backend and dtype."""
    from bmaml_theory._backend import as_array

    arr = as_array(theta, xp=xp, dtype=dtype, name="theta")
    if arr.shape != (n,):
        raise ValueError(
            f"theta must have shape ({n},) (one meta-parameter shared by all tasks), got {tuple(arr.shape)}."
        )
    return arr


def check_nu_values(nus: list[float], interval: tuple[float, float], *, what: str = "nu") -> None:
    """Every perturbation in ``nus`` lies strictly inside the uniqueness ``interval`` of eq. (9)."""
    lo, hi = interval
    for v in nus:
        if not math.isfinite(v):
            raise ValueError(f"{what} must be finite, got {v}.")
        if not (lo < v < hi):
            raise ValueError(
                f"{what}={v:g} is outside ({lo:g}, {hi:g}), the interval where the perturbed inner "
                "problem (9) is strongly convex and has a unique solution; choose a smaller |nu|."
            )
