"""hvp-cost's decision rule on synthetic FLOP counts and timings: the exact count decides, timing noise decides
nothing (no torch needed: both grids are put into the run's cache, where the claim reads them)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmaml_theory.claims import Context, run_claim
from bmaml_theory.claims.tmlr import hvp_cost


def _rows(per_point: list[list[float]]) -> list[dict]:
    return [
        {"width": 16 * (k + 1), "depth": 2, "ratio": float(np.median(r)), "ratios": list(r)}
        for k, r in enumerate(per_point)
    ]


def _flop_rows(ratios: list[float], deterministic: bool = True) -> list[dict]:
    return [
        {
            "width": 16 * (k + 1),
            "depth": 2,
            "forward_flops": 100,
            "grad_flops": 300,
            "hvp_flops": int(300 * r),
            "hvp_fwd_over_rev_flops": 900,
            "ratio": r,
            "ratio_fwd_over_rev": 3.0,
            "deterministic": deterministic,
        }
        for k, r in enumerate(ratios)
    ]


def _run(flop_ratios: list[float], deterministic: bool = True, quick: bool = False, timing=None):
    """The claim on these FLOP ratios (timings: the default grid's 6 points, evidence only)."""
    ctx = Context(quick=quick)
    ctx.cache["tmlr-hvp-flops"] = _flop_rows(flop_ratios, deterministic)
    ctx.cache["tmlr-hvp"] = _rows(timing if timing is not None else [INSIDE] * 6)
    return run_claim("hvp-cost", ctx)


INSIDE = [2.6 + 0.1 * k for k in range(12)]  # interval at level 1 - 0.05/6: (x_(2), x_(11)) = (2.7, 3.6)


def test_ratio_ci_is_the_order_statistic_interval():
    # n = 9 at 95%: P(Bin(9, 1/2) <= 1) = 10/512 <= 0.025 < P(<= 2) = 46/512, so (x_(2), x_(8))
    x = [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0]
    assert hvp_cost.ratio_ci(x) == (2.0, 8.0)
    # the default grid: 6 points, 12 repetitions, level 1 - 0.05/6: P(Bin(12, 1/2) <= 1) = 13/4096 <= 0.05/12
    # < P(<= 2) = 79/4096, so (x_(2), x_(11))
    assert hvp_cost.point_level(6) == pytest.approx(1 - 0.05 / 6)
    assert hvp_cost.ratio_ci([float(k) for k in range(12, 0, -1)], hvp_cost.point_level(6)) == (2.0, 11.0)
    # n = 3: no 95% order-statistic interval exists
    assert all(math.isnan(v) for v in hvp_cost.ratio_ci([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="ratios"):
        hvp_cost.ratio_ci([1.0, math.nan])
    with pytest.raises(ValueError, match="points"):
        hvp_cost.point_level(0)


def test_nearest_in_ci():
    lv = hvp_cost.point_level(6)
    assert hvp_cost.nearest_in_ci(INSIDE, lv) == pytest.approx(3.6)  # interval (2.7, 3.6): its point nearest to 5
    assert hvp_cost.nearest_in_ci([4.0 + 0.25 * k for k in range(12)], lv) == 5.0  # interval contains 5
    assert hvp_cost.nearest_in_ci([9.0 + k for k in range(12)], lv) == 10.0  # interval (10, 19)


def test_flop_ratio_within_the_bound_holds_whatever_the_seconds_say():
    # wall-clock ratios wholly below 2.5 (the old rule's refutation) decide nothing now
    below = [[2.0 + 0.01 * k for k in range(12)]] * 6
    r = _run([2.98, 3.0], timing=below)
    assert r.status == "holds" and r.measured == pytest.approx(3.0)
    assert r.evidence["wall_clock"]["point_level"] == pytest.approx(1 - 0.05 / 6)


def test_a_ratio_above_five_is_not_reproduced_and_replays_by_recounting():
    r = _run([3.0, 5.2])
    assert r.status == "not-reproduced" and r.measured == pytest.approx(5.2)
    assert r.counterexample["replay"]["target"] == "bmaml_theory.claims.tmlr.hvp_cost:flop_ratio"
    assert r.counterexample["instance"] == {"width": 32, "depth": 2}


def test_counts_that_differ_between_two_runs_are_never_a_verdict():
    assert _run([5.2], deterministic=False).status == "inconclusive"
    r = _run([3.0], deterministic=False)
    assert r.status == "inconclusive" and "not reproducible" in r.decision


def test_quick_decides_on_the_same_exact_count():
    assert _run([3.0], quick=True, timing=[[2.0, 2.1, 2.2]]).status == "holds"
