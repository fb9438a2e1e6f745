r"""sec3-regularity: do Assumptions 1-3 give Section 3's regularity, hence eq. (12)'s O(lam nu^2) and eq. (14)'s
O(lam delta^(2/3)) for the symmetric estimator (11)?

**As printed.**  Section 3, before eq. (12): "Assuming that nu -> phi*_{i,nu}(theta) is regular enough near nu = 0
(for example, three times differentiable on V_0 and its third derivative is bounded), then we should expect that
||grad F_i(theta) - g^For_{i,nu}(theta)|| = O(lam nu) and ||grad F_i(theta) - g^Sym_{i,nu}(theta)|| = O(lam nu^2)",
and eq. (14): "||grad F_i(theta) - g~^Sym_{i,nu}(theta)|| = O(lam delta^(2/3))".  The TMLR abstract: "Notably, the
symmetric estimator achieves an improved O(delta^(2/3)) bias rate, strictly enhancing previous first-order theory."

**What is checked (the form).**  Section 3's sentence is conditional and true under its own hypothesis (the
quadratic rows eq12-symmetric and eq14-symmetric check it where phi*_nu is rational in nu).  Section 4 analyses the
method under Assumptions 1-3 only, and the abstract states the delta^(2/3) rate as achieved; this row checks the
implication that reading needs: *Assumptions 1-3 (and lam >= 2 Lhat1) imply the symmetric estimator's bias is
O(lam nu^2) at exact solutions and O(lam delta^(2/3)) at the best nu under (13)*.  Assumption 1 gives
fhat_i in C^{2,1} (Hessian Lipschitz), Assumption 2 gives f_i in C^{1,1} (gradient Lipschitz; the printed "L1-smooth
Hessian" is read as L1-smooth, as in every other row); nu -> phi*_nu is then C^{1,1} near 0, not C^3.

**Standing assumptions, the class.**  Assumptions 1-3 with lam >= 2 Lhat1 (Section 4's condition), per task and
theta.  Families with exactly that smoothness (:mod:`bmaml_theory.tasks.kinked`): logistic tasks plus a Huber term
in f_i (its Hessian jumps) and a term with Hessian max(0, 1 - |s|) in fhat_i (its third derivative jumps), the kink
placed at phi*_{i,0}(theta) ("test-kink", "train-kink", "both-kinks") or a margin away from it ("no-kink-crossed", the
control: smooth near nu = 0); lam in {2, 20} Lhat1, n in {2, 5, 10}, 4 tasks each (quick: lam = 2 Lhat1, n in {2, 5},
2 tasks), indefinite Q_i.

**What is measured and why.**  Per task, the order of the symmetric bias in nu (exact Newton solutions) and in delta
(worst-case errors of (13), best nu), fitted with the quadratic rows' a-priori windows (nu*rho <= 1e-2 with rho
including the kink speed, so no uncrossed kink is reached; 100x above the round-off estimate) by
:func:`bmaml_theory.rates.fit_power_law` (standard errors in the evidence).  The measure is the *shortfall*, stated
order minus fitted order (2 - p_nu and 2/3 - p_delta), worst over tasks and both rates: the implication holds iff no
task decays slower than stated.  A shortfall of 1 (p_nu = 1) means bias/(lam nu^2) grows like 1/nu: no constant works;
the pinned one-dimensional families show it in closed form (bias = nu/(3(3 + nu)) and 2(3 - sqrt(9 - 2 nu))/nu - 2/3).

**Tolerance** 0.05 on the exponent (``_common.RATE_TOL``, fixed before the fit, as the quadratic rows).  Power: every
kind must have a measurable task and at least half the tasks must be measurable.  The corrected statement (errata,
issue 13: O(lam nu) hence O(sqrt(delta)), with the explicit constant A' of E4) is checked by the same fits and
reported in the evidence, as are the forward estimator's orders on the same families (eq12-forward, eq14-forward need
only C^{1,1}, and hold there).
"""

from __future__ import annotations

import math

import numpy as np

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section3._common import GROUP, RATE_TOL, RATE_TOL_REASON, SOURCE
from bmaml_theory.studies import regularity as study

STATED = {"nu": 2.0, "delta": 2.0 / 3.0}  # eq. (12) symmetric, eq. (14) symmetric / the TMLR abstract
CORRECTED = {"nu": 1.0, "delta": 0.5}  # the tightest orders under Assumptions 1-3 alone (errata, issue 13)
MIN_MEASURED_FRACTION = 0.5  # as the quadratic rows: power needs half the tasks measurable, every kind represented
PIN_NUS = tuple(np.logspace(-2, -5, 7))  # pinned growth: 3 decades where bias >> round-off (bias ~ nu/9 >= 1e-6)
FIG_NUS = np.logspace(-1, -6, 21)  # the figure's pinned curves: 5 decades, bias >= 1e-7 >> round-off ~ 1e-10

