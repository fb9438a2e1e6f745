"""hvp-cost's decision rule on synthetic timings: timing noise decides nothing (no torch needed: the timing grid is
put into the run's cache, where the claim reads it)."""

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


def _run(per_point: list[list[float]], quick: bool = False):
    """The claim on these points, padded with INSIDE points to the default grid's 6 (so its per-point level)."""
    ctx = Context(quick=quick)
    ctx.cache["tmlr-hvp"] = _rows(per_point + [INSIDE] * (6 - len(per_point)))
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


def test_every_interval_inside_holds():
    r = _run([INSIDE, [x + 1 for x in INSIDE]])
    assert r.status == "holds" and r.measured == pytest.approx(3.6)
    assert r.evidence["point_level"] == pytest.approx(1 - 0.05 / 6)


def test_a_whole_interval_below_the_band_is_not_reproduced_and_replays():
    below = [2.0 + 0.04 * k for k in range(11)] + [2.9]  # interval (2.04, 2.4): the 2.9 is dropped
    r = _run([INSIDE, below])
    assert r.status == "not-reproduced" and r.measured == pytest.approx(2.4)
    rep = r.counterexample["replay"]
    assert rep["target"] == "bmaml_theory.claims.tmlr.hvp_cost:nearest_in_ci"
    assert hvp_cost.nearest_in_ci(**rep["kwargs"]) == pytest.approx(2.4)


def test_an_interval_across_an_edge_is_inconclusive_never_a_verdict():
    # median 2.385 is outside the band, but the interval (2.07, 2.7) reaches into it: the noise could decide
    straddle = [2.0 + 0.07 * k for k in range(12)]
    r = _run([INSIDE, straddle])
    assert r.status == "inconclusive" and "noise cannot decide" in r.decision
    # and one outlying repetition cannot set an end of an interval
    spike = [*INSIDE[:-1], 40.0]
    assert _run([spike]).status == "holds"


def test_quick_is_never_decisive():
    assert _run([[2.0, 2.1, 2.2], [2.6, 2.7, 2.8]], quick=True).status == "inconclusive"
    # even with enough repetitions for an interval wholly below the band, a quick run is not a verdict
    r = _run([[2.0 + 0.01 * k for k in range(12)]], quick=True)
    assert r.status == "inconclusive" and r.counterexample is None
