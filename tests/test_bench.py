"""The benchmark's schema on a tiny case (no timing assertions: speed targets live in `verify bench`)."""

from verify.bench import case


def test_bench_case_schema():
    rates = {"gemm_flops_per_s": 1e10, "copy_bytes_per_s": 1e10}
    r = case(2, 4, 4, 3, rates, repeats=1, baseline_points=2)
    keys = {"name", "backend", "M", "n", "grid", "seconds", "baseline_seconds", "speedup", "floor_seconds"}
    assert keys <= set(r) and r["baseline_extrapolated"] and r["grid"][1] == 3
    assert r["seconds"] > 0 and r["baseline_seconds"] > 0 and r["floor_seconds"] > 0
