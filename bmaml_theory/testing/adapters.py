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

__all__ = ["BACKENDS", "DTYPES", "Answer", "flatten", "from_user", "to_backend", "unflatten"]

BACKENDS = ("numpy", "torch", "jax")
DTYPES = ("float64", "float32")


def _check(backend: Any, dtype: Any, device: Any = None) -> None:
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES} (float64 by default), got {dtype!r}.")
    if device is not None and backend != "torch":
        raise ValueError(
            f"device={device!r} needs backend='torch' (the JAX and NumPy adapters place arrays by default)."
        )


def _convert(x: np.ndarray, backend: str, dtype: str, device: Any = None) -> Any:
    if backend == "numpy":
        return np.array(x, dtype=dtype, copy=True)  # a copy: an in-place update in fn cannot touch the problem
    if backend == "torch":
        try:
            import torch
        except ImportError as exc:
            raise ImportError("backend='torch' needs PyTorch: pip install torch.") from exc
        try:
            return torch.tensor(np.asarray(x, dtype=dtype), device=device)  # a copy (as_tensor would share memory)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"device={device!r} is not a usable torch device here: {exc}") from exc
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


def to_backend(problem: Any, backend: str = "numpy", dtype: str = "float64", device: Any = None) -> Any:
    """A copy of ``problem`` whose arrays are ``backend`` arrays of ``dtype`` (``lam`` stays a Python float).

    Labels (``y_train``, ``y_test``) are converted like the data; ``theta`` too.  ``device`` (torch only): where the
    tensors live (``"cuda"``, ``torch.device("cuda:1")``); the answer may come back from any device.
    """
    _check(backend, dtype, device)
    p = problem.validate()
    changes = {
        f.name: _convert(getattr(p, f.name), backend, dtype, device)
        for f in fields(p)
        if isinstance(getattr(p, f.name), np.ndarray)
    }
    return p.replace(**changes)


class Answer(NamedTuple):
    """The user's answer as NumPy float64 (``value``) and the dtype and array library it came in."""

    value: np.ndarray
    dtype: str
    library: str


def _is_array(x: Any) -> bool:
    return isinstance(x, np.ndarray) or array_api_compat.is_array_api_obj(x) or hasattr(x, "__dlpack__")


def _leaves(out: Any) -> list[Any] | None:
    """The leaves of a pytree answer (a dict in insertion order, a list or tuple of arrays), or None for one array."""
    if isinstance(out, dict):
        items = list(out.values())
    elif isinstance(out, list | tuple) and out and any(_is_array(x) or isinstance(x, dict | list | tuple) for x in out):
        items = list(out)
    else:
        return None
    leaves: list[Any] = []
    for x in items:
        sub = _leaves(x)
        leaves.extend([x] if sub is None else sub)
    return leaves


def flatten(tensors: Any) -> Any:
    """Several arrays (a list, tuple or dict: an MLP's parameters) as one vector, in order (the kit's theta layout)."""
    leaves = _leaves(tensors) or [tensors]
    if array_api_compat.is_torch_array(leaves[0]):
        import torch

        return torch.cat([t.reshape(-1) for t in leaves])
    xp = array_api_compat.array_namespace(*leaves)
    return xp.concat([xp.reshape(t, (-1,)) for t in leaves])


def unflatten(theta: Any, shapes: Any) -> list[Any]:
    """``theta`` (n,) cut into arrays of the given ``shapes`` (views, in order; the sizes must add up to n).

    Use it to hand the kit's theta to a model whose parameters are several tensors; :func:`flatten` (or returning the
    list of gradients) goes back.
    """
    shapes = [tuple(int(d) for d in (s if isinstance(s, tuple | list) else (s,))) for s in shapes]
    sizes = [int(np.prod(s)) for s in shapes]
    n = int(theta.shape[0])
    if sum(sizes) != n:
        raise ValueError(f"shapes {shapes} hold {sum(sizes)} numbers, theta has {n}: they must add up to n.")
    out, start = [], 0
    for shp, size in zip(shapes, sizes, strict=True):
        out.append(theta[start : start + size].reshape(shp))
        start += size
    return out


def _one(out: Any) -> tuple[np.ndarray, str, str]:
    library = "python"
    if array_api_compat.is_torch_array(out):
        library = "torch"
        dtype = str(out.dtype).replace("torch.", "")
        if out.is_complex():
            raise TypeError(f"returned a complex tensor (dtype {dtype}); return real floating-point values.")
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
    return arr, dtype, library


def from_user(out: Any, *, n: int, what: str) -> Answer:
    """The user's return value as a NumPy float64 vector of shape (n,), or a TypeError/ValueError saying why not.

    A pytree (a list, tuple or dict of arrays: one gradient per parameter tensor) is flattened in order and must
    hold n numbers in all.
    """
    if isinstance(out, tuple | list | dict) and not out:
        raise ValueError(f"{what} returned an empty {type(out).__name__}; return an array of shape ({n},).")
    if out is None:
        raise TypeError(
            f"{what} returned None; return the gradient, an array of shape ({n},) (a .grad that is None means no "
            "gradient reached that tensor)."
        )
    leaves = _leaves(out)
    if leaves is not None:
        if any(x is None for x in leaves):
            raise TypeError(
                f"{what} returned a pytree with a None leaf: no gradient reached that parameter (a .grad of None); "
                "return zeros there only if that is the true gradient."
            )
        parts = [_one(x) for x in leaves]
        for arr, _, _ in parts:
            if arr.dtype.kind not in "fiu":
                raise TypeError(f"{what} returned an array of dtype {arr.dtype}; return real floating-point values.")
        arr = np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a, _, _ in parts])
        dtypes = {d for _, d, _ in parts}
        dtype = next((d for d in ("float16", "bfloat16", "float32") if d in dtypes), parts[0][1])
        library = parts[0][2]
        if arr.shape != (n,):
            raise ValueError(
                f"{what} returned {len(parts)} arrays holding {arr.size} numbers in all; theta has {n} (the leaves are "
                "flattened in order: dict insertion order, list order)."
            )
        return Answer(arr, dtype, library)
    try:
        arr, dtype, library = _one(out)
    except TypeError as exc:
        raise TypeError(f"{what} {exc}") from None
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{what} returned an array of dtype {arr.dtype}; return real floating-point values.")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(
            f"{what} returned shape {arr.shape}; return shape ({n},): one vector averaged over the tasks "
            "(eq. (5) averages the task objectives)."
        )
    return Answer(arr, dtype, library)
