r"""arXiv text, Sec. 4.3 (Comparison to iMAML): "hessian-vector products have about five times the cost needed to
compute the gradient of neural networks [14]".

Measured, per (width, depth) of our 1-D CNN on a 25-signal batch: the seconds of one Hessian-vector product computed
from scratch by reverse over reverse (forward, backward with ``create_graph``, second backward) over the seconds of
one gradient (forward, backward) timed just before it, repeated ``REPS`` times interleaved on CPU.  Criterion, fixed
before timing: "about five times" = a ratio within [2.5, 7.5] at every grid point.  The evidence also gives the
marginal cost of an HVP on a kept graph (what iMAML's CG pays per step) and forward over reverse.

**Noise within a run decides nothing.**  Per grid point the paired ratios give a distribution-free confidence
interval for their median (order statistics, :func:`scipy.stats.quantile_test`), at level :math:`1-0.05/P` for the
P grid points (Bonferroni), so that all P intervals hold together with probability at least 0.95.  The claim is
not reproduced only where a point's whole interval lies outside [2.5, 7.5] (the measured value is the interval's
point nearest to 5, :func:`nearest_in_ci`), and holds only when every point's whole interval lies inside; an
interval that reaches an edge leaves the row inconclusive.  Before this rule the row read the ratio of the medians
alone, and its verdict moved with the machine's load: not-reproduced at 2.11 on a quiet machine, holds at 2.74
while CI jobs shared the cores (docs/errata.md).  ``REPS`` = 12: the fewest timings whose interval at the
per-point level 1 - 0.05/6 drops the most extreme paired ratio on each side (order statistics 2 and 11 of 12:
:math:`P(\mathrm{Bin}(12,1/2)\le1)=13/4096\le0.05/12`), so one preempted repetition cannot set an end of an
interval.  The intervals cover noise within one run; a shift of the machine's load between runs moves every paired
ratio of a run together and is not covered (two runs on the same machine differed by up to 0.3 at width 16).
Timings are not replayable to the digit: a refutation's replay recomputes the decisive value from the recorded
paired ratios.  ``--quick`` (3 repetitions, no interval exists) is never decisive: its measurements carry no
replay, so a failing one reads inconclusive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.tmlr import _study

WIDTHS, DEPTHS, REPS = (16, 64, 250), (2, 4), 12  # REPS: see the module docstring
WIDTHS_QUICK, DEPTHS_QUICK, REPS_QUICK = (16, 64), (2,), 3  # --quick is never decisive for this claim

STATEMENT = Statement(
    id="hvp-cost",
    source="Chayti & Jaggi (arXiv 2409.03682), Sec. 4.3, Comparison to iMAML",
    statement="Also, hessian-vector products have about five times the cost needed to compute the gradient of "
    "neural networks [14].",
    form="the cost ratio (HVP seconds / gradient seconds) on a 1-D CNN, CPU, widths 16-250 and depths 2 and 4",
    assumptions="our settings: PyTorch 2.13 CPU, one intra-op thread, float32, 5-way 5-shot batch (25 signals), reverse-over-reverse HVP "
    "from scratch, 12 interleaved (gradient, HVP) pairs after a warm-up, distribution-free intervals for the median "
    "paired ratio, jointly at 95% over the grid (Bonferroni)",
    kind="empirical",
    measure="per (width, depth), the point nearest to 5 of the interval (jointly 95% over the grid) for the median "
    "of the paired ratios "
    "(HVP seconds / gradient seconds); outside [2.5, 7.5] only when the whole interval is",
    threshold=Threshold(5.0, "within"),
    tolerance=Tolerance(2.5, "'about five times' read as 5 +- 50%, fixed before timing"),
    settings_given=False,
    figure=None,
    group=_study.GROUP,
    requires=_study.REQUIRES,
)


CENTER, LEVEL = 5.0, 0.95  # LEVEL: the joint level over the grid points


def point_level(points: int) -> float:
    r"""The per-point level :math:`1-(1-\text{LEVEL})/P` that gives P intervals jointly at ``LEVEL`` (Bonferroni)."""
    if int(points) < 1:
        raise ValueError(f"points must be a positive number of grid points; got {points!r}")
    return 1.0 - (1.0 - LEVEL) / int(points)


def ratio_ci(ratios: Sequence[float], level: float = LEVEL) -> tuple[float, float]:
    r"""Distribution-free ``level`` interval for the median of ``ratios``: order statistics :math:`(x_{(k)},
    x_{(n+1-k)})` with :math:`P(\mathrm{Bin}(n,1/2)<k)\le(1-\text{level})/2` (:func:`scipy.stats.quantile_test`);
    ``(nan, nan)`` when n is too small for any such k."""
    x = np.asarray(ratios, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"ratios must be a non-empty list of finite numbers; got {ratios!r}")
    ci = stats.quantile_test(x, q=float(np.median(x)), p=0.5).confidence_interval(level)
    return float(ci.low), float(ci.high)


@replayable
def nearest_in_ci(ratios: Sequence[float], level: float = LEVEL) -> float:
    """Replay of a refutation: the point of :func:`ratio_ci`'s ``level`` interval nearest to 5 (5 itself when the
    interval contains it; nan when no interval exists).  Outside [2.5, 7.5] exactly when the whole interval is."""
    lo, hi = ratio_ci(ratios, level)
    if math.isnan(lo) or math.isnan(hi):
        return math.nan
    return float(min(max(CENTER, lo), hi))


def timings(ctx: Context) -> list[dict]:
    """The HVP/gradient timing grid, computed once per run."""

    def run() -> list[dict]:
        from bmaml_theory.nn.study import hvp_cost_study

        _study.single_thread()
        if ctx.quick:
            return hvp_cost_study(WIDTHS_QUICK, DEPTHS_QUICK, reps=REPS_QUICK, progress=ctx.progress)
        return hvp_cost_study(WIDTHS, DEPTHS, reps=REPS, progress=ctx.progress)

    return ctx.cached("tmlr-hvp", run)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Per grid point, the interval of the median paired ratio (jointly 95% over the grid) against [2.5, 7.5] (see
    the module docstring)."""
    rows = timings(ctx)
    if not rows:
        raise ValueError("hvp-cost: the timing grid is empty")
    level = point_level(len(rows))
    band = (CENTER - STATEMENT.tolerance.value, CENTER + STATEMENT.tolerance.value)
    ms, undecided, intervals = [], [], []
    for r in rows:
        lo, hi = ratio_ci(r["ratios"], level)
        inst = {"width": r["width"], "depth": r["depth"]}
        finite = math.isfinite(lo) and math.isfinite(hi)
        intervals.append(
            {**inst, "median": r["ratio"], "ci_low": lo if finite else None, "ci_high": hi if finite else None}
        )
        if ctx.quick or not finite:  # no replay: a failing value reads inconclusive, never a verdict
            ms.append(Measurement(r["ratio"] if not finite else nearest_in_ci(r["ratios"], level), inst, None))
            undecided.append(inst)
            continue
        replay = Replay(f"{__name__}:nearest_in_ci", {"ratios": r["ratios"], "level": level})
        ms.append(Measurement(nearest_in_ci(r["ratios"], level), inst, replay))
        if not (band[0] <= lo and hi <= band[1]):
            undecided.append(inst)
    evidence = {
        "timings": rows,
        "intervals": intervals,
        "joint_level": LEVEL,
        "point_level": level,
        "reps": REPS_QUICK if ctx.quick else REPS,
        "note": "wall-clock on a shared CPU: paired ratios, interleaved; not replayable to the digit; the intervals "
        "cover noise within this run, not a shift of the machine's load between runs",
    }
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        power_ok=not ctx.quick and not undecided,
        power_note="--quick times a small grid 3 times: never decisive"
        if ctx.quick
        else f"an interval reaches an edge of [2.5, 7.5] (or does not exist) at {undecided}: noise cannot decide there",
        evidence=evidence,
        data={"rows": rows},
    )
