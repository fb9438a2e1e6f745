r"""The claims registry and the ledger entry (schema 3).

A claim module states one paper statement as a :class:`Statement` (what is printed, where, the standing
assumptions it is checked under, the measure, the threshold and the tolerance with its reason) and registers a
``check(ctx) -> ClaimResult`` with :func:`claim`.  The check computes :class:`Measurement` s and hands them to a
runner of :mod:`bmaml_theory.claims.runners`, which decides the status.

Statuses:

* ``holds``: every measurement satisfies the threshold, nothing failed;
* ``violated``: a measurement refutes the statement as printed; it comes with a counterexample that reruns
  (its :class:`Replay` recomputes the number through the public API);
* ``inconclusive``: nothing refutes the statement, but the check cannot support ``holds`` (an error, a timeout,
  a failed or non-finite evaluation, no measurement, or too little power);
* ``scope``: a fact about which assumptions a result needs (e.g. a rate that needs a regularity the standing
  assumptions do not give), shown by an instance that reruns; it refutes no printed sentence and is never
  ``violated``;
* ``not-reproduced``: an empirical sentence about an experiment whose settings the paper does not give, which our
  reproduction does not confirm with a powered comparison; this is not a refutation.

**Finding taxonomy.**  Every :class:`Statement` declares, before the run, the ``category`` its negative finding
would be (the reading is fixed there, never from the result):

* ``"refutation"`` (the default): the statement as its authors evidently mean it, under its standing assumptions,
  is false; a failure reads ``violated``;
* ``"slip"``: the row checks a literal or misprinted reading; the evident intended reading is another row, named
  by ``intended``; a failure reads ``violated``;
* ``"scope"``: the row checks which assumptions a result needs; a failure reads ``scope``.

An entry's ``category`` (:attr:`ClaimResult.category`) is the statement's category when the status is ``violated``
or ``scope`` and ``None`` otherwise (``holds``, ``inconclusive``, an error).  A ``not-reproduced`` row has category
``None`` too: it is a finding of its own kind (an unconfirmed sentence about an experiment), counted apart from the
three, because without the paper's settings no reading of it can be refuted.

**Fail closed.**  :func:`run_claim` never raises: an exception inside a check gives ``inconclusive`` with the error
in the entry's ``error`` field; a violated status without a counterexample is a defect of the check and also gives
``inconclusive``.
"""

from __future__ import annotations

import inspect
import math
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bmaml_theory._replay import REPLAYS, ReplayRefusedError, replay_missing, replayable, resolve_replay

__all__ = [
    "CATEGORIES",
    "COMPARISONS",
    "FINDING_STATUSES",
    "KINDS",
    "REGISTRY",
    "REPLAYS",
    "STATUSES",
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
    "provenance_base",
    "replayable",
    "resolve_replay",
    "run_claim",
    "to_jsonable",
]

SCHEMA_VERSION = 3
STATUSES = ("holds", "violated", "scope", "inconclusive", "not-reproduced")
CATEGORIES = ("refutation", "slip", "scope")
FINDING_STATUSES = ("violated", "scope")  # the statuses whose entries carry a category (and a counterexample)
KINDS = ("identity", "upper_bound", "rate", "complexity", "empirical")
COMPARISONS = ("<=", ">=", "within")


