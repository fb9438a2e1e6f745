r"""Shared helpers of the Fallah, Mokhtari & Ozdaglar claims: one-step MAML on a logistic task.

One-step MAML (the note's objective with one task): :math:`F(w)=f(w-\alpha\nabla f(w))`,
:math:`\nabla F(w)=(I-\alpha\nabla^2f(w))\nabla f(w-\alpha\nabla f(w))`.  The task function :math:`f` is the
*training* objective :math:`\hat f` of :class:`~bmaml_theory.tasks.logistic.LogisticTasks` (logistic loss plus an
indefinite quadratic), so :math:`L=\hat L_1` and :math:`\rho=\hat L_2` of that family.
"""

from __future__ import annotations

import math

import numpy as np

SEARCH_SEED = 7  # the seed of the old ledger's searches, kept so the numbers are comparable
STARTS, MAXFEV = 5, 250  # default search effort (Nelder-Mead starts, evaluations per start)
QUICK_STARTS, QUICK_MAXFEV = 2, 100


def sig(v: float) -> float:
    """The logistic map to (0, 1), used to encode bounded search parameters."""
    return 1.0 / (1.0 + math.exp(-float(np.clip(v, -50, 50))))


def maml_grad(t, w: np.ndarray, alpha: float) -> np.ndarray:
    r"""Exact one-step MAML gradient :math:`(I-\alpha\nabla^2\hat f(w))\nabla\hat f(w-\alpha\nabla\hat f(w))` of task 0."""
    W = np.asarray(w, dtype=np.float64)[None]
    u = W - alpha * t.train_grad(W)
    gu = t.train_grad(u)
    return (gu - alpha * t.train_hvp(W, gu))[0]
