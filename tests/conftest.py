"""Hypothesis profiles and the backend fixture.

Profiles: ``ci`` (derandomized, no deadline; loaded when the CI variable is set), ``dev`` (the
default), ``thorough`` (many examples, for a long run: HYPOTHESIS_PROFILE=thorough pytest).
Every test must pass under any seed and an empty example database:
``rm -rf .hypothesis; python -m pytest --hypothesis-seed=$RANDOM`` (.ci/run does this once per run).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=40,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# print_blob: a failure prints the @reproduce_failure line that replays it, whatever the seed (CI runs the
# suite once under a random seed with this profile).
settings.register_profile(
    "dev", deadline=None, max_examples=40, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", deadline=None, max_examples=600, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _cupy_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


BACKENDS = [
    "numpy",
    "array_api_strict",
    pytest.param("torch", marks=pytest.mark.skipif(not _importable("torch"), reason="torch not installed")),
    pytest.param("jax", marks=pytest.mark.skipif(not _importable("jax"), reason="jax not installed")),
    pytest.param(
        "cupy",
        marks=pytest.mark.skipif(not _cupy_available(), reason="CuPy with a CUDA GPU not available"),
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Name of an array backend; core tests run on each (array-api-strict catches NumPy-only calls)."""
    return request.param


def to_backend(x, backend: str):
    from bmaml_theory._backend import resolve_backend

    xp = resolve_backend(backend)
    return xp.asarray(np.asarray(x, dtype=np.float64), dtype=xp.float64)


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread():
    """Every test runs on one BLAS/OpenMP thread, as every claim group of ``verify`` does (verify/run.py): a test that
    replays a ledger entry then runs the same sums in the same order as the run that measured it, and two shared
    cores are not oversubscribed by BLAS threads beside the run's worker processes."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@dataclass
class QuickRun:
    """One ``verify all --quick`` of the whole registry, shared by every test that needs claim results.

    ``rc``: the CLI's exit code; ``out``: its output folder; ``doc``: claims.json; ``results``: the ClaimResult
    objects by id (claims whose optional extra is missing are absent, as in the ledger); ``outcome``: the RunOutcome.
    """

    rc: int
    out: Path
    doc: dict
    results: dict
    outcome: object

    def pick(self, ids) -> dict:
        """The results of ``ids`` (a claim that did not run fails the test that needs it, naming it)."""
        missing = [c for c in ids if c not in self.results]
        assert not missing, f"the session's quick run has no result for {missing}"
        return {c: self.results[c] for c in ids}


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> QuickRun:
    """The quick ledger, computed once per session through the command line (``all --quick --jobs 2``) and shared
    by every test module that checks claim results.  Claims are deterministic given (quick, seed), so one run
    serves every test: rerunning a group per module cost two thirds of the suite's time.  New claims need nothing
    here: every registered claim is in the run."""
    import verify.run as vr
    from verify.cli import main

    box: dict = {}
    real = vr.run_claims

    def recording(*args, **kwargs):
        box["outcome"] = real(*args, **kwargs)
        return box["outcome"]

    out = tmp_path_factory.mktemp("quick") / "figures"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vr, "run_claims", recording)
        rc = main(["all", "--quick", "--out", str(out), "--no-progress", "--jobs", "2"])
    doc = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    outcome = box["outcome"]
    return QuickRun(rc, out, doc, {r.id: r for r in outcome.results}, outcome)
