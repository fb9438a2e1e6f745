r"""Attach a certificate to a violated ledger entry (:mod:`bmaml_theory.certify`), and act on it.

A ``violated`` entry is signed only when its refutation is certified: the decisive quantity re-enclosed from the
counterexample's data by code independent of the float64 path lies beyond the threshold plus the tolerance.
:func:`attach` sets the entry's ``certificate`` and ``refuted_certified``:

* certified: ``certificate.status = "certified"``, ``refuted_certified = true``; the status stays ``violated``;
* the certifier ran and failed (an enclosure not beyond the threshold, a hypothesis not proved, float64 outside the
  enclosure, an error): ``status = "failed"``, ``refuted_certified = false``, and the entry becomes
  ``inconclusive`` (a refutation that cannot be certified is not signed) with the reason in its decision;
* no certifier for the claim: ``status = "none"`` ("no certificate"), ``refuted_certified = false``, the status
  unchanged;
* a ``--quick`` run: ``status = "skipped"``, ``refuted_certified = null``.

Entries that are not violated carry ``certificate = null`` and ``refuted_certified = null``.
"""

from __future__ import annotations

import time

from bmaml_theory.claims._core import ClaimResult

__all__ = ["attach", "certificate_of"]


def certificate_of(entry: dict) -> dict:
    """The certificate object of ledger entry ``entry`` (a JSON dict) as the ledger carries it."""
    from bmaml_theory.certify import CERTIFIERS, certify

    t0 = time.perf_counter()
    if entry.get("id") not in CERTIFIERS:
        from bmaml_theory.certify import _load

        _load()
    try:
        cert = certify(entry)
    except Exception as exc:  # fail closed: a crash in a certifier is a failed certificate, never a signed one
        return {
            "status": "failed",
            "reason": f"the certifier raised {type(exc).__name__}: {exc}",
            "seconds": round(time.perf_counter() - t0, 3),
        }
    if cert is None:
        return {"status": "none", "reason": "no certificate: no certifier for this claim"}
    out = cert.to_json()
    out["status"] = "certified" if cert.refuted_certified else "failed"
    return out


def attach(result: ClaimResult, quick: bool = False) -> ClaimResult:
    """Set ``result.certificate`` and ``result.refuted_certified`` (module docstring); a failed certificate turns a
    violated result inconclusive.  Returns ``result``."""
    if result.status != "violated":
        result.certificate, result.refuted_certified = None, None
        return result
    if quick:
        result.certificate = {"status": "skipped", "reason": "--quick runs skip certification"}
        result.refuted_certified = None
        return result
    cert = certificate_of(result.to_json())
    result.certificate = cert
    result.refuted_certified = cert["status"] == "certified"
    if cert["status"] == "failed":
        result.status = "inconclusive"
        result.decision = (
            f"inconclusive: the float64 check reported a violation but its certificate failed ({cert['reason']}); "
            f"was: {result.decision}"
        )
    return result
