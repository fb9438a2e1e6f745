"""Array backend: one code path for NumPy, CuPy and any array-API namespace.

The library never imports NumPy-only functions on the hot path: every array
operation goes through the namespace ``xp`` returned by :func:`namespace`
(array-api-compat wraps NumPy and CuPy; array-api-strict is used by the test
suite to catch NumPy-only calls).  Host-side post-processing (rate fits, the
ledger, figures) converts to NumPy with :func:`to_numpy`.

Dtype policy: float64 unless the caller passes ``dtype``; tolerances derive
from ``finfo(dtype).eps`` (see :func:`eps`).
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

__all__ = ["as_array", "eps", "namespace", "resolve_backend", "safe_norm", "to_numpy"]


def namespace(*arrays: Any) -> Any:
    """The array-API namespace shared by ``arrays`` (NumPy for Python scalars / lists)."""
    arrs = [a for a in arrays if array_api_compat.is_array_api_obj(a) and not isinstance(a, np.generic)]
    if not arrs:
        return array_api_compat.array_namespace(np.empty(0))
    return array_api_compat.array_namespace(*arrs)


def resolve_backend(backend: str | None) -> Any:
    """Namespace for a backend name: ``"numpy"`` (default), ``"cupy"`` or ``"array_api_strict"``.

    Raises a clear error when CuPy is asked for on a machine without it or without a GPU.
    """
    if backend is None or backend == "numpy":
        return array_api_compat.array_namespace(np.empty(0))
    if backend == "cupy":
        try:
            import cupy
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise RuntimeError(
                "backend='cupy' was asked for but CuPy is not installed; install the 'gpu' extra "
                "(pip install 'bmaml-theory[gpu]') on a machine with a CUDA GPU, or use backend='numpy'."
            ) from exc
        try:  # pragma: no cover - depends on the machine
            n = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # pragma: no cover
            raise RuntimeError(
                f"backend='cupy' was asked for but no CUDA GPU is usable ({exc}); use backend='numpy'."
            ) from exc
        if n < 1:  # pragma: no cover
            raise RuntimeError("backend='cupy' was asked for but no CUDA GPU is present; use backend='numpy'.")
        return array_api_compat.array_namespace(cupy.empty(0))  # pragma: no cover
    if backend == "array_api_strict":
        import array_api_strict

        return array_api_strict
    raise ValueError(f"backend={backend!r} is not known; use 'numpy', 'cupy' or 'array_api_strict'.")


def as_array(x: Any, *, xp: Any, dtype: Any = None, name: str = "array") -> Any:
    """``x`` as a finite real array of ``xp`` with floating ``dtype`` (float64 by default).

    The rules of :func:`bmaml_theory._validation.real_array` apply (integers cast; bool, complex, object,
    strings, None and non-finite entries rejected with an error naming ``name``).
    """
    from bmaml_theory._validation import real_array

    return real_array(x, name, xp=xp, dtype=dtype, allow_empty=True)


def safe_norm(x: Any, *, xp: Any = None, axis: int = -1) -> Any:
    """Euclidean norms along ``axis`` without overflow/underflow of the squares: ``m * ||x / m||``, m = max |x|."""
    xp = namespace(x) if xp is None else xp
    m = xp.max(xp.abs(x), axis=axis, keepdims=True)
    safe = xp.where(m > 0, m, xp.ones_like(m))
    out = xp.linalg.vector_norm(x / safe, axis=axis, keepdims=True) * safe
    return xp.squeeze(out, axis=axis)


def eps(xp: Any, dtype: Any) -> float:
    """Machine epsilon of ``dtype`` in namespace ``xp``."""
    return float(xp.finfo(dtype).eps)


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy copy of an array of any backend (CuPy via ``.get()``, others via DLPack)."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_cupy_array(x):  # pragma: no cover - GPU only
        return x.get()
    if array_api_compat.is_numpy_array(x):
        return np.asarray(x)
    try:
        return np.from_dlpack(x)
    except (TypeError, AttributeError, BufferError, RuntimeError):
        return np.asarray(x)
