"""Shared pieces of the figures' titles: the verdict of the claims a figure is drawn from."""

from __future__ import annotations

from collections.abc import Mapping

from bmaml_theory.claims import ClaimResult


def verdict(results: Mapping[str, ClaimResult], *ids: str) -> str:
    """``claim prop3: violated; cor2: violated`` (with the ledger's category where the entry has one and it is not the status itself, as for a scope finding)."""
    parts = []
    for cid in ids:
        r = results[cid]
        cat = r.to_json().get("category") if hasattr(r, "to_json") else None
        parts.append(f"{cid}: {r.status}" + (f" ({cat})" if cat and cat != r.status else ""))
    return ("claim " if len(parts) == 1 else "claims ") + "; ".join(parts)
