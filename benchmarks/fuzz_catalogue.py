"""Run the fuzz catalogue of :mod:`bmaml_theory.testing.fuzz` and write its outcome counts.

``python benchmarks/fuzz_catalogue.py OUT.json [-v]``: every case's outcome and the counts per item of issue 16
(clean error / finite result / anything else, with the reasons behind "anything else").
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

from bmaml_theory.testing.fuzz import TIME_LIMIT_S, run_catalogue, summarise


def main() -> None:
    out = Path(sys.argv[1])
    rows = run_catalogue(verbose="-v" in sys.argv)
    summary = summarise(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"time_limit_s": TIME_LIMIT_S, "python": platform.python_version(), "summary": summary, "cases": rows},
            indent=1,
        )
        + "\n"
    )
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
