r"""The replay allow-list: the functions a ledger's ``replay.target`` may name.

A ledger is data that may come from outside (a pull request may edit ``figures/claims.json``), and replaying it calls
the function it names.  So a target is resolved in :data:`REPLAYS`, filled by the :func:`replayable` decorator on the
functions the claims name, and nowhere else: a name that is not registered is refused (:class:`ReplayRefusedError`)
before anything is imported or called, and the ledger's JSON Schema admits only names under ``bmaml_theory``.
This module imports nothing (the library's study modules register their replay functions without importing the
claims layer).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Callable
from typing import Any

__all__ = ["PACKAGE_TARGET", "REPLAYS", "ReplayRefusedError", "replay_missing", "replayable", "resolve_replay"]

# The replay allow-list: the functions a ledger may name (``module:function``), registered by :func:`replayable`.  A
# ledger is data from outside (a pull request may edit figures/claims.json), so a target is resolved in this registry
# and nowhere else: an unregistered name is refused before anything is imported or called.
REPLAYS: dict[str, Callable[..., Any]] = {}
# The optional modules a replay function imports when called (e.g. ("torch", "mnist1d") for a network's byte count):
# a ledger written with the nn extra holds such replays, and a reader without it is told what to install.
REQUIRES: dict[str, tuple[str, ...]] = {}
PACKAGE_TARGET = re.compile(r"^bmaml_theory(\.[A-Za-z_][A-Za-z0-9_]*)+:[A-Za-z_][A-Za-z0-9_]*$")


def replayable(fn: Callable[..., Any] | None = None, *, requires: tuple[str, ...] = ()) -> Any:
    """Register ``fn`` as a replay target ``'{module}:{name}'`` (the allow-list :data:`REPLAYS`); returns it as is.

    ``@replayable`` or ``@replayable(requires=("torch", "mnist1d"))``: ``requires`` names the optional modules the
    function imports when called, so that :func:`replay_missing` can say what a reader must install."""

    def register(f: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{f.__module__}:{f.__qualname__}"
        if REPLAYS.get(name, f) is not f:
            raise ValueError(f"replay target {name!r} registered twice")
        REPLAYS[name] = f
        REQUIRES[name] = tuple(requires)
        return f

    return register if fn is None else register(fn)


def replay_missing(target: str) -> list[str]:
    """The optional modules the registered replay ``target`` needs that are not installed (empty: it can run here).

    Resolves ``target`` first (:func:`resolve_replay`), so an unregistered name is refused as in a replay."""
    resolve_replay(target)
    return [m for m in REQUIRES.get(target, ()) if importlib.util.find_spec(m) is None]


class ReplayRefusedError(PermissionError):
    """A replay target that is not a registered replay function (nothing was imported or called)."""


def resolve_replay(target: str) -> Callable[..., Any]:
    """The registered function named ``target``, or :class:`ReplayRefusedError`.

    A name already in :data:`REPLAYS` resolves at once.  Otherwise only a name of this package
    (``bmaml_theory.<module>:<function>``) is looked for: the claim modules and the named module of this package are
    imported (which registers their replay functions), and the name must then be registered.  Any other name
    (``os:system``, ``builtins:eval``, ``subprocess:run``) is refused before anything is imported.
    """
    if not isinstance(target, str):
        raise ReplayRefusedError(f"replay target must be a string 'module:function', got {type(target).__name__}")
    if target in REPLAYS:
        return REPLAYS[target]
    if not PACKAGE_TARGET.match(target):
        raise ReplayRefusedError(
            f"replay target {target!r} is not a registered replay function of bmaml_theory; refused (nothing imported)"
        )
    importlib.import_module("bmaml_theory.claims")
    module = target.split(":", 1)[0]
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ReplayRefusedError(f"replay target {target!r}: no module {module} in bmaml_theory ({exc})") from exc
    if target not in REPLAYS:
        raise ReplayRefusedError(f"replay target {target!r} is not a registered replay function (@replayable); refused")
    return REPLAYS[target]