STATEMENT = Statement(
    id="sec3-regularity",
    source=f"{SOURCE}, Section 3 (eqs. (12), (14)) read under Section 4.1's Assumptions 1-3; TMLR abstract",
    statement="Assuming that nu -> phi*_{i,nu}(theta) is regular enough near nu = 0 (for example, three times "
    "differentiable on V_0 and its third derivative is bounded), then we should expect that ... ||grad F_i(theta) - "
    "g^Sym_{i,nu}(theta)|| = O(lam nu^2) (12); ... ||grad F_i(theta) - g~^Sym_{i,nu}(theta)|| = O(lam delta^(2/3)) "
    "(14). [TMLR abstract:] Notably, the symmetric estimator achieves an improved O(delta^(2/3)) bias rate, strictly "
    "enhancing previous first-order theory.",
    form="the implication 'Assumptions 1-3 (lam >= 2 Lhat1) => the symmetric estimator's bias is O(lam nu^2) at exact "
    "solutions and O(lam delta^(2/3)) at the best nu', i.e. whether Section 3's regularity hypothesis follows from the "
    "standing assumptions under which the abstract states the rate as achieved",
    assumptions="Assumptions 1-3 exactly (fhat_i C^{2,1}, f_i C^{1,1} and Lipschitz, mu > 0), lam >= 2 Lhat1; task "
    "families with exactly that smoothness: logistic tasks plus a Huber test term and a training term with Hessian "
    "max(0, 1 - |s|), their kinks at phi*_{i,0}(theta) or (control) a margin away; lam in {2, 20} Lhat1, n in "
    "{2, 5, 10}, 4 tasks each",
    kind="rate",
    measure="stated minus fitted exponent of the symmetric bias (2 - order in nu at exact solutions; 2/3 - order in "
    "delta at the best nu under worst-case errors), worst over tasks and both rates (dimensionless)",
    threshold=Threshold(0.0, "<="),
    tolerance=Tolerance(RATE_TOL, RATE_TOL_REASON),
    figure="sec3_regularity.png",
    group=GROUP,
)


def shortfall(
    *,
    kind: str,
    M: int,
    n: int,
    seed: int,
    task: int,
    which: str,
    lam_factor: float = 2.0,
    nu_per_decade: int,
    delta_range: list,
) -> float:
    r"""Replay: stated minus fitted order of the symmetric bias on task ``task`` of ``placed_family(kind, M, n, seed,
    lam_factor=lam_factor)`` (``which``: ``"nu"`` for eq. (12), ``"delta"`` for eq. (14)); NaN when that rate has no
    asymptotic window."""
    if which not in STATED:
        raise ValueError(f"which must be one of {sorted(STATED)}, got {which!r}.")
    p = study.fitted_order(
        kind=kind,
        M=M,
        n=n,
        seed=seed,
        task=task,
        stencil="symmetric",
        which=which,
        lam_factor=lam_factor,
        nu_per_decade=nu_per_decade,
        delta_range=delta_range,
    )
    return STATED[which] - p


def _summary(fits: list) -> dict:
    ok = [f for f in fits if f.ok]
    if not ok:
        return {"count": 0}
    o = np.array([f.order for f in ok])
    return {
        "count": len(ok),
        "min": float(o.min()),
        "median": float(np.median(o)),
        "max": float(o.max()),
        "max_stderr": float(max(f.stderr for f in ok)),
    }