@dataclass(frozen=True)
class Threshold:
    r"""The number the measurement is compared with, and how.

    ``"<="``: holds iff measured :math:`\le` value + tolerance; ``">="``: iff measured :math:`\ge` value -
    tolerance; ``"within"``: iff :math:`|\text{measured}-\text{value}|\le` tolerance.
    """

    value: float
    comparison: str

    def __post_init__(self) -> None:
        if self.comparison not in COMPARISONS:
            raise ValueError(f"comparison must be one of {COMPARISONS}, got {self.comparison!r}")
        if not math.isfinite(self.value):
            raise ValueError(f"threshold value must be finite, got {self.value!r}")

    def satisfied(self, measured: float, tol: float) -> bool:
        """Whether ``measured`` satisfies the threshold with tolerance ``tol`` (inf satisfies only '>=')."""
        if self.comparison == "<=":
            return measured <= self.value + tol
        if self.comparison == ">=":
            return measured >= self.value - tol
        return abs(measured - self.value) <= tol

    def badness(self, measured: float) -> float:
        """How far ``measured`` lies on the failing side (larger is worse); the runners keep the worst."""
        if self.comparison == "<=":
            return measured - self.value
        if self.comparison == ">=":
            return self.value - measured
        return abs(measured - self.value)

    def describe(self) -> str:
        return {"<=": "measured <= {v} + tolerance", ">=": "measured >= {v} - tolerance"}.get(
            self.comparison, "|measured - {v}| <= tolerance"
        ).format(v=f"{self.value:.6g}")


@dataclass(frozen=True)
class Tolerance:
    """The tolerance of the comparison and the reason it was fixed before the run."""

    value: float
    reason: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and self.value >= 0):
            raise ValueError(f"tolerance must be finite and >= 0, got {self.value!r}")
        if not self.reason.strip():
            raise ValueError("every tolerance needs its reason")


@dataclass(frozen=True)
class Statement:
    """The static part of a ledger entry: what is printed, where, and how it is checked."""

    id: str
    source: str
    statement: str
    form: str
    assumptions: str
    kind: str
    measure: str
    threshold: Threshold
    tolerance: Tolerance
    figure: str | None = None
    group: str = "chayti-jaggi"
    settings_given: bool = True
    requires: tuple[str, ...] = ()  # optional modules the check needs (e.g. ("torch", "mnist1d")); else skipped
    category: str = "refutation"  # what a failure of this row is: "refutation", "slip" or "scope" (CATEGORIES)
    intended: str | None = None  # for a slip: the id of the row that checks the evident intended reading
    # the printed sentence is a hedged expectation ("prima facie"): its refutation refutes the expectation it states
    hedged: bool = False

    def missing(self) -> list[str]:
        """The required optional modules that are not importable here (the claim is then skipped, not failed)."""
        import importlib.util

        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("id", "source", "statement", "form", "assumptions", "measure"):
            if not getattr(self, name).strip():
                raise ValueError(f"claim {self.id}: field {name!r} is empty")
        if not isinstance(self.hedged, bool):
            raise ValueError(f"claim {self.id}: hedged must be True or False, got {self.hedged!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"claim {self.id}: category must be one of {CATEGORIES}, got {self.category!r}")
        if self.category == "slip" and not self.intended:
            raise ValueError(
                f"claim {self.id}: a slip row must name the row of the intended reading (intended='<claim id>')"
            )
        if self.category != "slip" and self.intended is not None:
            raise ValueError(
                f"claim {self.id}: intended= names the intended row of a slip; category is {self.category!r}"
            )
        if self.category != "refutation" and self.kind == "empirical" and not self.settings_given:
            raise ValueError(
                f"claim {self.id}: an empirical row without the paper's settings fails as 'not-reproduced'; "
                "it cannot be declared a slip or a scope row"
            )

    @property
    def failing_status(self) -> str:
        """The status a failing, replayable, powered measurement gives: ``scope`` for a scope row,
        ``not-reproduced`` for an empirical row whose settings the paper does not give, else ``violated``."""
        if self.category == "scope":
            return "scope"
        if self.kind == "empirical" and not self.settings_given:
            return "not-reproduced"
        return "violated"


@dataclass(frozen=True)
class Replay:
    """How to recompute a measured number through the public API: ``target`` is ``'module:function'``, a function
    registered with :func:`replayable` (the allow-list; :func:`resolve_replay`)."""

    target: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.target, str) or ":" not in self.target:
            raise ValueError(f"replay target must be 'module:function', got {self.target!r}")
        if not isinstance(self.kwargs, Mapping):
            raise ValueError(f"replay kwargs must be a mapping of argument names, got {type(self.kwargs).__name__}")

    def run(self) -> float:
        """Resolve the target in the allow-list, bind ``kwargs`` to its signature, call it; the recomputed number.

        Raises :class:`ReplayRefusedError` for an unregistered target (before importing or calling anything) and
        ``TypeError`` naming the argument when ``kwargs`` does not fit the function's signature; the values are
        checked by the function's own validation."""
        fn = resolve_replay(self.target)
        try:
            inspect.signature(fn).bind(**dict(self.kwargs))
        except TypeError as exc:
            raise TypeError(
                f"replay {self.target}: kwargs {sorted(self.kwargs)} do not fit its signature ({exc})"
            ) from exc
        return float(fn(**dict(self.kwargs)))

    def missing(self) -> list[str]:
        """The optional modules (e.g. ``torch``) this replay needs that are not installed; empty: it can run here."""
        return replay_missing(self.target)

    def to_json(self) -> dict:
        return {"target": self.target, "kwargs": to_jsonable(dict(self.kwargs))}


