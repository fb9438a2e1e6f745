"""Array backend: one code path for NumPy, PyTorch, JAX, CuPy and any array-API namespace.

The library never imports NumPy-only functions on the hot path: every array
operation goes through the namespace ``xp`` returned by :func:`namespace`
(array-api-compat wraps NumPy, PyTorch, JAX and CuPy; array-api-strict is used by
the test suite to catch NumPy-only calls).  Arrays the library creates go to the
device of the family's data (:func:`device_of`), so a family on ``cuda:0`` stays there.
The core imports none of the optional backends: :func:`resolve_backend` imports them
on demand and names the extra to install when one is missing.  Host-side post-processing (rate fits, the
ledger, figures) converts to NumPy with :func:`to_numpy`.

Dtype policy: float64 unless the caller passes ``dtype``; tolerances derive
from ``finfo(dtype).eps`` (see :func:`eps`).
"""

from __future__ import annotations

from typing import Any

import array_api_compat
import numpy as np

__all__ = [
    "BACKENDS",
    "backend_name",
    "device_of",
    "eps",
    "namespace",
    "on_device",
    "resolve_backend",
    "resolve_device",
    "safe_norm",
    "to_numpy",
]


def namespace(*arrays: Any) -> Any:
    """The array-API namespace shared by ``arrays`` (NumPy for Python scalars / lists)."""
    arrs = [a for a in arrays if array_api_compat.is_array_api_obj(a) and not isinstance(a, np.generic)]
    if not arrs:
        return array_api_compat.array_namespace(np.empty(0))
    return array_api_compat.array_namespace(*arrs)


BACKENDS = ("numpy", "array_api_strict", "torch", "jax", "cupy")

# the extra that installs each optional backend (pip install 'bmaml-theory[EXTRA]')
_EXTRA = {
    "torch": "pip install 'bmaml-theory[torch]'",
    "jax": "pip install 'bmaml-theory[jax]'",
    "cupy": "pip install 'bmaml-theory[gpu-cuda12]' (CUDA 12) or 'bmaml-theory[gpu-cuda13]' (CUDA 13)",
}


def _missing(backend: str, module: str, exc: Exception) -> RuntimeError:
    return RuntimeError(
        f"backend={backend!r} was asked for but {module} is not installed ({exc}); install the extra: "
        f"{_EXTRA[backend]}, or use backend='numpy'."
    )


def resolve_backend(backend: str | None, device: Any = None) -> Any:
    """Namespace for a backend name: ``"numpy"`` (default), ``"array_api_strict"``, ``"torch"``, ``"jax"``, ``"cupy"``.

    Only NumPy and array-api-compat are imported by the core; the others are imported here, on demand, and a
    missing one raises a ``RuntimeError`` naming the extra that installs it.  ``backend="jax"`` turns on JAX's
    64-bit mode (``jax_enable_x64``), without which JAX silently computes in float32.  ``device`` is checked
    with :func:`resolve_device` (a CuPy or CUDA that cannot run raises a clear ``RuntimeError`` here).
    """
    if backend is not None and not isinstance(backend, str):
        raise TypeError(f"backend must be a string such as 'numpy' or 'torch', got {type(backend).__name__}.")
    if backend is None or backend == "numpy":
        xp = array_api_compat.array_namespace(np.empty(0))
    elif backend == "array_api_strict":
        try:
            import array_api_strict
        except ImportError as exc:  # pragma: no cover - installed with the test extra
            raise RuntimeError(
                f"backend='array_api_strict' was asked for but it is not installed ({exc}); "
                "pip install 'bmaml-theory[test]'."
            ) from exc
        xp = array_api_strict
    elif backend == "torch":
        try:
            import torch
        except ImportError as exc:
            raise _missing("torch", "PyTorch", exc) from exc
        xp = array_api_compat.array_namespace(torch.empty(0))
    elif backend == "jax":
        try:
            import jax
            import jax.numpy as jnp
        except ImportError as exc:
            raise _missing("jax", "JAX", exc) from exc
        if not jax.config.jax_enable_x64:
            jax.config.update("jax_enable_x64", True)
        xp = array_api_compat.array_namespace(jnp.empty(0))
    elif backend == "cupy":
        try:
            import cupy
        except ImportError as exc:
            raise _missing("cupy", "CuPy", exc) from exc
        try:  # pragma: no cover - depends on the machine
            n = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:
            raise RuntimeError(
                f"backend='cupy' was asked for but no CUDA GPU is usable ({type(exc).__name__}: {exc}); check the "
                "NVIDIA driver (nvidia-smi) and that the CuPy wheel matches its CUDA major version "
                "(cupy-cuda12x for CUDA 12, cupy-cuda13x for CUDA 13), or use backend='numpy'."
            ) from exc
        if n < 1:  # pragma: no cover
            raise RuntimeError("backend='cupy' was asked for but no CUDA GPU is present; use backend='numpy'.")
        xp = array_api_compat.array_namespace(cupy.empty(0))  # pragma: no cover
    else:
        raise ValueError(f"backend={backend!r} is not known; use one of {', '.join(map(repr, BACKENDS))}.")
    if device is not None:
        resolve_device(xp, device)
    return xp


