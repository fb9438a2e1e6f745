"""Hypothesis strategies: quadratic families over the class the paper's assumptions admit.

Spectra are drawn directly (eigenvalues + Haar basis from a drawn seed), never by filtering:
indefinite training Hessians, train != test, test spectra with condition numbers up to 1e6 and
either sign, lam from its threshold 2*Lhat1 upwards.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from bmaml_theory.tasks.generate import random_symmetric


@st.composite
def spectra(draw, n: int, *, max_decades: float = 6.0, signed: bool = True):
    """n eigenvalues of magnitude in [10^-d, 1] (d <= max_decades), random signs if ``signed``."""
    d = draw(st.floats(0.0, max_decades))
    logs = draw(st.lists(st.floats(-d, 0.0), min_size=n, max_size=n))
    mags = 10.0 ** np.array(logs)
    if signed:
        signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
        return mags * signs
    return mags


@st.composite
def family_data(draw, *, max_n: int = 6, max_M: int = 3, same: bool | None = None, lam_factor=None):
    """Plain NumPy data (A_train, b_train, lam, A_test, b_test, theta) of a family."""
    n = draw(st.integers(1, max_n))
    M = draw(st.integers(1, max_M))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale_tr = draw(st.sampled_from([1e-2, 1.0, 1e2]))
    eig_tr = np.stack([draw(spectra(n, max_decades=3.0)) for _ in range(M)]) * scale_tr
    A_train = random_symmetric(rng, eig_tr)
    same = draw(st.booleans()) if same is None else same
    b_train = rng.standard_normal((M, n))
    if same:
        A_test, b_test = A_train, b_train
    else:
        scale_te = draw(st.sampled_from([1e-2, 1.0, 1e2]))
        A_test = random_symmetric(rng, np.stack([draw(spectra(n)) for _ in range(M)]) * scale_te)
        b_test = rng.standard_normal((M, n))
    Lhat1 = float(np.max(np.abs(np.linalg.eigvalsh(A_train))))
    fac = draw(st.sampled_from([1.0, 1.5, 4.0, 50.0])) if lam_factor is None else lam_factor
    lam = 2.0 * Lhat1 * fac
    theta = rng.standard_normal(n) * draw(st.sampled_from([0.1, 1.0, 10.0]))
    return A_train, b_train, lam, A_test, b_test, theta
