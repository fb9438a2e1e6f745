"""The stochastic family of Fallah et al.'s statements: exact formulas against finite differences, quadrature and
Monte Carlo (fixed seeds; each Monte Carlo check is a 99.99% interval fixed before the run, with enough draws
that the interval is narrow compared with the quantity)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate

from bmaml_theory.tasks.stochastic import (
    PSI3_MAX,
    FallahConstants,
    StochasticTasks,
    batch_sizes,
    mc_mean,
    step_constant,
)

LEVEL = 0.9999  # each MC check fails by chance with probability ~1e-4 per coordinate; seeds are fixed anyway


def _family(seed: int, *, M=3, n=3, c=0.7, sg=0.8, sH=0.6, shared=False) -> StochasticTasks:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((M, n, n))
    A = (X + X.swapaxes(1, 2)) / 2
    if shared:
        A = np.broadcast_to(A[0], A.shape).copy()
    b = rng.standard_normal((M, n))
    p = rng.dirichlet(np.ones(M))
    Y = rng.standard_normal((M, n, n))
    S = (Y + Y.swapaxes(1, 2)) / 2
    S = S / np.abs(np.linalg.eigvalsh(S)).max(axis=1)[:, None, None]
    return StochasticTasks(A, b, p, c=c, sg=sg, sH=sH, S=S)


def _fd_grad(f, w, h=1e-5):
    return np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.size)])


@given(st.integers(0, 10**6), st.floats(0.01, 0.5))
def test_grad_F_matches_central_differences_of_F(seed, alpha):
    t = _family(seed)
    w = np.random.default_rng(seed + 1).standard_normal(t.n)
    fd = _fd_grad(lambda v: t.F(v, alpha), w)
    scale = 1 + np.abs(fd).max()
    assert np.allclose(t.grad_F(w, alpha), fd, atol=1e-6 * scale, rtol=0)


@given(st.integers(0, 10**6))
def test_task_hessian_matches_differences_of_gradient(seed):
    t = _family(seed)
    w = np.random.default_rng(seed).standard_normal(t.n)
    H = np.stack([(t.task_grad(w + 1e-6 * e) - t.task_grad(w - 1e-6 * e)) / 2e-6 for e in np.eye(t.n)], axis=-1)
    assert np.allclose(t.hess(w), H, atol=1e-7)


def test_constants_exact_values():
    A = np.array([[[2.0, 0.0], [0.0, -3.0]], [[1.0, 0.0], [0.0, 0.5]]])
    t = StochasticTasks(A, [[0.0, 1.0], [2.0, 1.0]], [0.25, 0.75], c=1.5, sg=0.3, sH=0.0)
    k = t.constants()
    assert k.L == 3.5  # max(2 + 1.5, 3) for task 0, max(1 + 1.5, -0.5) for task 1
    assert k.rho == pytest.approx(1.5 * 4 / (3 * math.sqrt(3)), rel=1e-15)
    assert math.isinf(k.sigma)  # the A_i differ: no uniform sigma over R^n
    assert k.sigma_tilde == 0.3 and k.sigma_H == 0.0
    # the sup of ||hess|| is attained at w = 0 by task 0's first eigenvalue + c
    assert np.abs(np.linalg.eigvalsh(t.hess(np.zeros(2))[0])).max() == pytest.approx(3.5, rel=1e-15)
    # rho: |psi'''| is maximal at tanh(w) = 1/sqrt 3
    w0 = math.atanh(1 / math.sqrt(3))
    assert 2 * (1 - math.tanh(w0) ** 2) * math.tanh(w0) == pytest.approx(PSI3_MAX, rel=1e-14)


def test_constants_exact_for_negative_c():
    """c < 0: L = max(lambda_max(A_i), -(lambda_min(A_i) + c)), rho = |c| 4/(3 sqrt 3); the loss is non-convex at 0."""
    A = np.array([[[0.4, 0.0], [0.0, 0.8]], [[0.5, 0.0], [0.0, 2.5]]])
    t = StochasticTasks(A, np.zeros((2, 2)), c=-1.2)
    k = t.constants()
    assert pytest.approx(2.5, rel=1e-15) == k.L  # task 1's lambda_max, approached as |w| -> inf (sech^2 -> 0)
    assert k.rho == pytest.approx(1.2 * PSI3_MAX, rel=1e-15)
    # task 0 at w = 0: A - 1.2 I = diag(-0.8, -0.4), so -(lambda_min + c) = 0.8 is attained there (non-convex)
    assert np.linalg.eigvalsh(t.hess(np.zeros(2))[0]).tolist() == pytest.approx([-0.8, -0.4], rel=1e-15)
    t2 = StochasticTasks(A[:1], np.zeros((1, 2)), c=-2.0)
    assert pytest.approx(1.6, rel=1e-15) == t2.constants().L  # -(0.4 - 2) = 1.6 > 0.8, attained at w = 0
    assert np.abs(np.linalg.eigvalsh(t2.hess(np.zeros(2))[0])).max() == pytest.approx(1.6, rel=1e-15)
    # sup of ||hess|| is never above L: sample points, both tasks
    W = np.random.default_rng(0).standard_normal((200, 2)) * 3
    assert max(np.abs(np.linalg.eigvalsh(t.hess(w))).max() for w in W) <= k.L + 1e-12
    # rho is approached along one axis at tanh(w) = 1/sqrt 3 (the third derivative of c log cosh)
    w0 = math.atanh(1 / math.sqrt(3))
    h = 1e-6
    d = (t.hess(np.array([w0 + h, 0.0]))[0] - t.hess(np.array([w0 - h, 0.0]))[0]) / (2 * h)
    assert np.abs(d).max() == pytest.approx(k.rho, rel=1e-8)


@given(st.integers(0, 10**6), st.floats(0.01, 0.5))
def test_grad_F_matches_central_differences_of_F_for_negative_c(seed, alpha):
    t = _family(seed, c=-0.9)
    w = np.random.default_rng(seed + 1).standard_normal(t.n)
    fd = _fd_grad(lambda v: t.F(v, alpha), w)
    assert np.allclose(t.grad_F(w, alpha), fd, atol=1e-6 * (1 + np.abs(fd).max()), rtol=0)


def test_mc_mean_student_uses_t_quantiles():
    X = np.arange(24.0)
    z, t = mc_mean(X, 0.99), mc_mean(X, 0.99, student=True)
    se = X.std(ddof=1) / math.sqrt(24)
    assert z.half_width == pytest.approx(2.5758293035489004 * se, rel=1e-12)
    assert t.half_width == pytest.approx(2.807335683769999 * se, rel=1e-9)  # t_{23, 0.995}


def test_sigma_is_uniform_when_hessians_are_shared():
    t = _family(3, shared=True, sH=0.0)
    k = t.constants()
    for w in np.random.default_rng(0).standard_normal((5, t.n)) * 10:
        assert t.sigma_at(w) == pytest.approx(k.sigma, rel=1e-12)
    assert t.sigma_on_ball(7.0) == pytest.approx(k.sigma, rel=1e-12)


def test_sigma_on_ball_bounds_sampled_points():
    t = _family(4)
    R = 2.0
    rng = np.random.default_rng(1)
    for _ in range(200):
        v = rng.standard_normal(t.n)
        w = R * v / np.linalg.norm(v) * rng.uniform() ** (1 / t.n)
        assert t.sigma_at(w) <= t.sigma_on_ball(R) * (1 + 1e-12)


def test_sigma_tilde_is_the_per_sample_gradient_variance():
    t = _family(5)
    w = np.array([0.4, -1.0, 0.7])
    rng = np.random.default_rng(2)
    for i in range(t.M):
        g0 = t.task_grad(w)[i]
        X = np.array([np.sum((t.batch_grad(w, t.sample_batch(i, 1, rng)) - g0) ** 2) for _ in range(20000)])
        est = mc_mean(X, LEVEL)
        exact = t.sg**2 + t.sH**2 * np.sum((t.S[i] @ w) ** 2)
        assert est.contains(exact) and est.half_width < 0.05 * exact
    assert t.sigma_tilde_at(w) ** 2 == pytest.approx(
        max(t.sg**2 + t.sH**2 * np.sum((t.S[i] @ w) ** 2) for i in range(t.M)), rel=1e-14
    )


def test_bias_e_quadrature_inside_monte_carlo_interval():
    # a strong nonlinearity (c = 4), small A and a large D_o so that the Monte Carlo noise is mostly the inner one
    rng = np.random.default_rng(6)
    A = 0.1 * np.stack([np.diag(rng.uniform(-1, 1, 3)) for _ in range(2)])
    t = StochasticTasks(A, rng.standard_normal((2, 3)), c=4.0, sg=3.0, sH=0.5)
    w, alpha = np.array([0.3, -0.2, 0.5]), 0.5
    e = t.bias_e(1, w, alpha, D_in=1)
    est = t.bias_e_mc(1, w, alpha, D_in=1, D_o=10**4, samples=30000, rng=7, level=LEVEL)
    assert est.contains(e)
    assert np.linalg.norm(e) > 10 * np.linalg.norm(est.half_width)  # the bias is resolved, not just 0 +- noise
    # the note's bound ||e|| <= alpha L sigma~ / sqrt(D_in) holds at this instance (sigma~ at w)
    assert np.linalg.norm(e) <= alpha * t.constants().L * t.sigma_tilde_at(w)


def test_bias_e_is_zero_for_quadratic_tasks_and_monte_carlo_agrees():
    t = _family(7, c=0.0)
    w = np.array([1.0, 0.5, -0.5])
    assert np.array_equal(t.bias_e(0, w, 0.3, 4), np.zeros(3))
    assert t.bias_e_mc(0, w, 0.3, D_in=4, D_o=2, samples=20000, rng=3, level=LEVEL).contains(np.zeros(3))


def test_second_moment_closed_form_inside_monte_carlo_interval():
    t = _family(8, c=0.0)
    w, alpha, D_in, D_o = np.array([0.5, -1.0, 0.2]), 0.3, 2, 3
    rng = np.random.default_rng(4)
    X = [np.sum(t._inner(w, 2, alpha, D_in, D_o, rng)[1] ** 2) for _ in range(30000)]
    assert mc_mean(X, LEVEL).contains(t.second_moment(2, w, alpha, D_in, D_o))


def test_grad_F_hat_closed_form_inside_monte_carlo_interval():
    t = _family(9, c=0.0, sH=1.5)
    w, alpha, D = np.array([1.0, -0.5, 2.0]), 0.2, 2
    rng = np.random.default_rng(5)
    X = []
    for _ in range(10000):
        i = int(t.sample_tasks(1, rng)[0])
        bt = t.sample_batch(i, D, rng)
        g = t.batch_grad(w, bt)
        X.append((np.eye(t.n) - alpha * t.batch_hess(w, bt)) @ t.task_grad(w - alpha * g)[i])
    exact = t.grad_F_hat(w, alpha, D)
    assert mc_mean(np.array(X), LEVEL).contains(exact)
    gap = np.linalg.norm(exact - t.grad_F(w, alpha))
    assert gap > 0  # the random Hessian makes F_hat != F
    # Fallah et al.'s bound on the gap (sigma~ at w)
    L, sH, sgt = t.constants().L, t.sH, t.sigma_tilde_at(w)
    assert gap <= 2 * alpha * L * sgt / math.sqrt(D) + alpha**2 * L * sH * sgt / D


@pytest.mark.parametrize("method", ["maml", "hf_maml"])
def test_maml_and_hf_maml_estimators_are_unbiased_for_quadratic_tasks(method):
    # c = 0: grad f_i is affine and D_h is independent of D_in, D_o, so E[estimate] = grad F exactly
    t = _family(10, c=0.0)
    w, alpha = np.array([0.2, 0.1, -0.4]), 0.25
    rng = np.random.default_rng(6)
    kw = {"B": 3, "D_in": 2, "D_o": 2, "D_h": 1, "rng": rng}
    if method == "maml":
        X = [t.maml_gradient(w, alpha, **kw) for _ in range(4000)]
    else:
        X = [t.hf_maml_gradient(w, alpha, delta=0.3, **kw) for _ in range(4000)]
    est = mc_mean(np.array(X), LEVEL)
    assert est.contains(t.grad_F(w, alpha))
    assert np.linalg.norm(est.half_width) < 0.25 * np.linalg.norm(t.grad_F(w, alpha))  # a real test, not 0 +- noise


def test_fo_maml_estimator_mean_is_the_first_order_term():
    t = _family(11, c=0.0)
    w, alpha = np.array([0.2, 0.1, -0.4]), 0.25
    rng = np.random.default_rng(7)
    X = [t.fo_maml_gradient(w, alpha, B=2, D_in=1, D_o=1, rng=rng) for _ in range(4000)]
    u = w - alpha * t.task_grad(w)
    est = mc_mean(np.array(X), LEVEL)
    assert est.contains(t.p @ t.task_grad(u))
    assert not est.contains(t.grad_F(w, alpha))  # FO-MAML's mean is not grad F: the Hessian term is resolved


def test_hf_maml_default_delta_uses_rho():
    t = _family(12, c=1.0)
    g = t.hf_maml_gradient(np.zeros(3), 0.1, B=2, D_in=1, D_o=1, D_h=1, rng=0)
    assert g.shape == (3,) and np.all(np.isfinite(g))
    with pytest.raises(ValueError, match="rho > 0"):
        _family(12, c=0.0).hf_maml_gradient(np.zeros(3), 0.1, B=2, D_in=1, D_o=1, D_h=1, rng=0)


def test_inv_L_tilde_without_noise_is_exactly_one_over_L():
    t = StochasticTasks(np.eye(2)[None], [[1.0, -2.0]], c=0.5)
    w, alpha = np.array([0.3, 0.4]), 0.2
    m1, m2 = t.inv_L_tilde_moments(w, alpha, B_prime=3, D_beta=2, samples=10, rng=0)
    L = t.L_of_w(w, alpha)
    assert np.allclose(m1.mean, 1 / L, rtol=1e-15) and np.allclose(m2.mean, 1 / L**2, rtol=1e-15)


def test_inv_L_tilde_moments_match_quadrature_in_one_dimension():
    # n = 1, one task, B' = 1: 1/L~ = 1/(4L + 2 rho alpha |g + s Z|), s = sg / sqrt(D_beta)
    t = StochasticTasks([[[1.0]]], [[0.3]], c=0.0, sg=2.0)
    w, alpha, rho, Db = np.array([0.2]), 0.5, 3.0, 2
    g0, s, L = float(t.task_grad(w)[0, 0]), 2.0 / math.sqrt(Db), t.constants().L
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    e1 = integrate.quad(lambda z: pdf(z) / (4 * L + 2 * rho * alpha * abs(g0 + s * z)), -np.inf, np.inf, epsabs=1e-14)[
        0
    ]
    e2 = integrate.quad(
        lambda z: pdf(z) / (4 * L + 2 * rho * alpha * abs(g0 + s * z)) ** 2, -np.inf, np.inf, epsabs=1e-14
    )[0]
    m1, m2 = t.inv_L_tilde_moments(w, alpha, B_prime=1, D_beta=Db, samples=200000, rng=1, rho=rho, level=LEVEL)
    assert m1.contains(e1) and m2.contains(e2)
    assert m1.half_width < 1e-2 * e1  # the interval resolves the moment to 1%


def test_batch_sizes_and_steps_of_the_note():
    c = FallahConstants(L=2.0, rho=4.0, sigma=5.0, sigma_tilde=1.5, sigma_H=3.0)
    # rho alpha / L = 0.5: B' = ceil((2.5)^2/2 = 3.125) = 4; D_beta = ceil((2 * 0.5 * 1.5)^2 = 2.25) = 3;
    # MAML D_h = ceil(2 alpha^2 sigma_H^2 = 1.125) = 2; HF-MAML D_h = ceil(36 (alpha rho sigma_H)^2 = 324) = 324
    assert batch_sizes("maml", 0.25, c) == {"B_prime": 4, "D_beta": 3, "D_h": 2, "B": 20}
    assert batch_sizes("hf_maml", 0.25, c)["D_h"] == 324
    assert [step_constant(m) for m in ("maml", "fo_maml", "hf_maml")] == [12.0, 18.0, 25.0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"A": np.ones((1, 2, 3)), "b": np.ones((1, 2))}, "A must have shape"),
        ({"A": np.eye(2)[None], "b": np.ones((1, 3))}, "b must have shape"),
        ({"A": np.eye(2)[None], "b": np.ones((1, 2)), "sg": -1.0}, "sg must be >= 0"),
        ({"A": np.eye(2)[None], "b": np.ones((1, 2)), "p": [0.5]}, "p must be"),
        ({"A": np.eye(2)[None], "b": np.ones((1, 2)), "S": 2 * np.eye(2)[None]}, "spectral norm 1"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StochasticTasks(**kwargs)


def test_bad_batch_sizes_and_seeds():
    t = _family(0)
    with pytest.raises(ValueError, match="D_in must be >= 1"):
        t.fo_maml_gradient(np.zeros(3), 0.1, B=1, D_in=0, D_o=1, rng=0)
    with pytest.raises(TypeError, match="rng must be"):
        t.sample_tasks(2, rng="seed")
    with pytest.raises(ValueError, match=r"w must have shape \(3,\)"):
        t.grad_F(np.zeros(2), 0.1)
    with pytest.raises(FloatingPointError):
        mc_mean([1.0, math.nan])


def test_run_without_noise_is_gradient_descent_on_F_with_the_notes_step():
    # sg = sH = 0, one task, c = 0: every estimator is exact and L~ = 4L, so MAML is GD on F with step 1/(12 * 4L)
    A = np.array([[[2.0, 0.5], [0.5, -1.0]]])
    t = StochasticTasks(A, [[1.0, -1.0]])
    w0, alpha = np.array([0.5, 2.0]), 0.1
    W, gn = t.run("maml", w0, alpha, steps=3, B=20, D_in=1, D_o=1, D_h=1, B_prime=1, D_beta=1, rng=0)
    L = t.constants().L
    w = w0.copy()
    for k in range(3):
        w = w - t.grad_F(w, alpha) / (12 * 4 * L)
        assert np.allclose(W[k + 1], w, rtol=1e-14, atol=1e-15)
    assert gn[-1] == pytest.approx(np.linalg.norm(t.grad_F(W[-1], alpha)), rel=1e-15)
    # FO-MAML drops the Hessian factor and uses C = 18
    W2, _ = t.run("fo_maml", w0, alpha, steps=1, B=20, D_in=1, D_o=1, D_h=1, B_prime=1, D_beta=1, rng=0)
    u = w0 - alpha * t.task_grad(w0)[0]
    assert np.allclose(W2[1], w0 - t.task_grad(u)[0] / (18 * 4 * L), rtol=1e-14)


def test_L_tilde_single_draw_matches_its_definition():
    t = _family(13)
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    w, alpha = np.array([0.1, 0.2, 0.3]), 0.3
    Lt = t.L_tilde(w, alpha, B_prime=4, D_beta=2, rng=g1)
    J = t.sample_tasks(4, g2)
    norms = [np.linalg.norm(t.batch_grad(w, t.sample_batch(int(j), 2, g2))) for j in J]
    k = t.constants()
    assert Lt == 4 * k.L + 2 * k.rho * alpha * float(np.mean(norms))


# --------------------------------------------------------------------------- every input class through _validation
def test_constructor_refuses_complex_bool_and_non_finite_data():
    A, b = np.eye(2)[None], np.ones((1, 2))
    with pytest.raises(TypeError, match="A is complex"):
        StochasticTasks(A + 1j * A, b)  # refused, never stored as its real part
    with pytest.raises(TypeError, match="b is boolean"):
        StochasticTasks(A, np.ones((1, 2), dtype=bool))
    with pytest.raises(TypeError, match="c must be a real number"):
        StochasticTasks(A, b, c=True)
    with pytest.raises(TypeError, match="sg must be a real number"):
        StochasticTasks(A, b, sg="0.1")
    with pytest.raises(ValueError, match="A has non-finite entries"):
        StochasticTasks(np.full((1, 2, 2), np.inf), b)
    with pytest.raises(TypeError, match="p is complex"):
        StochasticTasks(A, b, p=[1 + 0j])
    with pytest.raises(ValueError, match="overflows float64"):
        StochasticTasks(A * 1e308, b, c=1e308)


def test_overflowing_results_are_raised_naming_the_argument():
    t = _family(0)
    with pytest.raises(FloatingPointError, match=r"alpha=1e\+200.*lower alpha"):
        t.grad_F(np.array([1.0, -1.0, 0.5]), 1e200)
    with pytest.raises(FloatingPointError, match="lower alpha"):
        t.F(np.array([1.0, -1.0, 0.5]), 1e200)
    with pytest.raises(FloatingPointError, match="lower w"):
        t.loss(np.full(3, 1e200))
    with pytest.raises(ValueError, match="w has non-finite entries"):
        t.grad_F(np.array([np.nan, 0.0, 0.0]), 0.1)


def test_task_index_rho_and_sizes_are_checked():
    t = _family(0)
    with pytest.raises(TypeError, match="i must be an integer"):
        t.sample_batch(1.7, 2, rng=0)  # never truncated to task 1
    with pytest.raises(ValueError, match="i must be <= 2"):
        t.inner_noise_var(3, np.zeros(3), 2)
    with pytest.raises(TypeError, match="i must be an integer"):
        t.bias_e(True, np.zeros(3), 0.1, 2)
    with pytest.raises(ValueError, match=r"rho .* must be >= 0"):
        t.L_tilde(np.zeros(3), 0.1, B_prime=2, D_beta=2, rng=0, rho=-1.0)
    with pytest.raises(ValueError, match=r"rho .* must be >= 0"):
        t.L_of_w(np.zeros(3), 0.1, rho=-1.0)
    with pytest.raises(TypeError, match="D must be an integer"):
        t.sample_batch(0, 2.0, rng=0)


def test_work_is_bounded_with_a_clear_error():
    t = _family(0)
    w = np.zeros(3)
    with pytest.raises(ValueError, match="B must be <= 1000000"):
        t.maml_gradient(w, 0.1, B=10**8, D_in=1, D_o=1, D_h=1, rng=0)
    with pytest.raises(ValueError, match="steps must be <= 1000000"):
        t.run("maml", w, 0.1, steps=10**7, B=20, D_in=1, D_o=1, D_h=1, B_prime=1, D_beta=1, rng=0)
    with pytest.raises(ValueError, match="task draws exceeds"):
        t.run("maml", w, 0.1, steps=10**6, B=20, D_in=1, D_o=1, D_h=1, B_prime=1, D_beta=1, rng=0)
    with pytest.raises(ValueError, match="samples must be <="):
        t.inv_L_tilde_moments(w, 0.1, B_prime=1, D_beta=1, samples=10**9, rng=0)


def test_batch_sizes_with_L_zero_is_a_clear_error():
    c = FallahConstants(L=0.0, rho=0.0, sigma=1.0, sigma_tilde=1.0, sigma_H=0.0)
    with pytest.raises(ValueError, match=r"c\.L must be > 0"):
        batch_sizes("maml", 0.1, c)
    with pytest.raises(TypeError, match="c must be a FallahConstants"):
        batch_sizes("maml", 0.1, (1.0, 0.0, 1.0, 1.0, 0.0))
    t = StochasticTasks(np.zeros((1, 2, 2)), [[1.0, 0.0]])
    with pytest.raises(ValueError, match="L = 0"):
        t.run("maml", np.zeros(2), 0.1, steps=1, B=1, D_in=1, D_o=1, D_h=1, B_prime=1, D_beta=1, rng=0)


# --------------------------------------------------------------------------- Hypothesis fuzz over what validation admits
# Data at any magnitude float64 holds (exponents -300..300, either sign, subnormal w included): a call either raises a
# clear error (ValueError / TypeError / FloatingPointError whose message names an argument) or returns a finite result
# within a running-error bound of a 50-digit mpmath evaluation of the same closed form (never NaN, never silently
# wrong). The bound is the standard model fl(x op y) = (x op y)(1 + d) + e, |d| <= eps, |e| <= eta = 2^-1074
# (underflow), propagated to first order through the formula with absolute values, times 4 for the terms of order
# eps^2 it drops; nothing in it is fitted to the observed errors.
import mpmath  # noqa: E402
from hypothesis import assume, event, settings  # noqa: E402

_EPS = 2.0**-53
_ETA = 2.0**-1074
_ARG_NAMES = ("alpha", "w", "A", "b", "c", "p", "sg", "sH", "S", "rescale")


def _scaled(draw, shape, lo=-300, hi=300):
    e = draw(st.integers(lo, hi))
    vals = draw(st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=math.prod(shape), max_size=math.prod(shape)))
    return np.array(vals, dtype=float).reshape(shape) * 10.0**e


@st.composite
def _stochastic_case(draw):
    M, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    X = _scaled(draw, (M, n, n))
    A = X / 2 + X.swapaxes(1, 2) / 2
    b = _scaled(draw, (M, n))
    c = float(_scaled(draw, (1,))[0])
    p = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=M, max_size=M)))
    w = _scaled(draw, (n,), -320, 300)
    alpha = 10.0 ** draw(st.floats(-300, 300))
    return A, b, p / p.sum(), c, w, alpha


def _clear(exc: Exception) -> None:
    msg = str(exc)
    assert isinstance(exc, (ValueError, TypeError, FloatingPointError)), repr(exc)
    assert any(a in msg for a in _ARG_NAMES), msg
    assert "nan" not in msg.lower() or "NaN or inf" in msg, msg


def _mp_grad_F(A, b, p, c, w, alpha):
    """grad F and its running-error bound, both in 50-digit arithmetic (the bound's terms are absolute values)."""
    mpmath.mp.dps = 50
    M, n = b.shape
    mf = lambda x: mpmath.mpf(float(x))  # noqa: E731
    Am = [[[mf(A[i, j, k]) for k in range(n)] for j in range(n)] for i in range(M)]
    bm, wm, cm, al = [[mf(v) for v in row] for row in b], [mf(v) for v in w], mf(c), mf(alpha)
    eps, eta, ac = mpmath.mpf(_EPS), mpmath.mpf(_ETA), abs(mf(c))
    out, bound = [mpmath.mpf(0)] * n, [mpmath.mpf(0)] * n
    for i in range(M):
        g1 = [sum(Am[i][j][k] * wm[k] for k in range(n)) + bm[i][j] + cm * mpmath.tanh(wm[j]) for j in range(n)]
        g1a = [sum(abs(Am[i][j][k] * wm[k]) for k in range(n)) + abs(bm[i][j]) + ac for j in range(n)]
        e1 = [(n + 3) * (eps * g1a[j] + eta) for j in range(n)]
        u = [wm[j] - al * g1[j] for j in range(n)]
        ua = [abs(wm[j]) + al * g1a[j] for j in range(n)]
        eu = [2 * (eps * ua[j] + eta) + al * e1[j] for j in range(n)]
        g2 = [sum(Am[i][j][k] * u[k] for k in range(n)) + bm[i][j] + cm * mpmath.tanh(u[j]) for j in range(n)]
        g2a = [sum(abs(Am[i][j][k]) * ua[k] for k in range(n)) + abs(bm[i][j]) + ac for j in range(n)]
        e2 = [
            (n + 3) * (eps * g2a[j] + eta) + sum(abs(Am[i][j][k]) * eu[k] for k in range(n)) + ac * eu[j]
            for j in range(n)
        ]
        sech2 = [1 / mpmath.cosh(x) ** 2 for x in wm]
        H = [[Am[i][j][k] + (cm * sech2[j] if j == k else 0) for k in range(n)] for j in range(n)]
        Ha = [[abs(Am[i][j][k]) + (ac if j == k else 0) for k in range(n)] for j in range(n)]
        Hg = [sum(H[j][k] * g2[k] for k in range(n)) for j in range(n)]
        eHg = [sum(Ha[j][k] * ((n + 3) * eps * abs(g2[k]) + e2[k]) for k in range(n)) + (n + 3) * eta for j in range(n)]
        Gi = [g2[j] - al * Hg[j] for j in range(n)]
        eG = [
            eps * (abs(g2[j]) + 2 * al * sum(Ha[j][k] * abs(g2[k]) for k in range(n))) + eta + e2[j] + al * eHg[j]
            for j in range(n)
        ]
        pi = mf(p[i])
        out = [out[j] + pi * Gi[j] for j in range(n)]
        bound = [bound[j] + pi * (eG[j] + (M + 1) * (eps * abs(Gi[j]) + eta)) for j in range(n)]
    return [float(x) for x in out], [float(4 * x) for x in bound]


@settings(max_examples=60, deadline=None)
@given(_stochastic_case())
def test_fuzz_grad_F_is_a_clear_error_or_within_its_error_bound(case):
    A, b, p, c, w, alpha = case
    try:
        t = StochasticTasks(A, b, p, c=c)
    except Exception as exc:
        _clear(exc)
        return
    try:
        got = t.grad_F(w, alpha)
    except Exception as exc:
        _clear(exc)
        return
    assert np.all(np.isfinite(got))
    ref, bound = _mp_grad_F(t.A, t.b, t.p, t.c, w, alpha)
    assume(all(math.isfinite(x) for x in bound))  # a bound beyond float64 cannot be checked in float64
    err = np.abs(got - np.array(ref))
    event("compared with mpmath")
    assert np.all(err <= np.array(bound)), (err, bound)


@settings(max_examples=40, deadline=None)
@given(_stochastic_case(), st.integers(0, 2**32 - 1))
def test_fuzz_oracles_are_clear_errors_or_finite(case, seed):
    """The stochastic oracles on the same range: clear errors or finite numbers (their laws are tested above)."""
    A, b, p, c, w, alpha = case
    try:
        t = StochasticTasks(A, b, p, c=c, sg=0.5, sH=0.25)
    except Exception as exc:
        _clear(exc)
        return
    calls = [
        lambda: t.F(w, alpha),
        lambda: t.L_of_w(w, alpha),
        lambda: t.L_tilde(w, alpha, B_prime=2, D_beta=3, rng=seed),
        lambda: t.fo_maml_gradient(w, alpha, B=2, D_in=2, D_o=2, rng=seed),
        lambda: t.maml_gradient(w, alpha, B=2, D_in=2, D_o=2, D_h=2, rng=seed),
        lambda: t.batch_grad(w, t.sample_batch(seed % t.M, 4, rng=seed)),
        lambda: t.inner_noise_var(seed % t.M, w, 3),
    ]
    for call in calls:
        try:
            out = call()
        except Exception as exc:
            _clear(exc)
            continue
        assert np.all(np.isfinite(out))
