"""pmap: index-seeded evaluations, results in index order, the same bit for bit locally and on a Dask cluster.

The bit-for-bit comparisons here are between runs on ONE machine (the test process, its loky workers and a
LocalCluster share the CPU and the NumPy/BLAS builds): the same computation path run in different processes. Across
machines only verdicts are promised (docs/scale-out.md).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from bmaml_theory import search
from bmaml_theory.parallel import child_generators, pmap

HAS_DISTRIBUTED = importlib.util.find_spec("distributed") is not None


def draw(x: int, rng: np.random.Generator) -> tuple[int, list[float], float]:
    """A deterministic function of (item, generator) with some linear algebra in it."""
    X = rng.standard_normal((6, 6))
    return x, rng.standard_normal(3).tolist(), float(np.linalg.eigvalsh(X + X.T + x * np.eye(6)).sum())


def toy_ratio(p: np.ndarray) -> float | None:
    """Max 0 at z = 0.5 (every coordinate); None (skipped) when z[0] > 9, raises when z[1] > 9."""
    z = np.asarray(p[search.HEADER :])
    if z[0] > 9:
        return None
    if z[1] > 9:
        raise ValueError("region that fails on purpose")
    return -float(np.sum((z - 0.5) ** 2))


SPACE = search.LogisticSpace(M=(1, 3), n=(2, 3), mh=(1, 2), m=(1, 2))


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
    local = search.maximize(logistic_ratio, SPACE, **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        addr = cluster.scheduler_address
        remote_map = pmap(draw, range(5), seed=11, dask_address=addr)
        remote = search.maximize(logistic_ratio, SPACE, dask_address=addr, **kw)
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


# ---- python -m verify on local processes and on a Dask cluster (verify.run) ----------------------------------------

# Fast claims of four groups (a few seconds in all); the ledgers compared are every field but provenance.
FAST = ["fallah-fomaml-bias", "symbolic-a4", "prop1", "eq14-forward", "table1"]
needs_dist = pytest.mark.skipif(
    not HAS_DISTRIBUTED, reason="dask.distributed is not installed (pip install 'bmaml-theory[dist]')"
)


def _ledger(outcome) -> list[dict]:
    return [{k: v for k, v in r.to_json().items() if k != "provenance"} for r in outcome.results]


def pid_of(x: int, rng: np.random.Generator) -> int:
    import os

    return os.getpid()


def kill_group(ids, quick, seed, deadline_s, kind="local process"):
    """Run a group, except that the group of symbolic-a4 kills its worker process (never use with jobs=1)."""
    import os

    from verify.run import _run_group_remote

    if "symbolic-a4" in ids:
        os._exit(13)
    return _run_group_remote(ids, quick, seed, deadline_s, kind)


def stuck_group(ids, quick, seed, deadline_s, kind="local process"):
    """Signal that a group started, then never return (its worker is removed meanwhile)."""
    import os
    import time
    from pathlib import Path

    (Path(os.environ["BMAML_TEST_FLAGS"]) / f"started-{os.getpid()}").touch()
    time.sleep(600)


def wait_group(ids, quick, seed, deadline_s, kind="local process"):
    """Run a group; the group of table1 first waits until the others have returned and the cluster is closed."""
    import os
    import time
    from pathlib import Path

    from verify.run import _run_group_remote

    flags = Path(os.environ["BMAML_TEST_FLAGS"])
    if "table1" in ids:
        while len(list(flags.glob("done-*"))) < 3:
            time.sleep(0.05)
        (flags / "close").touch()
        time.sleep(600)  # the cluster goes away meanwhile
    out = _run_group_remote(ids, quick, seed, deadline_s, kind)
    (flags / f"done-{ids[0]}").touch()
    return out


@pytest.fixture(scope="module")
def local_run():
    from verify.run import run_claims

    out = run_claims(FAST, quick=True, jobs=1, progress=False)
    # the comparison below cannot pass on empty or failed results: real verdicts, no errors
    assert [r.id for r in out.results] == FAST
    assert all(r.error is None for r in out.results)
    assert "holds" in {r.status for r in out.results}
    return out


def test_serial_keeps_evaluations_in_the_group_process():
    import os

    from bmaml_theory.parallel import serial

    assert set(pmap(pid_of, range(4), jobs=2)) != {os.getpid()}  # outside: worker processes
    with serial():
        assert set(pmap(pid_of, range(4), jobs=2)) == {os.getpid()}  # inside: this process, no nested pool
        assert pmap(draw, range(5), seed=11, jobs=2) == pmap(draw, range(5), seed=11)
    assert set(pmap(pid_of, range(4), jobs=2)) != {os.getpid()}  # the block ends


def test_groups_in_lpt_order_from_the_ledger(tmp_path):
    import json

    from verify.run import FALLBACK_SECONDS, expected_seconds, plan

    led = tmp_path / "claims.json"
    led.write_text(json.dumps({"claims": [{"id": "a", "provenance": {"seconds": 1.0}},
                                          {"id": "b", "provenance": {"seconds": 5.0}},
                                          {"id": "c", "provenance": {"seconds": 3.0}}]}))  # fmt: skip
    exp = expected_seconds(["a", "b", "c", "new"], led)
    assert exp == {"a": 1.0, "b": 5.0, "c": 3.0, "new": 3.0}  # a claim the ledger lacks: the median
    order = plan({"g1": ["a"], "g2": ["b"], "g3": ["c", "new"], "g4": ["new"]}, exp)
    assert [(g.group, g.expected) for g in order] == [("g3", 6.0), ("g2", 5.0), ("g4", 3.0), ("g1", 1.0)]
    assert expected_seconds(["a"], tmp_path / "missing.json") == {"a": FALLBACK_SECONDS}


def test_verify_jobs_2_gives_the_jobs_1_ledger(local_run):
    import os

    from verify.run import run_claims

    two = run_claims(FAST, quick=True, jobs=2, progress=False)
    assert _ledger(two) == _ledger(local_run)
    assert all(f"pid {os.getpid()} " not in r.provenance["worker"] for r in two.results)  # really in workers
    assert {g.group for g in two.groups} == {r.statement.group for r in two.results}
    assert all(g.seconds is not None and g.seconds >= 0 for g in two.groups)


def test_a_local_worker_that_dies_fails_only_its_group(local_run):
    from verify.run import run_claims

    out = run_claims(FAST, quick=True, jobs=2, progress=False, group_fn=kill_group)
    by = {r.id: r for r in out.results}
    assert by["symbolic-a4"].status == "inconclusive"
    assert "alone in a fresh process" in by["symbolic-a4"].error
    ok = [k for k, c in enumerate(FAST) if c != "symbolic-a4"]
    assert [_ledger(out)[k] for k in ok] == [_ledger(local_run)[k] for k in ok]


@needs_dist
def test_verify_on_a_local_cluster_gives_the_local_ledger(local_run):
    from dask.distributed import Client, LocalCluster

    from verify.run import run_claims

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster, set_as_default=False) as c:
            workers = set(c.scheduler_info(n_workers=-1)["workers"])
        remote = run_claims(FAST, quick=True, dask=cluster.scheduler_address, progress=False)
    assert _ledger(remote) == _ledger(local_run)
    assert len(workers) == 2
    where = {r.provenance["worker"] for r in remote.results}
    assert all(w.startswith("dask worker ") and w.removeprefix("dask worker ") in workers for w in where), where
    assert remote.backend == f"dask cluster at {cluster.scheduler_address}"


@needs_dist
@pytest.mark.slow  # its own LocalCluster: run by CI's second pass (one Dask test stays in the README's command)
def test_a_dask_worker_that_dies_fails_only_its_group(local_run):
    import dask
    from dask.distributed import LocalCluster

    from verify.run import run_claims

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
    ):
        out = run_claims(FAST, quick=True, dask=cluster.scheduler_address, progress=False, group_fn=kill_group)
    by = {r.id: r for r in out.results}
    assert by["symbolic-a4"].status == "inconclusive"
    assert "KilledWorker" in by["symbolic-a4"].error
    ok = [k for k, c in enumerate(FAST) if c != "symbolic-a4"]
    assert [_ledger(out)[k] for k in ok] == [_ledger(local_run)[k] for k in ok]


@needs_dist
@pytest.mark.slow  # its own LocalCluster: run by CI's second pass (one Dask test stays in the README's command)
def test_a_cluster_that_goes_away_fails_only_the_groups_it_held(local_run, tmp_path, monkeypatch):
    import threading
    import time

    from dask.distributed import LocalCluster

    from verify.run import run_claims

    monkeypatch.setenv("BMAML_TEST_FLAGS", str(tmp_path))
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)

    def close_when_asked() -> None:
        while not (tmp_path / "close").exists():
            time.sleep(0.05)
        cluster.close()

    closer = threading.Thread(target=close_when_asked, daemon=True)
    closer.start()
    out = run_claims(FAST, quick=True, dask=cluster.scheduler_address, progress=False, group_fn=wait_group)
    closer.join(timeout=60)
    by = {r.id: r for r in out.results}
    assert by["table1"].status == "inconclusive" and by["table1"].error
    ok = [k for k, c in enumerate(FAST) if c != "table1"]
    assert [_ledger(out)[k] for k in ok] == [_ledger(local_run)[k] for k in ok]


def test_verify_runs_each_group_serially_on_one_blas_thread(monkeypatch):
    import os

    from threadpoolctl import threadpool_info

    from verify import run

    seen = {}

    def fake_run_group(ids, *, quick, seed, deadline):
        seen["pids"] = set(pmap(pid_of, range(4), jobs=2))  # a claim asking for a pool of its own
        seen["threads"] = {i["num_threads"] for i in threadpool_info()}
        return []

    monkeypatch.setattr(run, "run_group", fake_run_group)
    rs, seconds, where = run._run_group_remote(["x"], True, 0, 10.0, "this process")
    assert rs == [] and seconds >= 0 and f"pid {os.getpid()} " in where
    assert seen["pids"] == {os.getpid()}  # no nested pool
    assert seen["threads"] == {1}  # every BLAS/OpenMP library found (NumPy's OpenBLAS at least) runs one thread


@needs_dist
@pytest.mark.slow  # its own LocalCluster: run by CI's second pass (one Dask test stays in the README's command)
def test_own_process_groups_stay_off_the_cluster_and_match_the_local_ledger(local_run, monkeypatch):
    """A group that measures its own process (verify.run.OWN_PROCESS_GROUPS) runs on this machine, alone in a fresh
    process, beside the cluster's groups: same entries, and its worker says where it ran."""
    from dask.distributed import LocalCluster

    import verify.run as vr
    from bmaml_theory.claims import REGISTRY

    own = REGISTRY["symbolic-a4"].statement.group
    monkeypatch.setattr(vr, "OWN_PROCESS_GROUPS", {own: "test"})
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = vr.run_claims(FAST, quick=True, dask=cluster.scheduler_address, progress=False)
    assert _ledger(remote) == _ledger(local_run)
    for r in remote.results:
        assert r.provenance["worker"].startswith("isolated process" if r.statement.group == own else "dask worker ")