@dataclass
class Measurement:
    """One measured number (a ratio, an exponent, an error) on one instance, with its replay."""

    value: float
    instance: dict = field(default_factory=dict)
    replay: Replay | None = None


@dataclass
class Context:
    """Settings of one verify run.

    ``quick`` selects the small grids; ``progress(msg)`` reports work; ``cached(key, fn)`` computes a shared study
    once per run (claims of one group run in one process and share it); ``seed`` is the base seed; ``deadline``
    (seconds since the epoch, or None) bounds long searches (a check that passes it is inconclusive).
    """

    quick: bool = False
    progress: Callable[[str], None] = lambda msg: None
    cache: dict = field(default_factory=dict)
    seed: int = 0
    deadline: float | None = None

    def cached(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def check_time(self) -> None:
        """Raise :class:`TimeoutError` once the run's deadline has passed."""
        if self.deadline is not None and time.time() > self.deadline:
            raise TimeoutError("the claim ran past its deadline")


@dataclass
class ClaimResult:
    """A ledger entry (schema 3).  ``data`` holds arrays for the figures and is not serialised.

    ``category`` is derived, never set: the statement's declared category for a ``violated`` or ``scope`` entry,
    else ``None``."""

    statement: Statement
    status: str
    measured: float | None
    unbounded: bool = False
    decision: str = ""
    evidence: dict = field(default_factory=dict)
    counterexample: dict | None = None
    error: str | None = None
    provenance: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict, repr=False)
    certificate: dict | None = None  # a violated entry's certificate (bmaml_theory.claims.certification)
    refuted_certified: bool | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status == "not-reproduced" and self.statement.settings_given:
            raise ValueError(f"claim {self.id}: 'not-reproduced' is only for experiments whose settings are not given")
        if self.status == "scope" and self.statement.category != "scope":
            raise ValueError(f"claim {self.id}: status 'scope' needs a statement declared category='scope'")
        if self.status == "violated" and self.statement.category == "scope":
            raise ValueError(f"claim {self.id}: a scope row is never 'violated' (its failing status is 'scope')")
        if self.measured is not None and not math.isfinite(self.measured):
            raise ValueError(
                f"claim {self.id}: measured must be finite or None (use unbounded=True), got {self.measured}"
            )

    @property
    def id(self) -> str:
        return self.statement.id

    @property
    def kind(self) -> str:
        return self.statement.kind

    @property
    def category(self) -> str | None:
        """``refutation``, ``slip`` or ``scope`` for a ``violated``/``scope`` entry (declared by the statement), else
        ``None``."""
        return self.statement.category if self.status in FINDING_STATUSES else None

    @property
    def figure(self) -> str | None:
        return self.statement.figure

    def to_json(self) -> dict:
        s = self.statement
        return to_jsonable(
            {
                "id": s.id,
                "source": s.source,
                "statement": s.statement,
                "form": s.form,
                "assumptions": s.assumptions,
                "kind": s.kind,
                "group": s.group,
                "status": self.status,
                "category": self.category,
                "intended": s.intended,
                "hedged": s.hedged,
                "measure": s.measure,
                "measured": self.measured,
                "unbounded": self.unbounded,
                "threshold": {"value": s.threshold.value, "comparison": s.threshold.comparison},
                "tolerance": {"value": s.tolerance.value, "reason": s.tolerance.reason},
                "decision": self.decision,
                "settings_given": s.settings_given,
                "evidence": self.evidence,
                "counterexample": self.counterexample,
                "error": self.error,
                "figure": s.figure,
                "provenance": self.provenance,
                "certificate": self.certificate,
                "refuted_certified": self.refuted_certified,
            }
        )


