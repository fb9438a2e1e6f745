r"""The derivations' extremal instance of Section 4 and the curves drawn on it (Prop. 2's bias, the smoothness cloud).

**The extremal instance** (errata E4, E5): one task, n = 2; training :math:`\hat f=\ell(\hat x^\top\phi)-\tfrac12\phi_1^2`
with a tiny :math:`\hat x=(0,10^{-2})`, so :math:`\hat L_1=1`, :math:`\lambda=2\hat L_1=2` and :math:`\mu=\lambda/2` along
:math:`e_1`; test :math:`f=\ell(x^\top\phi)+r^\top\phi` with :math:`x=(2,0)`, :math:`r=(-10,0)` (:math:`r=-5x`), so at
:math:`\theta=0` (where :math:`x^\top\phi^*_0=0`) :math:`\nabla^2 f` attains :math:`L_1` and :math:`\|\nabla f\|` is
11/12 of :math:`L_0`.  :func:`extremal_instance` builds it (the claims pin it with their space's ``encode``).

Library code: never imports :mod:`bmaml_theory.claims`.
"""

from __future__ import annotations

import numpy as np

from bmaml_theory import estimators, theory
from bmaml_theory.tasks.logistic import LogisticTasks

__all__ = ["bias_curves", "extremal_instance", "figure_instances", "smoothness_samples"]


def extremal_instance() -> tuple[LogisticTasks, np.ndarray]:
    r"""(tasks, theta) of the extremal instance: :math:`\hat x=(0,10^{-2})`, :math:`Q=-e_1e_1^\top`, :math:`x=(2,0)`,
    :math:`r=(-10,0)`, :math:`\lambda=2\hat L_1`, :math:`\theta=0`."""
    Q = np.array([[[-1.0, 0.0], [0.0, 0.0]]])
    tasks = LogisticTasks.at_threshold([[[0.0, 1e-2]]], None, [[[2.0, 0.0]]], factor=2.0, Q=Q, r=[[-10.0, 0.0]])
    return tasks, np.zeros(2)


def _large_lhat2() -> tuple[LogisticTasks, np.ndarray]:
    """A task with a large training point, so the :math:`\\hat L_2\\|\\nabla F\\|` term of Prop. 3 is visible."""
    xh, Q = np.array([[[2.5, 0.5]]]), np.array([[[-0.3, 0.0], [0.0, 0.2]]])
    x, r = np.array([[[1.5, -0.5]]]), np.array([[-0.5, 0.2]])
    return LogisticTasks.at_threshold(xh, None, x, Q=Q, r=r), np.zeros(2)


def figure_instances() -> list[tuple[str, LogisticTasks, np.ndarray]]:
    """(name, tasks, theta) of the two instances drawn: the extremal one and one with a large training point."""
    return [
        ("extremal: $Q=-\\hat L_1 e_1e_1^\\top$, $r=-5x$", *extremal_instance()),
        ("large training point", *_large_lhat2()),
    ]


def bias_curves(points: int) -> list[dict]:
    r"""The forward estimator's exact-solution bias :math:`\|\nabla F_i-g^{For}_{i,\nu}\|` on ``points`` values of
    :math:`\nu\in[10^{-4},10^{-0.01}]\mu/L_1`, beside Prop. 2's bound as printed (:math:`A\nu`) and corrected."""
    out = []
    for name, t, th in figure_instances():
        c = t.constants()
        nus = c.mu / c.L1 * np.logspace(-4, -0.01, points)
        G = t.meta_gradient(th)
        bias = np.array([np.linalg.norm(G - estimators.forward(t, th, nu)) for nu in nus])
        out.append(
            {
                "name": name,
                "constants": c._asdict(),
                "nu": nus,
                "bias": bias,
                "stated": np.array([theory.prop2_bound_stated(c, v) for v in nus]),
                "corrected": np.array([theory.prop2_bound_corrected(c, v) for v in nus]),
            }
        )
    return out


def smoothness_samples(k: int, seed: int) -> list[dict]:
    r"""Local smoothness :math:`\|\nabla^2F(\theta)\|` against :math:`\|\nabla F(\theta)\|` at ``k`` random theta
    around each figure instance (one task, so :math:`\zeta=0`), with the stated and corrected lines' coefficients
    (:math:`a+b\|\nabla F\|`) of Prop. 3 and Cor. 2."""
    rng = np.random.default_rng(seed)
    out = []
    for name, t, th0 in figure_instances():
        c = t.constants()
        scale = 3.0 / max(float(np.linalg.norm(t.Z[0, 0])), 1e-3)
        thetas = th0 + scale * rng.standard_normal((k, 2)) * 10 ** rng.uniform(-1, 0.5, (k, 1))
        g = np.array([np.linalg.norm(t.meta_gradient(th)) for th in thetas])
        L = np.array([np.linalg.norm(t.meta_hessian(th), 2) for th in thetas])
        out.append(
            {
                "name": name,
                "constants": c._asdict(),
                "grad_norm": g,
                "smoothness": L,
                "lines": {
                    "prop3_stated": (c.L1, c.Lhat2 / c.lam),
                    "cor2_stated": theory.cor2_constants_stated(c, 0.0),
                    "corrected": theory.cor2_constants_corrected(c, 0.0),
                },
            }
        )
    return out