@needs_dist
@pytest.mark.slow
def test_a_cluster_left_without_workers_fails_the_remaining_groups_within_a_minute(tmp_path, monkeypatch):
    """Every worker removed mid-run, the scheduler still up: after NO_WORKER_GRACE_S (45 s by default; 3 s here,
    which changes only the wait) every remaining group reads inconclusive with a message that says so."""
    import threading
    import time

    from dask.distributed import LocalCluster

    import verify.run as vr

    monkeypatch.setenv("BMAML_TEST_FLAGS", str(tmp_path))
    monkeypatch.setattr(vr, "NO_WORKER_GRACE_S", 3.0)
    assert vr.NO_WORKER_GRACE_S + 5 * vr.POLL_S + vr.POLL_S < 60  # the default's worst case too: grace + probe + poll
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:

        def remove_workers() -> None:
            while not list(tmp_path.glob("started-*")):
                time.sleep(0.05)
            cluster.scale(0)

        threading.Thread(target=remove_workers, daemon=True).start()
        t0 = time.monotonic()
        out = vr.run_claims(FAST, quick=True, dask=cluster.scheduler_address, progress=False, group_fn=stuck_group)
        took = time.monotonic() - t0
    assert took < 60, took
    assert all(r.status == "inconclusive" and "no Dask worker left" in r.error for r in out.results)


