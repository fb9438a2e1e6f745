"""The registry of certifiers: :func:`certifier` registers ``fn(counterexample) -> Enclosure`` under claim ids.

:mod:`bmaml_theory.certify.claims` registers every certifier on import; :mod:`bmaml_theory.certify` loads it on
first use and re-exports what is here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CERTIFIERS", "Enclosure", "certifier"]


@dataclass
class Enclosure:
    """What a certifier proves: ``value`` (an mpmath interval) of ``quantity``; ``hypotheses`` whether the
    statement's hypotheses hold exactly on the instance; optional overrides of the entry's threshold (a certifier
    of an unbounded row compares another quantity), the float value to compare with, and details."""

    value: Any
    quantity: str
    method: str
    hypotheses: bool = True
    threshold: float | None = None
    comparison: str | None = None
    tolerance: float | None = None
    float_value: float | None = None
    details: dict = field(default_factory=dict)


CERTIFIERS: dict[str, Callable[[dict], Enclosure]] = {}


def certifier(*ids: str, entry: bool = False) -> Callable:
    """Register ``fn(counterexample) -> Enclosure`` as the certifier of the claims ``ids`` (``entry=True``:
    ``fn(counterexample, entry)``, for a certifier that reads the entry's recorded exact data, e.g. byte counts)."""

    def deco(fn: Callable[..., Enclosure]) -> Callable[..., Enclosure]:
        fn.wants_entry = entry  # type: ignore[attr-defined]
        for cid in ids:
            if cid in CERTIFIERS:
                raise ValueError(f"claim {cid!r} has two certifiers")
            CERTIFIERS[cid] = fn
        return fn

    return deco
