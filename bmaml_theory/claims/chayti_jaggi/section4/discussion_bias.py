r"""The Discussion after Corollary 1, first sentence: eq. (7) with a :math:`\delta`-approximate :math:`\phi^*_i` has
bias :math:`O(\delta)`.

**As printed** (Chayti & Jaggi, Section 4.2, Discussion): "As a reference, the bias of using the expression of the
meta-gradient in (7) while replacing :math:`\phi_i^*` with an approximate solution up to precision :math:`\delta`
leads to a bias of :math:`\mathcal O(\delta)`."  (The next sentence, iMAML's :math:`O(\delta+\delta')`, is the row
``discussion-bias-imaml``.)

**Standing assumptions** (the paragraphs before it: Corollary 1's): Assumptions 1 and 2, :math:`\lambda\ge2\hat L_1`
(so the inner problem is strongly convex with :math:`\mu\ge\lambda/2` and (7) is defined everywhere), a precision
:math:`\delta` as in (13): :math:`\|\tilde\phi_i-\phi^*_i\|\le\delta`, in any direction.  Searched over the whole class
:class:`bmaml_theory.search.LogisticSpace` admits (M in [1, 8], n in [2, 10], multi-point data sets, non-convex
training, :math:`\lambda\in[2,20]\hat L_1`), with :math:`\delta\in(10^{-6},1)` and the error direction searched too.

**Measured.** :math:`O(\delta)` hides a constant that may depend on the constants of the assumptions, not on
:math:`\delta` or :math:`\theta`.  The derivation in :mod:`._discussion` gives the constant
:math:`C_7=\lambda L_1/\mu+\lambda\hat L_2L_0/\mu^2` (:math:`\le2L_1+4\hat L_2L_0/\lambda`) valid for every
:math:`\delta`, so the ratio :math:`\max_i\|g_i(\tilde\phi_i)-\nabla F_i(\theta)\|/(C_7\delta)` (:func:`ratio`) is at most 1
on the class, and tends to 1 on the pinned instance.  The decision is :func:`bmaml_theory.claims.runners.big_o`'s:
threshold 1 (the derived constant); refuted only if the ratio grows without bound, which the family
:math:`\delta=10^{-1},\dots,10^{-5}` at the worst instance found tests (an :math:`O(\sqrt\delta)` bias would grow
like :math:`\delta^{-1/2}` there).

**Tolerance** 1e-6 on the ratio (``_discussion.BOUND_TOL``), fixed before the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.chayti_jaggi.section4 import _discussion

GROUP = "cj-memory-bias"

STATEMENT = Statement(
    id="discussion-bias",
    source="Chayti & Jaggi, Section 4.2, Discussion after Corollary 1",
    statement="As a reference, the bias of using the expression of the meta-gradient in (7) while replacing phi_i^* "
    "with an approximate solution up to precision delta leads to a bias of O(delta).",
    form="the O(delta) statement of the Discussion, with the derived constant C7 = lam L1/mu + lam Lhat2 L0/mu^2 as "
    "threshold (refuted only by unbounded growth of the ratio as delta -> 0)",
    assumptions="Assumptions 1-2, lam >= 2 Lhat1 (so mu >= lam/2), ||phi~_i - phi*_i|| <= delta (13) in any direction; "
    "searched: LogisticSpace (M in [1, 8], n in [2, 10], 1-4 points per set, non-convex training, lam in "
    "[2, 20] Lhat1), delta in (1e-6, 1)",
    kind="upper_bound",
    measure="sup over the searched class of max_i ||eq. (7) at phi~_i - grad F_i(theta)|| / (C7 delta); dimensionless",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(_discussion.BOUND_TOL, _discussion.BOUND_TOL_REASON),
    group=GROUP,
)


@replayable
def ratio_at_delta(p: Any, delta: float | None = None) -> float | None:
    r""":math:`\max_i\|g_i(\phi^*_i+\delta u)-\nabla F_i\|/(C_7\delta)` for encoding ``p`` of ``SPACE_EQ7`` (``delta``
    overrides the encoded one); None outside the class or below the round-off margin."""
    b = _discussion.biases(_discussion.SPACE_EQ7, p, delta=delta)
    if b is None:
        return None
    bound = b["C7"] * b["delta"]
    if not _discussion.measurable(b, bound):
        return None
    return float(np.max(b["eq7"])) / bound


@replayable
def ratio(p: Any) -> float | None:
    """The search's ratio: :func:`ratio_at_delta` at the encoded delta."""
    return ratio_at_delta(p)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Search the ratio over the class (CMA-ES), run the delta family at the worst instance, decide the O(.)."""
    return discussion_check(ctx, STATEMENT, _discussion.SPACE_EQ7, _discussion.pin_eq7(), ratio, ratio_at_delta)


def discussion_check(
    ctx: Context,
    st: Statement,
    space: Any,
    pin: np.ndarray,
    ratio_fn: Callable[[Any], float | None],
    ratio_at_delta_fn: Callable[[Any, float | None], float | None],
) -> ClaimResult:
    """Shared with ``discussion-bias-imaml``: the search of ``ratio_fn`` from random starts, the pinned instance
    beside it, the delta family (1/delta over 4 decades, ``ratio_at_delta_fn``) at the worst instance, and
    :func:`runners.big_o`.  Both functions are public module-level functions: they are the replays."""
    target = f"{ratio_fn.__module__}:{ratio_fn.__name__}"
    target_d = f"{ratio_at_delta_fn.__module__}:{ratio_at_delta_fn.__name__}"
    res = runners.run_search(ctx, ratio_fn, space, _discussion.plan(ctx))
    ms, growth = [], []
    pin_list = np.asarray(pin).tolist()
    pinned = ratio_fn(pin_list)
    if pinned is not None:
        ms.append(
            Measurement(pinned, {"pinned": True, **space.instance_dict(pin_list)}, Replay(target, {"p": pin_list}))
        )
    if res.worst_encoding is not None:
        p = np.asarray(res.worst_encoding).tolist()
        ms.append(Measurement(res.worst, space.instance_dict(p), Replay(target, {"p": p})))
    if ms:
        worst = max(ms, key=lambda m: m.value)
        p = worst.replay.kwargs["p"]
        for d in _discussion.GROWTH_DELTAS:
            ctx.check_time()
            v = ratio_at_delta_fn(p, d)
            if v is not None:
                kw = {"p": p, "delta": d}
                growth.append((1.0 / d, Measurement(v, {"delta": d}, Replay(target_d, kw))))
    closest = space.instance_dict(res.unpinned_encoding) if res.unpinned_encoding is not None else None
    return runners.big_o(
        ctx,
        st,
        ms,
        growth=growth,
        growth_parameter="1/delta",
        failures=res.failures,
        failure_examples=res.failure_examples,
        evidence={
            "search": _discussion.search_evidence(ctx, res, pinned),
            "derived_constant": "C7 = lam L1/mu + lam Lhat2 L0/mu^2 (Lipschitz constant of eq. (7) in phi on the "
            "whole class; <= 2 L1 + 4 Lhat2 L0/lam under lam >= 2 Lhat1); the pinned instance attains it as delta -> 0",
            "closest_unpinned_instance": closest,
            "growth_ratios": [[t, m.value] for t, m in growth],
        },
    )
