"""Input validation in one place, kept apart from the algorithms (after SciPy's ``_iv`` helpers).

Every public entry point calls these so that bad input fails with a ``ValueError`` or ``TypeError`` that
names the argument and says how to fix it, and a non-finite number never leaves the library silently.

Conversion rules (the same everywhere):

* arrays: real floating input is kept (cast to the requested floating dtype); integer input is cast to that
  dtype (exact for magnitudes below 2**53 in float64); boolean, complex, object and string input is rejected
  (``TypeError``), as are None and non-finite entries (``ValueError``);
* scalars: Python/NumPy real numbers and 0-d real arrays; bool, complex, strings and None are rejected;
* counts: Python/NumPy integers only (no floats, no bools), inside a stated range;
* flags: ``bool`` / ``numpy.bool_`` only (``strict=None`` is an error, not "false").

:class:`AccuracyWarning` flags a *legal* call whose result is untrustworthy (nu at the round-off floor or at
the edge of the uniqueness interval, a high cond(S)); filter it with
``warnings.simplefilter("ignore", bmaml_theory.AccuracyWarning)``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import array_api_compat
import numpy as np

from bmaml_theory._backend import to_numpy

_NUMPY = array_api_compat.array_namespace(np.empty(0))  # the namespace of NumPy arrays (array_api_compat.numpy)

__all__ = [
    "AccuracyWarning",
    "check_bool",
    "check_constants",
    "check_dtype",
    "check_finite_result",
    "check_int",
    "check_nu_values",
    "check_positive",
    "check_theta",
    "finite_scalar",
    "real_array",
    "warn_accuracy",
    "warn_near_edge",
]

# An estimated relative error above this makes a result untrustworthy enough to warn (fewer than 3 digits).
ACCURACY_WARN_REL = 1e-3
# nu * t_k within this relative distance of an end of the uniqueness interval: the perturbed problem's
# condition number has grown by more than 1/EDGE_REL over nu = 0, and the bias series diverges there.
EDGE_REL = 1e-3


class AccuracyWarning(UserWarning):
    """A legal call whose result is untrustworthy (round-off floor, interval edge, ill-conditioning)."""


def warn_accuracy(msg: str, stacklevel: int = 3) -> None:
    """Issue an :class:`AccuracyWarning`."""
    warnings.warn(msg, AccuracyWarning, stacklevel=stacklevel)


def _is_real_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def finite_scalar(value: Any, name: str) -> float:
    """``value`` as a finite Python float, or a ``TypeError``/``ValueError`` naming ``name``.

    Accepts real Python/NumPy numbers and 0-d real arrays; rejects bool, complex, strings, None and arrays
    with more than one element.
    """
    v = value
    if array_api_compat.is_array_api_obj(v) and not isinstance(v, np.generic):
        if tuple(v.shape) != ():
            raise TypeError(f"{name} must be a real number, got an array of shape {tuple(v.shape)}; pass one value.")
        if _dtype_kind(v) not in "fiu":
            raise TypeError(f"{name} must be a real number, got a 0-d array of dtype {v.dtype}.")
        v = float(v)
    if not _is_real_number(v):
        raise TypeError(f"{name} must be a real number (int or float), got {type(value).__name__} {value!r:.60}.")
    try:
        f = float(v)
    except (OverflowError, TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a finite real number, got {value!r:.60}.") from exc
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {f}.")
    return f


def check_positive(value: Any, name: str) -> float:
    """``value`` as a finite float > 0."""
    v = finite_scalar(value, name)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {v}.")
    return v


def check_int(value: Any, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as a Python int in [lo, hi]; floats (even integral) and bools are rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r:.60}.")
    v = int(value)
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}.")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be <= {hi} (a bound that keeps the computation tractable), got {v}.")
    return v


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool; only ``True``/``False`` (or NumPy's) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {value!r:.60}.")
    return bool(value)


def _dtype_kind(x: Any) -> str:
    dt = x.dtype
    if hasattr(dt, "kind"):
        return dt.kind
    # array-API namespaces without NumPy dtypes (array-api-strict): decide through the namespace
    xp = array_api_compat.array_namespace(x)
    if xp.isdtype(dt, "real floating"):
        return "f"
    if xp.isdtype(dt, "integral"):
        return "i"
    if xp.isdtype(dt, "complex floating"):
        return "c"
    if xp.isdtype(dt, "bool"):
        return "b"
    return "O"


def real_array(
    x: Any,
    name: str,
    *,
    xp: Any = None,
    dtype: Any = None,
    ndim: int | Sequence[int] | None = None,
    allow_empty: bool = False,
    device: Any = None,
) -> Any:
    """``x`` as a finite real-floating array of namespace ``xp`` (NumPy by default) and ``dtype`` (float64).

    See the module docstring for the conversion rules.  ``ndim``: the allowed number(s) of dimensions.
    ``device``: a native device of ``xp`` to put the array on (``None``: where ``xp.asarray`` puts it).  An array
    of another namespace is copied through the host (NumPy) first.
    """
    if xp is None:
        xp = _NUMPY
    dt = xp.float64 if dtype is None else dtype
    if type(x) is np.ndarray and xp is _NUMPY and device is None and x.dtype == dt:
        # already a NumPy array of the dtype: xp.asarray would return it as is, so only the checks below remain
        # (the same checks, without the conversions: this path runs in every inner step of every method)
        return _checked(x, name, xp, dt, ndim, allow_empty)
    if x is None:
        raise TypeError(f"{name} is None; pass a real array.")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a real array, got the string {x!r:.40}.")
    if array_api_compat.is_array_api_obj(x) and not isinstance(x, np.generic):
        kind = _dtype_kind(x)
        if kind in "fiu" and not isinstance(x, np.ndarray) and array_api_compat.array_namespace(x) is not xp:
            x = to_numpy(x)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning if hasattr(np, "exceptions") else Warning)
                x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} could not be read as a real array (ragged or mixed input): {exc}") from exc
        kind = x.dtype.kind
        if kind == "O":
            try:
                x = np.asarray(x, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{name} must hold real numbers, got objects that are not ({exc}).") from exc
            kind = "f"
    if kind in "c":
        raise TypeError(f"{name} is complex; the library works on real data: pass the real part explicitly.")
    if kind == "b":
        raise TypeError(f"{name} is boolean; pass real numbers (e.g. x.astype(float)).")
    if kind not in "fiu":
        raise TypeError(f"{name} must be a real array, got dtype {x.dtype}.")
    try:
        arr = xp.asarray(x, dtype=dt) if device is None else xp.asarray(x, dtype=dt, device=device)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{name} could not be converted to a {dt} array of the backend: {exc}") from exc
    if arr.dtype != dt:  # JAX without 64-bit mode silently returns float32 for float64
        raise TypeError(
            f"{name}: the backend returned {arr.dtype} for the requested {dt}; for JAX turn on 64-bit mode "
            "(jax.config.update('jax_enable_x64', True), which backend='jax' does) or pass dtype=float32."
        )
    return _checked(arr, name, xp, dt, ndim, allow_empty)


def _checked(arr: Any, name: str, xp: Any, dt: Any, ndim: int | Sequence[int] | None, allow_empty: bool) -> Any:
    """``arr`` (already of namespace ``xp`` and dtype ``dt``) after the dimension, emptiness and finiteness checks."""
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), got shape {tuple(arr.shape)}."
            )
    if not allow_empty and math.prod(arr.shape) == 0 and arr.ndim > 0:
        raise ValueError(f"{name} is empty (shape {tuple(arr.shape)}); pass at least one value.")
    finite = bool(np.isfinite(arr).all()) if type(arr) is np.ndarray else bool(xp.all(xp.isfinite(arr)))
    if not finite:
        raise ValueError(
            f"{name} has non-finite entries (NaN or inf) after conversion to {dt}; pass finite values"
            + (" (float32 overflows above 3.4e38)." if dt == getattr(xp, "float32", None) else ".")
        )
    return arr


def check_theta(theta: Any, *, xp: Any, n: int, dtype: Any, device: Any = None) -> Any:
    """The meta-parameter ``theta`` as an ``(n,)`` array of the family's backend, dtype and device."""
    arr = real_array(theta, "theta", xp=xp, dtype=dtype, device=device)
    if tuple(arr.shape) != (n,):
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


