r"""Certified refutations: a ledger entry's counterexample re-proved with rigorous enclosures.

A violated entry of the ledger rests on a float64 number computed by the code that searched for it.  This package
recomputes the decisive quantity from the counterexample's *data alone* (the numbers in
``counterexample.instance``), by code that imports nothing of the float64 evaluation path (no NumPy, no
:mod:`bmaml_theory.tasks`, :mod:`~bmaml_theory.theory` or claim module; a test checks the import graph):

* quadratic families in exact rational arithmetic (:class:`fractions.Fraction`): the quantity is a rational number,
  compared exactly (``method="exact"``);
* logistic families in interval arithmetic (:mod:`mpmath.iv`, outward rounding at :data:`DIGITS` digits): the inner
  solution enclosed by the Krawczyk test, eq. (7) by a verified linear solve, the ratio as an interval
  (``method="interval"``);
* outer iterations (a 2-cycle of an outer method): the periodic orbit enclosed by the Krawczyk test on the 2-cycle
  equations, the gradient norm bounded below on it.

:func:`certify` returns a :class:`Certificate`: the enclosure ``[lower, upper]`` of the decisive quantity, the
threshold it is compared with, and ``refuted_certified``: True iff the whole enclosure lies beyond the threshold plus
the claim's tolerance (for ``"<="``: lower > threshold + tolerance; ``">="``: upper < threshold - tolerance), the
hypotheses of the statement hold exactly on the instance, and the ledger's float64 value lies in the enclosure
widened by :data:`AGREEMENT` (else the float path and the proof disagree, and nothing is certified).

Which rows have a certifier: :data:`CERTIFIERS` (claim id -> function of the counterexample); a row without one
reads "no certificate".
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from mpmath import mp
from mpmath.libmp import round_ceiling, round_floor, to_float

from bmaml_theory.certify._interval import DIGITS, CertificationError, I, hi, lo, precision
from bmaml_theory.certify._registry import CERTIFIERS, Enclosure, certifier

__all__ = [
    "AGREEMENT",
    "CERTIFIERS",
    "DIGITS",
    "Certificate",
    "CertificationError",
    "Enclosure",
    "certifiable",
    "certifier",
    "certify",
]

# The float path's value must lie in the enclosure widened by max(the claim's tolerance, AGREEMENT * max(1, |v|)):
# every certified row's float value is Newton to machine precision or a few float operations on exact data (a-priori
# relative error <= 1e-12, the finite-difference rows 1e-9); 1e-9 was fixed before any certificate was computed.
AGREEMENT = 1e-9


@dataclass
class Certificate:
    """A certificate as the ledger carries it (``to_json``); ``lower``/``upper`` are rounded outward to float."""

    claim: str
    method: str
    quantity: str
    lower: float | None
    upper: float | None
    threshold: float
    comparison: str
    tolerance: float
    digits: int
    seconds: float
    refuted_certified: bool
    float_value: float | None = None
    reason: str = ""
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _load() -> None:
    from bmaml_theory.certify import claims  # noqa: F401  (registers the certifiers)


def certifiable() -> list[str]:
    """The claim ids that have a certifier."""
    _load()
    return sorted(CERTIFIERS)


def _beyond(value: Any, threshold: Any, comparison: str, tol: Any) -> bool:
    if comparison == "<=":
        return lo(value) > hi(I(threshold) + I(tol))
    if comparison == ">=":
        return hi(value) < lo(I(threshold) - I(tol))
    return lo(value) > hi(I(threshold) + I(tol)) or hi(value) < lo(I(threshold) - I(tol))


def _float(x: Any, rnd: Any) -> float:
    return to_float(x._mpf_, rnd=rnd)


def certify(entry: dict, digits: int = DIGITS) -> Certificate | None:
    """The certificate of ledger entry ``entry`` (its JSON dict), or None when its claim has no certifier.

    Fails closed: an error inside the certifier, a hypothesis not proved, an enclosure not beyond the threshold, or a
    float64 value outside the enclosure gives ``refuted_certified=False`` with the reason.
    """
    _load()
    cid = entry.get("id")
    fn = CERTIFIERS.get(cid)
    if fn is None:
        return None
    thr = entry.get("threshold") or {}
    threshold, comparison = thr.get("value"), thr.get("comparison")
    tol = (entry.get("tolerance") or {}).get("value", 0.0)
    ce = entry.get("counterexample") or {}
    t0 = time.perf_counter()
    with precision(digits):
        try:
            enc = fn(ce, entry) if getattr(fn, "wants_entry", False) else fn(ce)
        except (CertificationError, ValueError, KeyError, TypeError, ZeroDivisionError, IndexError) as exc:
            return Certificate(
                claim=cid,
                method="interval",
                quantity="",
                lower=None,
                upper=None,
                threshold=float(threshold) if threshold is not None else float("nan"),
                comparison=str(comparison),
                tolerance=float(tol),
                digits=digits,
                seconds=round(time.perf_counter() - t0, 3),
                refuted_certified=False,
                reason=f"no enclosure: {type(exc).__name__}: {exc}",
            )
        threshold = enc.threshold if enc.threshold is not None else threshold
        comparison = enc.comparison or comparison
        tol = enc.tolerance if enc.tolerance is not None else tol
        fv = enc.float_value if enc.float_value is not None else ce.get("value")
        reasons = []
        if not enc.hypotheses:
            reasons.append("the statement's hypotheses are not proved on the instance")
        beyond = _beyond(enc.value, threshold, comparison, tol)
        if not beyond:
            reasons.append(f"the enclosure is not beyond the threshold {comparison} {threshold:g} (+/- {tol:g})")
        if fv is not None:
            slack = I(max(float(tol), AGREEMENT * max(1.0, abs(float(fv)))))
            if not (lo(enc.value) - hi(slack) <= mp.mpf(fv) <= hi(enc.value) + hi(slack)):
                reasons.append(
                    f"float64 value {fv!r} lies outside the enclosure: the float path and the proof disagree"
                )
        ok = not reasons
        return Certificate(
            claim=cid,
            method=enc.method,
            quantity=enc.quantity,
            lower=_float(lo(enc.value), round_floor),
            upper=_float(hi(enc.value), round_ceiling),
            threshold=float(threshold),
            comparison=comparison,
            tolerance=float(tol),
            digits=digits,
            seconds=round(time.perf_counter() - t0, 3),
            refuted_certified=ok,
            float_value=None if fv is None else float(fv),
            reason="certified" if ok else "; ".join(reasons),
            details=enc.details,
        )
