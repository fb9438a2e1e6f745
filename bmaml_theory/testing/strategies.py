r"""Hypothesis strategies for meta-learning problems whose answers are known exactly.

Spectra are drawn directly (eigenvalues + a Haar-random basis from a drawn seed), not by filtering, so every
corner of the class the paper's assumptions admit is reached: indefinite training Hessians, train == test or not, test
spectra with condition numbers up to 1e6 and either sign, :math:`\lambda` from its threshold :math:`2\hat L_1`
upwards (Propositions 2 and 3).  Every draw is reproducible from the Hypothesis example alone (the basis comes from
a drawn integer seed), and a problem's ``repr`` rebuilds it exactly.  (One filter: ``logistic_problems(standard=True)``
keeps the draws whose margins stay below 15 for 20 inner steps, see there.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from bmaml_theory.tasks.generate import random_symmetric
from bmaml_theory.testing.problems import ACTIVATIONS, ELL2_MAX, LogisticProblem, MLPProblem, QuadraticProblem

__all__ = ["family_data", "logistic_problems", "maml_problems", "mlp_problems", "quadratic_problems", "spectra"]


@st.composite
def spectra(draw, n: int, *, max_decades: float = 6.0, signed: bool = True):
    """n eigenvalues of magnitude in [10^-d, 1] (d <= max_decades drawn), random signs if ``signed``."""
    d = draw(st.floats(0.0, max_decades))
    logs = draw(st.lists(st.floats(-d, 0.0), min_size=n, max_size=n))
    mags = 10.0 ** np.array(logs)
    if signed:
        signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
        return mags * signs
    return mags


def _check_range(lo: int, hi: int, name: str) -> None:
    if int(lo) != lo or int(hi) != hi or lo < 1 or hi < lo:
        raise ValueError(f"{name}: need integers 1 <= min_{name} <= max_{name}, got {lo!r}, {hi!r}.")


@st.composite
def family_data(
    draw,
    *,
    max_n: int = 6,
    max_M: int = 3,
    same: bool | None = None,
    lam_factor=None,
    min_n: int = 1,
    min_M: int = 1,
    max_decades_train: float = 3.0,
    max_decades_test: float = 6.0,
    indefinite: bool = True,
    scales: Sequence[float] = (1e-2, 1.0, 1e2),
    lam_factors: Sequence[float] = (1.0, 1.5, 4.0, 50.0),
    theta_scales: Sequence[float] = (0.1, 1.0, 10.0),
):
    r"""Plain NumPy data ``(A_train, b_train, lam, A_test, b_test, theta)`` of a quadratic family.

    n in [min_n, max_n], M in [min_M, max_M]; training spectra over up to ``max_decades_train`` decades, test
    spectra over up to ``max_decades_test`` decades, both signed when ``indefinite``, each scaled by one of
    ``scales``; ``same`` (drawn when None) makes the test objective the training one (Appendix B);
    :math:`\lambda=2\hat L_1\cdot` ``lam_factor`` (drawn from ``lam_factors`` when None; 1 is the threshold).
    """
    _check_range(min_n, max_n, "n")
    _check_range(min_M, max_M, "M")
    n = draw(st.integers(min_n, max_n))
    M = draw(st.integers(min_M, max_M))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale_tr = draw(st.sampled_from(list(scales)))
    eig_tr = np.stack([draw(spectra(n, max_decades=max_decades_train, signed=indefinite)) for _ in range(M)])
    A_train = random_symmetric(rng, eig_tr * scale_tr)
    same = draw(st.booleans()) if same is None else same
    b_train = rng.standard_normal((M, n))
    if same:
        A_test, b_test = A_train, b_train
    else:
        scale_te = draw(st.sampled_from(list(scales)))
        eig_te = np.stack([draw(spectra(n, max_decades=max_decades_test, signed=indefinite)) for _ in range(M)])
        A_test = random_symmetric(rng, eig_te * scale_te)
        b_test = rng.standard_normal((M, n))
    Lhat1 = float(np.max(np.abs(np.linalg.eigvalsh(A_train))))
    fac = draw(st.sampled_from(list(lam_factors))) if lam_factor is None else lam_factor
    lam = 2.0 * Lhat1 * fac
    theta = rng.standard_normal(n) * draw(st.sampled_from(list(theta_scales)))
    return A_train, b_train, lam, A_test, b_test, theta


def quadratic_problems(**kw) -> st.SearchStrategy[QuadraticProblem]:
    r"""Strategy for :class:`QuadraticProblem`: the keyword arguments of :func:`family_data`.

    Convention: :math:`\hat f_i(\phi)=\phi^\top\hat A_i\phi/2+\hat b_i^\top\phi`, :math:`f_i` likewise with the test
    arrays; :math:`\lambda\ge2\hat L_1` (the threshold of Propositions 2 and 3) with the default ``lam_factors``.
    Example: ``quadratic_problems(min_M=2, max_n=4, same=False, lam_factors=[1.0])``.
    """
    return family_data(**kw).map(lambda d: QuadraticProblem(d[0], d[1], d[3], d[4], float(d[2]), d[5]))


@st.composite
def logistic_problems(
    draw,
    *,
    min_n: int = 1,
    max_n: int = 4,
    min_M: int = 1,
    max_M: int = 3,
    max_points: int = 5,
    data_scales: Sequence[float] = (0.3, 1.0, 3.0),
    quadratic_scales: Sequence[float] = (0.0, 0.1, 1.0),
    lam_factors: Sequence[float] = (1.0, 1.5, 4.0, 50.0),
    theta_scales: Sequence[float] = (0.1, 1.0, 3.0),
    standard: bool = False,
) -> LogisticProblem:
    r"""Strategy for :class:`LogisticProblem` (non-quadratic tasks; eq. (9)'s solutions found by Newton).

    Points are Gaussian times one of ``data_scales``, labels random signs, 1..``max_points`` points per task for
    training and test (train != test); ``Q`` has a signed spectrum (indefinite training objective) of magnitude
    one of ``quadratic_scales``; :math:`\lambda=2\hat L_1\cdot` a factor from ``lam_factors`` with the bound
    :math:`\hat L_1` of :attr:`LogisticProblem.Lhat1`.  ``standard=True``: lam = 0 (standard MAML) and plain
    logistic regression (``Q``, ``q``, ``r`` zero: the loss a user writes with ``F.binary_cross_entropy_with_logits``).
    Margins :math:`|y x^\top\phi|` beyond 20 occur (F.softplus's threshold; the tolerance accounts for it); with
    ``standard=True`` only draws whose margins stay below 15 along the first 20 inner steps at the default lr are
    kept (plain logistic regression has no curvature floor: see the code).
    """
    _check_range(min_n, max_n, "n")
    _check_range(min_M, max_M, "M")
    n = draw(st.integers(min_n, max_n))
    M = draw(st.integers(min_M, max_M))
    mh = draw(st.integers(1, max_points))
    m = draw(st.integers(1, max_points))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sx = draw(st.sampled_from(list(data_scales)))
    X_train = sx * rng.standard_normal((M, mh, n))
    X_test = sx * rng.standard_normal((M, m, n))
    y_train = rng.choice([-1.0, 1.0], (M, mh))
    y_test = rng.choice([-1.0, 1.0], (M, m))
    sq = 0.0 if standard else draw(st.sampled_from(list(quadratic_scales)))
    Q = random_symmetric(rng, np.stack([draw(spectra(n, max_decades=2.0)) for _ in range(M)]) * sq)
    q = rng.standard_normal((M, n)) * (0.0 if standard else 1.0)
    r = rng.standard_normal((M, n)) * (0.0 if standard else 0.5)
    P = np.swapaxes(X_train, -1, -2) @ X_train / mh
    evQ = np.linalg.eigvalsh(Q)
    Lhat1 = float(np.max(np.maximum(np.linalg.eigvalsh(Q + ELL2_MAX * P)[:, -1], -evQ[:, 0])))
    lam = 0.0 if standard else 2.0 * max(Lhat1, 1e-6) * draw(st.sampled_from(list(lam_factors)))
    theta = rng.standard_normal(n) * draw(st.sampled_from(list(theta_scales)))
    p = LogisticProblem(X_train, y_train, X_test, y_test, Q, q, r, float(lam), theta)
    if standard:
        # Plain logistic regression has no curvature floor: with lr = 1/Lhat1 a task whose points are tiny takes huge
        # steps and its query margins can pass F.softplus's threshold, where the answer is all e^-|s| tail and no
        # implementation can be judged (the kit refuses).  Keep the draws whose margins stay below 15 along the first
        # 20 inner steps at the default lr (a filter, not a transformation: every kept draw is a legal draw).
        assume(_max_margin(p, 20) < 15.0)
    return p


def _max_margin(p: LogisticProblem, K: int) -> float:
    from bmaml_theory.testing import exact

    ts = exact._tasks(p)
    a = exact.stable_lr(p)
    top = 0.0
    for t in ts:
        phi = p.theta.copy()
        for _ in range(K + 1):
            top = max(top, float(np.max(np.abs(t.Zh @ phi))), float(np.max(np.abs(t.Z @ phi))))
            phi = phi - a * (t.grad_tr(phi) + p.lam * (phi - p.theta))
    return top


@st.composite
def _standard_quadratic(draw, *, min_n, max_n, min_M, max_M, convex, same, scales, theta_scales, max_decades):
    _check_range(min_n, max_n, "n")
    _check_range(min_M, max_M, "M")
    n = draw(st.integers(min_n, max_n))
    M = draw(st.integers(min_M, max_M))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from(list(scales)))
    eig = np.stack([draw(spectra(n, max_decades=max_decades, signed=not convex)) for _ in range(M)]) * scale
    A_train = random_symmetric(rng, eig)
    b_train = rng.standard_normal((M, n))
    same = draw(st.booleans()) if same is None else same
    if same:
        A_test, b_test = A_train, b_train
    else:
        eig_te = np.stack([draw(spectra(n, max_decades=max_decades, signed=True)) for _ in range(M)])
        A_test = random_symmetric(rng, eig_te * draw(st.sampled_from(list(scales))))
        b_test = rng.standard_normal((M, n))
    theta = rng.standard_normal(n) * draw(st.sampled_from(list(theta_scales)))
    return QuadraticProblem(A_train, b_train, A_test, b_test, 0.0, theta)


def maml_problems(
    family: str = "quadratic",
    *,
    min_n: int = 1,
    max_n: int = 6,
    min_M: int = 1,
    max_M: int = 3,
    convex: bool = True,
    same: bool | None = None,
    scales: Sequence[float] = (1e-2, 1.0, 1e2),
    theta_scales: Sequence[float] = (0.1, 1.0, 10.0),
    max_decades: float = 3.0,
    **logistic_kw,
) -> st.SearchStrategy:
    r"""Standard-MAML problems (``lam = 0``: no proximal term, the inner loop GD on :math:`\hat f_i` alone).

    ``family="quadratic"``: training Hessians positive semi-definite (``convex=True``; any lr in
    :math:`(0,2/\hat L_1)` then contracts or keeps every direction) over up to ``max_decades`` decades, times one of
    ``scales``; test objective drawn separately (signed spectrum) or, with ``same`` (drawn when None), equal to the
    training one.  ``family="logistic"``: :func:`logistic_problems` with ``standard=True`` (plain logistic regression).
    Check them with :func:`~bmaml_theory.testing.assert_maml_gradient`, ``assert_fo_maml`` or ``assert_reptile``:
    an unmodified higher / torchopt / learn2learn MAML computes exactly this.
    """
    if family == "quadratic":
        if logistic_kw:
            raise TypeError(f"maml_problems('quadratic') got unexpected arguments {sorted(logistic_kw)}.")
        return _standard_quadratic(
            min_n=min_n, max_n=max_n, min_M=min_M, max_M=max_M, convex=convex, same=same, scales=scales,
            theta_scales=theta_scales, max_decades=max_decades,
        )  # fmt: skip
    if family == "logistic":
        return logistic_problems(
            min_n=min_n, max_n=min(max_n, 4), min_M=min_M, max_M=max_M, standard=True, **logistic_kw
        )
    raise ValueError(f"family must be 'quadratic' or 'logistic', got {family!r}.")


@st.composite
def mlp_problems(
    draw,
    *,
    min_d: int = 1,
    max_d: int = 3,
    min_hidden: int = 1,
    max_hidden: int = 4,
    min_M: int = 1,
    max_M: int = 3,
    max_points: int = 5,
    activations: Sequence[str] = ACTIVATIONS,
    data_scales: Sequence[float] = (0.5, 1.0, 2.0),
    theta_scales: Sequence[float] = (0.3, 1.0),
    proximal: bool = False,
    lam_factors: Sequence[float] = (0.5, 2.0),
) -> MLPProblem:
    r"""Strategy for :class:`MLPProblem`: one-hidden-layer networks (non-convex), squared loss, few points per task.

    d in [min_d, max_d] inputs, h in [min_hidden, max_hidden] hidden units, 1..``max_points`` training and test
    points per task, inputs Gaussian times one of ``data_scales``, targets standard Gaussian, the activation from
    ``activations``, every entry of theta Gaussian times one of ``theta_scales``.  ``proximal=False`` (default):
    ``lam = 0`` (standard MAML); ``proximal=True``: :math:`\lambda` = a factor from ``lam_factors`` times the local
    :math:`\hat L_1` at theta.  One filter: the pre-activations :math:`|W_1x+b_1|` stay below 15 along the first 20
    inner steps at the default lr (``F.softplus`` returns its input beyond 20, see
    :data:`~bmaml_theory.testing.exact.SOFTPLUS_THRESHOLD`; a filter, not a transformation: every kept draw is legal).
    Check them with :func:`~bmaml_theory.testing.assert_maml_gradient`, ``assert_fo_maml`` or ``assert_reptile``.
    """
    _check_range(min_d, max_d, "d")
    _check_range(min_hidden, max_hidden, "hidden")
    _check_range(min_M, max_M, "M")
    bad = [a for a in activations if a not in ACTIVATIONS]
    if bad or not activations:
        raise ValueError(f"activations must be a non-empty subset of {ACTIVATIONS}, got {list(activations)!r}.")
    d = draw(st.integers(min_d, max_d))
    h = draw(st.integers(min_hidden, max_hidden))
    M = draw(st.integers(min_M, max_M))
    mh = draw(st.integers(1, max_points))
    m = draw(st.integers(1, max_points))
    act = draw(st.sampled_from(list(activations)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sx = draw(st.sampled_from(list(data_scales)))
    st_ = draw(st.sampled_from(list(theta_scales)))
    X_train, X_test = sx * rng.standard_normal((M, mh, d)), sx * rng.standard_normal((M, m, d))
    y_train, y_test = rng.standard_normal((M, mh)), rng.standard_normal((M, m))
    theta = st_ * rng.standard_normal(h * d + 2 * h + 1)
    p = MLPProblem(X_train, y_train, X_test, y_test, h, act, 0.0, theta)
    if proximal:
        p = p.replace(lam=float(draw(st.sampled_from(list(lam_factors))) * p.Lhat1))
    assume(_max_preactivation(p, 20) < 15.0)
    return p


def _max_preactivation(p: MLPProblem, K: int) -> float:
    from bmaml_theory.testing import exact

    ts = exact._tasks(p)
    a = exact.stable_lr(p)
    h, d = p.hidden, p.d
    top = 0.0
    for t in ts:
        phi = p.theta.copy()
        for _ in range(K + 1):
            W1, b1 = phi[: h * d].reshape(h, d), phi[h * d : h * d + h]
            for X in (t.tr.X, t.te.X):
                top = max(top, float(np.max(np.abs(X @ W1.T + b1))))
            if not np.isfinite(top):
                return np.inf
            phi = phi - a * (t.grad_tr(phi) + p.lam * (phi - p.theta))
    return top
