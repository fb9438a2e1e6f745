"""The memory meter against hand-computed bytes; MNIST-1D generation and the task sampler; outer optimisers."""

from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core CI machine
pytest.importorskip("mnist1d", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.nn import outer as nn_outer  # noqa: E402
from bmaml_theory.nn.data import TaskSampler, load_mnist1d  # noqa: E402
from bmaml_theory.nn.memory import MemoryMeter  # noqa: E402
from bmaml_theory.nn.methods import METHODS  # noqa: E402
from bmaml_theory.nn.study import memory_point  # noqa: E402


# ------------------------------------------------------------------------------------------------ memory meter
@pytest.mark.parametrize("dtype, nbytes", [(torch.float32, 4000), (torch.float64, 8000)])
def test_meter_hand_computed_chain(dtype, nbytes):
    """tanh saves its output (1000 numbers); pow saves its input, the same storage; sum saves no tensor."""
    a = torch.ones(1000, dtype=dtype, requires_grad=True)
    with MemoryMeter(exclude=[a]) as m:
        loss = torch.tanh(a).pow(2).sum()
        assert m.current == nbytes
        (g,) = torch.autograd.grad(loss, [a])
        assert m.current == 0  # the graph is freed by the backward pass
    assert m.peak_saved_bytes == nbytes
    assert g.shape == a.shape


def test_meter_counts_distinct_storages_and_excludes_parameters():
    """sin(a) saves a (excluded: a parameter); exp saves its output (n*4 B); a second, separate exp another n*4."""
    a = torch.ones(250, requires_grad=True)
    with MemoryMeter(exclude=[a]) as m:
        y = torch.exp(torch.sin(a))
        assert m.current == 1000
        z = torch.exp(a)
        assert m.current == 2000
        torch.autograd.grad(y.sum() + z.sum(), [a])
        assert m.current == 0
    assert m.peak_saved_bytes == 2000


def test_meter_peak_is_not_a_total():
    """Two graphs built and freed one after the other: the peak is one graph, not two."""
    a = torch.ones(100, requires_grad=True)
    with MemoryMeter(exclude=[a]) as m:
        for _ in range(2):
            torch.autograd.grad(torch.tanh(a).sum(), [a])
    assert m.peak_saved_bytes == 400


def test_meter_state_union_with_saved():
    """State held while it is also saved counts once; a separate state tensor adds its bytes."""
    a = torch.ones(100, requires_grad=True)
    with MemoryMeter(exclude=[a]) as m:
        y = torch.tanh(a)  # saves y: 400 B
        m.hold("s", [y])  # same storage: still 400
        assert m.current == 400
        m.hold("s", [y, torch.zeros(50)])  # + 200
        assert m.current == 600
        m.release("s")
        assert m.current == 400
        torch.autograd.grad(y.sum(), [a])
        assert m.current == 0
    assert m.peak_saved_bytes == 600


@pytest.mark.parametrize("method", METHODS)
def test_meta_device_counts_equal_cpu_counts(method):
    """The sweep runs on the meta device; its byte count equals the count of the same run on CPU."""
    cpu = memory_point(method, 4, 2, depth=2, device="cpu")
    meta = memory_point(method, 4, 2, depth=2, device="meta")
    assert meta["n_saved"] == cpu["n_saved"]
    if (
        method == "imaml"
    ):  # CG keeps 0-dim scalar tensors (step sizes, residual norms) whose storages CPU and meta account differently
        assert abs(meta["total_bytes"] - cpu["total_bytes"]) <= 64 * 4  # at most 64 float32 scalars
    else:
        assert meta["total_bytes"] == cpu["total_bytes"]


def test_memory_shape_against_K():
    """MAML keeps every inner step's graph (grows with K); FO-MAML and FO-B-MAML do not (exactly flat)."""
    maml = [memory_point("maml", 8, K, depth=2)["total_bytes"] for K in (1, 2, 4)]
    assert maml[0] < maml[1] < maml[2]
    for m in ("fomaml", "reptile", "fobmaml", "fobmaml-sym"):
        assert len({memory_point(m, 8, K, depth=2)["total_bytes"] for K in (1, 2, 4)}) == 1, m


def test_memory_point_bad_input():
    with pytest.raises(ValueError, match="method"):
        memory_point("sgd", 8, 1)
    with pytest.raises(ValueError, match="K"):
        memory_point("maml", 8, 0)
    with pytest.raises(ValueError, match="width"):
        memory_point("maml", 0, 1)
    with pytest.raises(ValueError, match="device"):
        memory_point("maml", 8, 1, device="cuda:7")


# ------------------------------------------------------------------------------------------------ data
def test_generation_is_deterministic_cached_and_keeps_global_rng(tmp_path):
    np.random.seed(123)
    random.seed(7)
    before_np, before_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(7)
    d1 = load_mnist1d(num_samples=200, seed=3, cache_dir=tmp_path)
    assert (np.random.random(), random.random()) == (before_np, before_py)  # the caller's state is untouched
    files = list(tmp_path.glob("mnist1d-*.npz"))
    assert len(files) == 1 and d1.key in files[0].name
    d2 = load_mnist1d(num_samples=200, seed=3, cache_dir=tmp_path)  # from the cache
    d3 = load_mnist1d(num_samples=200, seed=3, cache_dir=None)  # regenerated
    for d in (d2, d3):
        np.testing.assert_array_equal(d.x, d1.x)
        np.testing.assert_array_equal(d.y_test, d1.y_test)
    assert d1.x.shape == (160, 40) and d1.x_test.shape == (40, 40)
    assert load_mnist1d(num_samples=200, seed=4, cache_dir=None).key != d1.key


@pytest.fixture(scope="module")
def data():
    return load_mnist1d(num_samples=500, seed=42, cache_dir=None)


def test_sampler_is_deterministic_and_well_formed(data):
    a = TaskSampler(data.x, data.y, range(5), ways=3, shots=2, queries=4, seed=9).batch(3)
    b = TaskSampler(data.x, data.y, range(5), ways=3, shots=2, queries=4, seed=9).batch(3)
    c = TaskSampler(data.x, data.y, range(5), ways=3, shots=2, queries=4, seed=10).batch(3)
    for s, t in zip(a, b, strict=True):
        np.testing.assert_array_equal(s.xs, t.xs)
        np.testing.assert_array_equal(s.yq, t.yq)
        assert s.classes == t.classes
    assert any(not np.array_equal(s.xs, t.xs) for s, t in zip(a, c, strict=True))
    t = a[0]
    assert t.xs.shape == (6, 1, 40) and t.xq.shape == (12, 1, 40)
    assert sorted(set(t.ys.tolist())) == [0, 1, 2] and np.bincount(t.yq).tolist() == [4, 4, 4]
    assert set(t.classes) <= set(range(5)) and len(set(t.classes)) == 3
    # support and query signals are distinct draws; each label's signals come from its class
    for label, cls in enumerate(t.classes):
        rows = {tuple(r) for r in data.x[data.y == cls]}
        assert all(tuple(r[0]) in rows for r in t.xs[t.ys == label])


def test_sampler_bad_input(data):
    with pytest.raises(ValueError, match="ways"):
        TaskSampler(data.x, data.y, range(5), ways=6, shots=1, queries=1, seed=0)
    with pytest.raises(ValueError, match="shots"):
        TaskSampler(data.x, data.y, range(5), ways=2, shots=0, queries=1, seed=0)
    with pytest.raises(ValueError, match="shots \\+ queries"):
        TaskSampler(data.x, data.y, range(5), ways=2, shots=500, queries=1, seed=0)
    with pytest.raises(ValueError, match="num_samples"):
        load_mnist1d(num_samples=3, cache_dir=None)


# ------------------------------------------------------------------------------------------------ outer
def _p(*vals):
    return {"w": torch.tensor(vals, dtype=torch.float64)}


def test_outer_steps_equal_their_formulas():
    theta, g = _p(1.0, 1.0), _p(3.0, 4.0)  # |g| = 5
    assert nn_outer.make_outer("GD", 0.1).step(theta, g)["w"].tolist() == pytest.approx([0.7, 0.6])
    assert nn_outer.make_outer("ClippedGD", 0.1).step(theta, g)["w"].tolist() == pytest.approx(
        [1 - 0.1 * 0.6, 1 - 0.1 * 0.8]
    )
    assert nn_outer.make_outer("NormalizedGD", 0.1).step(theta, g)["w"].tolist() == pytest.approx([0.94, 0.92])
    s = nn_outer.make_outer("SNGDM", 0.1)
    th1 = s.step(theta, g)  # m = 0.1 g, normalized: the step has length eta
    assert float((th1["w"] - theta["w"]).norm()) == pytest.approx(0.1)
    th2 = s.step(th1, _p(-4.0, 3.0))  # m = 0.09 g1 + 0.1 g2
    m = 0.9 * 0.1 * np.array([3.0, 4.0]) + 0.1 * np.array([-4.0, 3.0])
    np.testing.assert_allclose((th1["w"] - th2["w"]).numpy(), 0.1 * m / np.linalg.norm(m), rtol=1e-12)
    a = nn_outer.make_outer("Adam", 0.01)
    assert (theta["w"] - a.step(theta, g)["w"]).tolist() == pytest.approx([0.01, 0.01], rel=1e-6)  # first Adam step
    assert a.state_bytes(theta) == 2 * 16 and s.state_bytes(theta) == 16
    with pytest.raises(ValueError, match="outer"):
        nn_outer.make_outer("LBFGS", 0.1)
    with pytest.raises(ValueError, match="eta"):
        nn_outer.make_outer("GD", -1.0)
