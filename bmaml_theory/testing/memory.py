r"""Memory against K: point :class:`bmaml_theory.nn.memory.MemoryMeter` (or, on a GPU, the CUDA allocator) at a user's
meta-gradient function.

MAML differentiated through K inner steps keeps every step's iterate for the backward pass: its memory grows like
:math:`K\,|\theta|` (Chayti & Jaggi, Table 1; Fallah et al., Section 5), while FO-MAML, Reptile, iMAML and FO-B-MAML
keep O(1) state.  :func:`assert_memory_flat` measures the peak bytes of ``fn(problem, K, lr)`` for each K and fails
when the growth from the smallest to the largest K reaches half a theta-sized tensor per extra step, the least that
keeping one iterate per step costs.  On the CPU (and any device) the count is the meter's: the distinct storages
autograd saves for backward, exact and machine-independent (what the hooks cannot see, gradient buffers during the
backward pass and temporaries freed before the next saved tensor, is left out).  On a CUDA device the allocator's
peak (``torch.cuda.max_memory_allocated``) is used instead.  ``torch.func`` transforms refuse saved-tensor hooks:
differentiate with ``torch.autograd.grad`` for the meter (the allocator sees any code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bmaml_theory.testing import exact
from bmaml_theory.testing.adapters import to_backend

__all__ = ["MemoryGrowthError", "assert_memory_flat", "memory_profile"]


class MemoryGrowthError(AssertionError):
    """The measured memory grows with K; attributes: ``bytes`` (K -> peak bytes), ``per_step``, ``limit``."""

    def __init__(self, message: str, *, bytes: dict[int, int], per_step: float, limit: float):
        super().__init__(message)
        self.bytes, self.per_step, self.limit = bytes, per_step, limit


def _ks(ks: Any) -> list[int]:
    if isinstance(ks, str) or not isinstance(ks, Sequence) or len(ks) < 2:
        raise TypeError(f"ks must be a sequence of at least two step counts, e.g. (1, 5, 20), got {ks!r}.")
    out = sorted({exact.check_steps(k) for k in ks})
    if len(out) < 2:
        raise ValueError(f"ks must hold at least two different step counts, got {ks!r}.")
    return out


def memory_profile(
    fn: Callable, problem: Any, ks: Sequence[int] = (1, 5, 20), *, lr: Any = None, dtype: str = "float64",
    device: Any = None,
) -> dict[int, int]:  # fmt: skip
    """Peak bytes of ``fn(problem, K, lr)`` for each K in ``ks`` (torch backend; see the module docstring)."""
    import torch

    from bmaml_theory.nn.memory import MemoryMeter, cuda_peak_bytes
    from bmaml_theory.testing.assertions import _call, _common, _steps_lr, _valid

    _common(fn, "torch", dtype, None, device)
    p = _valid(problem)
    Ks = _ks(ks)
    _, a = _steps_lr(p, Ks[0], lr)
    view = to_backend(p, "torch", dtype, device)
    arg_lr = torch.tensor(a, dtype=view.theta.dtype, device=view.theta.device) if np.ndim(a) > 0 else a
    fname = getattr(fn, "__qualname__", repr(fn))
    data = [getattr(view, f) for f in view.__dataclass_fields__ if isinstance(getattr(view, f), torch.Tensor)]
    out: dict[int, int] = {}
    on_cuda = view.theta.device.type == "cuda"
    for K in Ks:
        call = f"memory_profile(fn, problem, ks={tuple(Ks)!r}) at K={K}"
        if on_cuda:
            out[K] = cuda_peak_bytes(
                lambda K=K, call=call: _call(fn, view, (K, arg_lr), fname, call), view.theta.device
            )
        else:
            with MemoryMeter(exclude=data) as meter:
                _call(fn, view, (K, arg_lr), fname, call)
            out[K] = int(meter.peak_saved_bytes)
    return out


def assert_memory_flat(
    fn: Callable, problem: Any, ks: Sequence[int] = (1, 5, 20), *, lr: Any = None, dtype: str = "float64",
    device: Any = None,
) -> dict[int, int]:  # fmt: skip
    r"""``fn(problem, K, lr)``'s peak memory must not grow with K: returns {K: bytes}, or raises
    :class:`MemoryGrowthError`.

    Flat means :math:`\max_K(M_K-M_{K_{\min}})/(K-K_{\min})<|\theta|_{\text{bytes}}/2`: less than half a theta-sized
    tensor per extra inner step (MAML through K steps keeps at least one per step).  ``problem``'s arrays reach
    ``fn`` as torch tensors (``dtype``, ``device``); the problem's own tensors are not counted.
    """
    prof = memory_profile(fn, problem, ks, lr=lr, dtype=dtype, device=device)
    Ks = sorted(prof)
    k0 = Ks[0]
    per_step = max((prof[k] - prof[k0]) / (k - k0) for k in Ks[1:])
    theta_bytes = problem.n * np.dtype(dtype).itemsize
    limit = theta_bytes / 2
    if per_step < limit:
        return prof
    fname = getattr(fn, "__qualname__", repr(fn))
    table = ", ".join(f"K={k}: {prof[k]} B" for k in Ks)
    raise MemoryGrowthError(
        f"The memory of {fname} grows with K: {table}.\n"
        f"  growth {per_step:.4g} B per inner step, {per_step / theta_bytes:.3g} theta-sized tensors "
        f"(theta: {theta_bytes} B; flat means below half of one).\n"
        "  diagnosis: something is kept per inner step: differentiating through the unrolled loop (create_graph=True, "
        "higher's track_higher_grads=True, learn2learn's first_order=False) is MAML, whose memory is O(K |theta|) by "
        "design; a first-order or implicit method keeping the graph (a list of iterates, a loss accumulated across "
        "steps, create_graph=True left on) is a leak.",
        bytes=prof,
        per_step=per_step,
        limit=limit,
    )
