r"""Appendix A.4: with valid :math:`(\mathcal L_0,\mathcal L_1)`-smoothness, the step
:math:`1/(\mathcal L_0+\mathcal L_1\|\nabla F\|)` reaches :math:`\varepsilon` within
:math:`4\mathcal L_0\Delta/\varepsilon^2+4\mathcal L_1^2\Delta/\mathcal L_0` steps.

**As printed** (Chayti & Jaggi, Appendix A.4): for "a differentiable function :math:`F` satisfying
:math:`\|\nabla F(\theta)-\nabla F(\theta')\|\le\min(\mathcal L(\theta),\mathcal L(\theta'))\|\theta-\theta'\|`" with
:math:`\mathcal L(\theta)=\mathcal L_0+\mathcal L_1\|\nabla F(\theta)\|`, "Thus
:math:`K\le\dots\le\frac{4\mathcal L_0\Delta}{\varepsilon^2}+\frac{4\mathcal L_1^2\Delta}{\mathcal L_0}`."

**Standing assumptions.** The lemma's own: :math:`F` satisfies the smoothness inequality with the constants used.  On the
instances of :mod:`bmaml_theory.studies.convergence` the corrected constants of Corollary 2 (errata E6, checked by the
``cor2`` search's ``evidence.corrected``) are valid; the printed ones are not (``cor2``), so they are checked under
``thm1-explicit``.

**Measured.** The worst over runs and :math:`\varepsilon\in\{10^{-1},\dots,10^{-6}\}` of steps to :math:`\varepsilon` over
A.4's count, NormalizedGD with the corrected constants (threshold 1).  A 2-cycle would give :math:`+\infty` (violated,
replayable); the bound is worst case and loose by orders of magnitude on these instances.

**Tolerance** 1e-6 (as ``thm1``); runs that neither reach nor cycle count as failures (fail closed).
"""

from __future__ import annotations

from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.claims.chayti_jaggi.section4.thm1 import STATEMENT as THM1

STATEMENT = Statement(
    id="a4-steps",
    source="Chayti & Jaggi, Appendix A.4",
    statement="For F with ||grad F(theta) - grad F(theta')|| <= min(L(theta), L(theta'))||theta - theta'||, "
    "L(theta) = calL0 + calL1 ||grad F(theta)||, the step 1/L(theta) gives K <= 4 calL0 Delta/eps^2 + "
    "4 calL1^2 Delta/calL0.",
    form="the explicit count of App. A.4 for valid constants (Corollary 2's corrected constants, errata E6)",
    assumptions="the lemma's smoothness inequality with valid constants; the instances of thm1 (one task, "
    "F* = log 2, lam = 2 Lhat1, exact meta-gradients)",
    kind="complexity",
    measure="worst over runs and eps in 1e-1..1e-6 of (outer steps to ||grad F|| <= eps) / (4 calL0 Delta/eps^2 + "
    "4 calL1^2 Delta/calL0) with the corrected constants; dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=THM1.tolerance,
    figure="iterations_vs_eps.png",
    group="cj-section4-convergence",
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Steps / A.4 count over the corrected NormalizedGD runs, decided against 1."""
    rows = cm.convergence_rows(ctx)
    ms, fails, ex = cm.convergence_measurements(rows, "NormalizedGD", "corrected", "a4_bound")
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=fails,
        failure_examples=ex,
        evidence={
            "constants": "corrected Corollary 2 constants (errata E6), zeta = 0 (one task)",
            "runs": cm.run_summary(rows, "NormalizedGD", "corrected"),
            "note": "the bound is worst case; these instances converge in a few dozen steps",
        },
        data={"runs": [r for r in rows if r["method"] == "NormalizedGD" and r["constants"] == "corrected"]},
    )
