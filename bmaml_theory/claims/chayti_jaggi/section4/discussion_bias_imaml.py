r"""The Discussion after Corollary 1, second sentence: iMAML with a :math:`\delta'`-approximate linear solve has bias
:math:`O(\delta+\delta')`.

**As printed** (Chayti & Jaggi, Section 4.2, Discussion): "If, as in iMAML[30], one solves the linear system in (8) up
to a precision :math:`\delta'`, then this leads to a bias of the order :math:`\mathcal O(\delta+\delta')`."  It follows
the sentence of ``discussion-bias`` (eq. (7) at a :math:`\delta`-approximate :math:`\phi^*_i`), so (8) is formed at the
approximate solution :math:`\tilde\phi_i` and solved to precision :math:`\delta'`: :math:`\|\tilde v_i-v_i(\tilde\phi_i)\|
\le\delta'`.  (If "precision" meant the residual :math:`\|(I+\nabla^2\hat f_i/\lambda)\tilde v-\nabla f_i\|\le\delta'`,
the distance would be at most :math:`(\lambda/\mu)\delta'\le2\delta'`: the same :math:`O(\cdot)`.)

**Standing assumptions.** As ``discussion-bias``: Assumptions 1-2, :math:`\lambda\ge2\hat L_1`, (13); the errors of
:math:`\tilde\phi_i` (norm :math:`\delta`) and of the solve (norm :math:`\delta'`) in any directions, both searched, with
:math:`\delta,\delta'\in(10^{-6},1)` independently, over :class:`bmaml_theory.search.LogisticSpace`.

**Measured.** The solution of (8) at :math:`\tilde\phi_i` is eq. (7) at :math:`\tilde\phi_i`, so the bias is at most
:math:`C_7\delta+\delta'` (:mod:`._discussion`), i.e. :math:`O(\delta+\delta')` with the constant :math:`\max(C_7,1)`.
The ratio :math:`\max_i\|\tilde v_i-\nabla F_i\|/(C_7\delta+\delta')` (:func:`ratio`) is at most 1 on the class and tends
to 1 on the pinned instance (both errors along :math:`e_1`).  Decided by :func:`bmaml_theory.claims.runners.big_o`
(threshold 1, the derived constant); the growth family scales :math:`\delta` and :math:`\delta'` together
(:math:`\delta'=\delta`, the statement's joint :math:`O(\delta+\delta')`) at the worst instance.

**Tolerance** 1e-6 on the ratio (``_discussion.BOUND_TOL``), fixed before the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _discussion
from bmaml_theory.claims.chayti_jaggi.section4.discussion_bias import GROUP, discussion_check

STATEMENT = Statement(
    id="discussion-bias-imaml",
    source="Chayti & Jaggi, Section 4.2, Discussion after Corollary 1",
    statement="If, as in iMAML[30], one solves the linear system in (8) up to a precision delta', then this leads to "
    "a bias of the order O(delta + delta').",
    form="the O(delta + delta') statement of the Discussion (8 formed at the delta-approximate phi~_i, solved to "
    "distance delta'), with the derived bound C7 delta + delta' as the unit (refuted only by unbounded growth)",
    assumptions="Assumptions 1-2, lam >= 2 Lhat1, ||phi~_i - phi*_i|| <= delta (13) and ||v~_i - v_i(phi~_i)|| <= "
    "delta', both in any direction; searched: LogisticSpace (M in [1, 8], n in [2, 10], 1-4 points per set, "
    "non-convex training, lam in [2, 20] Lhat1), delta, delta' in (1e-6, 1)",
    kind="upper_bound",
    measure="sup over the searched class of max_i ||v~_i - grad F_i(theta)|| / (C7 delta + delta'); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_discussion.BOUND_TOL, _discussion.BOUND_TOL_REASON),
    group=GROUP,
)


@replayable
def ratio_at_delta(p: Any, delta: float | None = None) -> float | None:
    r""":math:`\max_i\|\tilde v_i-\nabla F_i\|/(C_7\delta+\delta')` for encoding ``p`` of ``SPACE_IMAML``; a given
    ``delta`` sets both :math:`\delta` and :math:`\delta'` (the growth family).  None outside the class or below the
    round-off margin."""
    b = _discussion.biases(_discussion.SPACE_IMAML, p, delta=delta, delta2=delta)
    if b is None:
        return None
    bound = b["C7"] * b["delta"] + b["delta2"]
    if not _discussion.measurable(b, bound):
        return None
    return float(np.max(b["imaml"])) / bound


@replayable
def ratio(p: Any) -> float | None:
    """The search's ratio: :func:`ratio_at_delta` at the encoded delta and delta'."""
    return ratio_at_delta(p)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the ratio over the class (CMA-ES), the pinned instance beside it, the joint delta family, big_o."""
    return discussion_check(ctx, STATEMENT, _discussion.SPACE_IMAML, _discussion.pin_imaml(), ratio, ratio_at_delta)
