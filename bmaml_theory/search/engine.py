r"""The adversarial search engine: CMA-ES from random starts with successive halving, over any :class:`SearchSpace`.

One :class:`SearchPlan` holds everything a search is: the random starts, the budget, the seed, the pinned starts
(a derivation's extremal encodings) and how they are run (inside the halving, or as their own search merged after),
CMA-ES's initial step ``sigma0``, its population, and the halving's ``rungs`` and ``eta``.  :func:`run` executes a
plan; :func:`maximize` is one CMA-ES search (random starts and pins together).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from bmaml_theory.parallel import pmap
from bmaml_theory.search.spaces import HEADER, SearchSpace

__all__ = ["SearchPlan", "SearchResult", "StartResult", "maximize", "merge_searches", "run"]


@dataclass(frozen=True, eq=False)
class SearchPlan:
    r"""One adversarial search, fully specified (the evidence reports it; the same plan gives the same result).

    starts: random starts; budget: evaluations of the random starts (with ``pin_budget=None``, of the pins too);
    seed: the seed every random draw is spawned from; pins: encodings run as extra starts; pin_budget: ``None`` runs
    the pins inside the halving (never dropped: each takes a random run's share of every rung), an int runs them as
    their own plain search with that many evaluations in all (:func:`merge_searches`), seeded by ``pin_seed``
    (default ``seed``); sigma0: CMA-ES's initial step and the random starts' scale; popsize: CMA-ES's population
    (``None``: its default); rungs, eta: successive halving (``rungs=1``: plain restarts).
    """

    starts: int
    budget: int
    seed: int
    pins: tuple[Any, ...] = ()
    pin_budget: int | None = None
    pin_seed: int | None = None
    sigma0: float = 1.5
    popsize: int | None = None
    rungs: int = 3
    eta: int = 4

    def __post_init__(self) -> None:
        object.__setattr__(self, "pins", tuple(np.asarray(q, dtype=np.float64) for q in self.pins))
        if self.pin_budget is not None and (isinstance(self.pin_budget, bool) or int(self.pin_budget) < 1):
            raise ValueError(
                f"pin_budget must be None (pins inside the halving) or an int >= 1, got {self.pin_budget!r}."
            )

    def reseeded(self, offset: int) -> SearchPlan:
        """The same plan with every seed shifted by ``offset`` (an independent search of the same size)."""
        return replace(
            self, seed=self.seed + int(offset), pin_seed=None if self.pin_seed is None else self.pin_seed + int(offset)
        )

    def settings(self) -> dict:
        """The plan as JSON-ready numbers (pins counted, not listed)."""
        return {
            "starts": self.starts,
            "budget": self.budget,
            "seed": self.seed,
            "pins": len(self.pins),
            "pin_budget": self.pin_budget,
            "pin_seed": self.pin_seed,
            "sigma0": self.sigma0,
            "popsize": self.popsize,
            "rungs": self.rungs,
            "eta": self.eta,
        }


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
    space: SearchSpace,
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
    space: SearchSpace,
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
    if not isinstance(space, SearchSpace):
        raise TypeError(f"space must be a SearchSpace (bmaml_theory.search.spaces), got {type(space).__name__}.")
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


def run(
    ratio: Callable[[np.ndarray], float | None],
    space: SearchSpace,
    plan: SearchPlan,
    *,
    jobs: int = 1,
    dask_address: str | None = None,
    check_time: Callable[[], None] | None = None,
) -> SearchResult:
    """Execute ``plan``: :func:`maximize` from its random starts (and its pins, when ``plan.pin_budget`` is None), or
    the random starts and a separate plain search from the pins (``pin_budget`` evaluations, seed ``pin_seed``),
    merged by :func:`merge_searches`."""
    if not isinstance(plan, SearchPlan):
        raise TypeError(f"plan must be a SearchPlan, got {type(plan).__name__}.")
    common: dict[str, Any] = {"jobs": jobs, "dask_address": dask_address, "check_time": check_time}
    together = plan.pin_budget is None
    rand = maximize(
        ratio,
        space,
        starts=plan.starts,
        seed=plan.seed,
        budget=plan.budget,
        pins=list(plan.pins) if together else None,
        sigma0=plan.sigma0,
        popsize=plan.popsize,
        rungs=plan.rungs,
        eta=plan.eta,
        **common,
    )
    if together or not plan.pins:
        return rand
    pinned = maximize(
        ratio,
        space,
        starts=0,
        pins=list(plan.pins),
        seed=plan.seed if plan.pin_seed is None else plan.pin_seed,
        budget=int(plan.pin_budget),
        sigma0=plan.sigma0,
        popsize=plan.popsize,
        rungs=1,
        **common,
    )
    return merge_searches(rand, pinned)
