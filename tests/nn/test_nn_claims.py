"""The TMLR claims' replays recompute their measured numbers; the memory claims' verdicts (exact bytes)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core CI machine
pytest.importorskip("mnist1d", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.claims import REGISTRY  # noqa: E402
from bmaml_theory.claims.tmlr import hvp_cost, limitations_autodiff, tmlr_flat_memory  # noqa: E402
from bmaml_theory.nn import tmlr_study  # noqa: E402

TMLR = (
    "tmlr-mnist1d-accuracy",
    "tmlr-high-accuracy",
    "tmlr-flat-memory",
    "tmlr-sngdm",
    "hvp-cost",
    "limitations-autodiff",
)


def test_registered_with_requirements():
    for cid in TMLR:
        st = REGISTRY[cid].statement
        assert st.requires == ("torch", "mnist1d") and st.kind == "empirical"
        # limitations-autodiff's byte counts do not depend on the settings the paper leaves open: a refutation
        assert st.settings_given == (cid == "limitations-autodiff")


def test_memory_replays_equal_the_sweep():
    from bmaml_theory.nn.study import memory_point

    rows = [
        memory_point(m, 16, K, depth=tmlr_study.MEM_DEPTH)
        for m in ("fobmaml", "fomaml", "maml", "fobmaml-jvp")
        for K in (1, 20)
    ]
    mem = tmlr_study.mem
    want = mem(rows, "fobmaml-jvp", 16, 20) / mem(rows, "maml", 16, 20)
    assert limitations_autodiff.autodiff_ratio(width=16, K=20) == want
    assert want < 0.5  # forward mode keeps one step's graph; MAML keeps twenty
    assert limitations_autodiff.autodiff_ratio(width=16, K=20) == want


@pytest.mark.parametrize("depth", [2, 8])
def test_allocator_sees_one_gradient_copy_more_from_K2_and_maml_growing(depth):
    """Derivation (tmlr_flat_memory): the inner GD loop keeps g_k alive until g_{k+1} is returned, so from K = 2 on
    the CPU allocator's peak is exactly one parameter copy above K = 1 and then constant in K (the byte sizes and
    their order depend on the operations only: integers, equal between runs).  MAML keeps every step's graph:
    its peak grows by more than the 2-copy allowance, so the flatness rule fails on it (the rule can fail)."""
    from bmaml_theory.nn.study import allocator_point

    fob = {K: allocator_point("fobmaml", 16, K, depth=depth) for K in (1, 2, 5)}
    p = fob[1]["param_bytes"]
    assert fob[2]["allocator_peak_bytes"] - fob[1]["allocator_peak_bytes"] == p
    assert fob[5]["allocator_peak_bytes"] == fob[2]["allocator_peak_bytes"]
    assert allocator_point("fobmaml", 16, 5, depth=depth)["allocator_peak_bytes"] == fob[5]["allocator_peak_bytes"]
    assert tmlr_flat_memory.flatness(method="fobmaml", width=16, K=5, depth=depth) <= 1.0
    assert tmlr_flat_memory.flatness(method="maml", width=16, K=5, depth=depth) > 1.0


def test_statistic_replays():
    """One-sided 95% bounds over training seeds: t_{0.95, 3} = 2.353363 (4 seeds; scipy's quantile to 1e-6)."""
    diffs = [0.1, -0.2, 0.0, 0.3]
    m, s = 0.05, (sum((d - 0.05) ** 2 for d in diffs) / 3) ** 0.5
    t3 = 2.353363
    assert tmlr_study.bound_from(diffs, "lower") == pytest.approx(m - t3 * s / 2, rel=1e-6)
    assert tmlr_study.bound_from(diffs, "upper") == pytest.approx(m + t3 * s / 2, rel=1e-6)
    assert hvp_cost.nearest_in_ci([1.0 + k for k in range(9)]) == 5.0  # interval (2, 8) contains 5
    bound, which, _ = tmlr_study.one_sided(diffs, -0.05)
    assert which == "upper" and bound == pytest.approx(m + t3 * s / 2, rel=1e-6)  # lower bound below -0.05
    bound, which, _ = tmlr_study.one_sided([0.0, 0.01, -0.01, 0.0], -0.05)
    assert which == "lower" and bound >= -0.05
    # superiority (strict): an exact tie on every seed has zero spread, lower bound 0, and is never superiority
    assert tmlr_study.one_sided([0.0] * 5, 0.0)[1] == "lower"
    bound, which, _ = tmlr_study.one_sided([0.0] * 5, 0.0, strict=True)
    assert which == "upper" and bound == 0.0
    bound, which, summ = tmlr_study.one_sided([0.3], -0.05)  # one seed: no interval, never a verdict
    assert which == "upper" and bound == float("inf") and summ["seeds"] == 1
    with pytest.raises(ValueError, match="which"):
        tmlr_study.bound_from(diffs, "middle")


def test_seed_means_pair_tasks_within_a_seed():
    a = {0: [1.0, 0.0], 1: [1.0, 1.0], 2: [0.5, 0.5]}
    b = {0: [0.0, 0.0], 1: [0.0, 1.0]}
    assert tmlr_study.seed_means(a, b) == [0.5, 0.5]  # seed 2 has no partner


def test_committed_tmlr_counterexamples_rerun():
    """Every counterexample of the committed default ledger's TMLR rows reruns to its recorded number."""
    import json
    from pathlib import Path

    from bmaml_theory.claims import Replay

    doc = json.loads((Path(__file__).resolve().parents[2] / "figures" / "claims.json").read_text())
    rows = [e for e in doc["claims"] if e["group"] == "tmlr-mnist1d" and e["counterexample"] is not None]
    assert rows, "the committed ledger has no TMLR counterexample to replay"
    for e in rows:
        ce = e["counterexample"]
        got = Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run()
        assert got == pytest.approx(ce["value"], rel=1e-6, abs=1e-12), (e["id"], got, ce["value"])


@pytest.mark.parametrize("depth", [2, 8])
def test_hvp_flops_are_three_gradients_and_reproducible(depth):
    """Derivation (bmaml_theory.nn.study.hvp_flops): every counted operation is bilinear, so gradient = 3F and
    HVP = 9F, less the first layer's input gradient (its input needs none): the ratio lies in (2.9, 3], and
    forward over reverse counts the same 3 up to that layer.  Two counts of one computation must agree exactly
    (integers from shapes); the ratio is a ratio of integers, so no tolerance is needed beyond the derivation's."""
    from bmaml_theory.nn.study import hvp_flops_study

    a = hvp_flops_study((16, 64), (depth,))
    b = hvp_flops_study((16, 64), (depth,))
    assert [r["hvp_flops"] for r in a] == [r["hvp_flops"] for r in b] and all(r["deterministic"] for r in a)
    for r in a:
        assert 2.9 < r["ratio"] <= 3.0 and 2.9 < r["ratio_fwd_over_rev"] <= 3.0
        assert 2.9 < r["grad_over_forward"] <= 3.0
    assert hvp_cost.flop_ratio(width=16, depth=depth) == a[0]["ratio"]


def test_activation_heavy_points_see_one_step_of_activations():
    """Derivation (tmlr_flat_memory's docstring): at depth 16, width 16 on the 10-signal task a conv layer holds
    40 * 10 * 16 = 6400 activations against 3 * 16^2 = 768 parameters, so one inner step of MAML keeps more than
    the 2-copy allowance (it saves each layer's input and ReLU mask at least: > 2 * 6400 * 16 floats against
    2 * |theta|, |theta| ~ 16 * 784 floats); FO-B-MAML's peak from K = 1 to 5 grows by exactly one parameter copy (the
    gradient kept until the next is returned), as on the main grid (integers from shapes: exact).  (Whether it stays
    within 2 A_FOMAML(1), the rule's width clause, is the claim's measurement, not pinned here.)"""
    from bmaml_theory.nn.study import allocator_point

    d, w, s, q = tmlr_study.FLAT_HEAVY_QUICK[0]
    fob = {K: allocator_point("fobmaml", w, K, depth=d, shots=s, queries=q) for K in (1, 5)}
    maml = {K: allocator_point("maml", w, K, depth=d, shots=s, queries=q) for K in (1, 5)}
    p = fob[1]["param_bytes"]
    assert fob[5]["allocator_peak_bytes"] - fob[1]["allocator_peak_bytes"] == p
    per_step = (maml[5]["allocator_peak_bytes"] - maml[1]["allocator_peak_bytes"]) / 4
    assert per_step > tmlr_flat_memory.COPIES * p  # the rule sees one kept step: power at K = 5
    # the K clause of the flatness rule holds there with one copy to spare; MAML's index fails it
    assert fob[5]["allocator_peak_bytes"] < fob[1]["allocator_peak_bytes"] + tmlr_flat_memory.COPIES * p
    assert tmlr_flat_memory.flatness(method="maml", width=w, K=5, depth=d, shots=s, queries=q) > 1.0


def test_supervised_reference_beats_chance_and_is_deterministic():
    """The supervised reference is trained once per seed and scored on every shot count's tasks; it is seeded
    (initialisation and shuffling), so two runs on one thread give identical per-task accuracies (the same float32
    operations in the same order); two epochs of a width-8 CNN on 10 classes already beat 5-way chance (0.2) by far."""
    from bmaml_theory.nn.data import load_mnist1d
    from bmaml_theory.nn.study import TEST_CLASSES, TaskSampler, supervised_accuracy

    data = load_mnist1d(num_samples=5000, seed=42)
    tasks = {k: TaskSampler(data.x_test, data.y_test, TEST_CLASSES, 5, k, 5, seed=2000).batch(10) for k in (1, 5)}
    a = supervised_accuracy(data, 8, 2, 0, tasks, epochs=2)
    assert set(a) == {1, 5} and all(len(v) == 10 for v in a.values())
    assert sum(a[5]) / 10 > 0.3
    assert supervised_accuracy(data, 8, 2, 0, tasks, epochs=2) == a
    with pytest.raises(ValueError, match="epochs"):
        supervised_accuracy(data, 8, 2, 0, tasks, epochs=0)


def test_flatness_replay_measures_on_one_thread():
    """The CPU allocator's peak includes per-thread buffers: the same extra bytes at every point on two intra-op
    threads, which moves a ratio of totals.  The claim measures on one thread, so its replay pins one thread
    whatever the caller set, and restores the caller's setting (byte counts are integers: exact)."""
    from bmaml_theory.nn.study import allocator_point

    one = {m: allocator_point(m, 16, K, depth=2)["allocator_peak_bytes"] for m, K in (("fobmaml", 5), ("fomaml", 1))}
    torch.set_num_threads(2)
    try:
        two = {
            m: allocator_point(m, 16, K, depth=2)["allocator_peak_bytes"] for m, K in (("fobmaml", 5), ("fomaml", 1))
        }
        got = tmlr_flat_memory.flatness(method="fobmaml", width=16, K=5, depth=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    if two != one:  # where the build keeps per-thread buffers: one offset, the same at every point
        assert two["fobmaml"] - one["fobmaml"] == two["fomaml"] - one["fomaml"]
    assert got == tmlr_flat_memory.flatness(method="fobmaml", width=16, K=5, depth=2)
