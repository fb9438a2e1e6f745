"""Adapters: hand a problem to the user's callable as NumPy, PyTorch or JAX arrays; read its answer back.

The kit never imports PyTorch or JAX unless asked for that backend.  Answers are read through
array-api-compat (``array_namespace``, ``is_torch_array``, ``is_jax_array``), so any array the user returns
(a NumPy array, a torch tensor on any device, with or without ``requires_grad``, a JAX array, a Python list)
becomes a NumPy float64 vector.  The dtype the user returned is kept in :class:`Answer` so that an assertion can
report a float32 answer where float64 was promised.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, NamedTuple

import array_api_compat
import numpy as np

__all__ = ["BACKENDS", "DTYPES", "Answer", "from_user", "to_backend"]

BACKENDS = ("numpy", "torch", "jax")
DTYPES = ("float64", "float32")


def _check(backend: str, dtype: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES} (float64 by default), got {dtype!r}.")


def _convert(x: np.ndarray, backend: str, dtype: str) -> Any:
    if backend == "numpy":
        return np.array(x, dtype=dtype, copy=True)  # a copy: an in-place update in fn cannot touch the problem
    if backend == "torch":
        try:
            import torch
        except ImportError as exc:
            raise ImportError("backend='torch' needs PyTorch: pip install torch.") from exc
        return torch.tensor(np.asarray(x, dtype=dtype))  # a copy (as_tensor would share the memory)
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        raise ImportError("backend='jax' needs JAX: pip install jax.") from exc
    if dtype == "float64" and not jax.config.read("jax_enable_x64"):
        raise ValueError(
            "backend='jax' with dtype='float64' needs 64-bit JAX: jax.config.update('jax_enable_x64', True) "
            "(otherwise JAX silently computes in float32), or pass dtype='float32'."
        )
    return jnp.asarray(np.asarray(x, dtype=dtype))


def to_backend(problem: Any, backend: str = "numpy", dtype: str = "float64") -> Any:
    """A copy of ``problem`` whose arrays are ``backend`` arrays of ``dtype`` (``lam`` stays a Python float).

    Labels (``y_train``, ``y_test``) are converted like the data; ``theta`` too.
    """
    _check(backend, dtype)
    p = problem.validate()
    changes = {
        f.name: _convert(getattr(p, f.name), backend, dtype)
        for f in fields(p)
        if isinstance(getattr(p, f.name), np.ndarray)
    }
    return p.replace(**changes)


class Answer(NamedTuple):
    """The user's answer as NumPy float64 (``value``) and the dtype and array library it came in."""

    value: np.ndarray
    dtype: str
    library: str


def from_user(out: Any, *, n: int, what: str) -> Answer:
    """The user's return value as a NumPy float64 vector of shape (n,), or a TypeError/ValueError saying why not."""
    if isinstance(out, tuple | list) and not out:
        raise ValueError(f"{what} returned an empty {type(out).__name__}; return an array of shape ({n},).")
    if out is None:
        raise TypeError(f"{what} returned None; return the gradient, an array of shape ({n},).")
    library = "python"
    if array_api_compat.is_torch_array(out):
        library = "torch"
        dtype = str(out.dtype).replace("torch.", "")
        arr = out.detach().cpu().resolve_conj().numpy()
    elif array_api_compat.is_jax_array(out):
        library = "jax"
        dtype = str(out.dtype)
        arr = np.asarray(out)
    elif array_api_compat.is_array_api_obj(out):
        library = type(out).__module__.split(".")[0]
        arr = np.asarray(out) if isinstance(out, np.ndarray) else np.from_dlpack(out)
        dtype = str(arr.dtype)
    else:
        arr = np.asarray(out)
        dtype = str(arr.dtype) if isinstance(out, np.generic) else "float64"
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{what} returned an array of dtype {arr.dtype}; return real floating-point values.")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(
            f"{what} returned shape {arr.shape}; return shape ({n},): one vector averaged over the tasks "
            "(eq. (5) averages the task objectives)."
        )
    return Answer(arr, dtype, library)
