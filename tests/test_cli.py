"""The command line and its outputs: usage errors, one output set, normal file modes."""

from __future__ import annotations

import contextlib
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


# --- the run's output conventions, the regression gate, aliases, show and replay ----------------------------------

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "quick_statuses.json"


@pytest.fixture(scope="module")
def thm2_outcome():
    """One quick run of thm2 (about 3 s alone), replayed by the fake run_claims below instead of rerunning it."""
    from verify.run import run_claims

    return run_claims(["thm2"], quick=True, jobs=1, progress=False)


@pytest.fixture
def fake_run(monkeypatch, thm2_outcome):
    """verify.run.run_claims replaced by one that returns thm2's outcome and records the settings it was given."""
    from verify import run

    seen = {}

    def fake(ids, **kw):
        seen.update(kw, ids=list(ids))
        return thm2_outcome

    monkeypatch.setattr(run, "run_claims", fake)
    return seen


def test_run_prints_one_human_line_per_claim_and_the_summary_on_stderr(fake_run, capsys):
    import json

    assert main(["run", "Theorem 2", "--quick", "--no-progress"]) == 0
    cap = capsys.readouterr()
    lines = cap.out.splitlines()
    want = json.loads(GOLDEN.read_text())["thm2"]
    assert fake_run["ids"] == ["thm2"]  # the paper's name resolved to the id
    assert len(lines) == 1 and lines[0].split()[:2] == ["thm2", want], cap.out
    assert "inf >" in lines[0]  # measured (unbounded: never converges) against the threshold
    assert "1 claims:" in cap.err and "1 claims:" not in cap.out
    assert main(["run", "thm2", "--quick", "--no-progress", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)  # stdout is one JSON document
    assert [e["id"] for e in doc] == ["thm2"] and doc[0]["status"] == want


def test_check_against_exits_1_when_a_status_or_category_changed(fake_run, capsys, tmp_path):
    import json

    assert main(["run", "thm2", "--quick", "--no-progress", "--check-against", str(GOLDEN)]) == 0
    assert "every status and category as in" in capsys.readouterr().err
    want = json.loads(GOLDEN.read_text())["thm2"]
    other = "holds" if want != "holds" else "violated"
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps({"thm2": other}))
    assert main(["run", "thm2", "--quick", "--no-progress", "--check-against", str(ref)]) == 1
    assert f"thm2: status {other} -> {want}" in capsys.readouterr().err
    ref.write_text(json.dumps({"thm2": {"status": want, "category": "no-such-category"}}))
    assert main(["run", "thm2", "--quick", "--no-progress", "--check-against", str(ref)]) == 1
    assert "thm2: category no-such-category ->" in capsys.readouterr().err
    ref.write_text("[1, 2]")
    assert main(["run", "thm2", "--quick", "--no-progress", "--check-against", str(ref)]) == 2  # before any work
    assert "--check-against" in capsys.readouterr().err


def test_jobs_are_capped_at_the_cores_with_a_note(fake_run, capsys):
    cores = os.cpu_count() or 1
    assert main(["run", "thm2", "--quick", "--no-progress", "--jobs", str(cores + 6)]) == 0
    assert fake_run["jobs"] == cores
    assert f"--jobs {cores + 6} > {cores} cores" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("Proposition 3", ["prop3"]),
        ("Prop. 3", ["prop3"]),
        ("prop 3", ["prop3"]),
        ("Cor. 2", ["cor2"]),
        ("Corollary 2", ["cor2"]),
        ("Theorem 1", ["thm1"]),
        ("the Theorem 2", ["thm2"]),
        ("eq. (12)", ["eq12-forward", "eq12-symmetric"]),
        ("Fig. 1 (left)", ["fig1-left"]),
        ("Table 1", ["table1"]),
        ("Assumption 3", ["assumption3-uniqueness"]),
        ("cor3-smoothness", ["cor3-smoothness"]),
        ("Proposition 99", []),
        ("Lemma", []),
    ],
)
def test_paper_names_resolve_to_claim_ids(name, ids):
    from verify.show import resolve

    assert resolve(name) == ids


