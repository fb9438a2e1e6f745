"""torchopt's implicit iMAML (``custom_root`` + ``solve_cg``), examples/torchopt_imaml.py, checked by the kit:
exact with a tight CG tolerance, within ``cg_tol=rtol`` with torchopt's default ``rtol = 1e-5``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("torch", reason="PyTorch is not installed (optional: the `nn` extra)")
pytest.importorskip("torchopt", reason="torchopt is not installed (optional: pip install torchopt)")

from bmaml_theory.testing import (
    LogisticProblem,
    MetaGradientMismatchError,
    assert_imaml_gradient,
    logistic_problems,
)

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("torchopt_imaml", ROOT / "examples" / "torchopt_imaml.py")
ex = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ex)

pytestmark = pytest.mark.filterwarnings("ignore:We've integrated functorch:FutureWarning")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logistic_problems())
def test_default_solve_cg_passes_with_cg_tol(p):
    """torchopt's default solve_cg (rtol 1e-5) is within the kit's tolerance widened by cg_tol=1e-5."""
    assert_imaml_gradient(ex.imaml_gradient, p, steps=None, backend="torch", cg_tol=1e-5)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logistic_problems())
def test_tight_solve_cg_passes_without_cg_tol(p):
    """With rtol = 1e-13 the CG solve is exact to round-off (n <= 4 unknowns): no cg_tol needed."""
    assert_imaml_gradient(lambda q, K, lr: ex.imaml_gradient(q, K, lr, rtol=1e-13), p, steps=None, backend="torch")


def _instance() -> LogisticProblem:
    """A fixed instance on which CG at torchopt's default rtol 1e-5 stops before it is exact (4 unknowns, Q's
    spectrum over three decades; measured: 9.4e6 x the round-off tolerance)."""
    rng = np.random.default_rng(2)
    M, m, n = 2, 5, 4
    Q = np.stack([np.diag([1.0, 0.1, 0.01, 0.001])] * M)
    return LogisticProblem(
        rng.normal(size=(M, m, n)), rng.choice([-1.0, 1.0], (M, m)), rng.normal(size=(M, m, n)),
        rng.choice([-1.0, 1.0], (M, m)), Q, rng.normal(size=(M, n)), rng.normal(size=(M, n)), 2.0, rng.normal(size=n),
    )  # fmt: skip


def test_default_solve_cg_without_cg_tol_fails_and_the_knob_fixes_it():
    """torchopt's default solve_cg fails without cg_tol (its answer is CG's, far beyond round-off) and the message
    points at cg_tol=; it passes once cg_tol states the rtol it used."""
    p = _instance()
    with pytest.raises(MetaGradientMismatchError) as err:
        assert_imaml_gradient(ex.imaml_gradient, p, steps=None, backend="torch")
    assert err.value.diff > 1e3 * err.value.tol and "pass cg_tol=" in str(err.value)
    assert_imaml_gradient(ex.imaml_gradient, p, steps=None, backend="torch", cg_tol=1e-5)
