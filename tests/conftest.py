"""Hypothesis profiles and the backend fixture.

Profiles: ``ci`` (derandomized, no deadline; loaded when the CI variable is set), ``dev`` (the
default), ``thorough`` (many examples, for a long run: HYPOTHESIS_PROFILE=thorough pytest).
Every test must pass under any seed and an empty example database:
``rm -rf .hypothesis; python -m pytest --hypothesis-seed=$RANDOM`` (.ci/run does this once per run).
"""

from __future__ import annotations

import os

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
