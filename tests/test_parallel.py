"""pmap: index-seeded evaluations, results in index order, the same bit for bit locally and on a Dask cluster."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from bmaml_theory import adversary
from bmaml_theory.parallel import child_generators, pmap

HAS_DISTRIBUTED = importlib.util.find_spec("distributed") is not None


def draw(x: int, rng: np.random.Generator) -> tuple[int, list[float], float]:
    """A deterministic function of (item, generator) with some linear algebra in it."""
    X = rng.standard_normal((6, 6))
    return x, rng.standard_normal(3).tolist(), float(np.linalg.eigvalsh(X + X.T + x * np.eye(6)).sum())


def toy_ratio(p: np.ndarray) -> float | None:
    """Max 0 at z = 0.5 (every coordinate); None (skipped) when z[0] > 9, raises when z[1] > 9."""
    z = np.asarray(p[adversary.HEADER :])
    if z[0] > 9:
        return None
    if z[1] > 9:
        raise ValueError("region that fails on purpose")
    return -float(np.sum((z - 0.5) ** 2))


SPACE = adversary.LogisticSpace(M=(1, 3), n=(2, 3), mh=(1, 2), m=(1, 2))


def logistic_ratio(p: np.ndarray) -> float:
    """A real evaluation (Newton solves in the worker): ||grad F(theta)|| / (lam L0 / mu), Corollary 3's ratio."""
    inst = SPACE.decode(p)
    c = inst.tasks.constants()
    return float(np.linalg.norm(inst.tasks.meta_gradient(inst.theta))) / (c.lam * c.L0 / c.mu)


def test_generators_depend_on_seed_and_index_only():
    a = [g.standard_normal() for g in child_generators(5, 4)]
    b = [g.standard_normal() for g in child_generators(5, 6)][:4]
    assert a == b  # adding evaluations does not change the first ones
    assert a != [g.standard_normal() for g in child_generators(6, 4)]


def test_pmap_local_processes_match_the_loop_bit_for_bit():
    assert pmap(draw, range(5), seed=11) == pmap(draw, range(5), seed=11, jobs=2)


@pytest.mark.parametrize(("kw", "err"), [({"jobs": 0}, ValueError), ({"dask_address": ""}, TypeError)])
def test_pmap_bad_input(kw, err):
    with pytest.raises(err, match=r"jobs|dask_address"):
        pmap(draw, [1], **kw)


@pytest.mark.skipif(not HAS_DISTRIBUTED, reason="dask.distributed is not installed (pip install 'bmaml-theory[dist]')")
def test_dask_local_cluster_reproduces_local_results_bit_for_bit():
    from dask.distributed import LocalCluster

    kw = {"starts": 4, "seed": 3, "budget": 4 * 3 * 12, "rungs": 2, "eta": 2}
    local = adversary.maximize(logistic_ratio, SPACE, **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        addr = cluster.scheduler_address
        remote_map = pmap(draw, range(5), seed=11, dask_address=addr)
        remote = adversary.maximize(logistic_ratio, SPACE, dask_address=addr, **kw)
    assert remote_map == pmap(draw, range(5), seed=11)
    assert remote.summary() == local.summary()
    assert [r.best for r in remote.runs] == [r.best for r in local.runs]
    assert local.failures == 0 and local.worst is not None and 0 < local.worst <= 1


def test_scale_out_page_examples_run():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "scale-out.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "docs/scale-out.md", "exec"), {})