def warn_near_edge(nus: list[float], interval: tuple[float, float], *, what: str = "nu") -> None:
    """:class:`AccuracyWarning` when some value is within :data:`EDGE_REL` (relative) of a finite end."""
    lo, hi = interval
    for v in nus:
        for end in (lo, hi):
            if math.isfinite(end) and end != 0 and v / end > 0 and abs(end - v) <= EDGE_REL * abs(end):
                warn_accuracy(
                    f"{what}={v:.6g} is within {abs(end - v) / abs(end):.1e} (relative) of the end {end:.6g} of the "
                    "uniqueness interval of (9): the perturbed problem is nearly singular there and the "
                    "estimator's bias series diverges; the result is not a meaningful gradient estimate. "
                    "Choose nu well inside the interval.",
                    stacklevel=4,
                )
                return


def _numpy_dtype(a: Any) -> Any:
    """NumPy's dtype for a backend dtype (JAX's are NumPy's; torch's and array-api-strict's by name)."""
    try:
        return np.dtype(a)
    except TypeError:
        return np.dtype(str(a).split(".")[-1].strip("'>"))


def check_dtype(dtype: Any, xp: Any) -> Any:
    """A real floating dtype of ``xp`` (float64 when None); integer, complex and other dtypes are rejected."""
    if dtype is None:
        return xp.float64
    if isinstance(dtype, str):
        raise TypeError(f"dtype must be a dtype object such as numpy.float64, not the string {dtype!r}.")
    allowed = [getattr(xp, "float64", None), getattr(xp, "float32", None)]
    for a in allowed:
        if a is None:
            continue
        try:
            if dtype == a or np.dtype(dtype) == _numpy_dtype(a):
                return a
        except TypeError:
            continue
    raise TypeError(
        f"dtype must be a real floating dtype of the backend (float64 or float32), got {dtype!r}; "
        "integer or complex dtypes cannot hold the solutions."
    )


