r"""Corollary 1, explicit form of Appendix A.2: the bias (23) :math:`\frac{L_0}{\lambda}(L_1+\frac{L_0\hat L_2}{\lambda})\nu+\frac{2\delta}{\nu}`
at the appendix's :math:`\nu=\sqrt{2\lambda^2\delta/(L_0(L_1\lambda+L_0\hat L_2))}`.

**As printed** (Chayti & Jaggi, Appendix A.2, eq. (23) and the sentence after it): "The overall bias resulting from
using approximations of :math:`\phi^*_{i,\nu}(\theta)` instead of their exact values is bounded by:
:math:`\frac{L_0}{\lambda}\left(L_1+\frac{L_0\hat L_2}{\lambda}\right)\nu+\frac{2\delta}{\nu}` (23), which is minimized for
:math:`\nu=\sqrt{\frac{2\lambda^2\delta}{L_0(L_1\lambda+L_0\hat L_2)}}`, using this value of :math:`\nu` in the overall bias
(23), gives the result of Corrolary 1."  The appendix's :math:`\nu` carries a factor 2 that the main text's
(Corollary 1, checked as ``cor1``) drops; it is the minimiser of (23) as printed, where (23) equals
:math:`2\sqrt{2A\delta}`.

**Standing assumptions.** Assumptions 1-2, :math:`\lambda\ge2\hat L_1`, inner solutions :math:`\delta`-inexact as in (13)
(:math:`\|\tilde\phi-\phi^*\|\le\delta`): the worst case, placed by :class:`bmaml_theory.inexact.Adversarial`;
:math:`\nu\in(0,\mu/L_1)` (else the point is outside the class and skipped).  Searched: one logistic task in n = 2 as in
``prop2``, :math:`\delta\in[10^{-10},10^{-2}]`.

**Measured.** The sup over the searched class of the worst-case bias over (23) at the appendix's nu (:func:`ratio`).
It exceeds 1 because the inexact term is :math:`2\lambda\delta/\nu`, not :math:`2\delta/\nu` (errata E1, E2), and Prop.
2's constant is 4, not 1 (E4).  The corrected bound :math:`A'\nu+2\lambda\delta/\nu` at its minimiser
:math:`\nu^*=\sqrt{2\lambda\delta/A'}` is searched the same way (``evidence.corrected``).

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

import numpy as np

from bmaml_theory import estimators, search, theory
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common as cm
from bmaml_theory.inexact import Adversarial
from bmaml_theory.tasks.logistic import LogisticTasks

STATEMENT = Statement(
    id="cor1-explicit",
    source="Chayti & Jaggi, Appendix A.2, eq. (23) and the choice of nu after it",
    statement="The overall bias resulting from using approximations of phi*_{i,nu}(theta) instead of their exact "
    "values is bounded by: (L0/lam)(L1 + L0 Lhat2/lam) nu + 2 delta/nu, (23) which is minimized for "
    "nu = sqrt(2 lam^2 delta/(L0(L1 lam + L0 Lhat2))).",
    form="the explicit bound (23) of App. A.2 at the appendix's nu (which differs from the main text's by sqrt 2)",
    assumptions="Assumptions 1-2, lam >= 2 Lhat1, delta-inexact inner solutions (13) in the worst case, nu in "
    "(0, mu/L1); searched: one logistic task in n = 2, lam in [2, 20] Lhat1, delta in [1e-10, 1e-2]",
    kind="upper_bound",
    measure="sup over the searched class of the worst-case delta-inexact bias / (A nu + 2 delta/nu) at the "
    "appendix's nu; dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(cm.BOUND_TOL, cm.BOUND_TOL_REASON),
    group="cj-section4-search",
)

DELTA_LOG10_MAX, DELTA_DECADES = -2.0, 8.0  # delta = 10^(-2 - 8 sig(p[12])) in [1e-10, 1e-2]
PIN_DELTA = 0.0  # delta = 1e-6 on the extremal instance


def delta_of(p) -> float:
    """The training precision delta encoded by ``p[12]``."""
    return 10 ** (DELTA_LOG10_MAX - DELTA_DECADES * cm.sig(np.asarray(p, dtype=np.float64)[search.BASE_DIM]))


def with_lam(p, lam_mult: float | None) -> LogisticTasks:
    """The task of encoding ``p`` with lam = 2 Lhat1 * ``lam_mult`` (None: the encoding's own lam)."""
    t, _ = search.decode(np.asarray(p, dtype=np.float64)[: search.BASE_DIM])
    if lam_mult is None:
        return t
    return LogisticTasks.at_threshold(t.Zh, None, t.Z, factor=2 * float(lam_mult), Q=t.Q, r=t.r)


def worst_bias(t: LogisticTasks, theta, delta: float, nu: float) -> float | None:
    """The delta-inexact forward estimator's bias with adversarially placed errors; None outside (0, mu/L1)."""
    c = t.constants()
    if not (0 < nu < c.mu / c.L1):
        return None
    g = estimators.forward(t, theta, nu, inner=Adversarial(delta), per_task=True)[0]
    return float(np.linalg.norm(t.meta_gradient(theta, per_task=True)[0] - g))


def ratio(p) -> float | None:
    r"""Worst-case bias over (23) as printed, both at the appendix's :math:`\nu` (:func:`theory.cor1_nu_appendix`)."""
    t, theta = search.decode(np.asarray(p, dtype=np.float64)[: search.BASE_DIM])
    c, delta = t.constants(), delta_of(p)
    nu = theory.cor1_nu_appendix(c, delta)
    b = worst_bias(t, theta, delta, nu)
    return None if b is None else b / theory.cor1_bias_stated(c, delta, nu)


def ratio_corrected(p) -> float | None:
    r"""Worst-case bias over the corrected :math:`A'\nu+2\lambda\delta/\nu`, both at its minimiser :math:`\nu^*`."""
    t, theta = search.decode(np.asarray(p, dtype=np.float64)[: search.BASE_DIM])
    c, delta = t.constants(), delta_of(p)
    nu = theory.cor1_nu_corrected(c, delta)
    b = worst_bias(t, theta, delta, nu)
    return None if b is None else b / theory.cor1_bias_corrected(c, delta, nu)


def describe(p) -> dict:
    """The decoded delta, the appendix's nu and the printed bound (23) at encoding ``p``, for the evidence."""
    t, _ = search.decode(np.asarray(p, dtype=np.float64)[: search.BASE_DIM])
    c, delta = t.constants(), delta_of(p)
    nu = theory.cor1_nu_appendix(c, delta)
    return {"delta": delta, "nu": nu, "eq23_bound": theory.cor1_bias_stated(c, delta, nu)}


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the worst-case bias over (23) at the appendix's nu, the corrected bound in the evidence."""
    pins = [cm.pin([PIN_DELTA])]
    res = cm.run_search(ctx, "cor1-explicit", ratio, search.BASE_DIM + 1, pins, ctx.seed)
    return runners.decide(
        ctx,
        STATEMENT,
        cm.search_measurement(res, ratio, describe),
        failures=res.failures,
        failure_examples=res.failure_examples,
        evidence={
            "search": cm.search_evidence(ctx, res, 1),
            "corrected": cm.corrected_evidence(
                ctx,
                "cor1-explicit",
                ratio_corrected,
                search.BASE_DIM + 1,
                pins,
                "A' nu + 2 lam delta/nu at nu* = sqrt(2 lam delta/A'), A' = (lam L0/mu^2)(L1 + Lhat2 L0/(2 mu)) "
                "(errata E1, E2, E4)",
            ),
            "delta_range": "1e-10 .. 1e-2",
        },
    )
