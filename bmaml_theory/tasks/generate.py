"""Random quadratic families covering the class the paper's assumptions admit.

Spectra are generated directly (eigenvalues + a Haar-random orthogonal basis), never by
filtering.  :data:`KINDS` names the corners of the class that the claims visit:

* ``same-psd``         train = test, PSD Hessians (Appendix B's setting), cond 1e3, lam = 2 Lhat1;
* ``indefinite-train`` indefinite training Hessians, PSD test Hessians with cond 1e6, lam = 2 Lhat1;
* ``indefinite-both``  train != test, both indefinite (Assumption 2 asks no convexity), lam = 2 Lhat1;
* ``large-lam``        as indefinite-both with lam = 20 Lhat1 (the inner problem nearly a prox step);
* ``ill-test``         test Hessians with eigenvalues over 6 decades and both signs, lam = 2 Lhat1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory._validation import check_int
from bmaml_theory.tasks.quadratic import QuadraticTasks

__all__ = ["KINDS", "MAX_M", "MAX_N", "random_family", "random_symmetric"]

# sizes beyond these take minutes (n^3 eigendecompositions per task) or gigabytes (M n^2 floats)
MAX_M = 100_000
MAX_N = 1_000

KINDS = ("same-psd", "indefinite-train", "indefinite-both", "large-lam", "ill-test")


def random_symmetric(rng: np.random.Generator, eigs: np.ndarray) -> np.ndarray:
    """Symmetric matrices Q diag(eigs) Q^T with Haar-random Q; eigs of shape (..., n)."""
    eigs = np.asarray(eigs, dtype=float)
    n = eigs.shape[-1]
    Z = rng.standard_normal((*eigs.shape[:-1], n, n))
    Q, R = np.linalg.qr(Z)
    Q = Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[..., None, :]
    A = (Q * eigs[..., None, :]) @ np.swapaxes(Q, -1, -2)
    return (A + np.swapaxes(A, -1, -2)) / 2


def _signed_logspread(rng: np.random.Generator, shape: tuple, decades: float) -> np.ndarray:
    mag = 10.0 ** rng.uniform(-decades, 0.0, shape)
    return mag * rng.choice([-1.0, 1.0], shape)


def random_family(kind: str, M: int, n: int, seed: int, **kw: Any) -> tuple[QuadraticTasks, np.ndarray]:
    """A family of ``kind`` (see :data:`KINDS`) with M tasks in dimension n, and a theta; seeded."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r:.60}.")
    M = check_int(M, "M", lo=1, hi=MAX_M)
    n = check_int(n, "n", lo=1, hi=MAX_N)
    seed = check_int(seed, "seed", lo=0)
    rng = np.random.default_rng([seed, KINDS.index(kind), M, n])
    b_train = rng.standard_normal((M, n))
    b_test = rng.standard_normal((M, n))
    theta = rng.standard_normal(n)
    lam_factor = 2.0
    if kind == "same-psd":
        A_train = random_symmetric(rng, 10.0 ** rng.uniform(-3, 0, (M, n)))
        A_test, b_test = A_train, b_train
    elif kind == "indefinite-train":
        A_train = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
        A_test = random_symmetric(rng, 10.0 ** rng.uniform(-6, 0, (M, n)))
    elif kind in ("indefinite-both", "large-lam"):
        A_train = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
        A_test = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
        lam_factor = 20.0 if kind == "large-lam" else 2.0
    else:  # ill-test
        A_train = random_symmetric(rng, rng.uniform(-1, 1, (M, n)))
        A_test = random_symmetric(rng, 5.0 * _signed_logspread(rng, (M, n), 6.0))
    Lhat1 = float(np.max(np.abs(np.linalg.eigvalsh(A_train))))
    lam = lam_factor * Lhat1
    tasks = QuadraticTasks(A_train, b_train, lam, A_test, b_test, **kw)
    return tasks, theta