def _pinned_evidence() -> dict:
    out = {}
    for which, const in (("test-kink", 1.0 / 9.0), ("train-kink", 1.0 / 27.0)):
        g = study.pinned_growth(which, "symmetric", PIN_NUS)
        nu = PIN_NUS[-1]
        out[which] = {
            "bias_over_nu_at_1e-5": study.measured_pinned_bias(which, "symmetric", nu) / nu,
            "closed_form_limit": const,
            "bias_over_lam_nu2_slope_in_1_over_nu": g["slope"],
            "slope_stderr": g["slope_stderr"],
            "bias_over_lam_nu2": {"nu": g["nus"], "ratio": g["ratio"]},
        }
    return out


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Fit every task's symmetric orders on the minimal-smoothness families; the largest shortfall decides."""
    s = study.settings(ctx.quick)
    res = ctx.cached("sec3-regularity-study", lambda: study.study(s, ctx.progress))
    rows = res["rows"]
    sym = [r for r in rows if r["stencil"] == "symmetric"]
    ms: list[Measurement] = []
    measured_kinds: set[str] = set()
    for r in sym:
        for which, f in (("nu", r["fit_nu"]), ("delta", r["fit_delta"])):
            if not f.ok:
                continue
            measured_kinds.add(r["kind"])
            kw = {
                "kind": r["kind"],
                "M": r["M"],
                "n": r["n"],
                "seed": r["seed"],
                "task": r["task"],
                "which": which,
                "lam_factor": r["lam_factor"],
                "nu_per_decade": s["nu_per_decade"],
                "delta_range": list(s["delta_range"]),
            }
            inst = {**kw, "order": f.order, "stderr": f.stderr, "window": list(f.window), "points": f.n_points}
            ms.append(Measurement(STATED[which] - float(f.order), inst, Replay(f"{__name__}:shortfall", kw)))
    missing = [k for k in s["kinds"] if k not in measured_kinds]
    frac = len(ms) / max(2 * len(sym), 1)
    power_ok = not missing and frac >= MIN_MEASURED_FRACTION
    note = f"{len(ms)}/{2 * len(sym)} rates measurable" + (f"; none of kind(s) {missing}" if missing else "")

    by_kind: dict = {}
    for kind in s["kinds"]:
        by_kind[kind] = {
            f"{st}_{which}": _summary([r[f"fit_{which}"] for r in rows if r["kind"] == kind and r["stencil"] == st])
            for st in ("symmetric", "forward")
            for which in ("nu", "delta")
        }
    corrected_short = {
        st: float(
            max(
                [
                    CORRECTED[w] - r[f"fit_{w}"].order
                    for r in rows
                    if r["stencil"] == st
                    for w in ("nu", "delta")
                    if r[f"fit_{w}"].ok
                ],
                default=math.nan,
            )
        )
        for st in ("symmetric", "forward")
    }
    forward_dev = {
        which: float(
            max(
                [
                    abs(r[f"fit_{which}"].order - CORRECTED[which])
                    for r in rows
                    if r["stencil"] == "forward" and r[f"fit_{which}"].ok
                ],
                default=math.nan,
            )
        )
        for which in ("nu", "delta")
    }
    bound_ratio = {
        f"{st}_{w}": float(np.nanmax([r["bound_ratio"][w] for r in rows if r["stencil"] == st]))
        for st in ("symmetric", "forward")
        for w in ("nu", "delta")
    }
    sym_nu = np.array([r["fit_nu"].order for r in sym if r["fit_nu"].ok])
    evidence = {
        "symmetric_nu_orders": {
            "tasks": int(sym_nu.size),
            "within_tol_of_1": int(np.sum(np.abs(sym_nu - 1.0) <= RATE_TOL)),
            "within_tol_of_2": int(np.sum(np.abs(sym_nu - 2.0) <= RATE_TOL)),
            "other": int(np.sum((np.abs(sym_nu - 1.0) > RATE_TOL) & (np.abs(sym_nu - 2.0) > RATE_TOL))),
            "why_other": "pre-asymptotic windows: where the path crosses the kink nearly tangentially the order-nu "
            "term is small and the smooth nu^2 term still bends the fit window (the window rule is the quadratic "
            "rows', fixed before the run); the explicit bound bias <= A'|nu| holds at every trusted point (below)",
        },
        "orders_by_kind": by_kind,
        "pinned_1d": _pinned_evidence(),
        "corrected_statement": {
            "statement": "under Assumptions 1-3 and lam >= 2 Lhat1 both estimators have exact-solution bias <= A'|nu| "
            "with A' = (lam L0/mu^2)(L1 + Lhat2 L0/(2 mu)) <= 4 (L0/lam)(L1 + Lhat2 L0/lam), so O(lam nu) -> "
            "O(sqrt(delta)): min_nu worst-case bias <= 2 sqrt(|w|_1 A' lam delta); the orders 1 and 1/2 are attained",
            "worst_shortfall_vs_orders_1_and_half": corrected_short,
            "tolerance": RATE_TOL,
            "worst_ratio_to_A_prime_nu": {k: v for k, v in bound_ratio.items() if k.endswith("_nu")},
            "worst_ratio_to_2sqrt(|w|A'lam delta)": {k: v for k, v in bound_ratio.items() if k.endswith("_delta")},
        },
        "forward_estimator": {
            "worst_|order - 1|_in_nu (eq12-forward)": forward_dev["nu"],
            "worst_|order - 1/2|_in_delta (eq14-forward)": forward_dev["delta"],
            "note": "the forward rates need only C^{1,1} (Proposition 2's proof, corrected in E4) and hold on the "
            "same families",
        },
        "control": "no-kink-crossed: the symmetric orders are 2 and 2/3 (see orders_by_kind): the shortfall comes "
        "from the kink crossed at nu = 0, not from the fit",
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in s.items()},
    }
    data = {
        "pinned": {
            which: {
                "nus": FIG_NUS,
                **{
                    f"{st}_{src}": np.array(
                        [
                            (study.measured_pinned_bias if src == "measured" else study.pinned_bias)(which, st, v)
                            for v in FIG_NUS
                        ]
                    )
                    for st in ("symmetric", "forward")
                    for src in ("measured", "closed")
                },
            }
            for which in study.PINNED
        },
        "orders": {
            kind: {
                f"{st}_{w}": np.array(
                    [r[f"fit_{w}"].order for r in rows if r["kind"] == kind and r["stencil"] == st and r[f"fit_{w}"].ok]
                )
                for st in ("symmetric", "forward")
                for w in ("nu", "delta")
            }
            for kind in s["kinds"]
        },
        "stated": STATED,
        "corrected": CORRECTED,
        "tolerance": RATE_TOL,
    }
    return runners.decide(ctx, STATEMENT, ms, power_ok=power_ok, power_note=note, evidence=evidence, data=data)
