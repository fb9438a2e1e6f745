r"""The remark after Corollary 3: a small :math:`\mu` makes :math:`\mathcal L=\mathcal L_0+G\mathcal L_1` much larger.

**As printed** (Chayti & Jaggi, Section 4.2, after Corollary 3): "It is worth noting that the smoothness constant
:math:`\mathcal L` shown in Corollary 3 might be much larger than :math:`\mathcal L_0` and :math:`\mathcal L_1` as
:math:`\mu` might be small."

**What it asserts checkably.** :math:`\mu` enters :math:`\mathcal L` only through :math:`G=\lambda L_0/\mu`, so the
sentence says that the factor :math:`\lambda/\mu` can be large under the corollary's hypotheses and thereby make
:math:`\mathcal L` much larger.  Under those hypotheses it cannot: :math:`\lambda\ge2\hat L_1` and
:math:`\nabla^2\hat f_i\succeq-\hat L_1I` (Assumption 1) give :math:`\lambda I+\nabla^2\hat f_i\succeq(\lambda-\hat L_1)I`,
so Assumption 3 holds with :math:`\mu\ge\lambda-\hat L_1\ge\lambda/2` (the paper's own Section 4.1 takes
:math:`\mu=\lambda-\hat L_1`), hence :math:`G\le2L_0` and

.. math::  \Phi:=\frac{\mathcal L}{\mathcal L_0+L_0\mathcal L_1}
           =\frac{\mathcal L_0+(\lambda/\mu)L_0\mathcal L_1}{\mathcal L_0+L_0\mathcal L_1}\le\frac\lambda\mu\le2,

where :math:`\mathcal L_0+L_0\mathcal L_1` is :math:`\mathcal L` with :math:`\lambda/\mu` replaced by 1: a small
:math:`\mu` enlarges :math:`\mathcal L` by at most a factor 2.  (A :math:`\mu` chosen smaller than the instance's
strong-convexity constant makes G as large as one likes on any instance; that reading says nothing about the
instance and is not checked.)  :math:`\mathcal L` *can* be much larger than :math:`\mathcal L_0`:
:math:`\mathcal L/\mathcal L_0\ge1+L_0\mathcal L_1/\mathcal L_0`, large when :math:`2L_0\hat L_2\gg\lambda L_1+\hat L_2\zeta`
(large test gradients and a fast-changing training Hessian against a small test curvature), whatever :math:`\mu`;
and along a family with :math:`\mu\to0` inside the class (training data scaled down, :func:`scaled_family`,
:math:`\mu` from 1 to :math:`10^{-6}`) :math:`\mathcal L/\max(\mathcal L_0,\mathcal L_1)` stays at 20.02-20.05
(:math:`\approx G\le2L_0`) while :math:`\mathcal L/\mathcal L_0` falls from :math:`6.2\cdot10^5` to 617.  The comparison with :math:`\mathcal L_1` alone is not
scale-free (:math:`\mathcal L/\mathcal L_1\ge G` has the units of a gradient), so the row does not rest on it.

**Standing assumptions.** Corollary 3's: Assumptions 1-4, :math:`\lambda\ge2\hat L_1`, :math:`\mu` the instance's
certified strong-convexity constant :math:`\min_i\lambda+\lambda_{\min}(Q_i)` (:class:`~bmaml_theory.tasks.logistic.LogisticTasks`),
:math:`\zeta` = :func:`bmaml_theory.search.zeta_bound` (0 for one task).  Searched: every logistic family of
:class:`bmaml_theory.search.LogisticSpace` (M in [1, 8], n in [2, 10], 1-4 points, non-convex training,
:math:`\lambda\in2\hat L_1[1,10]`).

**Measured.** The sup over the searched class of :math:`\Phi` (:func:`ratio`), by CMA-ES from random starts
(:func:`bmaml_theory.claims.runners.adversarial_upper_bound`); the pinned start only: an instance with
:math:`\lambda=2\hat L_1`, :math:`\mu=\lambda/2` and :math:`\mathcal L_0\ll L_0\mathcal L_1` (:func:`pinned_encoding`,
:math:`\Phi=2(1-1.6\cdot10^{-6})`); the sup 2 is approached, not attained.

**Threshold.** The row's kind is ``upper_bound`` because its measure is a searched sup (the ledger has no existence
kind); the comparison is ``>=``: the remark holds if the sup reaches the threshold.  "Much larger" is read as at least one order of magnitude: :math:`\sup\Phi\ge10`.  Fixed before the
run; any threshold above 2 gives the same verdict, since :math:`\Phi\le2` is derived.  The tightest correct version,
:math:`\Phi\le\lambda/\mu\le2` (errata E10.g1), is checked by the same search (``evidence.corrected``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory import theory
from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _smoothness
from bmaml_theory.search import LogisticSpace
from bmaml_theory.tasks.logistic import LogisticTasks

STATEMENT = Statement(
    id="cor3-remark",
    source="Chayti & Jaggi, Section 4.2, the remark after Corollary 3",
    statement="It is worth noting that the smoothness constant calL shown in Corollary 3 might be much larger than "
    "calL0 and calL1 as mu might be small.",
    form="the sentence's mechanism: the factor Phi = calL / (calL0 + L0 calL1) by which G = lam L0/mu's 1/mu enlarges "
    "calL = calL0 + G calL1 (Corollary 2's printed constants), read as 'can reach 10'",
    assumptions="Corollary 3's: Assumptions 1-4, lam >= 2 Lhat1, mu the certified strong-convexity constant, zeta = "
    "adversary.zeta_bound; searched: logistic families with M in [1, 8], n in [2, 10], 1-4 training and test points, "
    "non-convex training, lam in 2 Lhat1 [1, 10]",
    kind="upper_bound",  # a searched sup against a threshold (the schema has no existence kind; the comparison is >=)
    measure="sup over the searched class of calL / (calL0 + L0 calL1) (calL with lam/mu replaced by 1); dimensionless",
    threshold=Threshold(10.0, ">="),
    tolerance=Tolerance(
        0.0, "none needed: the sup is <= 2 by derivation, 8 below the threshold; the constants are exact formulas"
    ),
    group="cj-section4-smoothness-bounds",
)

SPACE = LogisticSpace(M=(1, 8))
EXTREMAL = 2.0  # lam/mu <= 2 under lam >= 2 Lhat1; Phi -> 2 as calL0 / (L0 calL1) -> 0 at lam = 2 Lhat1, mu = lam/2
CORRECTED_BOUND = 2.0  # the tightest correct version: Phi <= lam/mu <= 2 (errata E10.g1)
# The pinned instance: xh = (0, 2), Q = diag(-1, 0) (Lhat1 = 1, lam = 2, mu = 1), a tiny test point x = (1e-2, 0)
# (L1 = 2.5e-5) and r = (-10, 0) (L0 = 10.01): calL0 = L1/4 << L0 calL1 = 1.93.
PINNED = {"X_train": [[0.0, 2.0]], "Q": [[-1.0, 0.0], [0.0, 0.0]], "X_test": [[1e-2, 0.0]], "r": [-10.0, 0.0]}
FAMILY_SCALES = (
    1.0,
    1e-1,
    1e-2,
    1e-3,
)  # s of scaled_family: mu = s^2 from 1 to 1e-6 (at_threshold floors Lhat1 at 1e-6)


def constants_ratios(tasks: LogisticTasks, zeta: float) -> dict:
    r""":math:`\Phi`, :math:`\mathcal L/\mathcal L_0`, :math:`\mathcal L/\max(\mathcal L_0,\mathcal L_1)`, :math:`\lambda/\mu`
    and the constants, for ``tasks`` with Assumption 4's ``zeta`` (Corollary 2's printed constants)."""
    c = tasks.constants()
    calL0, calL1 = theory.cor2_constants_stated(c, zeta)
    calL = theory.cor3_L_stated(c, zeta)
    return {
        "Phi": calL / (calL0 + c.L0 * calL1),
        "calL_over_calL0": calL / calL0,
        "calL_over_max": calL / max(calL0, calL1),
        "lam_over_mu": c.lam / c.mu,
        "calL": calL,
        "calL0": calL0,
        "calL1": calL1,
        "G": theory.cor3_G(c),
        "mu": c.mu,
        "zeta": zeta,
    }


@replayable
def ratio(p: Any) -> float | None:
    r""":math:`\Phi=\mathcal L/(\mathcal L_0+L_0\mathcal L_1)` at encoding ``p`` of :data:`SPACE` (None outside the class)."""
    inst = _smoothness.decode(SPACE, p)
    if inst is None:
        return None
    return constants_ratios(inst.tasks, inst.zeta)["Phi"]


def describe(p: Any) -> dict:
    """Every ratio of :func:`constants_ratios` at ``p``."""
    inst = SPACE.decode(p)
    return constants_ratios(inst.tasks, inst.zeta)


def pinned_encoding() -> np.ndarray:
    """The pinned start (:data:`PINNED`, lam = 2 Lhat1, theta = 0)."""
    e = PINNED
    return SPACE.encode(e["X_train"], e["Q"], e["X_test"], e["r"], [0.0, 0.0], lam_factor=2.0)


def scaled_family(s: float) -> dict:
    r"""The pinned instance with its training data scaled to :math:`\hat x=(0,2s)`, :math:`Q=\mathrm{diag}(-s^2,0)`:
    :math:`\hat L_1=s^2`, :math:`\lambda=2s^2`, :math:`\mu=s^2\to0` as :math:`s\to0`, inside the class; returns
    :func:`constants_ratios` (one task: :math:`\zeta=0`)."""
    if not (isinstance(s, (int, float)) and 0 < s <= 1):
        raise ValueError(f"s must be a number in (0, 1] (the training data's scale), got {s!r}.")
    e = PINNED
    t = LogisticTasks.at_threshold(
        np.array([[[0.0, 2.0 * s]]]), None, np.array(e["X_test"])[None], Q=np.diag([-(s**2), 0.0])[None], r=[e["r"]]
    )
    return constants_ratios(t, 0.0)


@replayable
def scaled_family_calL_over_max(s: float) -> float:
    r""":math:`\mathcal L/\max(\mathcal L_0,\mathcal L_1)` on :func:`scaled_family` (a replay of the mu -> 0 evidence)."""
    return scaled_family(s)["calL_over_max"]


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search sup Phi from random starts (the pinned instance as a start only), decided against 10."""
    r = _smoothness.search_claim(
        ctx,
        STATEMENT,
        ratio=ratio,
        space=SPACE,
        pins=[pinned_encoding()],
        extremal=EXTREMAL,
        describe=describe,
        evidence={
            "derivation": "mu >= lam - Lhat1 >= lam/2 under lam >= 2 Lhat1 (Assumption 1: grad^2 f^_i >= -Lhat1 I), so "
            "G = lam L0/mu <= 2 L0 and Phi = (calL0 + (lam/mu) L0 calL1)/(calL0 + L0 calL1) <= lam/mu <= 2",
            "mu_to_zero_family": {
                "family": "xh = (0, 2s), Q = diag(-s^2, 0), x = (1e-2, 0), r = (-10, 0), lam = 2 Lhat1 = 2 s^2, "
                "mu = s^2",
                "replay": "bmaml_theory.claims.chayti_jaggi.section4.cor3_remark:scaled_family_calL_over_max",
                "s": list(FAMILY_SCALES),
                "mu": [scaled_family(s)["mu"] for s in FAMILY_SCALES],
                "calL_over_max_calL0_calL1": [scaled_family(s)["calL_over_max"] for s in FAMILY_SCALES],
                "calL_over_calL0": [scaled_family(s)["calL_over_calL0"] for s in FAMILY_SCALES],
            },
            "existence_part": "calL can be much larger than calL0 (calL/calL0 >= 1 + L0 calL1/calL0, large when "
            "2 L0 Lhat2 >> lam L1 + Lhat2 zeta), whatever mu: at the pinned instance calL/calL0 = "
            f"{describe(pinned_encoding())['calL_over_calL0']:.6g}, of which at most a factor 2 is due to mu",
        },
    )
    s = r.evidence["search"]
    r.evidence["corrected"] = {
        "bound": "Phi <= lam/mu <= 2 (errata E10.g1)",
        "worst_ratio": None if s["worst"] is None else s["worst"] / CORRECTED_BOUND,
        "holds": bool(s["failures"] == 0 and s["worst"] is not None and s["worst"] <= CORRECTED_BOUND),
        "search": "the same search (its worst Phi over 2)",
    }
    return r
