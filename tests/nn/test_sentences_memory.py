"""abstract-maml-burden and limitations-overhead: exact byte counts of one meta-gradient (MemoryMeter)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core CI machine
pytest.importorskip("mnist1d", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.claims import REGISTRY, Context, run_claim  # noqa: E402
from bmaml_theory.claims.chayti_jaggi.sentences import abstract_maml_burden, limitations_overhead  # noqa: E402
from bmaml_theory.claims.chayti_jaggi.sentences.abstract_maml_burden import working_memory  # noqa: E402


def test_registered_with_the_nn_requirements():
    for cid in ("abstract-maml-burden", "limitations-overhead"):
        assert REGISTRY[cid].statement.requires == ("torch", "mnist1d")


def test_maml_memory_grows_with_the_trajectory():
    """MAML keeps every inner step's graph: M(20) is many times M(1) (12.7 at width 16, exact bytes), far above the
    row's 2; iMAML (second order, no trajectory) does not move with K."""
    r = run_claim("abstract-maml-burden", Context(quick=True))
    assert r.error is None and r.status == "holds"
    b = r.evidence["bytes"][16]
    assert r.measured == b["maml"][20] / b["maml"][1] > 10
    assert b["imaml"][1] == b["imaml"][5]
    assert abstract_maml_burden.growth(16) == r.measured  # exact integer counts: the replay is the same number


def test_fo_bmaml_overhead_is_section_4_3s_two_mem():
    """FO-B-MAML's working memory is exactly twice FO-MAML's one-step count at widths 16 and 64 (Section 4.3's
    '2Mem(grad f_i)', the row's threshold, met with equality) and 1.57x at width 250; it does not move with K."""
    r = run_claim("limitations-overhead", Context(quick=True))
    assert r.error is None and r.status == "holds" and r.measured == 2.0
    by = {(p["width"], p["K"]): p for p in r.evidence["per_point"]}
    for w in (16, 64):
        assert by[(w, 1)]["fo_bmaml_bytes"] == 2 * by[(w, 1)]["mem_grad_bytes"] == by[(w, 5)]["fo_bmaml_bytes"]
    assert 1.5 < by[(250, 1)]["ratio"] < 1.6
    assert limitations_overhead.overhead(16, 1) == 2.0


def test_the_overhead_threshold_can_trip():
    """A method whose memory grows with K exceeds the 2 Mem(grad f_i) count: MAML at K = 5 against the same unit."""
    assert working_memory("maml", 16, 5) / working_memory("fomaml", 16, 1) > 2
