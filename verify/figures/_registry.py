"""The figure registry: a figure is drawn only from the results of the claims it names (no science here).

A figure module registers ``draw(results, path)`` with :func:`figure`; ``results`` maps claim id to its
:class:`~bmaml_theory.claims.ClaimResult`, whose ``data`` holds the arrays the claim computed.  This module imports
no figure module, so the registry has no import circle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bmaml_theory.claims import ClaimResult

Draw = Callable[[Mapping[str, ClaimResult], Path], None]


@dataclass(frozen=True)
class FigureSpec:
    name: str
    draw: Draw
    claims: tuple[str, ...]
    description: str


FIGURES: dict[str, FigureSpec] = {}


def figure(name: str, *, claims: tuple[str, ...], description: str):
    """Register ``draw(results, path)`` as figure ``name`` (a PNG file name), drawn from ``claims``' results."""

    def deco(fn: Draw) -> Draw:
        if name in FIGURES:
            raise ValueError(f"figure {name!r} registered twice")
        if not claims:
            raise ValueError(f"figure {name!r} must name the claims it is drawn from")
        FIGURES[name] = FigureSpec(name, fn, tuple(claims), description)
        return fn

    return deco
