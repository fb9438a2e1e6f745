r"""Adversarial search over the class the assumptions admit, for the upper-bound claims.

An instance is one logistic task (:class:`~bmaml_theory.tasks.logistic.LogisticTasks`, M = 1, n = 2)
decoded from an unconstrained vector ``p``:

* ``p[0:2]``  the training point :math:`\hat x` (label +1);
* ``p[2:5]``  eigenvalues and angle of the training quadratic part :math:`Q` (indefinite allowed, so the
  training objective may be non-convex);
* ``p[5:7]``  the test point :math:`x`; ``p[7:9]`` the test linear term :math:`r` (train != test);
* ``p[9:11]`` theta; ``p[11]`` puts lam at :math:`2\hat L_1\min(1+p_{11}^2, 10)`, at or above the threshold;
* every entry is clipped to [-10, 10]: a bounded box, so each worst ratio is a sup over a bounded class;
* ``p[11:]``  claim-specific extras (nu, a direction of theta - theta', a distance, delta).

:func:`maximize` runs Nelder-Mead from seeded random starts and returns the worst ratio found together
with the worst ratio among the random starts alone (the "typical draw"), so a reader sees both.
M = 1 makes Assumption 4 hold with zeta = 0 exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize

from bmaml_theory.tasks.logistic import LogisticTasks

__all__ = ["BASE_DIM", "SearchResult", "decode", "instance_dict", "maximize"]

BASE_DIM = 12
LAM_MULT_MAX = 10.0
BOX = 10.0


def decode(p: np.ndarray) -> tuple[LogisticTasks, np.ndarray]:
    """The instance (tasks, theta) encoded by ``p[:12]``: data entries clipped to [-10, 10] and
    lam = 2 Lhat1 min(1 + p[11]^2, 10), so the searched class is bounded (a sup over it is finite)."""
    p = np.clip(np.asarray(p, dtype=np.float64), -BOX, BOX)
    xh = p[0:2][None, None, :]
    c, s = np.cos(p[4]), np.sin(p[4])
    R = np.array([[c, -s], [s, c]])
    Q = (R * p[2:4]) @ R.T
    x = p[5:7][None, None, :]
    r = p[7:9][None, :]
    factor = 2 * min(1 + p[11] ** 2, LAM_MULT_MAX)
    return LogisticTasks.at_threshold(xh, None, x, factor=factor, Q=Q[None], r=r), p[9:11].copy()


def instance_dict(p: np.ndarray) -> dict:
    """A decoded instance as plain lists (reproduces a counterexample with :class:`LogisticTasks`)."""
    t, theta = decode(p)
    return {
        "family": "LogisticTasks",
        "X_train": t.Zh.tolist(),
        "Q": t.Q.tolist(),
        "X_test": t.Z.tolist(),
        "r": t.r.tolist(),
        "lam": t.lam,
        "theta": theta.tolist(),
        "constants": t.constants()._asdict(),
        "encoding": np.asarray(p).tolist(),
    }


class SearchResult(NamedTuple):
    worst: float  # largest ratio found (after local optimisation)
    p: np.ndarray  # its encoding
    worst_random: float  # largest ratio among the random starts alone
    evaluations: int


def maximize(
    ratio: Callable[[np.ndarray], float],
    dim: int,
    *,
    starts: int,
    seed: int,
    maxfev: int,
    scale: float = 1.5,
    pins: list[np.ndarray] | None = None,
) -> SearchResult:
    """Maximise ``ratio(p)`` by Nelder-Mead from ``starts`` seeded Gaussian starts (plus ``pins``).

    ``ratio`` must return a finite float; instances outside the class (degenerate constants, nu out of
    range) should return 0.0.  Evaluations that raise ValueError/RuntimeError/FloatingPointError count as 0.
    """
    count = 0

    def safe(p: np.ndarray) -> float:
        nonlocal count
        count += 1
        try:
            v = float(ratio(p))
        except (ValueError, RuntimeError, FloatingPointError, np.linalg.LinAlgError):
            return 0.0
        return v if np.isfinite(v) else 0.0

    rng = np.random.default_rng(seed)
    x0s = [np.asarray(q, dtype=np.float64) for q in (pins or [])]
    x0s += [scale * rng.standard_normal(dim) for _ in range(starts)]
    best, best_p, worst_random = -np.inf, x0s[0], -np.inf
    for j, x0 in enumerate(x0s):
        v0 = safe(x0)
        if j >= len(pins or []):  # the random starts alone, without the pinned extremal instances
            worst_random = max(worst_random, v0)
        res = minimize(lambda p: -safe(p), x0, method="Nelder-Mead", options={"maxfev": maxfev, "xatol": 1e-6})
        v = safe(res.x)
        for cand, val in ((x0, v0), (res.x, v)):
            if val > best:
                best, best_p = val, np.array(cand)
    return SearchResult(float(best), best_p, float(worst_random), count)
