r"""The search spaces: instance classes the assumptions admit, each encoded as one vector for :mod:`.engine`.

Every space meets :class:`SearchSpace`: an encoding ``p = (M, n, mh, m, z)`` whose first :data:`HEADER` entries
are the integers of the *structure* (:class:`Structure`) and whose tail z is unconstrained (clipped to a box, so
every worst ratio is a sup over a bounded class); ``decode`` maps p to an instance, ``encode`` maps an instance's
data back to p (a derivation's extremal instance becomes a pinned start), ``describe`` says the class in words.
The three spaces are peers (no space subclasses another):

* :class:`LogisticSpace`: :class:`~bmaml_theory.tasks.logistic.LogisticTasks` with M tasks in :math:`[1, 8]`,
  dimension n in :math:`[2, 10]`, :math:`\hat m` training and m test points per task, non-convex training
  (indefinite :math:`Q_i`), lam at or above the threshold :math:`2\hat L_1`, train != test, and claim-specific
  extras (nu, a direction of dimension n, a distance, ...).  Per task, z holds the training points
  :math:`\hat z_{ij}` (labels folded in: :math:`\hat z=\hat y\hat x`), the upper triangle of :math:`Q_i`, the test
  points :math:`z_{ij}` and the test linear term :math:`r_i`; then theta, then
  :math:`\lambda=2\hat L_1\min(1+z_\lambda^2, 10)`, then the extras in the order given.  The training linear term q
  is 0 (a shift of theta covers most of its effect).
* :class:`TiedLogisticSpace`: the same class, laid out for statements about the mean over tasks (a base task, a
  spread and one deviation per task).
* :class:`StochasticSpace`: the stochastic family of :mod:`bmaml_theory.tasks.stochastic` (its header's two
  point-count slots are fixed to 1: the header is shared by every space so that one engine reads them all).

Assumption 4 (Chayti & Jaggi): :math:`\frac1M\sum_i\|\nabla F_i(\theta)-\nabla F(\theta)\|^2\le\zeta^2` for all
theta.  :func:`zeta_bound` returns a **certified upper bound** on the logistic families (not the exact sup):
:math:`\frac1M\sum_i\|g_i-\bar g\|^2\le\frac1M\sum_i\|g_i\|^2` and
:math:`\|\nabla F_i(\theta)\|=\lambda\|(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)\|\le\lambda L_{0,i}/\mu_i`
(the logistic part of :math:`\nabla^2\hat f_i` is PSD, so the inverse has norm :math:`\le1/(\lambda+\lambda_{\min}(Q_i))`,
and :math:`L_{0,i}` bounds :math:`\|\nabla f_i\|` everywhere), so
:math:`\zeta\le\sqrt{\frac1M\sum_i(\lambda L_{0,i}/\mu_i)^2}`; it is exactly 0 for M = 1.  :func:`zeta_lower`
gives the matching lower bound over sampled thetas, so a claim can report how loose the certified value is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from bmaml_theory.tasks.logistic import LogisticTasks
from bmaml_theory.tasks.stochastic import StochasticTasks

__all__ = [
    "HEADER",
    "Instance",
    "LogisticSpace",
    "SearchSpace",
    "StochasticInstance",
    "StochasticSpace",
    "Structure",
    "TiedLogisticSpace",
    "sig",
    "zeta_bound",
    "zeta_lower",
]

HEADER = 4  # p[0:4] = (M, n, mh, m)


class Structure(NamedTuple):
    """The discrete part of an instance: M tasks, dimension n, mh training and m test points per task."""

    M: int
    n: int
    mh: int
    m: int


class Instance(NamedTuple):
    """A decoded logistic instance: the tasks, theta (n,), the extras by name, its structure and zeta's certified
    bound."""

    tasks: LogisticTasks
    theta: np.ndarray
    extra: dict[str, np.ndarray]
    structure: Structure
    zeta: float


class StochasticInstance(NamedTuple):
    """A decoded stochastic instance: the tasks, the point w, the step alpha, the extras by name and the structure."""

    tasks: StochasticTasks
    w: np.ndarray
    alpha: float
    extra: dict[str, np.ndarray]
    structure: Structure


@runtime_checkable
class SearchSpace(Protocol):
    """What :func:`bmaml_theory.search.engine.maximize` needs of a space: the structure header, random starts, the
    length of z, and decode / encode / describe for the claims and the evidence."""

    M: tuple[int, int]
    n: tuple[int, int]
    box: float
    prior: str

    def structure_of(self, p: Any) -> Structure: ...

    def random_encoding(
        self, rng: np.random.Generator, s: Structure | None = None, scale: float = 1.5
    ) -> np.ndarray: ...

    def dim(self, s: Structure) -> int: ...

    def decode(self, p: Any) -> Any: ...

    def encode(self, *args: Any, **kw: Any) -> np.ndarray: ...

    def describe(self) -> str: ...

    def instance_dict(self, p: Any) -> dict: ...


def zeta_bound(tasks: LogisticTasks) -> float:
    r"""Certified upper bound on Assumption 4's :math:`\zeta`: :math:`\sqrt{\frac1M\sum_i(\lambda L_{0,i}/\mu_i)^2}`
    (0 when M = 1, where :math:`\nabla F_i=\nabla F`).  See the module docstring for the derivation."""
    if not isinstance(tasks, LogisticTasks):
        raise TypeError(f"tasks must be a LogisticTasks, got {type(tasks).__name__}.")
    if tasks.M == 1:
        return 0.0
    G = tasks.lam * tasks._L0_task / tasks._mu_task
    return float(np.sqrt(np.mean(G**2)))


def zeta_lower(tasks: LogisticTasks, thetas: Any) -> float:
    r"""A lower bound on :math:`\zeta`: :math:`\max_\theta\big(\frac1M\sum_i\|\nabla F_i(\theta)-\nabla F(\theta)\|^2\big)^{1/2}`
    over the given thetas (K, n), with exact meta-gradients (eq. (7))."""
    thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
    if thetas.ndim != 2 or thetas.shape[1] != tasks.n:
        raise ValueError(f"thetas must have shape (K, {tasks.n}), got {thetas.shape}.")
    best = 0.0
    for th in thetas:
        g = tasks.meta_gradient(th, per_task=True)
        best = max(best, float(np.sqrt(np.mean(np.sum((g - g.mean(0)) ** 2, axis=-1)))))
    return best


# ---------------------------------------------------------------------------------------------- the shared header
def _int_range(v: Any, name: str, lo: int, hi: int) -> tuple[int, int]:
    try:
        a, b = (int(v[0]), int(v[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise TypeError(f"{name} must be a pair (low, high) of ints, got {v!r}.") from exc
    if not (lo <= a <= b <= hi):
        raise ValueError(f"{name} must satisfy {lo} <= low <= high <= {hi}, got {(a, b)}.")
    return a, b


def _check_prior(prior: str) -> str:
    if prior not in ("geometric", "uniform"):
        raise ValueError(f"prior must be 'geometric' or 'uniform' (how random starts draw a structure), got {prior!r}.")
    return prior


def _check_box(box: float) -> float:
    if not (math.isfinite(box) and box > 0):
        raise ValueError(f"box must be finite and > 0, got {box!r}.")
    return float(box)


def _check_extras(extras: Mapping[str, int | str] | None) -> dict[str, int | str]:
    out: dict[str, int | str] = {}
    for k, v in dict(extras or {}).items():
        if v != "n" and not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
            raise ValueError(f"extras[{k!r}] must be an int >= 1 or 'n' (a vector of dimension n), got {v!r}.")
        out[str(k)] = v
    return out


def _extra_dim(extras: Mapping[str, int | str], n: int) -> int:
    return sum(n if v == "n" else int(v) for v in extras.values())


def _sample_structure(space: Any, rng: np.random.Generator) -> Structure:
    """Each of M, n, mh, m drawn independently from the space's prior (one draw per slot, fixed slots included)."""
    out = []
    for lo, hi in (space.M, space.n, space.mh, space.m):
        k = np.arange(lo, hi + 1)
        w = np.ones(k.size) if space.prior == "uniform" else 0.5 ** (k - lo)
        out.append(int(rng.choice(k, p=w / w.sum())))
    return Structure(*out)


