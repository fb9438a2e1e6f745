"""Bad and edge values replacing one argument at a time: ``(label, value, expect)`` triples, and the cases built
from them (:func:`cases_for`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from api_fuzz.outcome import Case


def array_values(x: np.ndarray) -> list[tuple[str, Any, str]]:
    """(label, value, expect) replacing an array argument ``x``."""
    x = np.asarray(x, dtype=float)
    nan = x.copy()
    nan.flat[0] = np.nan
    inf = x.copy()
    inf.flat[-1] = np.inf
    return [
        ("extra axis", x[..., None] * np.ones(2), "error"),
        ("missing axis", x[..., 0] if x.ndim > 1 else x[0], "error"),
        ("empty", np.empty((0, *x.shape[1:])), "error"),
        ("nan entry", nan, "error"),
        ("inf entry", inf, "error"),
        ("complex", x + 1j, "error"),
        ("complex, zero imaginary part", x.astype(complex), "error"),
        ("None", None, "error"),
        ("string", "abc", "error"),
        ("array of strings", np.full(x.shape, "a"), "error"),
        ("object array", np.array(x.tolist() if x.ndim else float(x), dtype=object), "either"),
        ("bool array", np.ones(x.shape, dtype=bool), "either"),
        ("int array", np.round(x).astype(np.int64), "ok"),
        ("nested list", x.tolist(), "ok"),
        ("float32", x.astype(np.float32), "ok"),
        ("scaled 1e155", x * 1e155, "either"),
        ("scaled 1e-300", x * 1e-300, "either"),
    ]


def pos_values(v: float) -> list[tuple[str, Any, str]]:
    """(label, value, expect) replacing a scalar that must be finite and > 0."""
    return [
        ("zero", 0.0, "error"),
        ("negative", -abs(v), "error"),
        ("nan", math.nan, "error"),
        ("inf", math.inf, "error"),
        ("None", None, "error"),
        ("string", "1", "error"),
        ("complex", complex(v, 1.0), "error"),
        ("array of two", np.array([v, v]), "error"),
        ("bool", True, "error"),
        ("numpy 0-d array", np.array(v), "ok"),
        ("numpy float32", np.float32(v), "either"),  # float32 rounding may cross a threshold (lam = 2 Lhat1)
    ]


def int_values(v: int, *, huge: str = "error", huge_value: int = 10**9) -> list[tuple[str, Any, str]]:
    """(label, value, expect) replacing an integer count ``v``."""
    return [
        ("zero", 0, "error"),
        ("negative", -1, "error"),
        ("fractional", v + 0.5, "error"),
        ("string", str(v), "error"),
        ("None", None, "error"),
        ("bool", True, "error"),
        ("huge", huge_value, huge),
        ("numpy int", np.int64(v), "ok"),
    ]


def bool_values() -> list[tuple[str, Any, str]]:
    return [("None", None, "error"), ("string", "yes", "error"), ("int 2", 2, "error"), ("numpy bool", np.True_, "ok")]


def cases_for(
    entry: str,
    fn: Callable[..., Any],
    base: dict,
    args: dict[str, list[tuple[str, Any, str]]],
    item: int = 1,
    *,
    shape: tuple | None = None,
    finite: bool = True,
) -> list[Case]:
    out = []
    for arg, vals in args.items():
        for label, value, expect in vals:
            kw = dict(base)
            kw[arg] = value
            out.append(
                Case(
                    entry, arg, label, expect, item, (lambda kw=kw: fn(**kw)), shape if expect == "ok" else None, finite
                )
            )
    return out
