r"""sec3-regularity: the TMLR abstract's O(delta^(2/3)) bias rate of the symmetric estimator (11), read under
Assumptions 1-3: do they give Section 3's regularity, hence eq. (12)'s O(lam nu^2) and eq. (14)'s O(lam delta^(2/3))?

**As printed.**  Section 3, before eq. (12): "Assuming that nu -> phi*_{i,nu}(theta) is regular enough near nu = 0
(for example, three times differentiable on V_0 and its third derivative is bounded), then we should expect that
||grad F_i(theta) - g^For_{i,nu}(theta)|| = O(lam nu) and ||grad F_i(theta) - g^Sym_{i,nu}(theta)|| = O(lam nu^2)",
followed by "We will provide conditions under which we get the first identity in Equation 12 in Section 4 and support
the second experimentally in Section 5."; and eq. (14): "||grad F_i(theta) - g~^Sym_{i,nu}(theta)|| =
O(lam delta^(2/3))".  The TMLR abstract: "Notably, the symmetric estimator achieves an improved O(delta^(2/3)) bias
rate, strictly enhancing previous first-order theory."

**What is checked (the form).**  arXiv v1 makes no claim that fails here: its Section 3 states the symmetric rates
conditionally on the regularity hypothesis, proves (Section 4) only the forward identity of eq. (12) and supports the
symmetric one experimentally (Section 5); under its own hypothesis the rates hold (the quadratic rows eq12-symmetric
and eq14-symmetric check them where phi*_nu is rational in nu).  What this row measures is which assumptions the
symmetric rate needs: the implication *Assumptions 1-3 (the standing assumptions of Section 4's results) with
lam >= 2 Lhat1 => the symmetric bias is O(lam nu^2) at exact solutions and O(lam delta^(2/3)) at the best nu under
(13)*, the reading the TMLR abstract's "achieves an improved O(delta^(2/3)) bias rate" would need if it dropped the
regularity hypothesis.  No public text prints that implication (arXiv v1 states the rate under its explicit extra
regularity; the TMLR body is not public), so a failure is a **scope finding** (``category="scope"``, status
``scope``): the rate needs the regularity, Assumptions 1-3 do not give it; no printed sentence is refuted.  Assumption 1 gives fhat_i in C^{2,1} (Hessian Lipschitz); under Assumptions 1-3 alone
nu -> phi*_nu is C^{1,1} near 0, not C^3, and the rate needs more smoothness than Assumptions 1-3 give.

**Which reading of Assumption 2.**  It prints "f_i is differentiable, L0-Lipschitz, and has L1-smooth Hessian".
Literally, f_i has a Hessian that is "L1-smooth" (C^{2,1}, or C^{3,1}); as L1 is used elsewhere (V_0 = (-mu/L1,
mu/L1), "differentiable") it is f_i L1-smooth, C^{1,1}, the package's reading.  The *decisive* counterexample is inside
the class under every reading: the pinned "train-kink" family (n = 1, f = phi linear, fhat = g(phi - 1/2) with
g'' = ``max(0, 1 - |s|)``, so fhat's third derivative jumps at phi*_0).  A Huber test term (the "test-kink" pinned
family, and every random family below, which all carry one) is inside only under the C^{1,1} reading: that is
evidence, labelled so.  The verdict survives either reading.

**Standing assumptions, the class.**  Assumptions 1-3 with lam >= 2 Lhat1 (Section 4's condition), per task and
theta.  Decisive: the pinned one-dimensional train-kink family (inside the class under every reading of Assumption 2).
Evidence (C^{1,1} reading): families with exactly that smoothness (:mod:`bmaml_theory.tasks.kinked`): logistic tasks plus a Huber term
in f_i (its Hessian jumps) and a term with Hessian ``max(0, 1 - |s|)`` in fhat_i (its third derivative jumps), the kink
placed at phi*_{i,0}(theta) ("test-kink", "train-kink", "both-kinks") or a margin away from it ("no-kink-crossed", the
control: smooth near nu = 0); lam in {2, 20} Lhat1, n in {2, 5, 10}, 4 tasks each (quick: lam = 2 Lhat1, n in {2, 5},
2 tasks), indefinite Q_i.

**What is measured and why (the decision).**  The verdict rests on *exact* measurements: the pinned train-kink
family's closed-form symmetric bias (:func:`bmaml_theory.studies.regularity.pinned_bias`), its order in nu over
PIN_NUS (eq. (12) at exact solutions) and its best-nu worst-case bias's order in delta over PIN_DELTAS (eq. (14),
the abstract's rate), fitted by :func:`bmaml_theory.rates.fit_power_law` on exact values (no window rule, no
round-off floor).  The measure is the *shortfall*, stated order minus fitted order (2 - p_nu and 2/3 - p_delta),
worst of the two: p_nu = 1 means bias/(lam nu^2) grows like 1/nu, so no constant works.  The package's own Newton
solutions must reproduce the closed form to within PIN_AGREE_FACTOR times the a-priori round-off, or the run lacks
power.  *Why this criterion* (for its exactness, not its outcome: the exact and the fitted measures both read
violated): a fitted order over a fixed
window is only as asymptotic as the window, and the quadratic rows' window nu*rho <= 1e-2 is not asymptotic at a
kink (rho bounds the smooth curvature, not the size of the jump of phi'' at nu = 0, which can be arbitrarily small
next to the smooth nu^2 term: the old worst fit, 0.906 +- 0.012 on a test-kink task (0.912 +- 0.016 at today's 10
points per decade), was such a pre-asymptotic window, and so are the train-kink fits above 1); a closed form has no
such window.

**Evidence over the whole class** (inside it under the C^{1,1} reading of Assumption 2; every random family carries a
Huber test term).  Per task of the random families (:mod:`bmaml_theory.tasks.kinked`), the fitted orders of both
estimators in nu and delta with their standard errors (the quadratic rows' windows; 100x above the round-off
estimate), summarised per kind; the worst fitted shortfall with its replay (:func:`shortfall`), labelled
pre-asymptotic where it is.  The control with every kink a margin away keeps the orders 2 and 2/3.

**Tolerance** 0.05 on the exponent (``_common.RATE_TOL``, fixed before the fit, as the quadratic rows).  The corrected
statement (docs/errata.md, E2: O(lam nu) hence O(sqrt(delta)), with the explicit constant A' of E4) is checked by the
same fits and reported in the evidence, as are the forward estimator's orders on the same families (eq12-forward,
eq14-forward need only C^{1,1}, and hold there).
"""