@dataclass(frozen=True)
class ClaimSpec:
    statement: Statement
    func: Callable[[Context], ClaimResult]
    module: str

    @property
    def id(self) -> str:
        return self.statement.id

    @property
    def group(self) -> str:
        return self.statement.group

    @property
    def figure(self) -> str | None:
        return self.statement.figure


REGISTRY: dict[str, ClaimSpec] = {}


def claim(statement: Statement):
    """Register ``func(ctx) -> ClaimResult`` as the check of ``statement`` (ids unique)."""

    def deco(func: Callable[[Context], ClaimResult]) -> Callable[[Context], ClaimResult]:
        if statement.id in REGISTRY:
            raise ValueError(f"claim id {statement.id!r} registered twice")
        REGISTRY[statement.id] = ClaimSpec(statement, func, func.__module__)
        return func

    return deco


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out + ("-dirty" if dirty else "") if out else None


def provenance_base() -> dict:
    """What every entry's provenance shares: package version, git commit, platform, library versions."""
    import scipy

    from bmaml_theory import __version__

    return {
        "package_version": __version__,
        "git_commit": _git_commit(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "cpu_count": os.cpu_count(),
    }


def _error_result(spec: ClaimSpec, message: str) -> ClaimResult:
    return ClaimResult(
        statement=spec.statement,
        status="inconclusive",
        measured=None,
        decision="inconclusive: the check did not complete (see error)",
        evidence={},
        error=message,
    )


def run_claim(cid: str, ctx: Context | None = None) -> ClaimResult:
    """Run the check of claim ``cid``, fail closed: never raises for an error inside the check.

    An exception (a timeout included) gives ``inconclusive`` with the error recorded; so does a ``violated`` or
    ``scope`` status that comes without a counterexample (a defect of the check, not a refutation).
    """
    if cid not in REGISTRY:
        import difflib

        near = difflib.get_close_matches(cid, REGISTRY, n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise KeyError(f"no claim {cid!r}{hint} (python -m verify list names them all)")
    spec = REGISTRY[cid]
    ctx = ctx or Context()
    t0 = time.perf_counter()
    try:
        result = spec.func(ctx)
        if not isinstance(result, ClaimResult) or result.statement.id != cid:
            raise TypeError(f"the check of {cid} returned {type(result).__name__}, not its ClaimResult")
        if result.status in FINDING_STATUSES and not result.counterexample:
            result = _error_result(spec, f"the check reported {result.status!r} without a counterexample that reruns")
    except Exception as exc:  # fail closed: any error makes the claim inconclusive, never holds
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-3)
        result = _error_result(spec, f"{type(exc).__name__}: {exc}\n{''.join(tb)}")
    result.provenance = {
        **provenance_base(),
        "seed": ctx.seed,
        "quick": ctx.quick,
        "seconds": round(time.perf_counter() - t0, 3),
        **result.provenance,
    }
    return result


def to_jsonable(x: Any) -> Any:
    """Plain JSON types: NumPy scalars/arrays to Python; non-finite floats to None (never the strings 'inf')."""
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
        return v if math.isfinite(v) else None
    if hasattr(x, "_asdict"):
        return to_jsonable(x._asdict())
    return x
