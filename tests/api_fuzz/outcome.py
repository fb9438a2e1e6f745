"""The fuzz catalogue's cases and their outcomes: one :class:`Case` per call, classified by :func:`classify`.

Every case carries what a correct library does with it (``expect``):

* ``"error"``: the input is invalid; the only good outcome is a *clean error*: ``ValueError`` / ``TypeError``
  (or a library ``ArithmeticError`` / ``RuntimeError``) whose message names the argument;
* ``"ok"``: the input is legal; the good outcome is a *finite result* (of the documented shape where one is given);
* ``"either"``: legal but extreme; a clean error or a finite result are both good;
* ``"warn"``: legal but the result is untrustworthy; good is a finite result with an
  :class:`~bmaml_theory.AccuracyWarning` (or a clean error).

Anything else - an error from NumPy/SciPy internals that names no argument, a NaN/inf result, an invalid input
accepted, a result of the wrong shape, an untrustworthy result with no warning, or a call over the time limit -
is counted as ``other`` with its reason.
"""

from __future__ import annotations

import re
import signal
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TIME_LIMIT_S = 5.0  # a call slower than this on a 3-dimensional problem is a hang for the catalogue's purpose


@dataclass
class Case:
    """One call: ``entry`` (its public name), ``arg`` (the argument replaced), ``label``, ``expect``, ``item``."""

    entry: str
    arg: str
    label: str
    expect: str
    item: int
    call: Callable[[], Any] = field(repr=False)
    shape: tuple | None = None  # documented result shape for "ok" cases
    finite: bool = True  # whether every number of the result must be finite


class _TimeoutError(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TimeoutError


def _all_finite(x: Any) -> bool:
    """Every number in x (arrays, floats, tuples, dicts, NamedTuples) finite; None and strings ignored."""
    if x is None or isinstance(x, (str, bytes, bool)):
        return True
    if isinstance(x, dict):
        return all(_all_finite(v) for v in x.values())
    if isinstance(x, (tuple, list)):
        return all(_all_finite(v) for v in x)
    if isinstance(x, (int, float, complex, np.number)):
        return bool(np.isfinite(x))
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        from bmaml_theory._backend import to_numpy

        a = to_numpy(x)
        if a.dtype.kind in "fciu":
            return bool(np.all(np.isfinite(a)))
        return True
    return True


def _names_arg(msg: str, arg: str) -> bool:
    names = [a for a in re.split(r"[,/ ]+", arg) if a]
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(a)}(?![A-Za-z0-9_])", msg) for a in names)


def classify(case: Case, time_limit: float = TIME_LIMIT_S) -> tuple[str, str]:
    """Run one case: ``("clean_error" | "finite_result" | "other", reason)``."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                out = case.call()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeoutError:
        return "other", "hang"
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as exc:
        msg = str(exc)
        if not _names_arg(msg, case.arg) and not (case.expect in ("either", "warn") and "finite" in msg):
            return "other", f"unclear_error:{type(exc).__name__}"
        if case.expect == "ok":
            return "other", f"rejected_legal:{type(exc).__name__}"
        return "clean_error", type(exc).__name__
    except Exception as exc:
        return "other", f"unclear_error:{type(exc).__name__}"
    finally:
        signal.signal(signal.SIGALRM, old)
    if case.expect == "error":
        return "other", "accepted_invalid"
    if case.finite and not _all_finite(out):
        return "other", "non_finite"
    if case.shape is not None and tuple(getattr(out, "shape", ())) != case.shape:
        return "other", f"wrong_shape:{tuple(getattr(out, 'shape', ()))}"
    if case.expect == "warn" and not any(type(w.message).__name__ == "AccuracyWarning" for w in rec):
        return "other", "silent_untrustworthy"
    return "finite_result", "ok"


def summarise(rows: list[dict]) -> dict:
    """Counts of outcome per item, and of the reasons behind ``other``."""
    out: dict = {"total": dict(Counter(r["outcome"] for r in rows)), "n_cases": len(rows), "by_item": {}}
    for item in sorted({r["item"] for r in rows}):
        sub = [r for r in rows if r["item"] == item]
        out["by_item"][str(item)] = {
            "cases": len(sub),
            **{k: sum(r["outcome"] == k for r in sub) for k in ("clean_error", "finite_result", "other")},
            "other_reasons": dict(Counter(r["reason"].split(":")[0] for r in sub if r["outcome"] == "other")),
        }
    out["other_reasons"] = dict(Counter(r["reason"].split(":")[0] for r in rows if r["outcome"] == "other"))
    return out
