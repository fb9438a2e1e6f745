r"""Corollary 2: generalized smoothness of F with :math:`\mathcal L_0=\frac{L_1}{4}+\frac{\hat L_2}{4\lambda}\zeta`,
:math:`\mathcal L_1=\frac{\hat L_2}{2\lambda}`.

**As printed** (Chayti & Jaggi, Section 4.2, Corollary 2): "Under Assumptions 1, 2 and 4, for :math:`\lambda\ge2\hat L_1`,
we have for any :math:`\theta,\theta'\in\Theta`: :math:`\|\nabla F(\theta)-\nabla F(\theta')\|\le\min(\mathcal L(\theta),
\mathcal L(\theta'))\|\theta-\theta'\|`, where :math:`\mathcal L(\theta)=\mathcal L_0+\mathcal L_1\|\nabla F(\theta)\|`,
:math:`\mathcal L_0=\frac{L_1}{4}+\frac{\hat L_2}{4\lambda}\zeta` and :math:`\mathcal L_1=\frac{\hat L_2}{2\lambda}`."
It is introduced by "Combining Proposition 3 and Assumption 4, we get": it speaks of :math:`F=\frac1M\sum_iF_i`
(eq. (5)), not of each :math:`F_i`; :math:`\zeta` (Assumption 4) bounds the dispersion
:math:`\frac1M\sum_i\|\nabla F_i(\theta)-\nabla F(\theta)\|^2\le\zeta^2` for all :math:`\theta` and enters only
:math:`\mathcal L_0`.

**Standing assumptions.** Assumptions 1, 2, 4 and :math:`\lambda\ge2\hat L_1`.  Searched : logistic
families with M in [2, 8] tasks (so :math:`\zeta>0` in general), n in [2, 10], 1-4 training and test points per
task, non-convex training, :math:`\lambda\in2\hat L_1[1,10]`, pairs as ``prop3`` (:mod:`._smoothness`).
:math:`\zeta` is :func:`bmaml_theory.search.zeta_bound`, a certified valid value: the bound grows with
:math:`\zeta`, so a violation with it holds for every valid :math:`\zeta` below it, the smallest included
(``evidence.worst_instance`` reports it beside ``zeta_lower`` and the local dispersions).

**Measured.** The sup over the searched pairs of :math:`\|\nabla F(\theta)-\nabla F(\theta')\|/(\min(\mathcal L(\theta),
\mathcal L(\theta'))\|\theta-\theta'\|)` with the printed :math:`\mathcal L_0,\mathcal L_1` (:func:`ratio`), by CMA-ES
from random starts; pinned start only: the extremal task of errata E5 repeated twice (identical tasks, smallest
:math:`\zeta=0`, certified :math:`\zeta` = G = 24 but :math:`\hat L_2\approx10^{-7}`): local smoothness
:math:`4L_1` against :math:`\mathcal L_0\approx L_1/4`, ratio 16 (errata E6).  The corrected constants
:math:`(\lambda/\mu)^2(L_1+\hat L_2\zeta/\lambda)`, :math:`(\lambda/\mu)^2\hat L_2/\lambda` are searched the same
way (``evidence.corrected``) with the local dispersion as :math:`\zeta` (:mod:`._smoothness`: at most every valid
:math:`\zeta`, so a corrected bound that holds there holds for all).

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

from typing import Any

from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common, _smoothness
from bmaml_theory.claims.chayti_jaggi.section4.prop3 import smoothness_data

STATEMENT = Statement(
    id="cor2",
    source="Chayti & Jaggi, Section 4.2, Corollary 2",
    statement="Under Assumptions 1, 2 and 4, for lam >= 2 Lhat1, we have for any theta, theta' in Theta: "
    "||grad F(theta) - grad F(theta')|| <= min(L(theta), L(theta')) ||theta - theta'||, where L(theta) = calL0 + "
    "calL1 ||grad F(theta)||, calL0 = L1/4 + (Lhat2/(4 lam)) zeta and calL1 = Lhat2/(2 lam).",
    form="the explicit constants calL0, calL1 of Corollary 2, for F = (1/M) sum_i F_i",
    assumptions="Assumptions 1, 2, 4, lam >= 2 Lhat1; searched: logistic families with M in [2, 8] tasks, n in "
    "[2, 10], 1-4 training and test points, non-convex training, lam in 2 Lhat1 [1, 10], ||theta - theta'|| in "
    "(1e-4, 10); zeta = adversary.zeta_bound (certified, > 0)",
    kind="upper_bound",
    measure="sup over searched pairs of ||grad F(theta) - grad F(theta')|| / (min(calL0 + calL1||grad F||) "
    "||theta - theta'||); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_common.BOUND_TOL, _common.BOUND_TOL_REASON),
    figure="smoothness_envelope.png",
    group="cj-section4-smoothness",
)

EXTREMAL = 16.0  # errata E6: local smoothness 4 L1 against calL0 = L1/4 (Lhat2 ~ 1e-7 makes the zeta terms vanish)


@replayable
def ratio(p: Any) -> float | None:
    """The pair ratio of F against Corollary 2's printed calL0 + calL1 ||grad F||, zeta = zeta_bound."""
    q = _smoothness.pair(_smoothness.SPACE_MEAN, p)
    return None if q is None else _smoothness.mean_ratio(q, _smoothness.cor2_L(stated=True), "bound")


@replayable
def ratio_corrected(p: Any) -> float | None:
    """The pair ratio of F against the corrected constants (errata E6), zeta = the local dispersion."""
    q = _smoothness.pair(_smoothness.SPACE_MEAN, p)
    return None if q is None else _smoothness.mean_ratio(q, _smoothness.cor2_L(stated=False), "local")


def describe(p: Any) -> dict:
    """The pair at ``p`` for the evidence (zeta_bound beside zeta_lower and the local dispersions)."""
    return _smoothness.describe_pair(_smoothness.SPACE_MEAN, p)


def pins() -> list:
    """The extremal task twice (M = 2) at theta = 0, direction e1, distance 1.7e-4."""
    return [_smoothness.extremal_encoding(_smoothness.SPACE_MEAN, 2)]


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the pair ratio of F against Corollary 2's printed constants, the corrected ones in the evidence."""
    return _smoothness.search_claim(
        ctx,
        STATEMENT,
        ratio=ratio,
        space=_smoothness.SPACE_MEAN,
        pins=pins(),
        extremal=EXTREMAL,
        describe=describe,
        evidence={
            "corrected": _smoothness.corrected_evidence(
                ctx,
                ratio_corrected,
                _smoothness.SPACE_MEAN,
                pins(),
                "calL0 = (lam/mu)^2 (L1 + Lhat2 zeta/lam), calL1 = (lam/mu)^2 Lhat2/lam (errata E6), zeta = "
                "max of the local dispersions at theta and theta' (<= every valid zeta)",
            )
        },
        data={"samples": smoothness_data(ctx)},
    )