from __future__ import annotations

import math

import numpy as np

from bmaml_theory import estimators
from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section3._common import GROUP, RATE_TOL, RATE_TOL_REASON, SOURCE
from bmaml_theory.stencils import SYMMETRIC
from bmaml_theory.studies import regularity as study

STATED = {"nu": 2.0, "delta": 2.0 / 3.0}  # eq. (12) symmetric, eq. (14) symmetric / the TMLR abstract
CORRECTED = {"nu": 1.0, "delta": 0.5}  # the tightest orders under Assumptions 1-3 alone (errata E2)
PIN_NUS = tuple(np.logspace(-2, -5, 7))  # pinned growth: 3 decades where bias >> round-off (bias ~ nu/9 >= 1e-6)
PIN_DELTAS = tuple(np.logspace(-6, -12, 7))  # train-kink: best nu ~ sqrt(54 delta) in [7e-6, 7e-3], PIN_NUS's decades
# The decisive family: pinned "train-kink" has f = phi (linear: every derivative of f beyond the first vanishes) and
# fhat = g(phi - 1/2) in C^{2,1}, so it satisfies Assumptions 1-3 under every reading of Assumption 2 ("L1-smooth
# Hessian" read as C^{1,1}, C^{2,1} or C^{3,1}); "test-kink" (a Huber f) is inside only under the C^{1,1} reading.
DECISIVE = "train-kink"
READING = {
    "train-kink": "every reading of Assumption 2 (f linear)",
    "test-kink": "the C^{1,1} reading of Assumption 2 only (f Huber: no Hessian at the kink)",
}
# Newton solutions are exact to round-off and the closed forms cancellation-free, so the package's measured pinned bias
# may differ from the closed form only by the difference quotient's round-off: at most PIN_AGREE_FACTOR times the
# a-priori estimate of estimators.roundoff_estimate (10x for that estimate's rough constant), fixed before the run.
PIN_AGREE_FACTOR = 10.0
FIG_NUS = np.logspace(-1, -6, 21)  # the figure's pinned curves: 5 decades, bias >= 1e-7 >> round-off ~ 1e-10