def check_finite_result(x: Any, what: str, xp: Any = None) -> Any:
    """``x`` unchanged if every entry is finite, else ``FloatingPointError`` naming the result."""
    if type(x) is np.ndarray:  # the common case, without the namespace's wrappers
        ok = bool(np.isfinite(x).all())
    else:
        if xp is None:
            xp = array_api_compat.array_namespace(x) if array_api_compat.is_array_api_obj(x) else None
        ok = bool(xp.all(xp.isfinite(x))) if xp is not None else math.isfinite(float(x))
    if not ok:
        raise FloatingPointError(
            f"{what} overflowed or is undefined (non-finite) although a finite value was expected; "
            "rescale the data (e.g. divide the objectives by a common factor) or move theta/nu to a moderate range."
        )
    return x


def check_constants(c: Any, name: str = "c") -> Any:
    """A :class:`~bmaml_theory.tasks.Constants` with lam > 0, mu > 0, the rest >= 0 (L0 may be inf)."""
    from bmaml_theory.tasks._protocol import Constants

    if not isinstance(c, Constants):
        if isinstance(c, tuple) and len(c) == 6:
            c = Constants(*c)
        else:
            raise TypeError(
                f"{name} must be a bmaml_theory.tasks.Constants (lam, Lhat1, Lhat2, L0, L1, mu), "
                f"e.g. tasks.constants(); got {type(c).__name__}."
            )
    vals = {}
    for field in Constants._fields:
        v = getattr(c, field)
        if field == "L0" and _is_real_number(v) and v == math.inf:
            vals[field] = math.inf
            continue
        vals[field] = finite_scalar(v, f"{name}.{field}")
    for field in ("lam", "mu"):
        if vals[field] <= 0:
            raise ValueError(f"{name}.{field} must be > 0, got {vals[field]}.")
    for field in ("Lhat1", "Lhat2", "L0", "L1"):
        if vals[field] < 0:
            raise ValueError(f"{name}.{field} must be >= 0 (a Lipschitz constant), got {vals[field]}.")
    return Constants(**vals)
