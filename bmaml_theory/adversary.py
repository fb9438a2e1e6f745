r"""Adversarial search over logistic task families of every size, by CMA-ES from random starts.

The class searched (:class:`LogisticSpace`) is :class:`~bmaml_theory.tasks.logistic.LogisticTasks` with
M tasks in :math:`[1, 8]`, dimension n in :math:`[2, 10]`, :math:`\hat m` training and m test points per task,
non-convex training (indefinite :math:`Q_i`), lam at or above the threshold :math:`2\hat L_1`, train != test, and
claim-specific extras (nu, a direction of dimension n, a distance, ...).  An instance is encoded by a vector

.. math::  p=(M,\ n,\ \hat m,\ m,\ z),\qquad z\in\mathbb R^{d(M,n,\hat m,m)+d_{\rm extra}}

whose first four entries are the integers of the *structure* and whose tail z is unconstrained (clipped to
the box :math:`[-10, 10]`, so every worst ratio is a sup over a bounded class).  Per task i, z holds the
training points :math:`\hat z_{ij}` (labels folded in: :math:`\hat z=\hat y\hat x`), the upper triangle of
:math:`Q_i`, the test points :math:`z_{ij}` and the test linear term :math:`r_i`; then theta, then
:math:`\lambda=2\hat L_1\min(1+z_\lambda^2, 10)`, then the extras in the order given.  The training linear
term q is 0 (a shift of theta covers most of its effect); a structure of one task, n = 2 and one point per set
is the encoding of :mod:`bmaml_theory.search` up to the parametrisation of Q.

Assumption 4 (Chayti & Jaggi): :math:`\frac1M\sum_i\|\nabla F_i(\theta)-\nabla F(\theta)\|^2\le\zeta^2` for all
theta.  :func:`zeta_bound` returns a **certified upper bound** (not the exact sup):
:math:`\frac1M\sum_i\|g_i-\bar g\|^2\le\frac1M\sum_i\|g_i\|^2` and
:math:`\|\nabla F_i(\theta)\|=\lambda\|(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i)\|\le\lambda L_{0,i}/\mu_i`
(the logistic part of :math:`\nabla^2\hat f_i` is PSD, so the inverse has norm :math:`\le1/(\lambda+\lambda_{\min}(Q_i))`,
and :math:`L_{0,i}` bounds :math:`\|\nabla f_i\|` everywhere), so
:math:`\zeta\le\sqrt{\frac1M\sum_i(\lambda L_{0,i}/\mu_i)^2}`; it is exactly 0 for M = 1.  :func:`zeta_lower`
gives the matching lower bound over sampled thetas, so a claim can report how loose the certified value is.

:func:`maximize` runs CMA-ES (the ``cma`` package) from ``starts`` random starts (a random structure and a
Gaussian z each), then from each pinned encoding, with the restarts distributed by
:func:`bmaml_theory.parallel.pmap` (seeded by index, reduced in index order: the same result on 1 or N
processes or a Dask cluster).  It fails closed: an evaluation that raises or returns a non-finite value is a
*failure* (counted, with examples), one that returns ``None`` is *skipped* (outside the measurable class);
neither ever counts as a ratio.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from bmaml_theory.parallel import pmap
from bmaml_theory.tasks.logistic import LogisticTasks

__all__ = [
    "HEADER",
    "Instance",
    "LogisticSpace",
    "SearchResult",
    "Structure",
    "maximize",
    "merge_searches",
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
    """A decoded instance: the tasks, theta (n,), the extras by name, its structure and zeta's certified bound."""

    tasks: LogisticTasks
    theta: np.ndarray
    extra: dict[str, np.ndarray]
    structure: Structure
    zeta: float


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


