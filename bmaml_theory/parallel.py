r"""Independent evaluations on local processes or an existing Dask cluster, with results that do not depend on where.

:func:`pmap` computes :math:`[\mathrm{fn}(x_k, \mathrm{rng}_k)]_{k<K}` where :math:`\mathrm{rng}_k` is a NumPy
generator built from the k-th child of ``np.random.SeedSequence(seed)`` (``spawn``): each evaluation's
randomness is a function of its index only, never of the worker that ran it or of the order in which workers
finished.  Results come back in index order, so any reduction over them (a max, a sum) is done in a fixed order.
Local runs and Dask runs therefore give the same results bit for bit (tested against a ``LocalCluster``).

Back ends (all through joblib):

* ``jobs=1`` and no ``dask_address``: a plain loop in this process (no pickling);
* ``jobs=N``: joblib's default process back end (loky), N worker processes;
* ``dask_address="tcp://host:8786"``: joblib's ``dask`` back end on the cluster whose scheduler listens there
  (``pip install "bmaml-theory[dist]"``); see ``docs/scale-out.md``.  Dask is imported only then.

Nesting: inside a :func:`serial` block every ``pmap`` is the plain loop, whatever ``jobs`` and ``dask_address``
say.  ``python -m verify`` runs each claim group inside one (the group is its unit of distribution), so a claim
never starts a pool inside a pool; the results are the same by construction (seeded by index).

>>> import numpy as np
>>> pmap(lambda x, rng: x + rng.integers(10), [0, 100], seed=1) == pmap(lambda x, rng: x + rng.integers(10), [0, 100], seed=1)
True
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = ["child_generators", "pmap", "serial"]

T = TypeVar("T")
R = TypeVar("R")

_SERIAL: contextvars.ContextVar[bool] = contextvars.ContextVar("bmaml_theory_pmap_serial", default=False)


@contextlib.contextmanager
def serial() -> Iterator[None]:
    r"""Within this block (this thread), :func:`pmap` runs :math:`[\mathrm{fn}(x_k,\mathrm{rng}_k)]_k` as a loop here.

    ``jobs`` and ``dask_address`` are then ignored: the result is the same (each evaluation is seeded by its
    index), only where it runs changes.  ``verify`` wraps every claim group in it, so the levels never nest: the
    group is the unit of distribution and the evaluations inside it run serially in the group's worker (no
    oversubscribed cores, and no Dask task that blocks waiting for tasks queued behind it).
    """
    token = _SERIAL.set(True)
    try:
        yield
    finally:
        _SERIAL.reset(token)


def child_generators(seed: int, count: int) -> list[np.random.Generator]:
    r"""``count`` independent generators: ``default_rng(SeedSequence(seed).spawn(count)[k])`` for k < count.

    The k-th generator depends on ``seed`` and k only (NumPy's SeedSequence spawning), which is what makes a
    parallel run reproducible whatever the number or kind of workers.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative int (the root of the SeedSequence), got {seed!r}.")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be a non-negative int, got {count!r}.")
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(int(count))]


def _call(fn: Callable[[Any, np.random.Generator], Any], item: Any, rng: np.random.Generator) -> Any:
    return fn(item, rng)


def pmap(
    fn: Callable[[T, np.random.Generator], R],
    items: Sequence[T],
    *,
    jobs: int = 1,
    dask_address: str | None = None,
    seed: int = 0,
) -> list[R]:
    r"""``[fn(items[k], rng_k) for k in range(len(items))]``, run on ``jobs`` local processes or a Dask cluster.

    ``rng_k`` is :func:`child_generators` ``(seed, len(items))[k]``.  Inside :func:`serial` it is always the
    plain loop.  The list is in index order whatever ran it, so ``jobs=1``, ``jobs=N`` and ``dask_address=...`` return identical results (bit for bit when ``fn`` is
    deterministic given its arguments).  ``fn`` must be picklable by cloudpickle for ``jobs > 1`` or Dask
    (module-level functions and ``functools.partial`` of them always are).  An exception raised by ``fn``
    propagates: catch it inside ``fn`` to count failures instead (as :func:`bmaml_theory.search.maximize` does).

    Parameters
    ----------
    jobs : int
        Local worker processes (>= 1); ignored when ``dask_address`` is given (the cluster's workers are used).
    dask_address : str, optional
        Address of a running Dask scheduler, e.g. ``"tcp://127.0.0.1:8786"``; needs the ``dist`` extra.
    seed : int
        Root of the SeedSequence from which every evaluation's generator is spawned.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(item, rng), got {type(fn).__name__}.")
    items = list(items)
    if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1 (local worker processes), got {jobs!r}.")
    if dask_address is not None and (not isinstance(dask_address, str) or not dask_address):
        raise TypeError(
            f"dask_address must be a scheduler address such as 'tcp://127.0.0.1:8786', got {dask_address!r}."
        )
    rngs = child_generators(seed, len(items))
    if _SERIAL.get() or (dask_address is None and (jobs == 1 or len(items) <= 1)):
        return [fn(x, r) for x, r in zip(items, rngs, strict=True)]

    from joblib import Parallel, delayed, parallel_config

    tasks = [delayed(_call)(fn, x, r) for x, r in zip(items, rngs, strict=True)]
    if dask_address is None:
        return list(Parallel(n_jobs=int(jobs))(tasks))
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            'dask_address needs dask.distributed: pip install "bmaml-theory[dist]" (or "dask[distributed]").'
        ) from exc
    with Client(dask_address, set_as_default=False) as client, parallel_config(backend="dask", client=client):
        return list(Parallel(n_jobs=-1)(tasks))