def _structure_of(space: Any, p: Any) -> Structure:
    """The structure in ``p[:4]``, checked to be integers inside the space's ranges and to match ``space.dim``."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.shape[0] < HEADER:
        raise ValueError(f"p must be a 1-D encoding (M, n, mh, m, z...), got shape {p.shape}.")
    head = p[:HEADER]
    if not np.all(np.isfinite(head)) or np.any(head != np.round(head)):
        raise ValueError(f"p[:4] must be the integers (M, n, mh, m), got {head.tolist()}.")
    s = Structure(*(int(v) for v in head))
    for name, v, (lo, hi) in zip(Structure._fields, s, (space.M, space.n, space.mh, space.m), strict=True):
        if not lo <= v <= hi:
            raise ValueError(f"p encodes {name}={v}, outside this space's range [{lo}, {hi}].")
    if p.shape[0] != HEADER + space.dim(s):
        raise ValueError(f"p has {p.shape[0]} entries but structure {tuple(s)} needs {HEADER + space.dim(s)}.")
    return s


def _random_encoding(space: Any, rng: np.random.Generator, s: Structure | None, scale: float) -> np.ndarray:
    s = space.sample_structure(rng) if s is None else Structure(*s)
    return np.concatenate([np.asarray(s, dtype=np.float64), scale * rng.standard_normal(space.dim(s))])


class _Cursor:
    """Reads an encoding's tail z front to back: ``take(count)`` is the next ``count`` entries (a view)."""

    def __init__(self, z: np.ndarray) -> None:
        self.z, self.k = z, 0

    def take(self, count: int) -> np.ndarray:
        out = self.z[self.k : self.k + count]
        self.k += count
        return out


