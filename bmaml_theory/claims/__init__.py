"""One module per paper statement, registered by id; ``verify`` walks :data:`REGISTRY`.

Claim modules are discovered under the subpackages :mod:`~bmaml_theory.claims.chayti_jaggi` (by section),
:mod:`~bmaml_theory.claims.fallah` and :mod:`~bmaml_theory.claims.tmlr` (neural-network claims: their checks need
the ``nn`` extra and are skipped, not failed, without it).  Importing a claim module never imports an optional extra.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable

from bmaml_theory.claims._core import (
    REGISTRY,
    ClaimResult,
    ClaimSpec,
    Context,
    Measurement,
    Replay,
    ReplayRefusedError,
    Statement,
    Threshold,
    Tolerance,
    claim,
    replayable,
    run_claim,
)

__all__ = [
    "REGISTRY",
    "ClaimResult",
    "ClaimSpec",
    "Context",
    "Measurement",
    "Replay",
    "ReplayRefusedError",
    "Statement",
    "Threshold",
    "Tolerance",
    "claim",
    "groups",
    "replayable",
    "run_claim",
    "run_group",
]

SUBPACKAGES = ("chayti_jaggi", "fallah", "tmlr")


def _discover() -> None:
    for sub in SUBPACKAGES:
        name = f"{__name__}.{sub}"
        try:
            pkg = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # the subpackage does not exist (yet)
                continue
            raise
        mods = sorted(m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{name}.") if not m.ispkg)
        for m in mods:
            if not m.rsplit(".", 1)[-1].startswith("_"):
                importlib.import_module(m)


_discover()


def groups(ids: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Claim ids by group, in registry order: the claims of one group share studies and run in one process."""
    out: dict[str, list[str]] = {}
    for cid in ids if ids is not None else REGISTRY:
        out.setdefault(REGISTRY[cid].group, []).append(cid)
    return out


def run_group(
    ids: list[str],
    *,
    quick: bool,
    seed: int = 0,
    deadline: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[ClaimResult]:
    """Run the claims ``ids`` (one group) in order with one shared :class:`Context`; each fails closed."""
    ctx = Context(quick=quick, seed=seed, deadline=deadline, progress=progress or (lambda msg: None))
    return [run_claim(cid, ctx) for cid in ids]
