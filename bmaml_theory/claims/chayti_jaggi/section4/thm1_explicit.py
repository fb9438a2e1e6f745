r"""Theorem 1 with Appendix A.4's explicit count: :math:`K\le\frac{4\mathcal L_0\Delta}{\varepsilon^2}+\frac{4\mathcal L_1^2\Delta}{\mathcal L_0}`
for NormalizedGD with Theorem 1's steps and Corollary 2's printed constants.

**As printed** (Chayti & Jaggi, Appendix A.4, last display, the proof of Theorem 1): "Thus
:math:`K\le\frac{\Delta}{\min(\frac{\varepsilon^2}{4\mathcal L_0},\frac{\mathcal L_0}{4\mathcal L_1^2})}\le\frac{4\mathcal L_0\Delta}{\varepsilon^2}+\frac{4\mathcal L_1^2\Delta}{\mathcal L_0}`."
Theorem 1 applies it with Corollary 2's :math:`\mathcal L_0=L_1/4+\hat L_2\zeta/(4\lambda)`,
:math:`\mathcal L_1=\hat L_2/(2\lambda)` and the step :math:`\eta g/(\beta+\|g\|)=g/(\mathcal L_0+\mathcal L_1\|g\|)`.

**Standing assumptions.** As ``thm1`` (same runs: :mod:`bmaml_theory.studies.convergence`, exact gradients).

**Measured.** The worst over runs and :math:`\varepsilon` of steps to :math:`\varepsilon` over A.4's count (threshold 1).
On a 2-cycle the method never reaches :math:`\varepsilon`: the measure is :math:`+\infty` (measured null, ``unbounded``
true) and the counterexample's replay reruns the 2-cycle.  (A.4's algebra itself is right for valid constants:
``a4-steps``.)

**Tolerance** 1e-6 (as ``thm1``); runs that neither reach nor cycle count as failures (fail closed).
"""

from __future__ import annotations

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.claims.chayti_jaggi.section4.thm1 import STATEMENT as THM1

STATEMENT = Statement(
    id="thm1-explicit",
    source="Chayti & Jaggi, Appendix A.4 (last display) applied in Theorem 1",
    statement="Thus K <= Delta / min(eps^2/(4 calL0), calL0/(4 calL1^2)) <= 4 calL0 Delta/eps^2 + "
    "4 calL1^2 Delta/calL0 (with Theorem 1's steps and Corollary 2's constants).",
    form="the explicit count of App. A.4 for Theorem 1, with Corollary 2's printed constants",
    assumptions=THM1.assumptions,
    kind="complexity",
    measure="worst over runs and eps in 1e-1..1e-6 of (outer steps to ||grad F|| <= eps) / (4 calL0 Delta/eps^2 + "
    "4 calL1^2 Delta/calL0); dimensionless (null with unbounded=true when eps is never reached)",
    threshold=Threshold(1.0, "<="),
    tolerance=THM1.tolerance,
    figure="iterations_vs_eps.png",
    group="cj-section4-convergence",
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Steps / A.4 count (printed constants) over the NormalizedGD runs, decided against 1."""
    rows = cm.convergence_rows(ctx)
    ms, fails, ex = cm.convergence_measurements(rows, "NormalizedGD", "stated", "a4_bound")
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=fails,
        failure_examples=ex,
        evidence={
            "gradients": "exact grad F (delta = 0)",
            "stated_runs": cm.run_summary(rows, "NormalizedGD", "stated"),
        },
    )