def sig(v: float) -> float:
    r"""The logistic function :math:`1/(1+e^{-v})`, overflow-free (v clipped to [-50, 50]): how the spaces and the
    claims map an unconstrained search coordinate into (0, 1)."""
    return 1.0 / (1.0 + math.exp(-float(np.clip(v, -50.0, 50.0))))


# ---------------------------------------------------------------------------------------------- the spaces
class LogisticSpace:
    r"""Logistic task families of every structure in the given ranges, decoded from ``p = (M, n, mh, m, z)``.

    Parameters
    ----------
    M, n, mh, m : (low, high)
        Inclusive ranges of the number of tasks (1..8), the dimension (2..10) and the points per training and
        test set (1..12; test sets of at most 12 points keep :math:`L_0` exact or a vertex bound).
    extras : mapping name -> int or "n"
        Claim-specific coordinates appended to z; ``"n"`` means a vector of the instance's dimension (a
        direction).  Decoded raw (clipped to the box): the ratio maps them (e.g. nu = ..., u = v/||v||).
    box : float
        Every coordinate of z is clipped to ``[-box, box]``.
    lam_mult_max : float
        lam ranges over :math:`2\hat L_1[1, \text{lam\_mult\_max}]`.
    prior : "geometric" or "uniform"
        How a random start draws its structure (:meth:`sample_structure`).

    Examples
    --------
    >>> sp = LogisticSpace(extras={"nu": 1, "u": "n"})
    >>> p = sp.random_encoding(np.random.default_rng(0), Structure(2, 3, 2, 1))
    >>> inst = sp.decode(p)
    >>> (inst.tasks.M, inst.tasks.n, inst.extra["u"].shape, inst.zeta > 0)
    (2, 3, (3,), True)
    """

    def __init__(
        self,
        *,
        M: tuple[int, int] = (1, 8),
        n: tuple[int, int] = (2, 10),
        mh: tuple[int, int] = (1, 4),
        m: tuple[int, int] = (1, 4),
        extras: Mapping[str, int | str] | None = None,
        box: float = 10.0,
        lam_mult_max: float = 10.0,
        prior: str = "geometric",
    ) -> None:
        self.prior = _check_prior(prior)
        self.M = _int_range(M, "M", 1, 8)
        self.n = _int_range(n, "n", 1, 10)
        self.mh = _int_range(mh, "mh", 1, 12)
        self.m = _int_range(m, "m", 1, 12)
        self.extras = _check_extras(extras)
        self.box = _check_box(box)
        if not (math.isfinite(lam_mult_max) and lam_mult_max >= 1):
            raise ValueError(f"lam_mult_max must be finite and >= 1, got {lam_mult_max!r}.")
        self.lam_mult_max = float(lam_mult_max)

    # ------------------------------------------------------------------ structure
    def structures(self) -> list[Structure]:
        """Every structure of the space (the grid of M, n, mh, m)."""
        return [
            Structure(a, b, c, d)
            for a in range(self.M[0], self.M[1] + 1)
            for b in range(self.n[0], self.n[1] + 1)
            for c in range(self.mh[0], self.mh[1] + 1)
            for d in range(self.m[0], self.m[1] + 1)
        ]

    def sample_structure(self, rng: np.random.Generator) -> Structure:
        r"""A structure drawn from the space's prior, each of M, n, mh, m independently.

        ``prior="geometric"`` (default): :math:`P(k=\text{low}+j)\propto2^{-j}` on the range (small structures
        first, as Hypothesis generates small examples first: every structure keeps a positive probability, and
        the searched dimension of z grows with the structure); ``prior="uniform"``: uniform on each range.
        """
        return _sample_structure(self, rng)

    def _extra_dim(self, n: int) -> int:
        return _extra_dim(self.extras, n)

    def dim(self, s: Structure) -> int:
        """Length of z for structure s (the full encoding has ``HEADER + dim(s)`` entries)."""
        per_task = s.mh * s.n + s.n * (s.n + 1) // 2 + s.m * s.n + s.n
        return s.M * per_task + s.n + 1 + self._extra_dim(s.n)

    def structure_of(self, p: Any) -> Structure:
        """The structure in ``p[:4]``, checked to be integers inside the space's ranges."""
        return _structure_of(self, p)

    def random_encoding(self, rng: np.random.Generator, s: Structure | None = None, scale: float = 1.5) -> np.ndarray:
        """A random start: structure ``s`` (or a draw from the prior) and z ~ N(0, scale^2 I)."""
        return _random_encoding(self, rng, s, scale)

    def describe(self) -> str:
        """The searched class in words (the evidence's ``method``)."""
        return (
            f"M in {list(self.M)}, n in {list(self.n)}, training points {list(self.mh)}, test points {list(self.m)}, "
            f"lam in 2 Lhat1 [1, {self.lam_mult_max:g}], box [-{self.box:g}, {self.box:g}]"
        )

    # ------------------------------------------------------------------ decoding
    def decode(self, p: Any) -> Instance:
        r"""The instance encoded by p (see the module docstring); lam :math:`=2\hat L_1\min(1+z_\lambda^2,` lam_mult_max).

        Raises ``ValueError`` for a malformed header; an instance whose constants are degenerate raises from
        :class:`LogisticTasks` (a ratio should catch that and return None: outside the class).
        """
        s = self.structure_of(p)
        z = np.clip(np.asarray(p, dtype=np.float64)[HEADER:], -self.box, self.box)
        take = _Cursor(z).take
        M, n, mh, m = s
        iu = np.triu_indices(n)
        Zh = np.empty((M, mh, n))
        Q = np.empty((M, n, n))
        Z = np.empty((M, m, n))
        r = np.empty((M, n))
        for i in range(M):
            Zh[i] = take(mh * n).reshape(mh, n)
            U = np.zeros((n, n))
            U[iu] = take(n * (n + 1) // 2)
            Q[i] = (U + U.T) / 2  # off-diagonals halved: entries of Q stay in the box
            Z[i] = take(m * n).reshape(m, n)
            r[i] = take(n)
        theta = take(n).copy()
        factor = 2 * min(1 + float(take(1)[0]) ** 2, self.lam_mult_max)
        extra = {name: take(n if v == "n" else int(v)).copy() for name, v in self.extras.items()}
        tasks = LogisticTasks.at_threshold(Zh, None, Z, factor=factor, Q=Q, r=r)
        return Instance(tasks, theta, extra, s, zeta_bound(tasks))

    def encode(
        self,
        X_train: Any,
        Q: Any,
        X_test: Any,
        r: Any,
        theta: Any,
        lam_factor: float = 2.0,
        extra: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        r"""The encoding p of an instance given by its data (labels folded into the points), the inverse of
        :meth:`decode` inside the box: lam :math:`=` ``lam_factor`` :math:`\cdot\hat L_1` with ``lam_factor`` in
        [2, 2 lam_mult_max].  Use it to pin a derivation's extremal instance or to replay a counterexample."""
        Zh = np.asarray(X_train, dtype=np.float64)
        Zh = Zh[None] if Zh.ndim == 2 else Zh
        Z = np.asarray(X_test, dtype=np.float64)
        Z = Z[None] if Z.ndim == 2 else Z
        Qa = np.asarray(Q, dtype=np.float64)
        Qa = Qa[None] if Qa.ndim == 2 else Qa
        ra = np.atleast_2d(np.asarray(r, dtype=np.float64))
        th = np.asarray(theta, dtype=np.float64)
        if Zh.ndim != 3 or Z.ndim != 3 or Zh.shape[0] != Z.shape[0] or Zh.shape[2] != Z.shape[2]:
            raise ValueError(f"X_train (M, mh, n) and X_test (M, m, n) disagree: {Zh.shape} vs {Z.shape}.")
        M, mh, n = Zh.shape
        s = Structure(M, n, mh, Z.shape[1])
        if Qa.shape != (M, n, n) or ra.shape != (M, n) or th.shape != (n,):
            raise ValueError(f"Q must be (M, n, n), r (M, n) and theta (n,) for M={M}, n={n}.")
        if not 2.0 <= lam_factor <= 2 * self.lam_mult_max:
            raise ValueError(f"lam_factor must be in [2, {2 * self.lam_mult_max:g}] (lam / Lhat1), got {lam_factor!r}.")
        iu = np.triu_indices(n)
        parts = []
        for i in range(M):
            U = 2 * Qa[i] - np.diag(np.diag(Qa[i]))  # decode halves the off-diagonal entries
            parts += [Zh[i].ravel(), U[iu], Z[i].ravel(), ra[i]]
        parts += [th, [math.sqrt(lam_factor / 2 - 1)]]
        extra = dict(extra or {})
        if set(extra) != set(self.extras):
            raise ValueError(f"extra must give exactly {sorted(self.extras)}, got {sorted(extra)}.")
        for name, v in self.extras.items():
            e = np.atleast_1d(np.asarray(extra[name], dtype=np.float64))
            if e.shape != (n if v == "n" else int(v),):
                raise ValueError(f"extra[{name!r}] must have {n if v == 'n' else v} entries, got {e.shape}.")
            parts.append(e)
        p = np.concatenate([np.asarray(s, dtype=np.float64), *[np.asarray(x, dtype=np.float64) for x in parts]])
        self.structure_of(p)
        return p

    def instance_dict(self, p: Any) -> dict:
        """A decoded instance as plain lists (rebuilds it with :class:`LogisticTasks`; the encoding replays it)."""
        inst = self.decode(p)
        t = inst.tasks
        return {
            "family": "LogisticTasks",
            "structure": inst.structure._asdict(),
            "X_train": t.Zh.tolist(),
            "Q": t.Q.tolist(),
            "X_test": t.Z.tolist(),
            "r": t.r.tolist(),
            "lam": t.lam,
            "theta": inst.theta.tolist(),
            "extra": {k: v.tolist() for k, v in inst.extra.items()},
            "constants": t.constants()._asdict(),
            "zeta_bound": inst.zeta,
            "encoding": np.asarray(p, dtype=np.float64).tolist(),
        }


class TiedLogisticSpace:
    r"""The class of :class:`LogisticSpace`, parametrised for statements about the mean :math:`F=\frac1M\sum_iF_i`.

    z holds a base task :math:`b`, a spread :math:`w` and one deviation :math:`e_i` per task (each laid out as one
    task of :class:`LogisticSpace`), then theta, lam and the extras; task i is :math:`\mathrm{clip}(b+w\,e_i)` to the
    same box.  Every family of :class:`LogisticSpace` is encoded (:math:`b=0, w=1, e_i=` task i), so the class is the
    same; what changes is the search's geometry: one coordinate (:math:`w\to0`) makes the tasks alike, and a move
    of :math:`b` moves every task together.  The worst case of a mean over tasks has every task at its own worst at
    the same theta (errata E6's extremal task repeated): with independent task coordinates CMA-ES has to align M
    copies by chance (from random starts it reached 0.45-0.75 of the extremal ratio 16 of ``cor2`` at M >= 2), with
    this layout it aligns them in one direction.  A plain encoding is :meth:`from_plain`'s input.
    """

    def __init__(self, **kw: Any) -> None:
        self.plain = LogisticSpace(**kw)
        pl = self.plain
        self.M, self.n, self.mh, self.m, self.extras = pl.M, pl.n, pl.mh, pl.m, pl.extras
        self.box, self.lam_mult_max, self.prior = pl.box, pl.lam_mult_max, pl.prior

    def structures(self) -> list[Structure]:
        """Every structure of the space (those of :class:`LogisticSpace` with the same ranges)."""
        return self.plain.structures()

    def sample_structure(self, rng: np.random.Generator) -> Structure:
        """A structure drawn from the prior (:meth:`LogisticSpace.sample_structure`)."""
        return _sample_structure(self, rng)

    def structure_of(self, p: Any) -> Structure:
        """The structure in ``p[:4]``, checked to be integers inside the ranges and to match this layout's length."""
        return _structure_of(self, p)

    def random_encoding(self, rng: np.random.Generator, s: Structure | None = None, scale: float = 1.5) -> np.ndarray:
        """A random start: structure ``s`` (or a draw from the prior) and z ~ N(0, scale^2 I) in this layout."""
        return _random_encoding(self, rng, s, scale)

    def describe(self) -> str:
        """The searched class in words: :class:`LogisticSpace`'s (the class is the same)."""
        return self.plain.describe()

    @staticmethod
    def _task_dim(s: Structure) -> int:
        return s.mh * s.n + s.n * (s.n + 1) // 2 + s.m * s.n + s.n

    def dim(self, s: Structure) -> int:
        """Length of z: the plain one plus a base task and the spread."""
        return self.plain.dim(s) + self._task_dim(s) + 1

    def to_plain(self, p: Any) -> np.ndarray:
        r"""The :class:`LogisticSpace` encoding of the same instance (tasks :math:`\mathrm{clip}(b+w e_i)`)."""
        s = self.structure_of(p)
        z = np.clip(np.asarray(p, dtype=np.float64)[HEADER:], -self.box, self.box)
        k = self._task_dim(s)
        base, w = z[:k], z[k]
        dev = z[k + 1 : k + 1 + s.M * k].reshape(s.M, k)
        tasks = np.clip(base[None] + w * dev, -self.box, self.box).ravel()
        return np.concatenate([np.asarray(s, dtype=np.float64), tasks, z[k + 1 + s.M * k :]])

    def from_plain(self, q: Any) -> np.ndarray:
        """This space's encoding of a plain one: b = the mean task, w = 1, e_i = task i - b."""
        s = self.plain.structure_of(q)
        z = np.asarray(q, dtype=np.float64)[HEADER:]
        k = self._task_dim(s)
        tasks = z[: s.M * k].reshape(s.M, k)
        base = tasks.mean(0)
        return np.concatenate([np.asarray(s, dtype=np.float64), base, [1.0], (tasks - base).ravel(), z[s.M * k :]])

    def decode(self, p: Any) -> Instance:
        """The instance of :meth:`to_plain`'s encoding."""
        return self.plain.decode(self.to_plain(p))

    def encode(self, *args: Any, **kw: Any) -> np.ndarray:
        """:meth:`LogisticSpace.encode`, in this space's layout (:meth:`from_plain`)."""
        return self.from_plain(self.plain.encode(*args, **kw))

    def instance_dict(self, p: Any) -> dict:
        """:meth:`LogisticSpace.instance_dict` of the same instance, with this space's encoding (which replays it)."""
        out = self.plain.instance_dict(self.to_plain(p))
        out["encoding"] = np.asarray(p, dtype=np.float64).tolist()
        return out


class StochasticSpace:
    r"""The stochastic family of :mod:`bmaml_theory.tasks.stochastic`, encoded for :func:`bmaml_theory.search.engine.maximize`.

    An encoding is ``p = (M, n, 1, 1, z)`` (the header every space shares; the two point-count slots are fixed to 1
    and unused by this family, and a random start still draws them, so that the engine's random stream is the same
    for every space), M in [1, 8] tasks, dimension n in [2, 10]; z holds, in this order,

    - the mean Hessians: one shared symmetric A (``per_task_A=False``, the class where Assumption 4's sigma is
      uniform) or one per task, each from its upper triangle;
    - per task the linear term :math:`b_i` and a logit of :math:`p_i` (softmax);
    - the nonlinearity weight :math:`c=z` (either sign: c < 0 is in the class, :mod:`bmaml_theory.tasks.stochastic`),
      the noise levels :math:`s_g=|z|` and (``hessian_noise=True``)
      :math:`s_H=|z|` with one direction :math:`S_i=v_iv_i^\top/\|v_i\|^2` per task (spectral norm 1);
    - (``scale_decades`` > 0) a scale :math:`10^{-\text{scale\_decades}\cdot\mathrm{sig}(z)}` multiplying every
      :math:`A_i` (so small L is as easy to reach as large L: the same class, a log-scale encoding of its size);
    - the point w (n), the step :math:`\alpha=\alpha_{\max}\,\mathrm{sig}(z)/L` (so :math:`\alpha\in(0,\alpha_{\max}/L)`);
    - the claim's extras (raw, clipped to the box).

    Every coordinate is clipped to ``[-box, box]`` (a bounded class: every sup is over it).

    Parameters
    ----------
    M, n : (low, high)
        Inclusive ranges of the number of tasks (1..8) and the dimension (2..10).
    per_task_A : bool
        One mean Hessian per task (sigma of Assumption 4 is then not uniform) or one shared by all tasks.
    hessian_noise : bool
        Whether the Hessian noise :math:`s_H` (and its directions S_i) is searched; ``False`` fixes
        :math:`s_H=0` (Assumption 5's sigma-tilde is then uniform, :math:`=s_g`).
    nonlinear : bool
        Whether :math:`c` (either sign) is searched; ``False`` fixes :math:`c=0` (quadratic tasks, rho = 0).
    alpha_max : float
        :math:`\alpha=\alpha_{\max}\,\mathrm{sig}(z_\alpha)/L`: the statement's range of alpha in units of 1/L.
    extras : mapping name -> int or "n"
        Claim-specific coordinates (as :class:`LogisticSpace`).
    box : float
        Every coordinate of z is clipped to ``[-box, box]``.
    scale_decades : float
        When > 0, one more coordinate scales every A_i by :math:`10^{-\text{scale\_decades}\cdot\mathrm{sig}(z)}`.

    Examples
    --------
    >>> sp = StochasticSpace(extras={"u": "n"})
    >>> inst = sp.decode(sp.random_encoding(np.random.default_rng(0), Structure(2, 3, 1, 1)))
    >>> (inst.tasks.M, inst.tasks.n, inst.extra["u"].shape, 0 < inst.alpha * inst.tasks.constants().L < 1)
    (2, 3, (3,), True)
    """

    def __init__(
        self,
        *,
        M: tuple[int, int] = (1, 8),
        n: tuple[int, int] = (2, 10),
        per_task_A: bool = False,
        hessian_noise: bool = False,
        nonlinear: bool = True,
        alpha_max: float = 1.0,
        scale_decades: float = 0.0,
        extras: Any = None,
        box: float = 10.0,
        prior: str = "geometric",
    ) -> None:
        self.M = _int_range(M, "M", 1, 8)
        self.n = _int_range(n, "n", 1, 10)
        self.mh = self.m = (1, 1)  # the shared header's point-count slots: fixed to 1, unused by this family
        self.extras = _check_extras(extras)
        self.box = _check_box(box)
        self.prior = _check_prior(prior)
        if not (math.isfinite(alpha_max) and alpha_max > 0):
            raise ValueError(f"alpha_max must be finite and > 0 (alpha's range in units of 1/L), got {alpha_max!r}.")
        self.per_task_A, self.hessian_noise, self.nonlinear = bool(per_task_A), bool(hessian_noise), bool(nonlinear)
        self.alpha_max = float(alpha_max)
        if not (math.isfinite(scale_decades) and scale_decades >= 0):
            raise ValueError(f"scale_decades must be finite and >= 0, got {scale_decades!r}.")
        self.scale_decades = float(scale_decades)

    def structures(self) -> list[Structure]:
        """Every structure of the space (M and n; the point counts are 1)."""
        return [Structure(a, b, 1, 1) for a in range(self.M[0], self.M[1] + 1) for b in range(self.n[0], self.n[1] + 1)]

    def sample_structure(self, rng: np.random.Generator) -> Structure:
        """A structure drawn from the prior, as :meth:`LogisticSpace.sample_structure` (the fixed slots included)."""
        return _sample_structure(self, rng)

    def structure_of(self, p: Any) -> Structure:
        """The structure in ``p[:4]``, checked to be integers inside the space's ranges."""
        return _structure_of(self, p)

    def random_encoding(self, rng: np.random.Generator, s: Structure | None = None, scale: float = 1.5) -> np.ndarray:
        """A random start: structure ``s`` (or a draw from the prior) and z ~ N(0, scale^2 I)."""
        return _random_encoding(self, rng, s, scale)

    def describe(self) -> str:
        """The searched class in words (the evidence's ``method``)."""
        return f"StochasticSpace, M in {list(self.M)}, n in {list(self.n)}, box [-{self.box:g}, {self.box:g}]"

    def dim(self, s: Structure) -> int:
        """Length of z for structure s."""
        tri = s.n * (s.n + 1) // 2
        nA = s.M if self.per_task_A else 1
        per_task = s.n + 1 + (s.n if self.hessian_noise else 0)
        extra = 2 + int(self.hessian_noise) + int(self.scale_decades > 0)
        return nA * tri + s.M * per_task + extra + s.n + 1 + _extra_dim(self.extras, s.n)

    def decode(self, p: Any) -> StochasticInstance:
        """The instance encoded by p (module docstring).  A degenerate instance (L = 0) raises ValueError."""
        s = self.structure_of(p)
        z = np.clip(np.asarray(p, dtype=np.float64)[HEADER:], -self.box, self.box)
        take = _Cursor(z).take
        M, n = s.M, s.n
        iu = np.triu_indices(n)

        def sym(v: np.ndarray) -> np.ndarray:
            U = np.zeros((n, n))
            U[iu] = v
            return (U + U.T) / 2

        A = np.stack([sym(take(n * (n + 1) // 2)) for _ in range(M if self.per_task_A else 1)])
        if not self.per_task_A:
            A = np.broadcast_to(A, (M, n, n)).copy()
        b, logit, V = np.empty((M, n)), np.empty(M), np.zeros((M, n))
        for i in range(M):
            b[i] = take(n)
            logit[i] = take(1)[0]
            if self.hessian_noise:
                V[i] = take(n)
        zc = float(take(1)[0])
        c = zc if self.nonlinear else 0.0
        sg = abs(float(take(1)[0]))
        sH = abs(float(take(1)[0])) if self.hessian_noise else 0.0
        if self.scale_decades > 0:
            A = A * 10 ** (-self.scale_decades * sig(float(take(1)[0])))
        S = None
        if self.hessian_noise:
            S = np.zeros((M, n, n))
            for i in range(M):
                v = V[i] if np.linalg.norm(V[i]) > 0 else np.eye(n)[0]
                S[i] = np.outer(v, v) / float(v @ v)
        w = take(n).copy()
        za = float(take(1)[0])
        extra = {name: take(n if v == "n" else int(v)).copy() for name, v in self.extras.items()}
        pr = np.exp(logit - logit.max())
        t = StochasticTasks(A, b, pr / pr.sum(), c=c, sg=sg, sH=sH, S=S)
        L = t.constants().L
        if not L > 0:
            raise ValueError("degenerate instance: L = 0 (every task is linear); alpha = alpha_max/L is undefined.")
        return StochasticInstance(t, w, self.alpha_max * sig(za) / L, extra, s)

    def encode(
        self,
        A: Any,
        b: Any,
        w: Any,
        *,
        logits: Any = None,
        c: float = 0.0,
        sg: float = 0.0,
        sH: float = 0.0,
        V: Any = None,
        z_scale: float = 0.0,
        z_alpha: float = 0.0,
        extra: Mapping[str, Any] | None = None,
    ) -> np.ndarray:
        r"""The encoding p of an instance, the inverse of :meth:`decode` inside the box.

        ``A``: the shared mean Hessian (n, n) or one per task (M, n, n) as ``per_task_A`` says; ``b`` (M, n);
        ``w`` (n,); ``logits`` (M,) of the task probabilities (default equal); ``c``, ``sg``, ``sH`` and the noise
        directions ``V`` (M, n) as decoded; ``z_scale`` and ``z_alpha`` the raw coordinates of the scale and the step
        (:math:`lpha=lpha_{\max}\,\mathrm{sig}(z_lpha)/L`: L is known only after decoding, so the step is
        pinned by its coordinate); ``extra`` the claim's extras by name.  Use it to pin a derivation's extremal
        instance.
        """
        ba = np.atleast_2d(np.asarray(b, dtype=np.float64))
        M, n = ba.shape
        Aa = np.asarray(A, dtype=np.float64)
        nA = M if self.per_task_A else 1
        Aa = Aa.reshape((nA, n, n)) if Aa.size == nA * n * n else Aa
        if Aa.shape != (nA, n, n):
            raise ValueError(
                f"A must be {'(M, n, n)' if self.per_task_A else '(n, n)'} for M={M}, n={n}, got {Aa.shape}."
            )
        lg = np.zeros(M) if logits is None else np.asarray(logits, dtype=np.float64)
        Va = np.zeros((M, n)) if V is None else np.asarray(V, dtype=np.float64)
        wa = np.asarray(w, dtype=np.float64)
        if lg.shape != (M,) or Va.shape != (M, n) or wa.shape != (n,):
            raise ValueError(f"logits must be (M,), V (M, n) and w (n,) for M={M}, n={n}.")
        iu = np.triu_indices(n)
        parts: list[Any] = [2 * Ai - np.diag(np.diag(Ai)) for Ai in Aa]  # decode halves the off-diagonal entries
        parts = [U[iu] for U in parts]
        for i in range(M):
            parts += [ba[i], [lg[i]]] + ([Va[i]] if self.hessian_noise else [])
        parts.append([float(c), float(sg)] + ([float(sH)] if self.hessian_noise else []))
        if self.scale_decades > 0:
            parts.append([float(z_scale)])
        parts += [wa, [float(z_alpha)]]
        extra = dict(extra or {})
        if set(extra) != set(self.extras):
            raise ValueError(f"extra must give exactly {sorted(self.extras)}, got {sorted(extra)}.")
        for name, v in self.extras.items():
            e = np.atleast_1d(np.asarray(extra[name], dtype=np.float64))
            if e.shape != (n if v == "n" else int(v),):
                raise ValueError(f"extra[{name!r}] must have {n if v == 'n' else v} entries, got {e.shape}.")
            parts.append(e)
        p = np.concatenate(
            [np.array([M, n, 1, 1], dtype=np.float64), *[np.asarray(x, dtype=np.float64) for x in parts]]
        )
        self.structure_of(p)
        return p

    def instance_dict(self, p: Any) -> dict:
        """A decoded instance as plain lists (the encoding replays it)."""
        inst = self.decode(p)
        t = inst.tasks
        return {
            "family": "StochasticTasks",
            "structure": {"M": t.M, "n": t.n},
            "A": t.A.tolist(),
            "b": t.b.tolist(),
            "p": t.p.tolist(),
            "c": t.c,
            "sg": t.sg,
            "sH": t.sH,
            "S": t.S.tolist(),
            "w": inst.w.tolist(),
            "alpha": inst.alpha,
            "alpha_times_L": inst.alpha * t.constants().L,
            "extra": {k: v.tolist() for k, v in inst.extra.items()},
            "constants": t.constants()._asdict(),
            "encoding": np.asarray(p, dtype=np.float64).tolist(),
        }
