"""``bmaml-verify certify ID [ID ...] [--ledger PATH]``: re-prove violated ledger rows (:mod:`bmaml_theory.certify`).

Reads the entries from a ledger (default: the committed ``figures/claims.json``; a run's ``--out`` folder's
``claims.json`` works the same), recomputes each row's decisive quantity from its counterexample's data with
rigorous enclosures, and prints the certificate.  Exit 0 when every named row is certified, 1 when one is not
(failed or no certifier), 2 on a usage error (unknown id, unreadable ledger).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bmaml-verify certify", description=__doc__.split("\n\n")[1])
    p.add_argument("claims", nargs="+", metavar="CLAIM", help="claim ids ('all': every violated row of the ledger)")
    p.add_argument(
        "--ledger",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "figures" / "claims.json",
        help="the ledger whose rows to certify (default: figures/claims.json of this checkout)",
    )
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from bmaml_theory.claims.certification import certificate_of

    try:
        ledger = json.loads(args.ledger.read_text(encoding="utf-8"))
        entries = {e["id"]: e for e in ledger["claims"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"bmaml-verify certify: cannot read the ledger {args.ledger}: {exc}", file=sys.stderr)
        return 2
    ids = [c for c, e in entries.items() if e.get("status") == "violated"] if args.claims == ["all"] else args.claims
    unknown = [c for c in ids if c not in entries]
    if unknown:
        print(f"bmaml-verify certify: no rows {unknown} in {args.ledger}", file=sys.stderr)
        return 2
    ok = True
    for cid in ids:
        cert = certificate_of(entries[cid])
        ok = ok and cert["status"] == "certified"
        print(json.dumps({"id": cid, "status": entries[cid].get("status"), "certificate": cert}, indent=1))
    return 0 if ok else 1
