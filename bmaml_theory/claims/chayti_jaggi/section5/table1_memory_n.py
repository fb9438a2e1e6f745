r"""Table 1's caption: an approximation of order n costs n times the memory.

**As printed** (Chayti & Jaggi, Table 1's caption): "in general, if we use an approximation of order n, this will lead
to an error of order :math:`\mathcal O(\delta^{n/(n+1)})` at the cost of multiplying the memory need by n."  The rate
half is the row ``table1-order-n``; this row checks the memory half.

**Standing assumptions.** Table 1's setting (one parameter update, Nesterov's AGD as the inner optimizer, constant
factors omitted; M = 1 in the table: here M = 4 tasks and the count is per task, which is the same); "approximation of
order n" is the order-n finite-difference stencil of Proposition 1's derivative (:func:`bmaml_theory.stencils.stencil`:
n solves for even n, n + 1 for odd n; n = 1 is the forward estimator (10), n = 2 the symmetric (11)).  Measured on
the two task families of :mod:`bmaml_theory.studies.memory` (quadratic, M = 4, n = 128; logistic, M = 4, n = 48, whose
gradients form n x n Hessians).

**What is measured and why.**  "At the cost of multiplying the memory need by n" states a price: the order-n
estimate can be had for at most n times the memory (constant factors omitted, as in the table).  A statement of an
achievable cost is refuted only if no implementation achieves it, so the row holds when the least-memory
implementation's memory grows at most linearly in n.  That the best implementation pays in compute, not memory (its
memory does not grow at all), makes the caption pessimistic, not wrong: errata E10.d1 gives the tight costs.  For n = 1..6, the :mod:`tracemalloc` peak of one estimate, counted in
n-vectors per task (peak / (8 M n), rounded: a deterministic count), for the least-memory implementation we found:
the perturbed problems of the stencil solved in turn and :math:`-\frac\lambda\nu\sum_kw_k\phi_k` accumulated in a
running sum, so the solutions are never held together; scored with AGD (``"sequential"``,
:class:`~bmaml_theory.solvers.NesterovSolver` certified to 1e-4, Table 1's inner optimizer) and with the package's
instrumented baseline :func:`bmaml_theory.baselines.fo_bmaml` (``"sequential-gd"``, 10 GD steps per problem).
``measured`` is the fitted log-log slope of that count in n (:func:`memory_slope`), per family and implementation, the
one farthest from 1 deciding; the caption's factor n is slope 1.  The batched implementation (every node solved at
once by one AGD ``solve_path``, as a parallel implementation would: the same estimate up to round-off) and the compute
(gradient calls) of all three are reported in the evidence (default run; quick measures the two sequential
implementations at n = 1, 2, 6).

**Tolerance** 0.05 on the slope (the rate rows' tolerance; the counts are deterministic).  A first version of this
row read the caption as "memory grows exactly linearly" (threshold within 0.5 of slope 1) and read violated on the flat
memory; reviewed: the caption states a cost, and a smaller cost does not refute it (errata, revised verdicts).
"""

from __future__ import annotations

import math

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section5._common import SOURCE
from bmaml_theory.rates import fit_power_law
from bmaml_theory.studies import memory

ORDERS = (1, 2, 3, 4, 5, 6)  # the orders of table1-order-n
QUICK_ORDERS = (1, 2, 6)  # quick: fewer orders (>= 3 points for the slope), the sequential implementations only
SCORED = ("sequential", "sequential-gd")  # the least-memory implementations (solves in turn, running sum)
SLOPE_TOL = 0.05  # the rate rows' tolerance (deterministic counts); the corrected statement's slopes use 0.5
CORRECTED_TOL = 0.5  # midway between constant (slope 0) and linear (slope 1) growth: tells the two apart
FAMILY_SIZES = {"quadratic": "M = 4, n = 128", "logistic": "M = 4, n = 48"}  # bmaml_theory.studies.memory.family

STATEMENT = Statement(
    id="table1-memory-n",
    source=f"{SOURCE}, Table 1's caption",
    statement="in general, if we use an approximation of order n, this will lead to an error of order "
    "O(delta^(n/(n+1))) at the cost of multiplying the memory need by n.",
    form="the memory half of Table 1's caption read as the cost it states: an order-n estimate is obtainable with at "
    "most n times the memory (constant factors omitted), i.e. the peak memory of the order-n estimator, implemented "
    "with the least memory we found (solves in turn, running sum; AGD and GD inner solvers), grows at most linearly "
    "in n (log-log slope <= 1), n = 1..6",
    assumptions="Table 1's setting (one update, iterative inner solver, constant factors omitted); order-n stencils of "
    "bmaml_theory.stencils; task families of bmaml_theory.studies.memory (quadratic M = 4, n = 128; logistic M = 4, "
    "n = 48)",
    kind="complexity",
    measure="fitted log-log slope in n of the tracemalloc peak of one order-n estimate, counted in n-vectors per task, "
    "sequential implementations (AGD, GD), per family (the one farthest from 1 decides; dimensionless); a sanity "
    "check: the caption's 'x n' is a cost an implementation may meet, and these sequential ones hold O(1) solutions "
    "by construction (the batched form, default run, is in the evidence)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(
        SLOPE_TOL,
        "fixed a priori: the counts are deterministic, so the slope is exact up to the fit of six points; 0.05 is the "
        "tolerance of the package's rate rows",
    ),
    figure="table1_memory_n.png",
    group="cj-memory-bias",
)


