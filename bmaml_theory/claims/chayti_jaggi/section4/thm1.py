r"""Theorem 1, the :math:`O(\cdot)` statement of Section 4.3: NormalizedGD with :math:`\eta=1/\mathcal L_1`,
:math:`\beta=\mathcal L_0/\mathcal L_1` reaches :math:`\|\nabla F\|\le\varepsilon+O(\sqrt\delta)` within
:math:`O(\mathcal L_0\Delta/\varepsilon^2+\mathcal L_1^2\Delta/\mathcal L_0)` outer steps.

**As printed** (Chayti & Jaggi, Section 4.3, Theorem 1): "Under the generalized smoothness shown in Corollary 2 and its
assumptions, Algorithm 1, using NormalizedGD with :math:`\eta=\frac{1}{\mathcal L_1}` and
:math:`\beta=\frac{\mathcal L_0}{\mathcal L_1}`, finds a meta-parameter :math:`\theta` satisfying
:math:`\|\nabla F(\theta)\|\le\varepsilon+\mathcal O(\sqrt\delta)` in at most
:math:`\mathcal O\left(\frac{\mathcal L_0\Delta}{\varepsilon^2}+\frac{\mathcal L_1^2\Delta}{\mathcal L_0}\right)` outer steps."
:math:`\mathcal L_0,\mathcal L_1` are Corollary 2's printed constants; the step sizes are explicit.

**Standing assumptions.** Corollary 2's (Assumptions 1, 2, 4, :math:`\lambda\ge2\hat L_1`), :math:`F` bounded below by
:math:`F^*` and :math:`\Delta=F(\theta_0)-F^*` (Section 4.3).  Instances of :mod:`bmaml_theory.studies.convergence`:
one task (:math:`\zeta=0`), :math:`F^*=\log2` known exactly, :math:`\lambda=2\hat L_1`, exact :math:`\nabla F`
(:math:`\delta=0`, so the :math:`O(\sqrt\delta)` term vanishes and "reaches eps" is what is claimed).

**Measured.** Per run and per :math:`\varepsilon\in\{10^{-1},\dots,10^{-6}\}`: outer steps to
:math:`\|\nabla F\|\le\varepsilon` over the printed rate :math:`\mathcal L_0\Delta/\varepsilon^2+\mathcal L_1^2\Delta/\mathcal L_0`;
the worst is the measure.  The hidden constant is what A.4's derivation gives for valid constants, 4 (threshold).
With the printed constants the step :math:`1/\mathcal L_0=4/L_1` near a minimiser exceeds :math:`2/` (local smoothness,
up to :math:`4L_1`), the minimiser repels and the iterates settle on a 2-cycle: the method never reaches
:math:`\varepsilon`, so no constant works (measured null, ``unbounded`` true; the counterexample's replay reruns the
2-cycle, :func:`bmaml_theory.studies.convergence.steps_ratio`).  Decided by
:func:`bmaml_theory.claims.runners.big_o`.

**Tolerance** 1e-6 (iteration counts are integers; the rates are exact to round-off).  A run that neither reaches
:math:`\varepsilon` nor cycles within ``MAX_ITER`` gives only a lower bound and counts as a failure (fail closed).
"""

from __future__ import annotations

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.studies import convergence

A4_CONSTANT = 4.0  # A.4: K <= 4 calL0 Delta/eps^2 + 4 calL1^2 Delta/calL0 for valid constants

STATEMENT = Statement(
    id="thm1",
    source="Chayti & Jaggi, Section 4.3, Theorem 1",
    statement="Under the generalized smoothness shown in Corollary 2 and its assumptions, Algorithm 1, using "
    "NormalizedGD with eta = 1/calL1 and beta = calL0/calL1, finds a meta-parameter theta satisfying "
    "||grad F(theta)|| <= eps + O(sqrt(delta)) in at most O(calL0 Delta/eps^2 + calL1^2 Delta/calL0) outer steps.",
    form="the O(.) statement of Section 4.3 with the printed constants of Corollary 2 (threshold: A.4's constant 4)",
    assumptions="Corollary 2's assumptions, F bounded below; one task (zeta = 0), F* = log 2 known, lam = 2 Lhat1, "
    "exact meta-gradients (delta = 0); non-convex and convex training",
    kind="complexity",
    measure="worst over runs and eps in 1e-1..1e-6 of (outer steps to ||grad F|| <= eps) / (calL0 Delta/eps^2 + "
    "calL1^2 Delta/calL0); dimensionless (null with unbounded=true when eps is never reached)",
    threshold=Threshold(A4_CONSTANT, "<="),
    tolerance=Tolerance(
        cm.BOUND_TOL, "iteration counts are integers and the rates exact to round-off; 1e-6 fixed before the run"
    ),
    figure="iterations_vs_eps.png",
    group="cj-section4-convergence",
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Steps / printed rate over the printed-constant NormalizedGD runs, decided as an O(.) with constant 4."""
    rows = cm.convergence_rows(ctx)
    ms, fails, ex = cm.convergence_measurements(rows, "NormalizedGD", "stated", "thm1_rate")
    corr, _, _ = cm.convergence_measurements(rows, "NormalizedGD", "corrected", "thm1_rate")
    worst = next((m for m in ms if m.value == float("inf")), None)
    alg1 = None
    if worst is not None:  # the 2-cycle again, with Algorithm 1's own oracle (the forward estimator (10))
        k = worst.replay.kwargs
        alg1 = convergence.run_with_forward_estimator(k["s"], k["scale"], k["theta0"], "NormalizedGD", "stated")
    return runners.big_o(
        ctx,
        STATEMENT,
        ms,
        failures=fails,
        failure_examples=ex,
        evidence={
            "gradients": "exact grad F (delta = 0)",
            "stated_runs": cm.run_summary(rows, "NormalizedGD", "stated"),
            "corrected": {
                "constants": "errata E6",
                "worst_ratio": max((m.value for m in corr), default=None),
                "runs": cm.run_summary(rows, "NormalizedGD", "corrected"),
            },
            "algorithm1_forward_estimator": alg1,
            "why": "the printed calL0 = L1/4 is up to 16x too small (errata E6): the step 1/calL0 near a minimiser "
            "exceeds 2/(local smoothness), the minimiser repels and the iterates settle on a 2-cycle",
        },
        data={"runs": [r for r in rows if r["method"] == "NormalizedGD"]},
    )
