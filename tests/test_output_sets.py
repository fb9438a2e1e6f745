"""Output sets under concurrency and failure: one run per folder, recovery of dead runs only, one staging folder per
set, I/O errors as their own exit code, the record refreshed only on request, and defensive reads of the ledger."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verify import _io, record
from verify import run as vrun
from verify.cli import EXIT_IO, main

ROOT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys, time
from pathlib import Path
from verify._io import OutputLock
with OutputLock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/figures (killed at the end)."""
    out = tmp_path / "figures"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], env=env, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    yield out, p
    p.kill()
    p.wait()


def _fake_outcome(*_a, **_k):
    return vrun.RunOutcome([], [], 0.0)


def test_a_second_run_into_a_locked_folder_exits_2_before_any_work(holder, capsys, monkeypatch):
    out, p = holder
    ran = []
    monkeypatch.setattr(vrun, "run_claims", lambda *a, **k: ran.append(1))
    t0 = time.perf_counter()
    assert main(["all", "--quick", "--out", str(out), "--no-progress"]) == 2
    assert not ran and time.perf_counter() - t0 < 30
    err = capsys.readouterr().err
    assert f"pid {p.pid}" in err and "another bmaml-verify run" in err and err.count("\n") == 1
    with pytest.raises(_io.OutputBusyError):
        _io.OutputSet(out).__enter__()


def test_the_lock_dies_with_its_process(holder):
    out, p = holder
    p.kill()
    p.wait()
    with _io.OutputSet(out) as stage:  # the kernel released the flock: the next run proceeds
        (stage / "claims.json").write_text("new")
    assert (out / "claims.json").read_text() == "new"
    assert sorted(q.name for q in out.parent.iterdir()) == ["figures"]  # the lock file is removed on release


def test_recovery_keeps_a_live_runs_staging_folder(tmp_path):
    out = tmp_path / "figures"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = tmp_path / f".figures.staging-{live.pid}-abc"
        alive.mkdir()
        legacy = tmp_path / ".figures.staging-abc"  # no process id in its name: cannot be proved dead
        legacy.mkdir()
        with _io.OutputSet(out) as stage:
            (stage / "claims.json").write_text("x")
        assert alive.is_dir() and legacy.is_dir()
    finally:
        live.kill()
        live.wait()
    _io.OutputSet(out).recover()
    assert not alive.exists() and legacy.is_dir()


def test_run_refuses_to_mix_into_another_set_and_writes_its_own_from_one_stage(tmp_path, capsys):
    out = tmp_path / "figures"
    with _io.OutputSet(out) as stage:
        for name in ("claims.json", "claims.md", "claims.csv", "a.png"):
            (stage / name).write_text(json.dumps({"claims": [{"id": "prop1"}, {"id": "prop2"}]}))
    before = {q.name: q.read_text() for q in out.iterdir()}
    assert main(["run", "fallah-smoothness-as-printed", "--quick", "--out", str(out), "--no-progress"]) == 2
    assert "holds another output set (2 claims)" in capsys.readouterr().err
    assert {q.name: q.read_text() for q in out.iterdir()} == before
    fresh = tmp_path / "fresh"
    assert main(["run", "fallah-smoothness-as-printed", "--quick", "--out", str(fresh), "--no-progress"]) == 0
    assert sorted(q.name for q in fresh.iterdir()) == ["claims.csv", "claims.json", "claims.md"]
    doc = json.loads((fresh / "claims.json").read_text())
    assert doc["provenance"]["run"]["seed"] == 0
    # the same claims again: a whole new set replaces the old one
    assert main(["run", "fallah-smoothness-as-printed", "--quick", "--out", str(fresh), "--no-progress"]) == 0
    assert sorted(q.name for q in tmp_path.iterdir()) == ["figures", "fresh"]  # no staging or lock leftovers


def test_a_full_disk_exits_4_with_one_line_and_keeps_the_previous_set(tmp_path, capsys, monkeypatch):
    out = tmp_path / "figures"
    with _io.OutputSet(out) as stage:
        (stage / "claims.json").write_text("previous")
    from verify import ledger

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(vrun, "run_claims", _fake_outcome)
    monkeypatch.setattr(ledger, "write_ledger", full)
    assert main(["all", "--quick", "--out", str(out), "--no-progress"]) == EXIT_IO == 4
    err = capsys.readouterr().err
    assert "No space left on device" in err and "previous set is intact" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert (out / "claims.json").read_text() == "previous"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["figures"]