def counts(family: str, impl: str, orders: tuple[int, ...] = ORDERS) -> list[dict]:
    """Peak bytes, n-vector count, gradient calls and solves of the order-n estimator for n in ``orders``."""
    return [{"order": o, **memory.order_n_cost(family, impl, o)} for o in orders]


@replayable
def memory_slope(family: str, impl: str = "sequential", orders: tuple[int, ...] = ORDERS) -> float:
    """Replay: the log-log slope in n of the peak n-vector count of the ``impl`` estimator on ``family``."""
    orders = tuple(int(o) for o in orders)
    rows = counts(family, impl, orders)
    return fit_power_law(list(orders), [r["vectors"] for r in rows]).exponent


def _slope(rows: list[dict], key: str) -> float:
    return fit_power_law([r["order"] for r in rows], [r[key] for r in rows]).exponent


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Measure the order-n estimators' memory and compute on both families; the sequential slopes decide."""
    impls = SCORED if ctx.quick else memory.IMPLEMENTATIONS
    orders = QUICK_ORDERS if ctx.quick else ORDERS
    ms, per, failures, examples = [], {}, 0, []
    for fam in memory.FAMILIES:
        for impl in impls:
            ctx.check_time()
            ctx.progress(f"memory {fam} {impl}")
            rows = ctx.cached(f"memory-order-n-{fam}-{impl}-{orders}", lambda f=fam, i=impl: counts(f, i, orders))
            if any(r["vectors"] <= 0 for r in rows):
                failures += 1
                examples.append(f"a zero peak on {fam}/{impl}: tracemalloc did not see the arrays")
                continue
            mem, comp = _slope(rows, "vectors"), _slope(rows, "grads")
            per[f"{fam}/{impl}"] = {
                "memory_slope": mem,
                "compute_slope": comp,
                "solves_slope": _slope(rows, "solves"),
                "rows": rows,
                "vector_bytes": memory.vector_bytes(fam),
                "memory_factor_last_over_first": rows[-1]["peak_bytes"] / rows[0]["peak_bytes"],
                "compute_factor_last_over_first": rows[-1]["grads"] / rows[0]["grads"],
            }
            if impl in SCORED and math.isfinite(mem):
                kw = {"family": fam, "impl": impl, "orders": list(orders)}
                ms.append(
                    Measurement(
                        mem, {**kw, "counts": [r["vectors"] for r in rows]}, Replay(f"{__name__}:memory_slope", kw)
                    )
                )
    seq = [v for k, v in per.items() if k.split("/")[1] in SCORED]
    corrected = {
        "statement": "at the cost of multiplying the compute (the number of inner solves: n for even n, n + 1 for odd "
        "n) by about n; the memory stays that of the forward estimator when the solves run in turn, and grows with "
        "the solves only when they are held at once (a parallel implementation)",
        "sequential_memory_slopes": [v["memory_slope"] for v in seq],
        "sequential_compute_slopes": [v["compute_slope"] for v in seq],
        "holds": bool(seq)
        and all(abs(v["memory_slope"]) <= CORRECTED_TOL and abs(v["compute_slope"] - 1) <= CORRECTED_TOL for v in seq),
    }
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=failures,
        failure_examples=examples,
        evidence={
            "implementations_scored": "the perturbed problems solved in turn, running weighted sum (the least memory "
            f"we found): with NesterovSolver certified to {memory.SOLVER_DELTA:g} ('sequential', Table 1's AGD) and "
            f"with baselines.fo_bmaml, {memory.K_STEPS} GD steps each ('sequential-gd')",
            "per_family": per,
            "corrected": corrected,
            "unit": "one n-vector per task (8 M n bytes); a Hessian counts n",
        },
        data={
            "per_family": per,
            "orders": list(orders),
            "family_sizes": FAMILY_SIZES,
            "solver_delta": memory.SOLVER_DELTA,
            "gd_steps": memory.K_STEPS,
        },
    )
