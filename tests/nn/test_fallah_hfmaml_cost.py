"""fallah-hfmaml-cost: exact FLOP counts of HF-MAML's two gradients against MAML's Hessian-vector product."""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.claims import Context, run_claim  # noqa: E402
from bmaml_theory.claims.fallah import hfmaml_cost  # noqa: E402


@pytest.fixture(scope="module")
def quick():
    return run_claim("fallah-hfmaml-cost", Context(quick=True))


def test_counts_match_the_derivation_for_the_mlp():
    """MLP 40-64-64-5 on 25 samples: one forward pass is F = 2*25*(40*64 + 64*64 + 64*5) matrix-product FLOPs.
    A gradient is F plus a backward pass of 2F less the input-gradient of the first layer (x needs no gradient),
    so two gradients are 2(3F - 2*25*40*64); the HVP costs more than two gradients (derived about 7-9 F)."""
    F = 2 * 25 * (40 * 64 + 64 * 64 + 64 * 5)
    assert hfmaml_cost.flops("mlp", "hf") == 2 * (3 * F - 2 * 25 * 40 * 64)
    assert 7 * F <= hfmaml_cost.flops("mlp", "hvp") <= 9 * F


def test_row_holds_with_ratios_below_one(quick):
    r = quick
    assert r.error is None, r.error
    assert r.status == "holds"
    ratios = {m: v["ratio"] for m, v in r.evidence["per_model"].items()}
    assert sorted(ratios) == sorted(hfmaml_cost.MODELS)
    assert all(0.5 < q < 0.9 for q in ratios.values())
    assert r.measured == max(ratios.values())
    rep = r.evidence["worst_instance"]
    assert hfmaml_cost.flop_ratio(rep["model"]) == r.measured  # exact integer counts, same path


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="model"):
        hfmaml_cost.flops("rnn", "hf")
    with pytest.raises(ValueError, match="method"):
        hfmaml_cost.flops("mlp", "hessian")


def test_without_torch_the_row_is_inconclusive(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    r = run_claim("fallah-hfmaml-cost", Context(quick=True))
    assert r.status == "inconclusive" and "skipped" in r.evidence["per_model"]