def test_all_writes_only_its_output_set(tmp_path, monkeypatch):
    """A reader's run never touches README.md or docs/: only --update-docs calls the record refresh."""
    called = []
    monkeypatch.setattr(vrun, "run_claims", _fake_outcome)
    monkeypatch.setattr(record, "update_record", lambda *a: called.append(a))
    readme, claims_md = (ROOT / "README.md").stat().st_mtime_ns, (ROOT / "docs" / "claims.md").stat().st_mtime_ns
    main(["all", "--out", str(tmp_path / "figures"), "--no-progress"])
    assert not called
    assert (ROOT / "README.md").stat().st_mtime_ns == readme
    assert (ROOT / "docs" / "claims.md").stat().st_mtime_ns == claims_md


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"quick": True}, "leave out --quick"),
        ({"seed": 3}, "leave out --seed"),
        ({"missing": {"hvp-cost": ["torch"]}}, "would be skipped"),
        ({"missing": {"hvp-cost": ["torch"]}, "allow_dirty": True}, "would be skipped"),  # the override lifts only dirt
        ({"dirty": ["bmaml_theory/theory.py"]}, "needs a clean tree"),
        ({"in_checkout": False}, "from a git checkout"),
        ({"out": Path("/tmp/elsewhere")}, "leave out --out"),
    ],
)
def test_update_docs_refusals(monkeypatch, change, needle):
    change = dict(change)
    dirty = change.pop("dirty", [])
    monkeypatch.setattr(record, "dirty_paths", lambda repo: [])
    kw = {
        "in_checkout": True,
        "repo": ROOT,
        "out": (ROOT / "figures").resolve(),
        "quick": False,
        "seed": 0,
        "missing": {},
        "allow_dirty": False,
    }
    assert record.refusal_before_run(**kw) is None
    monkeypatch.setattr(record, "dirty_paths", lambda repo: dirty)
    why = record.refusal_before_run(**{**kw, **change})
    assert why is not None and needle in why


def test_update_docs_with_allow_dirty_accepts_a_dirty_tree(monkeypatch):
    monkeypatch.setattr(record, "dirty_paths", lambda repo: ["README.md"])
    kw = {"in_checkout": True, "repo": ROOT, "out": (ROOT / "figures").resolve(), "quick": False, "seed": 0}
    assert record.refusal_before_run(**kw, missing={}, allow_dirty=True) is None


def test_update_docs_refuses_on_the_command_line_before_running(capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(vrun, "run_claims", lambda *a, **k: ran.append(1))
    assert main(["all", "--quick", "--update-docs", "--no-progress"]) == 2
    assert main(["all", "--allow-dirty", "--out", "/tmp/x", "--no-progress"]) == 2
    assert not ran
    err = capsys.readouterr().err
    assert "leave out --quick" in err and "--allow-dirty goes with --update-docs" in err


@pytest.mark.parametrize("seed", ["-1", "4294967296", "1.5"])
def test_seed_outside_numpys_range_is_refused(seed, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "prop1", "--seed", seed])
    assert e.value.code == 2 and "--seed" in capsys.readouterr().err
    with pytest.raises(ValueError, match="seed"):
        vrun.run_claims(["prop1"], quick=True, seed=-1)


def test_a_non_finite_committed_time_is_ignored_with_a_note(tmp_path):
    doc = {
        "claims": [
            {"id": "a", "provenance": {"seconds": 2.0}},
            {"id": "b", "provenance": {"seconds": float("inf")}},
            {"id": "c", "provenance": {"seconds": float("nan")}},
            {"id": "d", "provenance": {"seconds": "3"}},
            {"id": "e", "provenance": None},
            "junk",
        ]
    }
    p = tmp_path / "claims.json"
    p.write_text(json.dumps(doc))  # writes Infinity and NaN, as a hand edit might
    notes: list[str] = []
    exp = vrun.expected_seconds(["a", "b", "c", "d", "e"], p, notes=notes)
    assert exp == dict.fromkeys("abcde", 2.0)  # the ignored ones take the median of the finite ones
    assert len(notes) == 3 and all("ignored" in n for n in notes)
    json.dumps([g.to_json() for g in vrun.plan({"g": list("abcde")}, exp)], allow_nan=False)  # writable


def test_update_record_rewrites_only_the_generated_parts(tmp_path):
    from verify import ledger

    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(f"intro\n{ledger.README_START}\nold table\n{ledger.README_END}\nrest\n")
    outcome = vrun.RunOutcome([], [], 12.5)
    doc = ledger.ledger_doc([], False, 12.5, [])
    wrote = record.update_record(tmp_path, outcome, json.loads(json.dumps(doc)))
    assert wrote[0] == tmp_path / "README.md" and tmp_path / "docs" / "claims.md" in wrote
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "old table" not in text and "12.5 s" in text
    assert "\n# Claims ledger\n" in (tmp_path / "docs" / "claims.md").read_text()


def test_dirty_paths_ignores_the_generated_record_and_stray_files(tmp_path):
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    run = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    for f in ("README.md", "figures/claims.json", "docs/claims.md", "verify/x.py"):
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_text("a")
    run("add", ".")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    assert record.dirty_paths(tmp_path) == []
    (tmp_path / "figures" / "claims.json").write_text("b")  # a plain run rewrote the record: not dirt
    (tmp_path / "docs" / "claims.md").write_text("b")
    (tmp_path / "notes.txt").write_text("b")  # a stray untracked file outside the code: not dirt
    assert record.dirty_paths(tmp_path) == []
    (tmp_path / "verify" / "new_claim.py").write_text("b")  # new code the commit would not name
    (tmp_path / "README.md").write_text("b")
    assert sorted(record.dirty_paths(tmp_path)) == ["README.md", "verify/new_claim.py"]
