r"""Section 4.3: "to ensure convergence to an :math:`\varepsilon`-stationary point ... it suffices to take
:math:`\delta\sim\varepsilon^2`".

**As printed** (Chayti & Jaggi, Section 4.3, after Table 1): "The quantity :math:`\mathcal O(\sqrt\delta)` in both
theorems is the bias of FO-B-MAML using the forward approximation 10. To ensure convergence to an
:math:`\varepsilon`-stationary point (i.e. :math:`\theta` such that :math:`\|\nabla F(\theta)\|\le\varepsilon`) it
suffices to take :math:`\delta\sim\varepsilon^2`."

**Reading.** The sentence infers, from Theorems 1-2's ":math:`\|\nabla F\|\le\varepsilon+O(\sqrt\delta)`", that an inner
precision proportional to :math:`\varepsilon^2` (":math:`\sim`" hides a constant) makes Algorithm 1 converge to an
:math:`O(\varepsilon)`-stationary point.  It is checked where its premise holds: the outer methods with valid
generalized-smoothness constants (errata E6; with the printed ones Theorems 1-2 fail for every :math:`\delta`, E8 and
``thm1-inexact``), the forward estimator at Corollary 1's :math:`\nu=\sqrt{\delta/A}`, worst-case :math:`\delta`-errors
of (13), and :math:`\delta=\varepsilon^2/\beta_1^2` with :math:`\beta_1\sqrt\delta` Corollary 1's corrected bias bound
at that :math:`\nu` (:func:`bmaml_theory.theory.cor1_bias_corrected`: :math:`\beta_1=A'/\sqrt A+2\lambda\sqrt A`,
errata E1, E2, E4), so that the bias is at most :math:`\varepsilon`.

**Measured.** :math:`\min_k\|\nabla F(\theta_k)\|/\varepsilon` over Algorithm 1's whole run (each run settles on a
detected fixed point, so its future is known), for :math:`\varepsilon\in\{10^{-1},\dots,10^{-4}\}`, NormalizedGD
(Theorem 1) and GD (Theorem 2), on the convergence instances of E8 (convex and non-convex training; one task) and a
two-task instance with certified :math:`\zeta=0.604>0` (``_algorithms.named_instance``), all with
:math:`F^*=\log2` attained.  Random instances of :class:`bmaml_theory.search.LogisticSpace` (with r = 0) were tried
and do not settle within 150 outer steps of the theorems' step sizes (their certified :math:`\zeta` makes the steps
tiny), so they give no measurement: the class is covered only through these three instances.  Derivation: at a fixed point the estimate vanishes, so :math:`\|\nabla F\|` equals the bias,
at most :math:`\beta_1\sqrt\delta=\varepsilon`: the derived constant is 1 (threshold).  Decided by
``runners.big_o`` with the growth test in :math:`1/\varepsilon` (a required :math:`\delta` of smaller order than
:math:`\varepsilon^2` would show as growth).

**Tolerance** 1e-6 (``_common.BOUND_TOL``): the ratio is exact to round-off.
"""

from __future__ import annotations

import math

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _algorithms, _common

STATEMENT = Statement(
    id="delta-eps2",
    source="Chayti & Jaggi, Section 4.3, the paragraph after Table 1",
    statement="The quantity O(sqrt(delta)) in both theorems is the bias of FO-B-MAML using the forward approximation "
    "10. To ensure convergence to an eps-stationary point (i.e. theta such that ||grad F(theta)|| <= eps) it suffices "
    "to take delta ~ eps^2.",
    form="delta = eps^2/beta1^2 (beta1 sqrt(delta): Corollary 1's corrected bias bound at its nu) makes Algorithm 1 "
    "reach ||grad F|| <= C eps with C independent of eps (threshold: the fixed-point derivation's C = 1; refuted only "
    "by growth in 1/eps)",
    assumptions="the premise of the sentence (Theorems 1-2's conclusion): outer NormalizedGD and GD with valid "
    "constants (errata E6), forward estimator at Corollary 1's nu, worst-case delta-errors of (13); E8's convergence "
    "instances (one task, convex and non-convex training) and a two-task instance (certified zeta = 0.604), F* = "
    "log 2, lam = 2 Lhat1, theta0 = (3, 1)",
    kind="complexity",
    measure="sup over eps in 1e-1..1e-4, both outer methods and the instances of (min over the run of ||grad "
    "F(theta_k)||) / eps with delta = eps^2/beta1^2; dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_common.BOUND_TOL, "the ratio is exact to round-off; 1e-6 fixed before the run"),
    group=_algorithms.GROUP,
)