def test_show_prints_one_screen_with_every_part_of_the_card(capsys):
    ledger = ROOT / "figures" / "claims.json"
    assert main(["show", "Proposition 3", "--ledger", str(ledger)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) <= 40  # one screen
    for part in (
        "prop3: Chayti & Jaggi, Section 4.2, Proposition 3",
        "statement",
        "form",
        "violated",
        "> 1",  # measured against the threshold
        "counterex.",
        "python -m verify replay prop3",
        "E5. Proposition 3",  # the erratum
        "smoothness_envelope.png",
        "bmaml_theory/claims/chayti_jaggi/section4/prop3.py",
        "tests/claims/test_section4_smoothness.py",
    ):
        assert part in out, part
    assert main(["show", "Proposition 99", "--ledger", str(ledger)]) == 2
    assert "unknown claim" in capsys.readouterr().err


def test_replay_prints_both_numbers_and_fails_when_they_differ(capsys, tmp_path):
    import json

    doc = json.loads((ROOT / "figures" / "claims.json").read_text())
    entry = next(e for e in doc["claims"] if e["id"] == "prop3")
    led = tmp_path / "claims.json"
    led.write_text(json.dumps({"claims": [entry]}))
    assert main(["replay", "Prop. 3", "--ledger", str(led)]) == 0
    out = capsys.readouterr().out
    row = next(ln for ln in out.splitlines() if ln.strip().startswith("counterexample"))
    recorded, recomputed = (float(v) for v in row.split()[1:3])
    # the same code on the same inputs: only the platform's rounding separates them (the suite's 1e-6 criterion)
    assert recomputed == pytest.approx(recorded, rel=1e-6) and row.split()[3] == "yes"
    entry["counterexample"]["value"] *= 2  # a ledger whose recorded number is wrong
    led.write_text(json.dumps({"claims": [entry]}))
    assert main(["replay", "prop3", "--ledger", str(led)]) == 1
    assert " NO" in capsys.readouterr().out
    holds = next(e for e in doc["claims"] if e["counterexample"] is None)
    led.write_text(json.dumps({"claims": [holds]}))
    assert main(["replay", holds["id"], "--ledger", str(led)]) == 2
    assert "nothing to replay" in capsys.readouterr().err


def test_heartbeat_when_not_on_a_terminal_weighted_by_expected_seconds():
    import io

    from verify.progress import Progress
    from verify.run import GroupRun

    groups = [GroupRun("long", ["a", "b"], 30.0), GroupRun("short", ["c"], 10.0)]
    buf = io.StringIO()
    p = Progress(groups, workers=1, stream=buf, tty=False, interval=0.05)
    try:
        p.claim_done("a", "holds", 1.0)
        p.claim_done("b", "holds", 1.0)
        p.group_done(groups[0])
        p.t0 -= 30.0  # as if the long group took its expected 30 s
        assert p.eta() == pytest.approx(10.0, abs=1.0)  # the short group's 10 expected s at the observed pace
        time.sleep(0.3)
    finally:
        p.close()
    beats = [ln for ln in buf.getvalue().splitlines() if ln.startswith("bmaml-verify:")]
    assert beats and "2/3 claims, 1/2 groups done" in beats[-1] and "left" in beats[-1]


def test_expected_seconds_compare_like_with_like_and_never_read_figures(tmp_path, monkeypatch):
    import json

    from verify import timings
    from verify.run import expected_seconds

    quick, _ = timings.load(True)
    default, _ = timings.load(False)
    assert quick and default, "verify/timings.json lacks a column"
    ids = sorted(set(quick) & set(default))[:5]
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "claims.json").write_text(
        json.dumps({"claims": [{"id": c, "provenance": {"seconds": 1e6}} for c in ids]})
    )
    monkeypatch.chdir(tmp_path)  # ./figures holds another run's timings: they must not be read
    assert expected_seconds(ids, quick=True) == {c: quick[c] for c in ids}
    assert expected_seconds(ids, quick=False) == {c: default[c] for c in ids}


INTERRUPTED = """
import sys, time
from verify import run
from verify.cli import main

def slow_group(ids, quick, seed, deadline_s, kind="local process"):
    if kind != "this process":
        run._ignore_sigint()
    open(f"{sys.argv[4]}.started-{ids[0]}", "w").close()  # the test waits for these
    time.sleep(60)

real = run.run_claims
run.run_claims = lambda ids, **kw: real(ids, **{**kw, "group_fn": slow_group})
sys.exit(main(sys.argv[1:]))
"""


def _children(pid: int) -> int:
    n = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):  # a process that ended meanwhile
            n += stat.read_text().rsplit(")", 1)[1].split()[1] == str(pid)
    return n


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the worker processes through /proc")
def test_ctrl_c_exits_130_with_one_line_and_keeps_the_previous_output(tmp_path):
    out = tmp_path / "figures"
    with _io.OutputSet(out) as stage:
        (stage / "claims.json").write_text("previous")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, "all", "--quick", "--out", str(out), "--jobs", "2", "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # as from a terminal: SIGINT at its default disposition (a CI runner or `cmd &` in a non-interactive shell
        # starts the test with SIGINT ignored, which the child would inherit, and Python then installs no handler)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # Ctrl-C once both workers run a group (a worker still importing, in its first second or so, gets the terminal's
    # SIGINT before it can ignore it and prints its own KeyboardInterrupt: only the steady state is pinned here)
    t0 = time.perf_counter()
    while len(list(tmp_path.glob("figures.started-*"))) < 2:
        assert time.perf_counter() - t0 < 120, "the workers never started their groups"
        time.sleep(0.05)
    assert _children(p.pid) >= 2  # the pool's processes are alive when the signal goes
    os.killpg(p.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], err
    assert (out / "claims.json").read_text() == "previous"
