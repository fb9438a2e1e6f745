"""``--check-against LEDGER``: the regression gate.  A run fails (exit 1) when any claim it ran has a status or a
category other than LEDGER's, when it ran a claim LEDGER lacks, or when LEDGER has a claim the package no longer
registers.  Claims LEDGER has but this run did not run (not selected, or skipped for a missing extra) are not
compared.

LEDGER is a ``claims.json`` or a JSON map ``{id: status}`` (``tests/golden/quick_statuses.json``) or
``{id: {"status": ..., "category": ...}}``.  The category (``refutation``, ``slip``, ``scope`` or null) is compared
only where LEDGER records one (a ledger written before the field existed compares statuses only).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["compare", "load_reference"]

_NO_CATEGORY = object()  # the reference does not record a category for this claim


def load_reference(path: Path) -> dict[str, tuple[str, object]]:
    """``{id: (status, category or _NO_CATEGORY)}`` from ``path``; ``ValueError`` naming ``--check-against``."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"--check-against {p}: cannot read it as JSON ({exc}); pass a claims.json") from exc
    ref: dict[str, tuple[str, object]] = {}
    if isinstance(doc, dict) and isinstance(doc.get("claims"), list):
        for e in doc["claims"]:
            ref[str(e["id"])] = (str(e["status"]), e.get("category", _NO_CATEGORY))
    elif isinstance(doc, dict) and all(isinstance(v, (str, dict)) for v in doc.values()):
        for k, v in doc.items():
            if isinstance(v, str):
                ref[str(k)] = (v, _NO_CATEGORY)
            elif "status" in v:
                ref[str(k)] = (str(v["status"]), v.get("category", _NO_CATEGORY))
            else:
                raise ValueError(f"--check-against {p}: entry {k!r} has no 'status'")
    else:
        raise ValueError(
            f"--check-against {p}: neither a claims.json (a 'claims' list) nor a map {{id: status}}; "
            "pass figures/claims.json or tests/golden/quick_statuses.json"
        )
    if not ref:
        raise ValueError(f"--check-against {p}: it lists no claim")
    return ref


def compare(results, ref: dict[str, tuple[str, object]]) -> list[str]:
    """One line per difference between this run's ``results`` and ``ref`` (empty: the gate passes)."""
    from bmaml_theory.claims import REGISTRY

    out = []
    for r in results:
        e = r.to_json()
        cat = e.get("category")
        if r.id not in ref:
            out.append(f"{r.id}: not in the reference (new claim), now {e['status']}" + (f" ({cat})" if cat else ""))
            continue
        status, ref_cat = ref[r.id]
        if status != e["status"]:
            out.append(f"{r.id}: status {status} -> {e['status']}")
        if ref_cat is not _NO_CATEGORY and ref_cat != cat:
            out.append(f"{r.id}: category {ref_cat} -> {cat}")
    out += [f"{cid}: in the reference but no longer a claim" for cid in ref if cid not in REGISTRY]
    return out
