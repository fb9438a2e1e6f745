"""The benchmark's schema on a tiny case (no timing assertions: speed targets live in `verify bench`)."""

import pytest

from verify.bench import case


def test_bench_case_schema():
    rates = {"gemm_flops_per_s": 1e10, "copy_bytes_per_s": 1e10}
    r = case(2, 4, 4, 3, rates, repeats=1, baseline_points=2)
    keys = {"name", "backend", "M", "n", "grid", "seconds", "baseline_seconds", "speedup", "floor_seconds"}
    assert keys <= set(r) and r["baseline_extrapolated"] and r["grid"][1] == 3
    assert r["seconds"] > 0 and r["baseline_seconds"] > 0 and r["floor_seconds"] > 0


def test_backend_bench_writes_the_device_and_the_ratio(tmp_path):
    from verify.bench import run_backend_bench

    r = run_backend_bench(tmp_path, "array_api_strict", None, cases=("tiny",), threads=1)
    assert (tmp_path / "bench_array_api_strict_default.json").is_file()
    (c,) = r["cases"]
    assert c["ratio"] == pytest.approx(c["numpy_seconds"] / c["backend_seconds"])
    assert c["agrees"] and r["device_description"].startswith("CPU") and len(r["load_average_before"]) == 3


@pytest.mark.slow  # ~40 s: the whole GPU check script at its tiny size (CI's second pass and its backends step run it)
def test_gpu_check_script_runs_on_the_cpu(tmp_path):
    """benchmarks/gpu_check.sh --device cpu --size tiny: every step passes or skips cleanly (none fails)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHON": sys.executable}
    r = subprocess.run(
        [
            "bash",
            str(root / "benchmarks" / "gpu_check.sh"),
            "--device",
            "cpu",
            "--size",
            "tiny",
            "--out",
            str(tmp_path),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    status = {s["step"]: s["status"] for s in summary["steps"]}
    assert r.returncode == 0, (r.stdout, r.stderr, status)
    assert status["test_backends"] == "passed" and status["machine"] == "passed"
    assert status["bench_cupy"] == "skipped"  # CUDA only
    assert set(status) >= {"bench_torch", "bench_jax", "mnist1d_memory"}
    for b in ("torch", "jax"):
        if status[f"bench_{b}"] == "passed":
            assert json.loads((tmp_path / f"bench_{b}_cpu.json").read_text())["cases"][0]["agrees"]


def test_gpu_check_script_refuses_bad_arguments(tmp_path):
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        ["bash", str(root / "benchmarks" / "gpu_check.sh"), "--device", "tpu"], capture_output=True, text=True
    )
    assert r.returncode == 2 and "--device must be" in r.stderr
