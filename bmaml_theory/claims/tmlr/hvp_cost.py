r"""arXiv text, Sec. 4.3 (Comparison to iMAML): "hessian-vector products have about five times the cost needed to
compute the gradient of neural networks [14]".

Measured, per (width, depth) of our 1-D CNN on a 25-signal batch: the median seconds of one Hessian-vector product
computed from scratch by reverse over reverse (forward, backward with ``create_graph``, second backward) over the
median seconds of one gradient (forward, backward), timed interleaved on CPU.  Criterion, fixed before timing:
"about five times" = a ratio within [2.5, 7.5] at every grid point.  The evidence also gives the marginal cost of an
HVP on a kept graph (what iMAML's CG pays per step) and forward over reverse.  Timings are not replayable to the
digit: a refutation's replay recomputes the ratio from the recorded medians.  ``--quick`` is never decisive.
"""

from __future__ import annotations

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.tmlr import _study

WIDTHS, DEPTHS, REPS = (16, 64, 250), (2, 4), 7
WIDTHS_QUICK, DEPTHS_QUICK, REPS_QUICK = (16, 64), (2,), 3  # --quick is never decisive for this claim

STATEMENT = Statement(
    id="hvp-cost",
    source="Chayti & Jaggi (arXiv 2409.03682), Sec. 4.3, Comparison to iMAML",
    statement="Also, hessian-vector products have about five times the cost needed to compute the gradient of "
    "neural networks [14].",
    form="the cost ratio (HVP seconds / gradient seconds) on a 1-D CNN, CPU, widths 16-250 and depths 2 and 4",
    assumptions="our settings: PyTorch 2.13 CPU, one intra-op thread, float32, 5-way 5-shot batch (25 signals), reverse-over-reverse HVP "
    "from scratch, medians of interleaved timings after a warm-up",
    kind="empirical",
    measure="median seconds of one HVP / median seconds of one gradient, per (width, depth)",
    threshold=Threshold(5.0, "within"),
    tolerance=Tolerance(2.5, "'about five times' read as 5 +- 50%, fixed before timing"),
    settings_given=False,
    figure=None,
    group=_study.GROUP,
    requires=_study.REQUIRES,
)


def ratio_from(hvp_s: float, grad_s: float) -> float:
    """Replay: the recorded median HVP seconds over the recorded median gradient seconds."""
    return float(hvp_s) / float(grad_s)


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
    rows = timings(ctx)
    ms = [
        Measurement(
            r["ratio"],
            {"width": r["width"], "depth": r["depth"]},
            None if ctx.quick else Replay(f"{__name__}:ratio_from", {"hvp_s": r["hvp_s"], "grad_s": r["grad_s"]}),
        )
        for r in rows
    ]
    evidence = {
        "timings": rows,
        "reps": REPS_QUICK if ctx.quick else REPS,
        "note": "wall-clock on a shared CPU: ratios of medians, interleaved; not replayable to the digit",
    }
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        power_ok=not ctx.quick,
        power_note="--quick times a small grid 3 times: never decisive",
        evidence=evidence,
        data={"rows": rows},
    )
