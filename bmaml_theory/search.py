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
    worst: float  # largest valid ratio found (after local optimisation); -inf when none was valid
    p: np.ndarray  # its encoding
    worst_unpinned: float  # largest valid ratio reached from the random starts alone (pins excluded)
    worst_pinned: float  # largest valid ratio reached from the pinned starts (-inf without pins)
    evaluations: int
    failures: int  # evaluations that raised or returned a non-finite number
    skipped: int  # evaluations outside the measurable class (ratio returned None)
    failure_examples: tuple[str, ...]


def maximize(
    ratio: Callable[[np.ndarray], float | None],
    dim: int,
    *,
    starts: int,
    seed: int,
    maxfev: int,
    scale: float = 1.5,
    pins: list[np.ndarray] | None = None,
    check_time: Callable[[], None] | None = None,
) -> SearchResult:
    r"""Maximise ``ratio(p)`` by Nelder-Mead from ``starts`` seeded Gaussian starts (plus ``pins``).

    Fail closed: ``ratio`` returns a finite float, or ``None`` for an encoding outside the measurable class
    (counted as skipped).  An evaluation that raises or returns a non-finite number is a **failure**: counted,
    reported with examples, and treated as minus infinity by the optimiser, never as a harmless 0.  ``check_time``
    is called before every evaluation (it raises to stop a search past its deadline).
    """
    if dim < 1 or starts < 0 or maxfev < 1:
        raise ValueError(f"need dim >= 1, starts >= 0, maxfev >= 1; got dim={dim}, starts={starts}, maxfev={maxfev}")
    count = skipped = failures = 0
    examples: list[str] = []

    def safe(p: np.ndarray) -> float:
        nonlocal count, skipped, failures
        if check_time is not None:
            check_time()
        count += 1
        try:
            v = ratio(p)
            if v is None:
                skipped += 1
                return -np.inf
            v = float(v)
        except Exception as exc:  # fail closed: counted and reported, never a silent 0
            failures += 1
            if len(examples) < 5:
                examples.append(f"{type(exc).__name__}: {exc} at p={np.asarray(p).round(6).tolist()}")
            return -np.inf
        if not np.isfinite(v):
            failures += 1
            if len(examples) < 5:
                examples.append(f"non-finite ratio {v} at p={np.asarray(p).round(6).tolist()}")
            return -np.inf
        return v

    rng = np.random.default_rng(seed)
    n_pins = len(pins or [])
    x0s = [np.asarray(q, dtype=np.float64) for q in (pins or [])]
    x0s += [scale * rng.standard_normal(dim) for _ in range(starts)]
    if not x0s:
        raise ValueError("no start: give starts >= 1 or pins")
    best, best_p = -np.inf, x0s[0]
    worst_unpinned = worst_pinned = -np.inf

    def objective(p: np.ndarray) -> float:
        v = safe(p)
        return -v if np.isfinite(v) else 1e300  # a failed or skipped point is never a maximum

    for j, x0 in enumerate(x0s):
        v0 = safe(x0)
        res = minimize(objective, x0, method="Nelder-Mead", options={"maxfev": maxfev, "xatol": 1e-6})
        v = safe(res.x)
        for cand, val in ((x0, v0), (res.x, v)):
            if j < n_pins:
                worst_pinned = max(worst_pinned, val)
            else:
                worst_unpinned = max(worst_unpinned, val)
            if val > best:
                best, best_p = val, np.array(cand)
    return SearchResult(
        float(best), best_p, float(worst_unpinned), float(worst_pinned), count, failures, skipped, tuple(examples)
    )
