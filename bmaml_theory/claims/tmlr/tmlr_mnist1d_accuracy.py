r"""TMLR abstract: "FO-B-MAML achieves high accuracy on MNIST-1D, tracking closely with second-order MAML performance".

Criterion, fixed before the runs: "tracking closely" = FO-B-MAML's meta-test accuracy is at most 5 points below
MAML's, for every shot count, on the same meta-test tasks.  The measured number is a one-sided 95% bound of the
paired difference acc(FO-B-MAML) - acc(MAML) over test tasks x seeds (:func:`~bmaml_theory.claims.tmlr._study.one_sided`):
the claim holds when the lower bound is >= -0.05, is not reproduced when even the upper bound is < -0.05, and is
inconclusive when the interval straddles -0.05 or when MAML itself does not beat chance (no power).  A ``--quick`` run
trains too briefly to decide and is never more than inconclusive.
"""

from __future__ import annotations

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.tmlr import _study

MARGIN = 0.05

STATEMENT = Statement(
    id="tmlr-mnist1d-accuracy",
    source=_study.SOURCE,
    statement=("FO-B-MAML achieves high accuracy on MNIST-1D, tracking closely with second-order MAML performance."),
    form="a sentence of the abstract about an experiment: FO-B-MAML's meta-test accuracy against MAML's",
    assumptions=(
        "our settings (the paper gives none): 5-way 1- and 5-shot MNIST-1D tasks, meta-train classes 0-4 / meta-test "
        "classes 5-9, CNN width 16 depth 2, K=5 inner GD steps (alpha 0.1), lam=2, nu=0.05, Adam 3e-3, 80 outer steps"
    ),
    kind="empirical",
    measure="one-sided 95% bound of acc(FO-B-MAML) - acc(MAML), accuracy as a fraction, paired over test tasks x seeds",
    threshold=Threshold(-MARGIN, ">="),
    tolerance=Tolerance(
        0.0,
        "the 5-point margin is the definition of 'tracking closely', fixed before the runs; "
        "sampling noise is handled by the 95% interval, not by a tolerance",
    ),
    settings_given=False,
    figure=None,
    group=_study.GROUP,
    requires=_study.REQUIRES,
)


@replayable
def bound_from(diffs: list[float], which: str) -> float:
    """Replay: the ``which`` ('lower'/'upper') 95% bound of mean(diffs), recomputed from the recorded differences."""
    return _study.bound_from(diffs, which)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    from bmaml_theory.nn.study import mean_ci, paired_difference

    runs = _study.accuracy_runs(ctx)
    s = _study.accuracy_settings(ctx.quick)
    ms, table, power, notes = [], {}, True, []
    for shots in s.shots:
        da = {r["seed"]: r["final"] for r in runs if r["method"] == "fobmaml" and r["shots"] == shots}
        dm = {r["seed"]: r["final"] for r in runs if r["method"] == "maml" and r["shots"] == shots}
        diffs = [a - b for sd in sorted(da) for a, b in zip(da[sd], dm[sd], strict=True)]
        bound, which, summ = _study.one_sided(diffs, MARGIN)
        maml = mean_ci([a for sd in sorted(dm) for a in dm[sd]])
        fob = mean_ci([a for sd in sorted(da) for a in da[sd]])
        table[f"{shots}-shot"] = {
            "maml": maml,
            "fobmaml": fob,
            "difference": summ,
            "paired_difference_check": paired_difference(runs, "fobmaml", "maml", shots),
        }
        if which == "upper" and bound >= -MARGIN:
            power = False
            notes.append(f"{shots}-shot: the 95% interval {summ['ci95']} straddles -{MARGIN}")
        chance = 1.0 / s.ways
        if maml[1] < chance + MARGIN:
            power = False
            notes.append(
                f"{shots}-shot: MAML's lower bound {maml[1]:.3f} does not beat chance {chance:.2f} by {MARGIN}"
            )
        replay = None if ctx.quick else Replay(f"{__name__}:bound_from", {"diffs": diffs, "which": which})
        ms.append(Measurement(bound, {"shots": shots, "bound": which}, replay))
    if ctx.quick:
        power = False
        notes.append("--quick trains 15 outer steps on one seed: too short to decide (never more than inconclusive)")
    evidence = {
        "settings": s.as_dict(),
        "accuracy_mean_ci95": table,
        "seconds_per_outer_step": {
            f"{r['method']} {r['shots']}-shot seed {r['seed']}": r["seconds_per_step"] for r in runs
        },
        "rule": "holds iff the lower 95% bound of acc(FO-B-MAML)-acc(MAML) >= -0.05 for every shot count and MAML "
        "beats chance; not-reproduced iff an upper bound < -0.05; else inconclusive",
        "split": "meta-train: classes 0-4 of MNIST-1D's train split; meta-test: classes 5-9 of its test split",
    }
    data = {"runs": runs}
    return runners.decide(ctx, STATEMENT, ms, power_ok=power, power_note="; ".join(notes), evidence=evidence, data=data)
