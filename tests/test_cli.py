"""The command line and its outputs: usage errors, one output set, normal file modes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verify import _io
from verify.cli import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert "bmaml-theory" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for word in ("list", "all", "run", "figure", "bench", "mnist1d", "examples:", "Exit codes"):
        assert word in out


def test_unknown_names_get_did_you_mean(capsys):
    assert main(["al"]) == 2
    assert "Did you mean: all" in capsys.readouterr().err
    assert main(["run", "no-such-claim-xyz"]) == 2
    assert "unknown claim" in capsys.readouterr().err


def test_list_gives_a_meaning_per_claim(capsys):
    from bmaml_theory.claims import REGISTRY

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for cid, spec in REGISTRY.items():
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(cid + " "))
        assert spec.statement.measure in line


def test_bad_out_is_refused_before_any_work(tmp_path, capsys):
    f = tmp_path / "a-file"
    f.write_text("x")
    t0 = time.perf_counter()
    assert main(["all", "--quick", "--out", str(f), "--no-progress"]) == 2
    assert "is a file" in capsys.readouterr().err
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions: nothing to test there
            return
        assert main(["all", "--quick", "--out", str(ro / "figures"), "--no-progress"]) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        ro.chmod(0o755)
    assert time.perf_counter() - t0 < 30  # refused up front, not after the run (a loose bound, not a speed target)


def test_output_set_swaps_whole_and_keeps_the_previous_on_failure(tmp_path):
    out = tmp_path / "figures"
    with _io.OutputSet(out) as stage:
        (stage / "claims.json").write_text("old")
    with pytest.raises(KeyboardInterrupt), _io.OutputSet(out) as stage:
        (stage / "claims.json").write_text("half")
        raise KeyboardInterrupt
    assert (out / "claims.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]  # no staging leftovers
    with _io.OutputSet(out) as stage:
        (stage / "claims.json").write_text("new")
    assert (out / "claims.json").read_text() == "new"
    assert out.stat().st_mode & 0o055 == 0o055


def test_output_set_recovers_a_swap_cut_between_its_renames(tmp_path):
    out = tmp_path / "figures"
    old = tmp_path / ".figures.previous"
    old.mkdir()
    (old / "claims.json").write_text("previous")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / f".figures.staging-{int(dead.stdout)}-abc").mkdir()  # a staging folder whose process has exited
    _io.OutputSet(out).recover()
    assert (out / "claims.json").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]


SLOW_WRITER = """
import sys, time
from pathlib import Path
from verify._io import OutputSet
out, tag = Path(sys.argv[1]), sys.argv[2]
with OutputSet(out) as stage:
    for i in range(20):
        (stage / f"f{i}.txt").write_text(tag)
        time.sleep(0.01)
    (stage / "claims.json").write_text(tag)
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.12, 0.2, 0.3])
def test_sigkill_leaves_the_previous_set_or_the_complete_new_one(tmp_path, delay):
    out = tmp_path / "figures"
    with _io.OutputSet(out) as stage:
        for i in range(20):
            (stage / f"f{i}.txt").write_text("old")
        (stage / "claims.json").write_text("old")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    p = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(out), "new"], env=env)
    time.sleep(delay)
    p.send_signal(signal.SIGKILL)
    p.wait()
    _io.OutputSet(out).recover()  # what the next run does first
    tags = {q.read_text() for q in out.iterdir()}
    assert len(tags) == 1 and len(list(out.iterdir())) == 21, tags
    assert sorted(q.name for q in tmp_path.iterdir()) == ["figures"]


def test_atomic_files_get_the_umask_mode(tmp_path):
    p = tmp_path / "x.md"
    _io.write_text(p, "hello")
    mask = os.umask(0)
    os.umask(mask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask


HAS_DISTRIBUTED = __import__("importlib.util").util.find_spec("distributed") is not None


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("nonsense", "not a scheduler address"),
        ("bad://host:1", "not a scheduler address"),
        ("tcp://127.0.0.1:1", "no Dask scheduler answered"),
    ],
)
def test_dask_bad_address_is_a_usage_error_naming_the_fix(address, says, capsys, monkeypatch, tmp_path):
    if not HAS_DISTRIBUTED:
        pytest.skip("dask.distributed is not installed (pip install 'bmaml-theory[dist]')")
    from verify import run

    monkeypatch.setattr(run, "CONNECT_TIMEOUT_S", 1.0)
    assert main(["run", "thm2", "--dask", address, "--no-progress", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"--dask {address}" in err and says in err
    assert "dask scheduler" in err and "tcp://" in err  # how to start one / what to pass
    assert not (tmp_path / "o").exists()  # refused before any work


def test_dask_without_the_extra_says_how_to_install(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import dask.distributed now raises ImportError
    assert main(["all", "--quick", "--dask", "tcp://127.0.0.1:8786", "--no-progress", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--dask needs dask.distributed" in err and ".[dist]" in err


def test_dask_is_not_imported_without_the_option():
    code = (
        "import sys; from verify.cli import main; "
        "main(['run', 'symbolic-a4', '--jobs', '1', '--no-progress']); "
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules), "
        "[m for m in sys.modules if 'dask' in m or 'distributed' in m]"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