def _int_range(v: Any, name: str, lo: int, hi: int) -> tuple[int, int]:
    try:
        a, b = (int(v[0]), int(v[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise TypeError(f"{name} must be a pair (low, high) of ints, got {v!r}.") from exc
    if not (lo <= a <= b <= hi):
        raise ValueError(f"{name} must satisfy {lo} <= low <= high <= {hi}, got {(a, b)}.")
    return a, b


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
        if prior not in ("geometric", "uniform"):
            raise ValueError(
                f"prior must be 'geometric' or 'uniform' (how random starts draw a structure), got {prior!r}."
            )
        self.prior = prior
        self.M = _int_range(M, "M", 1, 8)
        self.n = _int_range(n, "n", 1, 10)
        self.mh = _int_range(mh, "mh", 1, 12)
        self.m = _int_range(m, "m", 1, 12)
        self.extras: dict[str, int | str] = {}
        for k, v in dict(extras or {}).items():
            if v != "n" and not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise ValueError(f"extras[{k!r}] must be an int >= 1 or 'n' (a vector of dimension n), got {v!r}.")
            self.extras[str(k)] = v
        if not (math.isfinite(box) and box > 0):
            raise ValueError(f"box must be finite and > 0, got {box!r}.")
        if not (math.isfinite(lam_mult_max) and lam_mult_max >= 1):
            raise ValueError(f"lam_mult_max must be finite and >= 1, got {lam_mult_max!r}.")
        self.box, self.lam_mult_max = float(box), float(lam_mult_max)

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
        out = []
        for lo, hi in (self.M, self.n, self.mh, self.m):
            k = np.arange(lo, hi + 1)
            w = np.ones(k.size) if self.prior == "uniform" else 0.5 ** (k - lo)
            out.append(int(rng.choice(k, p=w / w.sum())))
        return Structure(*out)

    def _extra_dim(self, n: int) -> int:
        return sum(n if v == "n" else int(v) for v in self.extras.values())

    def dim(self, s: Structure) -> int:
        """Length of z for structure s (the full encoding has ``HEADER + dim(s)`` entries)."""
        per_task = s.mh * s.n + s.n * (s.n + 1) // 2 + s.m * s.n + s.n
        return s.M * per_task + s.n + 1 + self._extra_dim(s.n)

    def structure_of(self, p: Any) -> Structure:
        """The structure in ``p[:4]``, checked to be integers inside the space's ranges."""
        p = np.asarray(p, dtype=np.float64)
        if p.ndim != 1 or p.shape[0] < HEADER:
            raise ValueError(f"p must be a 1-D encoding (M, n, mh, m, z...), got shape {p.shape}.")
        head = p[:HEADER]
        if not np.all(np.isfinite(head)) or np.any(head != np.round(head)):
            raise ValueError(f"p[:4] must be the integers (M, n, mh, m), got {head.tolist()}.")
        s = Structure(*(int(v) for v in head))
        for name, v, (lo, hi) in zip(Structure._fields, s, (self.M, self.n, self.mh, self.m), strict=True):
            if not lo <= v <= hi:
                raise ValueError(f"p encodes {name}={v}, outside this space's range [{lo}, {hi}].")
        if p.shape[0] != HEADER + self.dim(s):
            raise ValueError(f"p has {p.shape[0]} entries but structure {tuple(s)} needs {HEADER + self.dim(s)}.")
        return s

    def random_encoding(self, rng: np.random.Generator, s: Structure | None = None, scale: float = 1.5) -> np.ndarray:
        """A random start: structure ``s`` (or a uniform draw) and z ~ N(0, scale^2 I)."""
        s = self.sample_structure(rng) if s is None else Structure(*s)
        return np.concatenate([np.asarray(s, dtype=np.float64), scale * rng.standard_normal(self.dim(s))])

    # ------------------------------------------------------------------ decoding
    def decode(self, p: Any) -> Instance:
        r"""The instance encoded by p (see the module docstring); lam :math:`=2\hat L_1\min(1+z_\lambda^2,` lam_mult_max).

        Raises ``ValueError`` for a malformed header; an instance whose constants are degenerate raises from
        :class:`LogisticTasks` (a ratio should catch that and return None: outside the class).
        """
        s = self.structure_of(p)
        z = np.clip(np.asarray(p, dtype=np.float64)[HEADER:], -self.box, self.box)
        k = 0

        def take(count: int) -> np.ndarray:
            nonlocal k
            out = z[k : k + count]
            k += count
            return out

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


# ---------------------------------------------------------------------------------------------- search
@dataclass
class StartResult:
    """One CMA-ES run: where it started, the best ratio and encoding it found, and its counts."""

    start: np.ndarray
    pinned: bool
    best: float | None
    best_encoding: np.ndarray | None
    evaluations: int
    failures: int
    skipped: int
    failure_examples: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    """What :func:`maximize` found.

    worst / worst_encoding: the largest ratio over every run (random and pinned) and its encoding (None when no
    evaluation gave a ratio); unpinned_worst / unpinned_encoding: the same over the random starts alone;
    pinned_worst: over the pinned starts alone (None without pins); evaluations, failures (raised or
    non-finite), skipped (ratio returned None); failure_examples: the first few failures' messages; runs: one
    :class:`StartResult` per start, random starts first, in index order.
    """

    worst: float | None
    worst_encoding: np.ndarray | None
    unpinned_worst: float | None
    unpinned_encoding: np.ndarray | None
    pinned_worst: float | None
    evaluations: int
    failures: int
    skipped: int
    failure_examples: list[str]
    runs: list[StartResult]

    def summary(self) -> dict:
        """JSON-ready counts and values (encodings as lists)."""
        enc = lambda e: None if e is None else np.asarray(e).tolist()  # noqa: E731
        return {
            "worst": self.worst,
            "worst_encoding": enc(self.worst_encoding),
            "unpinned_worst": self.unpinned_worst,
            "unpinned_encoding": enc(self.unpinned_encoding),
            "pinned_worst": self.pinned_worst,
            "evaluations": self.evaluations,
            "failures": self.failures,
            "skipped": self.skipped,
            "failure_examples": self.failure_examples,
            "starts": sum(not r.pinned for r in self.runs),
            "pins": sum(r.pinned for r in self.runs),
        }


_MAX_EXAMPLES = 5


def merge_searches(rand: SearchResult, pinned: SearchResult | None) -> SearchResult:
    """One result from a random-start search and a separate pinned-only one: the worst of both (the random
    search's on a tie), ``unpinned_*`` from the first and ``pinned_worst`` from the second, counts added, runs random
    first (``rand`` itself when there is no pinned search)."""
    if pinned is None:
        return rand
    worst, enc = rand.worst, rand.worst_encoding
    if pinned.worst is not None and (worst is None or pinned.worst > worst):
        worst, enc = pinned.worst, pinned.worst_encoding
    return SearchResult(
        worst=worst,
        worst_encoding=enc,
        unpinned_worst=rand.unpinned_worst,
        unpinned_encoding=rand.unpinned_encoding,
        pinned_worst=pinned.pinned_worst,
        evaluations=rand.evaluations + pinned.evaluations,
        failures=rand.failures + pinned.failures,
        skipped=rand.skipped + pinned.skipped,
        failure_examples=[*rand.failure_examples, *pinned.failure_examples][:_MAX_EXAMPLES],
        runs=[*rand.runs, *pinned.runs],
    )


class _Randn:
    """CMA-ES's N(0, 1) source drawn from a numpy Generator (picklable; never touches numpy's global state)."""

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen

    def __call__(self, *shape: int) -> np.ndarray:
        return self.gen.standard_normal(shape)


@dataclass
class _Run:
    """A CMA-ES run that successive halving may continue: its start, optimiser state and counts."""

    start: np.ndarray | None
    pinned: bool
    es: Any = None
    result: StartResult | None = None


def _evaluate(res: StartResult, ratio: Callable[[np.ndarray], Any], p: np.ndarray) -> float | None:
    """ratio(p) guarded: an exception or a non-finite value is a failure, None a skip; the best is tracked."""
    res.evaluations += 1
    try:
        v = ratio(p)
    except Exception as exc:  # every exception is a failure: counted, reported, never a ratio
        res.failures += 1
        if len(res.failure_examples) < _MAX_EXAMPLES:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            res.failure_examples.append(f"{type(exc).__name__}: {exc} ({where.name}:{where.lineno})")
        return None
    if v is None:
        res.skipped += 1
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v):
        res.failures += 1
        if len(res.failure_examples) < _MAX_EXAMPLES:
            res.failure_examples.append(f"non-finite ratio {v!r}")
        return None
    if res.best is None or v > res.best:
        res.best, res.best_encoding = v, p.copy()
    return v


def _advance(
    run: _Run,
    rng: np.random.Generator,
    *,
    ratio: Callable[[np.ndarray], Any],
    space: LogisticSpace,
    budget: int,
    sigma0: float,
    popsize: int | None,
    check_time: Callable[[], None] | None = None,
) -> _Run:
    """Up to ``budget`` more evaluations of CMA-ES on z (the structure of the start held fixed)."""
    import cma

    if run.result is None:  # first rung: draw (or take) the start and evaluate it
        start = space.random_encoding(rng, scale=sigma0) if run.start is None else np.asarray(run.start, float)
        space.structure_of(start)  # a malformed pin is the caller's error, not a failed evaluation
        run.start = start
        run.result = StartResult(start, run.pinned, None, None, 0, 0, 0)
        _evaluate(run.result, ratio, start)
        budget -= 1
        if start.size > HEADER:
            opts: dict[str, Any] = {
                "randn": _Randn(np.random.default_rng(rng.integers(2**63))),
                "verbose": -9,
                "verb_log": 0,
                "verb_disp": 0,
                "tolfun": 0.0,
                "tolflatfitness": 10**9,
            }
            if popsize is not None:
                opts["popsize"] = int(popsize)
            run.es = cma.CMAEvolutionStrategy(start[HEADER:], sigma0, opts)
    res, es = run.result, run.es
    if es is None:
        return run
    head = run.start[:HEADER]
    used = 0
    while budget - used >= es.popsize and not es.stop():
        if check_time is not None:
            check_time()
        X = es.ask()
        vals = [_evaluate(res, ratio, np.concatenate([head, np.asarray(x)])) for x in X]
        used += len(X)
        ok = [v for v in vals if v is not None]
        penalty = (-min(ok) + 1.0) if ok else 1.0  # a failed/skipped point ranks below every measured one
        es.tell(X, [-v if v is not None else penalty for v in vals])
    return run


def _key(run: _Run) -> float:
    return -math.inf if run.result is None or run.result.best is None else run.result.best


def _best(runs: Sequence[StartResult]) -> tuple[float | None, np.ndarray | None]:
    best, enc = None, None
    for r in runs:  # index order: ties go to the earliest run
        if r.best is not None and (best is None or r.best > best):
            best, enc = r.best, r.best_encoding
    return best, enc


def maximize(
    ratio: Callable[[np.ndarray], float | None],
    space: LogisticSpace,
    *,
    starts: int,
    seed: int,
    budget: int,
    pins: Sequence[Any] | None = None,
    jobs: int = 1,
    dask_address: str | None = None,
    sigma0: float = 1.5,
    popsize: int | None = None,
    rungs: int = 3,
    eta: int = 4,
    check_time: Callable[[], None] | None = None,
) -> SearchResult:
    r"""Maximise ``ratio(p)`` over ``space``: CMA-ES from ``starts`` random starts (and each pin), with the budget
    spread by successive halving.

    Start k draws a structure uniformly and :math:`z\sim N(0,\sigma_0^2I)`; CMA-ES (initial step
    :math:`\sigma_0`) then optimises z with the structure fixed.  Successive halving (Jamieson & Talwalkar 2016,
    the core of Hyperband): in rung r = 0 .. ``rungs``-1 the :math:`\lceil\text{starts}/\eta^r\rceil` random
    runs with the largest ratio so far go on for :math:`b_0\eta^r` more evaluations (ties: the lower index);
    pins are never dropped.  :math:`b_0` is the largest integer with total evaluations <= ``budget``.  The
    search is told nothing about where the worst instances are: it spends more on the runs that have climbed
    highest.  ``rungs=1`` is plain independent restarts.

    Every run's randomness (start, structure, CMA-ES's normal draws) comes from generators spawned by index
    from ``seed`` (:func:`bmaml_theory.parallel.pmap`, which also distributes the runs of a rung), and the
    selection is in a fixed order: ``jobs`` and ``dask_address`` change where runs go, never the result.

    ``ratio`` returns a float, or ``None`` for an instance outside the measurable class (``skipped``).  An
    exception or a non-finite value is a ``failure``: counted, its first messages kept, never a ratio.  Fail
    closed: a caller must read ``failures > 0`` as inconclusive unless the worst ratio already violates.
    ``unpinned_worst`` is the worst ratio from the random starts alone (the search power).

    ``check_time`` (e.g. a claim context's ``check_time``) is called before every rung and, when the runs stay in
    this process (``jobs=1``, no Dask), before every CMA-ES generation; whatever it raises (``TimeoutError``)
    propagates: a search cut short has no result, never a partial one passed off as complete.
    """
    if not callable(ratio):
        raise TypeError(f"ratio must be callable as ratio(p) -> float | None, got {type(ratio).__name__}.")
    if not isinstance(space, LogisticSpace):
        raise TypeError(f"space must be a LogisticSpace, got {type(space).__name__}.")
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or starts < 0:
        raise ValueError(f"starts must be an int >= 0 (random starts), got {starts!r}.")
    for name, v in (("rungs", rungs), ("eta", eta)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 or (name == "eta" and v < 2):
            raise ValueError(f"{name} must be an int >= {2 if name == 'eta' else 1}, got {v!r}.")
    pins = [np.asarray(q, dtype=np.float64) for q in (pins or [])]
    for j, q in enumerate(pins):
        try:
            space.structure_of(q)
        except ValueError as exc:
            raise ValueError(f"pins[{j}] is not an encoding of this space: {exc}") from exc
    if int(starts) + len(pins) == 0:
        raise ValueError("starts is 0 and no pins were given: nothing to search; pass starts >= 1.")
    if not (math.isfinite(sigma0) and sigma0 > 0):
        raise ValueError(f"sigma0 must be finite and > 0 (CMA-ES initial step), got {sigma0!r}.")
    alive = [math.ceil(int(starts) / eta**r) if starts else 0 for r in range(rungs)]
    units = sum((alive[r] + len(pins)) * eta**r for r in range(rungs))
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < units:
        raise ValueError(
            f"budget must be an int >= {units} (one evaluation per run and rung unit for {starts} starts, "
            f"{len(pins)} pins, rungs={rungs}, eta={eta}), got {budget!r}."
        )
    b0 = int(budget) // units
    runs = [_Run(None, False) for _ in range(int(starts))] + [_Run(q, True) for q in pins]
    active = list(range(len(runs)))
    rung_seeds = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(int(seed)).spawn(rungs)]
    local = int(jobs) == 1 and dask_address is None
    for r in range(rungs):
        if check_time is not None:
            check_time()
        if r > 0:
            rand = sorted((i for i in active if not runs[i].pinned), key=lambda i: (-_key(runs[i]), i))
            active = sorted(rand[: alive[r]] + [i for i in active if runs[i].pinned])
        fn = partial(
            _advance,
            ratio=ratio,
            space=space,
            budget=b0 * eta**r,
            sigma0=float(sigma0),
            popsize=popsize,
            check_time=check_time if local else None,
        )
        out = pmap(fn, [runs[i] for i in active], jobs=jobs, dask_address=dask_address, seed=rung_seeds[r])
        for i, run in zip(active, out, strict=True):
            runs[i] = run
    results = [run.result for run in runs]
    worst, enc = _best(results)
    uw, uenc = _best([x for x in results if not x.pinned])
    pw, _ = _best([x for x in results if x.pinned])
    examples = [e for x in results for e in x.failure_examples][:_MAX_EXAMPLES]
    return SearchResult(
        worst=worst,
        worst_encoding=enc,
        unpinned_worst=uw,
        unpinned_encoding=uenc,
        pinned_worst=pw,
        evaluations=sum(x.evaluations for x in results),
        failures=sum(x.failures for x in results),
        skipped=sum(x.skipped for x in results),
        failure_examples=examples,
        runs=results,
    )