STATEMENT = Statement(
    id="sec3-regularity",
    source=f"{SOURCE}, Section 3 (eqs. (12), (14)) read under Section 4.1's Assumptions 1-3; TMLR abstract",
    statement="Assuming that nu -> phi*_{i,nu}(theta) is regular enough near nu = 0 (for example, three times "
    "differentiable on V_0 and its third derivative is bounded), then we should expect that ... ||grad F_i(theta) - "
    "g^Sym_{i,nu}(theta)|| = O(lam nu^2) (12). We will provide conditions under which we get the first identity in "
    "Equation 12 in Section 4 and support the second experimentally in Section 5. ... ||grad F_i(theta) - "
    "g~^Sym_{i,nu}(theta)|| = O(lam delta^(2/3)) (14). [TMLR abstract:] Notably, the symmetric estimator achieves "
    "an improved O(delta^(2/3)) bias rate, strictly "
    "enhancing previous first-order theory.",
    form="a scope question: whether Assumptions 1-3 (the standing assumptions of Section 4's results) with lam >= 2 "
    "Lhat1 give the symmetric estimator's O(delta^(2/3)) bias rate (the TMLR abstract's) and eq. (12)'s O(lam nu^2) "
    "without Section 3's extra regularity hypothesis; arXiv v1 states the symmetric rates under that hypothesis and "
    "supports the second identity of eq. (12) only experimentally, so a failure is a scope finding, not a violation; it "
    "would become a refutation if the TMLR body states O(delta^(2/3)) under Assumptions 1-3 alone",
    assumptions="Assumptions 1-3 exactly (fhat_i C^{2,1}; f_i Lipschitz with a Lipschitz gradient, C^{1,1}, or, "
    "literally, with an 'L1-smooth Hessian'; mu > 0), lam >= 2 Lhat1. Decisive: the pinned train-kink family (n = 1, "
    "f linear, fhat with a jump of its third derivative at phi*_0), inside the class under every reading; evidence "
    "(C^{1,1} reading only): task families with exactly that smoothness: logistic tasks plus a Huber test term and a training term with Hessian "
    "max(0, 1 - |s|), their kinks at phi*_{i,0}(theta) or (control) a margin away; lam in {2, 20} Lhat1, n in "
    "{2, 5, 10}, 4 tasks each",
    kind="rate",
    measure="on the decisive family's exact closed form, stated minus fitted exponent of the symmetric bias (2 - order "
    "in nu at exact solutions; 2/3 - order in delta at the best nu under worst-case errors), worst of the two rates "
    "(dimensionless)",
    threshold=Threshold(0.0, "<="),
    tolerance=Tolerance(RATE_TOL, RATE_TOL_REASON),
    figure="sec3_regularity.png",
    group=GROUP,
    category="scope",
)


@replayable
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


@replayable
def pinned_shortfall(*, family: str, rate: str, points: list) -> float:
    r"""Replay: stated minus fitted order of the *exact* closed-form symmetric bias of the pinned one-dimensional
    ``family`` (:func:`bmaml_theory.studies.regularity.pinned`) over ``points`` (``rate="nu"``: nu values, eq. (12)
    at exact solutions; ``rate="delta"``: delta values, eq. (14) / the abstract at the best nu under worst-case
    errors)."""
    if rate not in STATED:
        raise ValueError(f"rate must be one of {sorted(STATED)}, got {rate!r}.")
    order, _ = study.pinned_exact_order(family, "symmetric", rate, points)
    return STATED[rate] - order


def _pinned_measurements() -> tuple[list[Measurement], dict]:
    """The decisive exact measurements on the pinned train-kink family, and their fits."""
    ms, fits = [], {}
    for rate, pts in (("nu", PIN_NUS), ("delta", PIN_DELTAS)):
        kw = {"family": DECISIVE, "rate": rate, "points": [float(v) for v in pts]}
        order, se = study.pinned_exact_order(DECISIVE, "symmetric", rate, pts)
        fits[rate] = {"order": order, "stderr": se, "stated": STATED[rate], "corrected": CORRECTED[rate]}
        inst = {**kw, "order": order, "stderr": se, "inside_the_class_under": READING[DECISIVE], "exact": True}
        ms.append(Measurement(STATED[rate] - order, inst, Replay(f"{__name__}:pinned_shortfall", kw)))
    return ms, fits


def _pinned_agreement() -> float:
    """Worst gap between the package's Newton-measured pinned symmetric bias and the closed form over PIN_NUS, in
    units of the difference quotient's a-priori round-off (|phi| <= 3 on both families)."""
    worst = 0.0
    for w in study.PINNED:
        tasks, _ = study.pinned(w)
        for v in PIN_NUS:
            gap = abs(study.measured_pinned_bias(w, "symmetric", v) - study.pinned_bias(w, "symmetric", v))
            worst = max(worst, gap / float(estimators.roundoff_estimate(tasks, SYMMETRIC, v, 3.0)))
    return worst


def _summary(fits: list) -> dict:
    ok = [f for f in fits if f.ok]
    if not ok:
        return {"count": 0}
    o = np.array([f.order for f in ok])
    se = np.array([f.stderr for f in ok])
    return {
        "count": len(ok),
        "min": float(o.min()),
        "stderr_at_min": float(se[o.argmin()]),
        "median": float(np.median(o)),
        "max": float(o.max()),
        "stderr_at_max": float(se[o.argmax()]),
        "max_stderr": float(se.max()),
    }


