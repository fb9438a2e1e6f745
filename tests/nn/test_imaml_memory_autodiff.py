"""imaml-memory's autodiff part: exact byte counts of iMAML (CG with double-backward HVPs) and FO-B-MAML on a CNN."""

from __future__ import annotations

import importlib.util
import math

import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core CI machine
pytest.importorskip("mnist1d", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.claims import Context, run_claim  # noqa: E402
from bmaml_theory.claims.chayti_jaggi.section4 import imaml_memory  # noqa: E402


@pytest.fixture(scope="module")
def quick():
    return run_claim("imaml-memory", Context(quick=True))


def test_autodiff_part_is_measured_and_decides(quick):
    """Both parts are measured; the NumPy part is within a factor 2 (a sanity check), the autodiff part is where the
    row can fail.  At width 250 the ratio exceeds 2 (2.06, exact bytes), so the row is violated, with the autodiff
    measurement as its counterexample."""
    r = quick
    assert r.error is None, r.error
    ad = r.evidence["autodiff"]
    assert sorted(ad) == sorted(imaml_memory.WIDTHS)
    assert all(
        abs(math.log2(v["imaml_vectors"] / v["fo_bmaml_vectors"])) <= 1 for v in r.evidence["per_family"].values()
    )
    worst = r.evidence["worst_instance"]
    assert worst["part"] == "autodiff" and worst["width"] == 250
    assert r.status == "violated" and r.measured == pytest.approx(math.log2(ad[250]["ratio"]), abs=0)
    assert ad[250]["ratio"] > 2 > ad[64]["ratio"] > ad[16]["ratio"] > 1


def test_autodiff_counts_follow_the_derivation(quick):
    """iMAML holds one gradient's graph for its HVPs plus CG's four parameter-sized vectors (b, x, r, p), so its
    working memory is at least Mem(grad f_i) + 4 |theta|; the ratio does not depend on K (inner steps free their
    graphs): K = 1 (quick) and K = 5 (default) give the same integer counts."""
    from bmaml_theory.nn.study import memory_point

    for w in (16, 64):
        v = quick.evidence["autodiff"][w]
        p = memory_point("imaml", w, 1, depth=imaml_memory.DEPTH)["param_bytes"]
        assert v["imaml_bytes"] >= v["mem_grad_bytes"] + 4 * p
        assert imaml_memory.autodiff_bytes("imaml", w, 5) == v["imaml_bytes"]
        assert imaml_memory.autodiff_bytes("fobmaml", w, 5) == v["fo_bmaml_bytes"]


def test_replay_recomputes_the_counterexample(quick):
    rep = quick.counterexample["replay"]
    assert rep["target"].endswith(":log2_autodiff_ratio")
    assert imaml_memory.log2_autodiff_ratio(**rep["kwargs"]) == quick.measured  # exact integer byte counts


def test_without_torch_the_row_is_inconclusive(monkeypatch):
    """The core never needs torch: without it the autodiff part is skipped and the NumPy count alone (a sanity
    check) cannot make the row hold."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    r = run_claim("imaml-memory", Context(quick=True))
    assert r.status == "inconclusive" and "torch" in r.decision
    assert "skipped" in r.evidence["autodiff"]
