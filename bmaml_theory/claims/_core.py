"""The claims registry and the ledger entry format of design.md.

A claim is a function ``f(ctx) -> ClaimResult`` registered with :func:`claim`.  ``ctx`` carries the
run's settings (``quick``), a progress callback and a cache, so claims that share a study (a sweep)
compute it once per run.  ``ClaimResult.data`` holds arrays for the figures and is not serialised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["REGISTRY", "ClaimResult", "ClaimSpec", "Context", "claim", "rate_status", "to_jsonable"]

STATUSES = ("holds", "violated", "inconclusive")
KINDS = ("identity", "upper_bound", "rate", "complexity", "empirical")


@dataclass
class Context:
    """Settings of one verify run: ``quick`` selects the small grids; ``progress(msg)`` reports work."""

    quick: bool = False
    progress: Callable[[str], None] = lambda msg: None
    cache: dict = field(default_factory=dict)

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]


@dataclass
class ClaimResult:
    id: str
    source: str
    statement: str
    kind: str
    status: str
    stated: Any
    measured: Any
    tolerance: Any
    evidence: dict
    counterexample: Any = None
    figure: str | None = None
    data: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.status == "violated" and self.counterexample is None:
            raise ValueError(f"claim {self.id}: a violated claim needs a counterexample")

    def to_json(self) -> dict:
        return to_jsonable(
            {
                "id": self.id,
                "source": self.source,
                "statement": self.statement,
                "kind": self.kind,
                "status": self.status,
                "stated": self.stated,
                "measured": self.measured,
                "tolerance": self.tolerance,
                "evidence": self.evidence,
                "counterexample": self.counterexample,
                "figure": self.figure,
            }
        )


@dataclass(frozen=True)
class ClaimSpec:
    id: str
    func: Callable[[Context], ClaimResult]
    figure: str | None
    group: str


REGISTRY: dict[str, ClaimSpec] = {}


def claim(id: str, *, figure: str | None = None, group: str = "chayti-jaggi"):
    """Register ``func`` as the check of claim ``id`` (ids from design.md, unique)."""

    def deco(func: Callable[[Context], ClaimResult]) -> Callable[[Context], ClaimResult]:
        if id in REGISTRY:
            raise ValueError(f"claim id {id!r} registered twice")
        REGISTRY[id] = ClaimSpec(id, func, figure, group)
        return func

    return deco


def rate_status(slopes: list[float], stated: float, tol: float) -> tuple[str, float | None, int | None]:
    """holds if every measured slope is within tol of stated; violated otherwise; inconclusive if none.

    Returns (status, the slope farthest from stated, its index)."""
    if not slopes:
        return "inconclusive", None, None
    dev = [abs(s - stated) for s in slopes]
    k = int(np.argmax(dev))
    return ("holds" if dev[k] <= tol else "violated"), slopes[k], k


def to_jsonable(x: Any) -> Any:
    """Plain JSON types: NumPy scalars/arrays to Python, non-finite floats to strings."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return to_jsonable(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return v
    return x