def _pinned_evidence() -> dict:
    out = {}
    for which, const in (("test-kink", 1.0 / 9.0), ("train-kink", 1.0 / 27.0)):
        g = study.pinned_growth(which, "symmetric", PIN_NUS)
        nu = PIN_NUS[-1]
        out[which] = {
            "inside_the_class_under": READING[which],
            "bias_over_nu_at_1e-5": study.measured_pinned_bias(which, "symmetric", nu) / nu,
            "closed_form_limit": const,
            "bias_over_lam_nu2_slope_in_1_over_nu": g["slope"],
            "slope_stderr": g["slope_stderr"],
            "bias_over_lam_nu2": {"nu": g["nus"], "ratio": g["ratio"]},
        }
    return out


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Decide on the pinned train-kink family's exact closed-form orders; every task's fitted orders on the
    minimal-smoothness families are evidence (C^{1,1} reading)."""
    s = study.settings(ctx.quick)
    res = ctx.cached(f"sec3-regularity-study-quick={ctx.quick}", lambda: study.study(s, ctx.progress))
    rows = res["rows"]
    sym = [r for r in rows if r["stencil"] == "symmetric"]
    # The decision: exact measurements on the decisive pinned family only (module docstring, "Why this criterion").
    ms, pinned_fits = _pinned_measurements()
    agree = _pinned_agreement()
    power_ok = agree <= PIN_AGREE_FACTOR
    note = (
        f"decided on the exact closed form of the pinned {DECISIVE} family; Newton vs closed form within "
        f"{agree:.2g} round-off units (limit {PIN_AGREE_FACTOR:g})"
    )
    # Evidence over the whole class (C^{1,1} reading): every task's fitted symmetric shortfalls, with stderr and replay.
    fitted: list[dict] = []
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
            fitted.append(
                {
                    "shortfall": STATED[which] - float(f.order),
                    "order": float(f.order),
                    "stderr": float(f.stderr),
                    "window": list(f.window),
                    "points": int(f.n_points),
                    "replay": Replay(f"{__name__}:shortfall", kw).to_json(),
                }
            )
    missing = [k for k in s["kinds"] if k not in measured_kinds]
    worst_fit = max(fitted, key=lambda d: d["shortfall"], default=None)
    fitted_evidence = {
        "inside_the_class_under": "the C^{1,1} reading of Assumption 2 only (every random family has a Huber test "
        "term)",
        "measurable": f"{len(fitted)}/{2 * len(sym)} symmetric rates"
        + (f"; none of kind(s) {missing}" if missing else ""),
        "worst": worst_fit,
        "min_shortfall": float(min((d["shortfall"] for d in fitted), default=math.nan)),
        "worst_is_pre_asymptotic_when": "its order lies between 1 and 2 (or below 1) by more than a few stderr: the "
        "window nu*rho <= 1e-2 is not asymptotic at a kink (sweeps.fit_nu_order)",
    }
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
        "fitted_shortfalls_over_the_class": fitted_evidence,
        "decisive": {
            "family": f"pinned {DECISIVE} (n = 1, lam = 2 Lhat1 = 2, f = phi, fhat = g(phi - 1/2), theta = 1/2)",
            "inside_the_class_under": READING[DECISIVE],
            "fits_on_the_exact_closed_form": pinned_fits,
            "nus": list(PIN_NUS),
            "deltas": list(PIN_DELTAS),
            "newton_vs_closed_form_worst_gap_in_roundoff_units": agree,
            "agreement_limit": PIN_AGREE_FACTOR,
        },
        "assumption_2_readings": "Assumption 2 prints 'f_i is differentiable, L0-Lipschitz, and has L1-smooth "
        "Hessian'; read literally f_i has a Hessian (C^{2,1}, or C^{3,1}), read as elsewhere in the package (and as "
        "V_0 = (-mu/L1, mu/L1) needs) f_i is L1-smooth (C^{1,1}). The random families below all carry a Huber test "
        "term, so they are inside the class only under the C^{1,1} reading (test-kink, both-kinks cross its kink; "
        "train-kink and the control keep it a margin away); the decisive family is inside under every reading",
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
            "conditions": "mu > 0 (lam >= 2 Lhat1 gives mu >= lam - Lhat1 >= lam/2) and nu* = sqrt(lam delta/A') < "
            "mu/L1, i.e. delta < A' mu^2/(lam L1^2), so phi*_{-nu} stays unique",
            "tight": {
                "in_order": "under every reading of Assumption 2 (the decisive family's exact orders 1 and 1/2)",
                "constant_A_prime": "reached by the symmetric estimator on regularity.sign_flip_bias (f'' jumps from "
                "+L1 to -L1; C^{1,1} reading only): bias = 2 nu/(3(3 + nu)), A' = 2/9",
                "sign_flip_bias_over_A_prime_nu_at_nu_1e-6": study.sign_flip_bias(1e-6)
                / (study.sign_flip_constants()["A_prime"] * 1e-6),
            },
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