EPS_FAMILY = (1e-1, 1e-2, 1e-3, 1e-4)  # four decades: the fewest points runners.big_o fits a growth to
SETTLE_EPS = _algorithms.SETTLE_EPS
METHODS = ("NormalizedGD", "GD")


def instances(quick: bool) -> tuple[str, ...]:
    """The instances run (``_algorithms.INSTANCES``): the non-convex one in quick, all three in default (budget)."""
    return ("nonconvex",) if quick else _algorithms.INSTANCES


def delta_of(instance: str, eps: float, power: float = 2.0) -> float:
    r""":math:`\delta=\varepsilon^{p}/\beta_1^2` (:math:`p=2`: the statement's :math:`\delta\sim\varepsilon^2`),
    :math:`\beta_1=` Corollary 1's corrected bias per :math:`\sqrt\delta` (``_algorithms.delta_for_eps``)."""
    return _algorithms.delta_for_eps(instance, eps ** (power / 2.0))


@replayable
def ratio(instance: str, method: str, eps: float, power: float = 2.0) -> float:
    r""":math:`\min_k\|\nabla F(\theta_k)\|/\varepsilon` of Algorithm 1's run with :math:`\delta=` :func:`delta_of`;
    NaN when the run does not settle within the cap (no measurement).  ``power`` < 2 (a coarser precision than the
    statement's) is the tests' can-fail family."""
    run = _algorithms.alg1(instance, method, "corrected", delta_of(instance, eps, power), SETTLE_EPS)
    return run["min_grad_norm"] / eps if (run["cycled"] or run["reached"]) else math.nan


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """The eps family per instance and method, decided by runners.big_o (growth in 1/eps)."""
    ms, fails, examples, rows = [], 0, [], []
    growth_by_series: dict[str, list] = {}
    for name in instances(ctx.quick):
        for method in METHODS:
            for e in EPS_FAMILY:
                ctx.check_time()
                d = delta_of(name, e)
                run = _algorithms.cached_run(ctx, name, method, "corrected", d, SETTLE_EPS)
                kw = {"instance": name, "method": method, "eps": e}
                ok = run["cycled"] or run["reached"]
                v = run["min_grad_norm"] / e
                rows.append({"instance": name, "method": method, "eps": e, "delta": d, "settled": ok, "ratio": v})
                if not ok:
                    fails += 1
                    examples.append(f"{kw}: not settled in {run['steps_run']} steps")
                    continue
                m = Measurement(v, {**kw, "delta": d, "steps_run": run["steps_run"]}, Replay(f"{__name__}:ratio", kw))
                ms.append(m)
                growth_by_series.setdefault(f"{name}, {method}", []).append((1.0 / e, m))
    # the growth test runs on the series whose ratio rose most from the largest to the smallest eps
    series = max(growth_by_series.values(), key=lambda g: g[-1][1].value / g[0][1].value, default=[])
    return runners.big_o(
        ctx,
        STATEMENT,
        ms,
        growth=series,
        growth_parameter="1/eps",
        failures=fails,
        failure_examples=examples,
        power_ok=not ctx.quick,
        power_note="quick runs the non-convex instance only",
        evidence={"runs": rows, "delta_over_eps2": {r["instance"]: r["delta"] / r["eps"] ** 2 for r in rows}},
    )
