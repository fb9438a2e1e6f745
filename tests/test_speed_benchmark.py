"""benchmarks/speed.py: what it times is the README's command, torch really is hidden, and the README block is
generated from a measurement (never typed)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _speed():
    spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_it_times_the_readmes_test_command():
    speed = _speed()
    cmd = speed.readme_test_command()
    assert cmd[:2] == ["-m", "pytest"]


def test_hiding_the_nn_extra_makes_its_claims_skipped():
    speed = _speed()
    code = speed.HIDE_NN + (
        "import importlib.util\nfrom bmaml_theory.claims import REGISTRY\n"
        "assert importlib.util.find_spec('torch') is None\n"
        "print(sorted(c for c, s in REGISTRY.items() if s.statement.missing()))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    skipped = eval(r.stdout)  # a printed list of claim ids
    assert "hvp-cost" in skipped and "prop1" not in skipped


def test_the_nn_extra_is_hidden_in_the_runs_worker_processes_too(monkeypatch):
    """The run's workers (loky, Dask) are new Python processes: the hiding must reach them, not only the parent."""
    speed = _speed()
    seen, real_run = {}, subprocess.run

    def fake_run(argv, cwd, env, stdout, stderr):
        child = "import subprocess, sys\nsys.exit(subprocess.run([sys.executable, '-c', 'import torch']).returncode)"
        seen["rc"] = real_run([argv[0], "-c", child], cwd=cwd, env=env, capture_output=True).returncode
        return subprocess.CompletedProcess(argv, seen["rc"])

    monkeypatch.setattr(speed.subprocess, "run", fake_run)
    _, rc = speed._timed(["-c", "pass"], hide_nn=True)
    assert rc == seen["rc"] == 1  # the grandchild's 'import torch' failed: hidden there as well


def test_the_readme_block_comes_from_the_measurement(tmp_path):
    speed = _speed()
    result = {
        "cpu_count": 2,
        "cpu": "Test CPU",
        "date": "2026-01-01 00:00 UTC",
        "rows": [
            {"what": "verify all --quick", "seconds": 12.3, "exit_code": 0, "target_seconds": 30.0,
             "load_before": 1.0, "load_after": 1.5},
            {"what": "tests", "seconds": 151.0, "exit_code": 0, "target_seconds": 150.0,
             "load_before": 3.0, "load_after": 2.0},
        ],
    }  # fmt: skip
    block = speed.readme_block(result)
    assert "| verify all --quick | 12.3 | 30 | yes | 1.0 → 1.5 |" in block
    assert "| tests | 151.0 | 150 | no | 3.0 → 2.0 |" in block
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{speed.SPEED_START}\nold\n{speed.SPEED_END}\nb\n")
    speed.update_readme(readme, result)
    text = readme.read_text()
    assert "old" not in text and "12.3" in text and text.startswith("a\n") and text.endswith("b\n")
    assert speed.SPEED_START in (ROOT / "README.md").read_text()  # the README carries the block's markers
