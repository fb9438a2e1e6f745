"""Run the package's fuzz catalogue (``tests/api_fuzz/``) and write its outcome counts.

``python benchmarks/fuzz_catalogue.py OUT.json [-v]``: every case's outcome and the counts per item (1 validation
of inputs, 2 non-finite results, 3 warnings on untrustworthy results, 4 the task protocol, 5 names): clean error /
finite result / anything else, with the reasons behind "anything else".
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the fuzzer lives with the tests

from api_fuzz import TIME_LIMIT_S, run_catalogue, summarise


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