KILLED_RUN = """
import os, sys, time
from pathlib import Path
from verify.run import run_claims

flags = Path(sys.argv[1])


def stuck(ids, quick, seed, deadline_s, kind="local process"):
    (flags / f"worker-{os.getpid()}").touch()
    time.sleep(600)


run_claims(sys.argv[2:], quick=True, jobs=2, progress=False, group_fn=stuck)
"""


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for init to reap it counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc") or not os.path.isdir("/dev/shm"), reason="needs Linux /proc, /dev/shm")
def test_a_sigkilled_run_leaves_no_workers_and_nothing_in_dev_shm(tmp_path):
    """SIGKILL the run while its two loky workers are busy: both exit within a few seconds (they watch their
    parent), and loky's resource tracker then unlinks the run's semaphores and memmapping folders."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    ids = [c for c in FAST if c in ("symbolic-a4", "table1")] or FAST[:2]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    p = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(tmp_path), *ids], env=env)
    try:
        t0 = time.monotonic()
        while len(list(tmp_path.glob("worker-*"))) < 2 and time.monotonic() - t0 < 120:
            time.sleep(0.1)
        workers = [int(f.name.split("-")[1]) for f in tmp_path.glob("worker-*")]
        assert len(workers) == 2, "the workers did not start"
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(_gone(w) for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if not _gone(w)]
    for w in alive:  # never leave them running, whatever the verdict
        os.kill(w, signal.SIGKILL)
    assert not alive, f"loky workers {alive} outlived the SIGKILLed run"
    left: list[str] = []
    while time.monotonic() < deadline + 10:
        left = [n for n in os.listdir("/dev/shm") if f"-{p.pid}-" in n or f"_{p.pid}_" in n]
        if not left:
            break
        time.sleep(0.2)
    assert not left, left
