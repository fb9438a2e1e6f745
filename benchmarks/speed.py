"""How long the Quick start takes here: the README's test command, and ``verify all --quick`` without and with the
``nn`` extra, each against its target (150 s, 30 s, 45 s on 2 cores).

    python benchmarks/speed.py                   # measure, write benchmarks/results/speed.json
    python benchmarks/speed.py --update-readme   # and rewrite README.md's speed block from that measurement
    python benchmarks/speed.py --skip-tests      # only the two quick runs (a minute, not minutes)

"Without the nn extra" is measured in this environment by hiding ``torch`` and ``mnist1d`` (an import finder that
refuses them, and ``importlib.util.find_spec`` reporting them missing, as in a venv without the extra), installed as a
``sitecustomize`` module on ``PYTHONPATH`` so that every Python process of the run hides them: the parent, its loky
workers and a Dask cluster's workers alike.  So one machine measures both.  Every row records the machine's load average before and after: on a
shared machine the times are inflated by the others' work, and the README block prints the load beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify._io import write_text  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "speed.json"
SPEED_START = "<!-- speed:start (written by python benchmarks/speed.py --update-readme; do not edit) -->"
SPEED_END = "<!-- speed:end -->"
HIDE_NN = """\
import importlib.abc, importlib.util, sys
_HIDDEN = ("torch", "mnist1d")
class _Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden: the nn extra is not installed)", name=name)
        return None
sys.meta_path.insert(0, _Hide())
_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, package=None: (
    None if name.split(".")[0] in _HIDDEN else _find_spec(name, package)
)
"""
TARGETS = {"tests": 150.0, "quick": 30.0, "quick_nn": 45.0}  # seconds on 2 cores (the project's targets)


def readme_test_command(readme: Path = ROOT / "README.md") -> list[str]:
    """The pytest part of the Quick start's test line (its pip install is not timed), as argv after ``python``."""
    text = readme.read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("```", 2)[1]
    line = next(ln for ln in block.splitlines() if "pytest" in ln)
    cmd = line.split("&&")[-1].strip()
    m = re.fullmatch(r"python -m pytest(.*)", cmd)
    if m is None:
        raise ValueError(f"the Quick start's test command is not 'python -m pytest ...': {cmd!r}")
    return ["-m", "pytest", *m.group(1).split()]


def _timed(argv: list[str], hide_nn: bool) -> tuple[float, int]:
    """Wall seconds and exit code of ``python argv`` (run in the checkout); with ``hide_nn``, torch is hidden in
    every process the run starts (a ``sitecustomize`` on ``PYTHONPATH``, inherited by the workers)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as hide:
        if hide_nn:
            Path(hide, "sitecustomize.py").write_text(HIDE_NN, encoding="utf-8")
            env["PYTHONPATH"] = os.pathsep.join(p for p in (hide, env.get("PYTHONPATH", "")) if p)
        t0 = time.perf_counter()
        rc = subprocess.run(
            [sys.executable, *argv], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        return time.perf_counter() - t0, rc


def _row(name: str, what: str, argv: list[str], hide_nn: bool) -> dict:
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    seconds, rc = _timed(argv, hide_nn)
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"{name}: {seconds:.1f} s (exit {rc}; load {load0} -> {load1})", file=sys.stderr)
    return {
        "name": name,
        "what": what,
        "seconds": round(seconds, 1),
        "exit_code": rc,
        "target_seconds": TARGETS[name],
        "load_before": load0,
        "load_after": load1,
    }


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(skip_tests: bool = False) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as d:
        quick = ["-m", "verify", "all", "--quick", "--no-progress"]
        rows.append(_row("quick", "verify all --quick (without the nn extra)", [*quick, "--out", f"{d}/a"], True))
        import importlib.util

        if importlib.util.find_spec("torch") is not None:
            rows.append(_row("quick_nn", "verify all --quick (with the nn extra)", [*quick, "--out", f"{d}/b"], False))
    if not skip_tests:
        cmd = readme_test_command()
        rows.append(_row("tests", "the README's test command, " + " ".join(["python", *cmd]), cmd, True))
    return {
        "cpu_count": os.cpu_count(),
        "cpu": _cpu(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rows": rows,
    }


def readme_block(result: dict) -> str:
    rows = ["| command | seconds | target | met | load average (before → after) |", "|---|---|---|---|---|"]
    for r in result["rows"]:
        ok = r["exit_code"] == 0 and r["seconds"] <= r["target_seconds"]
        met = "yes" if ok else ("no" if r["exit_code"] == 0 else f"no (exit {r['exit_code']})")
        load = f"{r['load_before']:.1f} → {r['load_after']:.1f}" if r["load_before"] is not None else "n/a"
        rows.append(f"| {r['what']} | {r['seconds']:.1f} | {r['target_seconds']:.0f} | {met} | {load} |")
    return (
        "\n".join(rows)
        + f"\n\nMeasured by `python benchmarks/speed.py` on {result['cpu_count']} cores ({result['cpu']}), "
        f"{result['date']}; a load average above the core count means other work shared the machine and inflated "
        "these times."
    )


def update_readme(path: Path, result: dict) -> None:
    text = path.read_text(encoding="utf-8")
    if SPEED_START not in text or SPEED_END not in text:
        raise ValueError(f"{path} lacks the markers {SPEED_START!r} ... {SPEED_END!r}")
    head, rest = text.split(SPEED_START, 1)
    _, tail = rest.split(SPEED_END, 1)
    write_text(path, f"{head}{SPEED_START}\n{readme_block(result)}\n{SPEED_END}{tail}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--skip-tests", action="store_true", help="time only the two quick runs")
    p.add_argument("--update-readme", action="store_true", help="rewrite README.md's speed block from this run")
    args = p.parse_args(argv)
    result = measure(args.skip_tests)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write_text(OUT, json.dumps(result, indent=1) + "\n")
    print(readme_block(result))
    if args.update_readme:
        update_readme(ROOT / "README.md", result)
        print("updated README.md's speed block", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
