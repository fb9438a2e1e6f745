r"""MNIST-1D generated offline and an N-way K-shot task sampler.

The data come from :func:`mnist1d.data.make_dataset` with the package's shipped templates
(:func:`mnist1d.data.get_templates`) and its default transformation arguments; the download path of
``mnist1d.data.get_dataset`` (which also writes a pickle into the working directory) is never used.
``make_dataset`` reseeds NumPy's and Python's global generators (``mnist1d.utils.set_seed``); we save and
restore both around the call so the caller's random state is untouched.

**Split.** MNIST-1D has 10 classes.  Meta-training tasks draw their classes from ``train_classes``
(default 0-4) and their samples from MNIST-1D's own training split; meta-test tasks draw from
``test_classes`` (default 5-9) and the test split.  Classes and samples are therefore both unseen at
meta-test time, as in the usual few-shot protocol (Omniglot, miniImageNet).  With 5-way tasks each side
has exactly five classes, so tasks of one side differ by their samples and by the random assignment of
classes to labels 0..N-1.

>>> d = load_mnist1d(num_samples=200, seed=0, cache_dir=None)
>>> d.x.shape, d.x_test.shape
((160, 40), (40, 40))
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MNIST1D", "Task", "TaskSampler", "default_cache_dir", "load_mnist1d"]

N_CLASSES = 10


@dataclass(frozen=True)
class MNIST1D:
    """MNIST-1D arrays: ``x`` (n, 40) float32 signals and ``y`` (n,) int64 labels, train and test splits."""

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    key: str


def default_cache_dir() -> Path:
    """``$BMAML_THEORY_CACHE``, else ``$XDG_CACHE_HOME/bmaml-theory``, else ``~/.cache/bmaml-theory``."""
    env = os.environ.get("BMAML_THEORY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bmaml-theory"


def _generate(args: dict) -> dict:
    """Call mnist1d.data.make_dataset with ``args`` and the shipped templates, restoring global RNG state."""
    from mnist1d.data import get_dataset_args, get_templates, make_dataset
    from mnist1d.utils import ObjectView

    full = get_dataset_args(as_dict=True)
    full.update(args)
    full.pop("url", None)  # never used: we generate, we do not download
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        return make_dataset(ObjectView(full), template=get_templates())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def load_mnist1d(num_samples: int = 5000, seed: int = 42, cache_dir: Path | str | bool | None = True) -> MNIST1D:
    r"""MNIST-1D with ``num_samples`` signals (80/20 train/test split), generated with ``seed``.

    ``cache_dir``: ``True`` for :func:`default_cache_dir`, a path, or ``None``/``False`` for no cache.  The
    cache file name is the SHA-256 of the generation arguments and of the mnist1d version, so a change of any
    of them regenerates.  The defaults (5000 samples, seed 42) are mnist1d's own.
    """
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < N_CLASSES:
        raise ValueError(f"num_samples must be an int >= {N_CLASSES} (one signal per class), got {num_samples!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {seed!r}.")
    import mnist1d

    args = {"num_samples": num_samples, "seed": seed}
    ident = json.dumps(
        {"args": args, "mnist1d": getattr(mnist1d, "__version__", "unknown"), "format": 1}, sort_keys=True
    )
    key = hashlib.sha256(ident.encode()).hexdigest()[:16]
    path = None
    if cache_dir is True:
        cache_dir = default_cache_dir()
    if cache_dir:
        path = Path(cache_dir) / f"mnist1d-{key}.npz"
        if path.exists():
            with np.load(path) as z:
                return MNIST1D(z["x"], z["y"], z["x_test"], z["y_test"], key)
    d = _generate(args)
    out = MNIST1D(
        np.asarray(d["x"], dtype=np.float32),
        np.asarray(d["y"], dtype=np.int64),
        np.asarray(d["x_test"], dtype=np.float32),
        np.asarray(d["y_test"], dtype=np.int64),
        key,
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, x=out.x, y=out.y, x_test=out.x_test, y_test=out.y_test)
        os.replace(tmp, path)
    return out


@dataclass(frozen=True)
class Task:
    """One N-way task: support (``xs``, ``ys``) of ``ways*shots`` signals and query (``xq``, ``yq``).

    Signals have shape (n, 1, 40) (one input channel) and labels lie in 0..ways-1."""

    xs: np.ndarray
    ys: np.ndarray
    xq: np.ndarray
    yq: np.ndarray
    classes: tuple[int, ...]


class TaskSampler:
    r"""N-way K-shot tasks with ``queries`` query signals per class, drawn from ``classes`` of ``(x, y)``.

    Each task picks ``ways`` distinct classes uniformly at random, maps them to labels 0..ways-1 in a random
    order, and draws ``shots + queries`` distinct signals per class without replacement.  The generator is a
    private ``numpy.random.Generator(seed)``: the same seed gives the same task sequence.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        classes: Sequence[int],
        ways: int,
        shots: int,
        queries: int,
        seed: int,
    ) -> None:
        classes = tuple(int(c) for c in classes)
        for name, v, lo in (("ways", ways, 2), ("shots", shots, 1), ("queries", queries, 1)):
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                raise ValueError(f"{name} must be an int >= {lo}, got {v!r}.")
        if len(set(classes)) != len(classes):
            raise ValueError(f"classes must be distinct, got {classes}.")
        if ways > len(classes):
            raise ValueError(
                f"ways={ways} is greater than the {len(classes)} classes available {classes}; "
                "use fewer ways or more classes."
            )
        self.index = {}
        for c in classes:
            idx = np.flatnonzero(y == c)
            if len(idx) < shots + queries:
                raise ValueError(
                    f"class {c} has {len(idx)} signals, fewer than shots + queries = {shots + queries}; "
                    "lower shots or queries, or generate more samples (num_samples)."
                )
            self.index[c] = idx
        self.x, self.y = x, y
        self.classes, self.ways, self.shots, self.queries = classes, ways, shots, queries
        self.rng = np.random.default_rng(seed)

    def sample(self) -> Task:
        """The next task of the sequence."""
        rng = self.rng
        chosen = [self.classes[i] for i in rng.choice(len(self.classes), size=self.ways, replace=False)]
        xs, ys, xq, yq = [], [], [], []
        for label, c in enumerate(chosen):
            pick = rng.choice(self.index[c], size=self.shots + self.queries, replace=False)
            xs.append(self.x[pick[: self.shots]])
            xq.append(self.x[pick[self.shots :]])
            ys += [label] * self.shots
            yq += [label] * self.queries
        return Task(
            np.concatenate(xs)[:, None, :].astype(np.float32),
            np.asarray(ys, dtype=np.int64),
            np.concatenate(xq)[:, None, :].astype(np.float32),
            np.asarray(yq, dtype=np.int64),
            tuple(chosen),
        )

    def batch(self, n: int) -> list[Task]:
        """The next ``n`` tasks."""
        return [self.sample() for _ in range(n)]
