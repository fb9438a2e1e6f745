r"""The package's own fuzzer: the public API called with bad and edge inputs (not part of the installed kit).

Two tools share the library's entry points:

* :func:`~api_fuzz.catalogue.run_catalogue` calls every public constructor, function and method with each argument
  replaced, one at a time, by a bad or edge value (wrong shape, wrong dtype, NaN/inf, empty, None, strings, extreme
  magnitudes, values at and past the edges of the assumptions), under a per-call time limit, and classifies each
  outcome (:mod:`api_fuzz.outcome`); ``python benchmarks/fuzz_catalogue.py OUT.json`` writes its counts;
* :func:`~api_fuzz.targets.garbage` (Hypothesis) draws arbitrary arrays, scalars, None and strings for
  ``tests/test_fuzz.py``, whose oracle is :func:`~api_fuzz.targets.check_call`.

The tests import it as ``api_fuzz`` (pytest puts ``tests/`` on ``sys.path``); the benchmark script adds ``tests/``
itself.
"""

from api_fuzz.catalogue import entry_points, run_catalogue
from api_fuzz.outcome import TIME_LIMIT_S, Case, classify, summarise
from api_fuzz.targets import Target, check_call, garbage, targets

__all__ = [
    "TIME_LIMIT_S",
    "Case",
    "Target",
    "check_call",
    "classify",
    "entry_points",
    "garbage",
    "run_catalogue",
    "summarise",
    "targets",
]
