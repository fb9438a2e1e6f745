r"""Corollary 3, second part: F is :math:`\mathcal L`-smooth with :math:`\mathcal L=\mathcal L_0+G\mathcal L_1`
(Corollary 2's constants, :math:`G=\lambda L_0/\mu`).

**As printed** (Chayti & Jaggi, Section 4.2, Corollary 3): "Hence, for any :math:`\theta,\theta'\in\Theta` we have
:math:`\|\nabla F(\theta)-\nabla F(\theta')\|\le\mathcal L\|\theta-\theta'\|`, where :math:`\mathcal L:=\mathcal L_0+G\mathcal L_1`,
for :math:`\mathcal L_0,\mathcal L_1` defined in Corollary 2."  It is about :math:`F=\frac1M\sum_iF_i`;
:math:`\zeta` enters through :math:`\mathcal L_0`.

**Standing assumptions.** Assumptions 1-4 and :math:`\lambda\ge2\hat L_1`.  Searched as ``cor2``: M in [2, 8],
certified :math:`\zeta` = :func:`bmaml_theory.search.zeta_bound` (a violation with it holds for every smaller
valid :math:`\zeta`), pairs as ``prop3``.

**Measured.** The sup over searched pairs of :math:`\|\nabla F(\theta)-\nabla F(\theta')\|/(\mathcal L\|\theta-\theta'\|)`
(:func:`ratio`) by CMA-ES from random starts; pinned start only: the extremal task twice, where the printed
:math:`\mathcal L_0` is :math:`\approx L_1/4` and :math:`G\mathcal L_1\approx6\cdot10^{-7}`: ratio 16 (errata E6-E7).
The corrected constants are searched too (``evidence.corrected``, local dispersion as :math:`\zeta`).

**Tolerance** 1e-6 on the ratio (``_common.BOUND_TOL``).
"""

from __future__ import annotations

from typing import Any

from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _common, _smoothness
from bmaml_theory.claims.chayti_jaggi.section4.cor2 import describe, pins

STATEMENT = Statement(
    id="cor3-smoothness",
    source="Chayti & Jaggi, Section 4.2, Corollary 3 (second part)",
    statement="Hence, for any theta, theta' in Theta we have ||grad F(theta) - grad F(theta')|| <= calL "
    "||theta - theta'||, where calL := calL0 + G calL1, for calL0, calL1 defined in Corollary 2.",
    form="the explicit constant calL0 + G calL1 with Corollary 2's printed constants, for F = (1/M) sum_i F_i",
    assumptions="Assumptions 1-4, lam >= 2 Lhat1; searched as cor2 (M in [2, 8], zeta = adversary.zeta_bound)",
    kind="upper_bound",
    measure="sup over searched pairs of ||grad F(theta) - grad F(theta')|| / ((calL0 + G calL1) ||theta - theta'||); "
    "dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_common.BOUND_TOL, _common.BOUND_TOL_REASON),
    group="cj-section4-smoothness",
)

EXTREMAL = 16.0  # errata E7: the extremal task's 4 L1 against calL0 + G calL1 ~ L1/4


@replayable
def ratio(p: Any) -> float | None:
    """The pair ratio of F against calL0 + G calL1 with Corollary 2's printed constants, zeta = zeta_bound."""
    q = _smoothness.pair(_smoothness.SPACE_MEAN, p)
    return None if q is None else _smoothness.mean_ratio(q, _smoothness.cor3_L(stated=True), "bound")


@replayable
def ratio_corrected(p: Any) -> float | None:
    """The pair ratio of F against calL0 + G calL1 with the corrected constants (errata E6), local zeta."""
    q = _smoothness.pair(_smoothness.SPACE_MEAN, p)
    return None if q is None else _smoothness.mean_ratio(q, _smoothness.cor3_L(stated=False), "local")


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the pair ratio against calL0 + G calL1 (printed), the corrected one in the evidence."""
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
                "calL0 + G calL1 with the corrected constants of Corollary 2 (errata E6), zeta = max of the local "
                "dispersions at theta and theta'",
            )
        },
    )
