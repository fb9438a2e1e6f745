r"""A small instance generator for the tests: one logistic task and theta in n = 2 from 12 numbers.

(The package's first adversarial search encoded its instances this way; the search itself is
:mod:`bmaml_theory.search`.)  An instance is one logistic task (:class:`~bmaml_theory.tasks.logistic.LogisticTasks`, M = 1, n = 2)
decoded from an unconstrained vector ``p``:

* ``p[0:2]``  the training point :math:`\hat x` (label +1);
* ``p[2:5]``  eigenvalues and angle of the training quadratic part :math:`Q` (indefinite allowed, so the
  training objective may be non-convex);
* ``p[5:7]``  the test point :math:`x`; ``p[7:9]`` the test linear term :math:`r` (train != test);
* ``p[9:11]`` theta; ``p[11]`` puts lam at :math:`2\hat L_1\min(1+p_{11}^2, 10)`, at or above the threshold;
* every entry is clipped to [-10, 10]: a bounded box, so each worst ratio is a sup over a bounded class;
* ``p[11:]``  claim-specific extras (nu, a direction of theta - theta', a distance, delta).

M = 1 makes Assumption 4 hold with zeta = 0 exactly.  :data:`EXTREMAL_P` encodes the derivations' extremal instance
(:func:`bmaml_theory.studies.extremal.extremal_instance`).
"""

from __future__ import annotations

import numpy as np

from bmaml_theory.tasks.logistic import LogisticTasks

__all__ = ["BASE_DIM", "EXTREMAL_P", "decode", "instance_dict"]

BASE_DIM = 12
LAM_MULT_MAX = 10.0
BOX = 10.0
# xh = (0, 1e-2); Q eigenvalues (-1, 0) at angle 0; x = (2, 0); r = (-20, 0), clipped by the box to (-10, 0);
# theta = (0, 0); lam multiplier 1 (lam = 2 Lhat1)
EXTREMAL_P = np.array([0.0, 1e-2, -1.0, 0.0, 0.0, 2.0, 0.0, -20.0, 0.0, 0.0, 0.0, 0.0])


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
