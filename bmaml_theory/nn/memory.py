r"""A deterministic memory meter: bytes held for backward, inner-loop state, parameters and optimiser state.

The meter counts

.. math:: M = \max_t \Big|\bigcup(\text{storages saved for backward at } t)\ \cup\ (\text{inner-loop state at } t)\Big|_{\text{bytes}}
          + |\theta|_{\text{bytes}} + |\text{optimiser state}|_{\text{bytes}},

where the union is over distinct tensor storages (a storage saved twice, or saved and also held as state,
counts once) and the meta-parameters' own storages are left out of the union (they are counted once, in
:math:`|\theta|`).  Saved tensors are seen through autograd's saved-tensor hooks
(:class:`torch.autograd.graph.saved_tensors_hooks`): each saved tensor is wrapped in a small holder whose
release (when autograd frees the graph) decrements the count, so :math:`M` is the peak over the whole
meta-gradient computation, not a total.  ``torch.func.grad`` refuses these hooks, so every method of
:mod:`bmaml_theory.nn.methods` differentiates with ``torch.autograd.grad``.

The count is exact and machine-independent (no allocator, no timing); it leaves out what the hooks cannot
see: gradient buffers during a backward pass and temporaries freed before the next saved tensor.  The allocator's
view, which sees everything allocated, is :func:`allocator_peak_bytes`: the CPU allocator's events through
``torch.profiler`` (:func:`cpu_peak_bytes`) or the CUDA allocator's peak (:func:`cuda_peak_bytes`).

>>> import torch
>>> a = torch.ones(1000, requires_grad=True)
>>> with MemoryMeter(exclude=[a]) as m:
...     loss = torch.tanh(a).pow(2).sum()   # tanh saves its output (4000 B); pow saves the same storage
>>> m.peak_saved_bytes
4000
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch.autograd import forward_ad

__all__ = ["MemoryMeter", "allocator_peak_bytes", "cpu_peak_bytes", "cuda_peak_bytes", "storage_key"]


def storage_key(t: torch.Tensor) -> tuple[int, int]:
    """(identity, bytes) of the storage behind ``t``: one key per distinct block of memory.

    The identity is the address of the storage object (``_cdata``), unique while the storage lives, on any device
    (the meta device included, where every data pointer is 0).  A tensor without an accessible storage (seen
    inside forward-mode AD) is keyed by its own identity, counted at ``numel * element_size`` bytes (a negative
    key, never equal to a storage address)."""
    try:
        s = t.untyped_storage()
        return (int(s._cdata), int(s.nbytes()))
    except RuntimeError:
        return (-id(t), int(t.numel()) * t.element_size())


def _parts(t: torch.Tensor) -> list[torch.Tensor]:
    """``t`` itself, or the primal and tangent of a forward-mode dual tensor."""
    primal, tangent = forward_ad.unpack_dual(t)
    return [t] if tangent is None else [primal, tangent]


class _Held:
    """A saved tensor as autograd keeps it; its release decrements the meter."""

    __slots__ = ("keys", "meter", "t")

    def __init__(self, t: torch.Tensor, meter: MemoryMeter) -> None:
        self.t, self.meter, self.keys = t, meter, []
        self.keys = [k for k in (meter._ref(p) for p in _parts(t)) if k is not None]

    def __del__(self) -> None:
        for k in getattr(self, "keys", ()):
            self.meter._unref(k)


class MemoryMeter:
    """Context manager measuring the peak bytes of saved tensors and registered inner-loop state.

    ``exclude``: tensors (the meta-parameters) whose storages are counted elsewhere and never in the union.
    Inner loops call :meth:`hold` with the tensors they keep alive (e.g. the first of two FO-B-MAML solutions)
    and :meth:`release` when they drop them.
    """

    def __init__(self, exclude: Iterable[torch.Tensor] = ()) -> None:
        self.excluded = {storage_key(p)[0] for t in exclude for p in _parts(t)}
        self.refs: dict[tuple[int, int], int] = {}
        self.current = 0
        self.peak_saved_bytes = 0
        self.n_saved = 0
        self._held: dict[str, list[tuple[int, int]]] = {}
        self._alive: dict[str, list[torch.Tensor]] = {}  # held tensors stay referenced: their keys stay unique
        self._ctx: Any = None

    # -- bookkeeping -------------------------------------------------------------------------------------
    def _ref(self, t: torch.Tensor) -> tuple[int, int] | None:
        key = storage_key(t)
        if key[0] in self.excluded or key[1] == 0:
            return None
        n = self.refs.get(key, 0)
        if n == 0:
            self.current += key[1]
            self.peak_saved_bytes = max(self.peak_saved_bytes, self.current)
        self.refs[key] = n + 1
        return key

    def _unref(self, key: tuple[int, int]) -> None:
        n = self.refs[key] - 1
        if n == 0:
            del self.refs[key]
            self.current -= key[1]
        else:
            self.refs[key] = n

    def hold(self, name: str, tensors: Iterable[torch.Tensor]) -> None:
        """Register ``tensors`` as inner-loop state under ``name`` (replacing what ``name`` held before).

        The meter keeps a reference to them until :meth:`release`: a storage's key is its object's address, unique
        only while it lives, so a registered tensor freed early would let a new storage reuse its key and go
        uncounted (which allocator addresses are reused depends on the process's history: the count would not
        reproduce)."""
        tensors = list(tensors)
        new = [k for k in (self._ref(p) for t in tensors for p in _parts(t)) if k is not None]
        self.release(name)
        self._held[name] = new
        self._alive[name] = tensors

    def release(self, name: str) -> None:
        """Drop the state registered under ``name``."""
        for k in self._held.pop(name, []):
            self._unref(k)
        self._alive.pop(name, None)

    # -- hooks ---------------------------------------------------------------------------------------------
    def _pack(self, t: torch.Tensor) -> _Held:
        self.n_saved += 1
        return _Held(t, self)

    @staticmethod
    def _unpack(h: _Held) -> torch.Tensor:
        return h.t

    def __enter__(self) -> MemoryMeter:
        self._ctx = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)
        for name in list(self._held):
            self.release(name)


def cuda_peak_bytes(fn: Any, device: Any = None) -> int:
    """The CUDA allocator's peak (``torch.cuda.max_memory_allocated``) while ``fn()`` runs, from a reset."""
    if not torch.cuda.is_available():
        raise RuntimeError("cuda_peak_bytes needs a CUDA device; use MemoryMeter on CPU.")
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return int(torch.cuda.max_memory_allocated(device))


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """File descriptor 2 to /dev/null for the block (C++ logging that Python cannot redirect); restored after."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def cpu_peak_bytes(fn: Any) -> int:
    r"""Peak bytes the CPU allocator holds while ``fn()`` runs, above what was allocated before the call:

    .. math:: \max_t \sum_{e\le t} b_e,

    the running sum of the signed sizes :math:`b_e` of the allocator events (allocations positive, frees negative)
    that ``torch.profiler`` records with ``profile_memory=True``, in time order.  Memory allocated before the call
    (the meta-parameters) is not counted; its frees during the call cannot occur while the caller holds it.
    Deterministic for a deterministic single-threaded ``fn`` (the sizes and their order depend on the operations
    only)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    prof = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
    with _stderr_silenced():  # kineto prints a line to fd 2 at every start and stop
        prof.__enter__()
    try:
        fn()
    finally:
        with _stderr_silenced():
            prof.__exit__(None, None, None)
    events = [
        (int(e.start_ns()), i, int(e.nbytes()))
        for i, e in enumerate(prof.profiler.kineto_results.events())
        if e.name() == "[memory]" and e.device_type() == DeviceType.CPU
    ]
    events.sort()
    current = peak = 0
    for _, _, n in events:
        current += n
        peak = max(peak, current)
    return peak


def allocator_peak_bytes(fn: Any, device: Any = "cpu") -> int:
    """The allocator's peak bytes above the starting level while ``fn()`` runs: :func:`cpu_peak_bytes` on
    ``"cpu"``, ``torch.cuda.max_memory_allocated`` minus ``memory_allocated`` before the call on a CUDA device."""
    dev = torch.device(device)
    if dev.type == "cpu":
        return cpu_peak_bytes(fn)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        base = int(torch.cuda.memory_allocated(dev))
        return cuda_peak_bytes(fn, dev) - base
    raise ValueError(f"device must be 'cpu' or a CUDA device for the allocator's peak, got {device!r}.")