def backend_name(xp: Any) -> str:
    """The name (one of :data:`BACKENDS`) of namespace ``xp``, or its module name for another namespace."""
    name = getattr(xp, "__name__", str(xp))
    for key, short in (
        ("array_api_strict", "array_api_strict"),
        ("torch", "torch"),
        ("jax", "jax"),
        ("cupy", "cupy"),
        ("numpy", "numpy"),
    ):
        if key in name:
            return short
    return name


def resolve_device(xp: Any, device: Any) -> Any:
    """The native device object of namespace ``xp`` for ``device`` (``None``: the namespace's default).

    Accepted: a native device object, or a string - ``"cpu"``, ``"cuda"``, ``"cuda:N"`` (torch, CuPy, JAX;
    ``"gpu"`` is an alias of ``"cuda"``).  NumPy and array-api-strict have only the CPU.  A device that does
    not exist raises ``ValueError``/``RuntimeError`` naming ``device`` and what is available.
    """
    if device is None:
        return None
    name = backend_name(xp)
    if not isinstance(device, str):
        return device  # a native device object: the namespace itself checks it when an array is created
    kind, _, idx_s = device.strip().lower().partition(":")
    kind = "cuda" if kind == "gpu" else kind
    if kind not in ("cpu", "cuda") or (idx_s and not idx_s.isdigit()):
        raise ValueError(f"device={device!r} is not understood; use 'cpu', 'cuda' or 'cuda:N'.")
    idx = int(idx_s) if idx_s else 0
    if name in ("numpy", "array_api_strict"):
        if kind != "cpu":
            raise ValueError(
                f"device={device!r}: backend {name!r} runs on the CPU only; use backend='torch', 'jax' or 'cupy' "
                "for a GPU."
            )
        return array_api_compat.device(xp.empty(0)) if name == "array_api_strict" else "cpu"
    if name == "torch":
        import torch

        if kind == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r}: this PyTorch build sees no CUDA GPU (torch {torch.__version__}, "
                f"torch.version.cuda={torch.version.cuda}); install a CUDA build of torch on a GPU machine, "
                "or use device='cpu'."
            )
        if kind == "cuda" and idx >= torch.cuda.device_count():  # pragma: no cover - GPU only
            raise ValueError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) are visible.")
        return torch.device(kind, idx) if kind == "cuda" else torch.device("cpu")
    if name == "jax":
        import jax

        platform = "gpu" if kind == "cuda" else "cpu"
        try:
            devs = jax.devices(platform)
        except RuntimeError as exc:
            raise RuntimeError(
                f"device={device!r}: JAX has no {platform} backend here ({exc}); install jax[cuda12] on a GPU "
                "machine, or use device='cpu'."
            ) from exc
        if idx >= len(devs):
            raise ValueError(f"device={device!r}: JAX sees {len(devs)} {platform} device(s).")
        return devs[idx]
    if name == "cupy":  # pragma: no cover - GPU only
        import cupy

        if kind != "cuda":
            raise ValueError(f"device={device!r}: CuPy runs on CUDA GPUs only; use device='cuda' or backend='numpy'.")
        return cupy.cuda.Device(idx)
    return device


def on_device(tasks: Any) -> dict:
    """``{"device": d}`` for array creation on a family's device ``d``, ``{}`` where it has none (NumPy)."""
    d = getattr(tasks, "device", None)
    return {} if d is None else {"device": d}


def device_of(x: Any) -> Any:
    """The device an array lives on (``None`` for Python scalars and NumPy's CPU)."""
    if isinstance(x, np.ndarray) or not array_api_compat.is_array_api_obj(x):
        return None
    return array_api_compat.device(x)


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
    """A NumPy copy of an array of any backend (CuPy via ``.get()``, torch via ``.cpu()``, others via DLPack)."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_cupy_array(x):  # pragma: no cover - GPU only
        return x.get()
    if array_api_compat.is_numpy_array(x):
        return np.asarray(x)
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_jax_array(x):
        return np.asarray(x)
    try:
        return np.from_dlpack(x)
    except (TypeError, AttributeError, BufferError, RuntimeError):
        return np.asarray(x)
