"""Expected seconds per claim, for ordering the groups (longest first) and for the progress estimate.

``verify/timings.json`` keeps two columns, ``default`` and ``quick``, each the ``provenance.seconds`` of one run's
ledger of that kind, so a quick run is planned and compared with quick timings and a default run with default ones.
The file is never read from an output folder (``./figures`` is whatever the last run wrote).  Maintainers refresh it
from the ledgers of a record run: ``python -m verify.timings figures/claims.json /tmp/q/claims.json`` (each ledger's
``quick`` flag picks its column).  The timings order work and estimate time only; they never change a result.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from verify._io import write_text

__all__ = ["TIMINGS", "load", "update"]

TIMINGS = Path(__file__).resolve().parent / "timings.json"


def load(quick: bool, path: Path | None = None) -> tuple[dict[str, float], str]:
    """``({claim id: seconds}, where they were measured)`` for the kind of run; ``({}, "")`` when unavailable."""
    try:
        doc = json.loads(Path(path or TIMINGS).read_text(encoding="utf-8"))
        col = doc["quick" if quick else "default"]
        secs = {str(k): float(v) for k, v in col["seconds"].items() if isinstance(v, (int, float)) and v >= 0}
        return secs, str(col.get("measured_by", ""))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, ""


def update(ledger: dict, path: Path | None = None) -> str:
    """Replace the column of ``ledger``'s kind (its ``quick`` flag) with its claims' seconds; returns the column."""
    path = Path(path or TIMINGS)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        doc = {}
    kind = "quick" if ledger.get("quick") else "default"
    prov = ledger.get("provenance") or {}
    backend = (prov.get("run") or {}).get("backend", "unknown back end")
    doc[kind] = {
        "measured_by": f"{kind} run at {prov.get('git_commit') or 'unknown commit'} on {backend}, "
        f"{prov.get('cpu_count', '?')} cores, {ledger.get('seconds', '?')} s in all",
        "seconds": {
            e["id"]: (e.get("provenance") or {}).get("seconds")
            for e in ledger.get("claims", [])
            if isinstance((e.get("provenance") or {}).get("seconds"), (int, float))
        },
    }
    write_text(path, json.dumps(dict(sorted(doc.items())), indent=1) + "\n")
    return kind


def main(argv: list[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m verify.timings LEDGER [LEDGER ...]  (claims.json of a default and/or a quick run)")
        return 2
    for p in paths:
        kind = update(json.loads(Path(p).read_text(encoding="utf-8")))
        print(f"{TIMINGS}: {kind} column from {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
