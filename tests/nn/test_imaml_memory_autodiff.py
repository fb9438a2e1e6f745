"""imaml-memory (order reading) and imaml-memory-as-printed (the literal 2): exact byte counts on a CNN."""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core CI machine
pytest.importorskip("mnist1d", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.claims import Context, run_claim  # noqa: E402
from bmaml_theory.claims.chayti_jaggi.section4 import imaml_memory  # noqa: E402
from bmaml_theory.nn.study import memory_point  # noqa: E402


@pytest.fixture(scope="module")
def quick():
    return run_claim("imaml-memory", Context(quick=True))


@pytest.fixture(scope="module")
def printed():
    return run_claim("imaml-memory-as-printed", Context(quick=True))


def test_order_reading_holds_on_the_derived_bounds(quick):
    """Both methods are flat in K (inner steps free their graphs: growth exactly 1, exact counts) and within the
    4 Mem(grad f_i) bound derived in the module; the row holds with the worst fraction of its bound below 1."""
    r = quick
    assert r.error is None, r.error
    assert r.status == "holds"
    ad = r.evidence["autodiff"]
    assert sorted(ad) == sorted(imaml_memory.WIDTHS)
    for row in ad.values():
        for m in imaml_memory.METHODS:
            assert row[m]["growth"] == 1.0  # identical integer byte counts at K = 1 and K = 20
            assert max(row[m]["mem_units"].values()) <= imaml_memory.MEM_BOUND
    assert 0.5 <= r.measured <= 1.0


def test_counts_follow_the_derivation(quick):
    """Mem(grad f_i) holds at least two parameter-sized tensors (the derivation's |theta| <= Mem/2); iMAML holds one
    gradient's graph plus CG's four vectors (>= Mem + 4|theta|); FO-B-MAML <= 2 Mem."""
    for w in (16, 64):
        row = quick.evidence["autodiff"][w]
        p = memory_point("imaml", w, 1, depth=imaml_memory.DEPTH)["param_bytes"]
        assert row["mem_grad_bytes"] >= 2 * p
        assert row["imaml"]["bytes"][1] >= row["mem_grad_bytes"] + 4 * p
        assert max(row["fobmaml"]["mem_units"].values()) <= 2.0


def test_autodiff_ratios_are_evidence(quick):
    """The iMAML / FO-B-MAML ratio (1.6 to 2.1 over the widths, exact counts) is recorded, not scored."""
    ratios = quick.evidence["imaml_over_fo_bmaml_ratio"]
    assert 1.5 < ratios[16] < ratios[64] < 2 < ratios[250] < 2.2


def test_replay_recomputes_the_worst_instance(quick):
    rep = quick.evidence["worst_instance"]
    assert rep["method"] == "imaml"
    assert imaml_memory.bound_fraction("imaml", rep["width"]) == quick.measured  # exact integer byte counts


def test_literal_two_is_a_slip(printed):
    """iMAML measures 3.2-3.65 Mem(grad f_i) (a double-backward HVP is about 2 Mem, CG's four vectors add 1-2 Mem),
    outside 2 +- 0.5: the literal constant fails, a slip whose intended row is imaml-memory."""
    r = printed
    assert r.error is None, r.error
    assert r.status == "violated" and r.statement.category == "slip" and r.statement.intended == "imaml-memory"
    units = [v["mem_units"] for v in r.evidence["per_width"].values()]
    assert len(units) == len(imaml_memory.WIDTHS)
    assert all(3.0 < u < 3.8 for u in units)
    assert r.measured == pytest.approx(max(units), abs=0)
    rep = r.counterexample["replay"]
    assert imaml_memory.mem_units(**rep["kwargs"]) == r.measured


def test_without_torch_both_rows_are_inconclusive(monkeypatch):
    """The core never needs torch: without it the CNN part is skipped and the NumPy count alone (a sanity check)
    cannot make imaml-memory hold; imaml-memory-as-printed measures nothing."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    r = run_claim("imaml-memory", Context(quick=True))
    assert r.status == "inconclusive" and "torch" in r.evidence["autodiff"]["skipped"]
    p = run_claim("imaml-memory-as-printed", Context(quick=True))
    assert p.status == "inconclusive" and "torch" in p.evidence["per_width"]["skipped"]
