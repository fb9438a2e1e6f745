"""The testing kit on standard MAML (lam = 0), its refusals, argument checks, named diagnoses and wider reach (NumPy).

Standard MAML's references are checked against an independent derivation (Fallah et al.'s one-step MAML gradient
(I - alpha grad^2 fhat(theta)) grad f(theta - alpha grad fhat(theta)) at K = 1) and complex-step derivatives of
the plain K-step map; momentum and Meta-SGD references likewise.  Every bug named in the kit's catalogue is
injected into a hand-written implementation and must be reported with its name.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from test_testing_kit import np_fo_maml, np_maml, np_reptile

from bmaml_theory.tasks.generate import random_family
from bmaml_theory.testing import (
    ImplementationError,
    LogisticProblem,
    MetaGradientMismatchError,
    NotJudgeableError,
    QuadraticProblem,
    assert_fo_bmaml,
    assert_fo_maml,
    assert_imaml_gradient,
    assert_maml_gradient,
    assert_meta_gradient,
    assert_reptile,
    exact,
    flatten,
    maml_problems,
    quadratic_problems,
    tolerance,
    unflatten,
)


def _problem(kind: str = "indefinite-both", M: int = 3, n: int = 4, seed: int = 1) -> QuadraticProblem:
    tasks, theta = random_family(kind, M, n, seed)
    return QuadraticProblem(tasks.A_train, tasks.b_train, tasks.A_test, tasks.b_test, tasks.lam, theta)


def _fwd(Ah, bh, theta, K, lr, lam=0.0, mu=0.0, nesterov=False):
    """The plain K-step map (any dtype, complex included): GD / heavy ball on fhat + lam/2||phi - theta||^2."""
    phi, v = theta, 0 * theta
    for _ in range(K):
        g = Ah @ phi + bh + lam * (phi - theta)
        v = mu * v + g
        phi = phi - lr * ((g + mu * v) if nesterov else v)
    return phi


# ============================================================================ standard MAML: exact answers
@given(maml_problems(max_n=4))
def test_one_step_maml_is_fallahs_formula(p):
    """K = 1, lam = 0: grad F(theta) = (I - a grad^2 fhat) grad f(theta - a grad fhat(theta)) (Fallah et al., eq. 4)."""
    a = exact.stable_lr(p)
    ref = exact.maml_gradient(p, 1, a)
    for i in range(p.M):
        phi = p.theta - a * (p.A_train[i] @ p.theta + p.b_train[i])
        g = (np.eye(p.n) - a * p.A_train[i]) @ (p.A_test[i] @ phi + p.b_test[i])
        assert np.linalg.norm(g - ref.per_task[i]) <= tolerance(ref, n=p.n, K=1), (i, g, ref.per_task[i])


@given(
    maml_problems(max_n=4, convex=False),
    st.integers(1, 6),
    st.sampled_from([(0.0, False), (0.9, False), (0.5, True)]),
    st.booleans(),
)
def test_standard_momentum_and_meta_sgd_references_against_complex_step(p, K, opt, vector_lr):
    """d/dtheta f_i(phi_K(theta)) by complex step through GD / heavy ball / Nesterov, scalar or per-coordinate lr."""
    mu, nest = opt
    a = exact.stable_lr(p) * (np.linspace(0.3, 1.0, p.n) if vector_lr else 0.7)
    ref = exact.maml_gradient(p, K, a, exact.Inner(mu, nest))
    h = 1e-30
    for i in range(p.M):
        g = np.empty(p.n)
        for j in range(p.n):
            phi = _fwd(p.A_train[i], p.b_train[i], p.theta + 1j * h * np.eye(p.n)[j], K, a, 0.0, mu, nest)
            g[j] = (0.5 * phi @ p.A_test[i] @ phi + p.b_test[i] @ phi).imag / h
        assert np.linalg.norm(g - ref.per_task[i]) <= tolerance(ref, n=p.n, K=K), (i, g, ref.per_task[i])


@settings(max_examples=40)
@given(maml_problems("logistic", max_n=3), st.integers(1, 4))
def test_standard_logistic_reference_against_central_differences(p, K):
    """Plain logistic regression, lam = 0: forward-mode MAML vs central differences of mean_i f_i(phi_K(theta)).

    Truncation h^2/6 |F'''| with |F'''| <= |l'''| |x|^3 |J|^3, |x| <= 3 * 3 * 2 for the data drawn and |J| <= 3^K
    (GD on a convex fhat with lr = 1/Lhat1 keeps |I - lr H| <= 1; 3 bounds it with room): 1e-5 * 3^(3K) bounds it
    at h = 1e-5 for K <= 4, fixed before the run; round-off eps |F| / h is far below.
    """
    ts = exact._tasks(p)
    a = exact.stable_lr(p)
    ref = exact.maml_gradient(p, K, a)

    def F(th):
        out = []
        for t in ts:
            phi = th.copy()
            for _ in range(K):
                phi = phi - a * t.grad_tr(phi)
            out.append(t.val_te(phi))
        return np.mean(out)

    h = 1e-5
    fd = np.array([(F(p.theta + h * e) - F(p.theta - h * e)) / (2 * h) for e in np.eye(p.n)])
    assert np.linalg.norm(fd - ref.value) <= 1e-5 * 3.0 ** (3 * K) * max(1.0, np.linalg.norm(ref.value))


@given(maml_problems(), st.integers(1, 6))
def test_correct_numpy_standard_maml_passes(p, K):
    """The hand-written NumPy MAML / FO-MAML / Reptile (lam = 0 makes them standard) pass, or the kit refuses."""
    for check, fn in ((assert_maml_gradient, np_maml), (assert_fo_maml, np_fo_maml), (assert_reptile, np_reptile)):
        try:
            check(fn, p, steps=K)
        except NotJudgeableError as err:
            note(str(err).splitlines()[1])


def test_lam_zero_quantities_that_need_a_proximal_term_are_refused():
    p = maml_problems().example() if False else _problem().replace(lam=0.0)
    for call in (
        lambda: assert_meta_gradient(lambda q: q.theta, p),
        lambda: assert_imaml_gradient(lambda q, K, lr: q.theta, p),
        lambda: assert_fo_bmaml(lambda q, nu: q.theta, p),
    ):
        with pytest.raises(ValueError, match="needs a proximal term"):
            call()
    assert p.validate().standard_maml and not p.at_threshold


# ============================================================================ refusals: zero never passes
def test_all_zero_cannot_pass_on_the_ill_conditioned_instance():
    """A = diag(-1, 1), lam = 1 + 1e-3 (cond 2e3): zero fails ("no gradient reached theta") or the kit refuses the
    instance naming the conditioning; it used to pass zero.  A correct answer passes wherever the kit judges."""
    A = np.array([[[-1.0, 0.0], [0.0, 1.0]]])
    outcomes = []
    for b, th in ((np.array([[1.0, 1.0]]), np.array([1.0, 1.0])), (np.array([[0.3, -2.0]]), np.array([0.5, 0.1]))):
        p = QuadraticProblem(A, b, A, b, 1 + 1e-3, th)
        try:
            assert_meta_gradient(lambda q: np.zeros(2), p)
        except NotJudgeableError as err:
            assert "cond(A_train + lam I)" in str(err) and "raise lam" in str(err)
            outcomes.append("refused")
        except MetaGradientMismatchError as err:
            assert "no gradient reached theta" in str(err)
            assert_meta_gradient(lambda q: q.tasks(strict=False).meta_gradient(q.theta), p)
            outcomes.append("failed")
    assert outcomes == ["refused", "failed"]  # |exact| 0.5 (tolerance 0.28): refused; |exact| 2e5: judged


def test_fo_bmaml_at_tiny_nu_is_refused_naming_nu():
    p = _problem()
    with pytest.raises(NotJudgeableError, match=r"nu = 1e-12: the estimate divides differences"):
        assert_fo_bmaml(lambda q, nu: np.zeros(q.n), p, nu=1e-12)


def test_exact_zero_answer_is_refused():
    p = QuadraticProblem(np.eye(2)[None], np.zeros((1, 2)), np.eye(2)[None], np.zeros((1, 2)), 2.0, np.zeros(2))
    with pytest.raises(NotJudgeableError, match="the exact answer is 0"):
        assert_maml_gradient(lambda q, K, lr: np.zeros(2), p, steps=2)


def test_atol_that_lets_zero_pass_is_refused():
    p = _problem()
    with pytest.raises(NotJudgeableError, match="atol="):
        assert_maml_gradient(np_maml, p, steps=2, atol=1e6)


# ============================================================================ argument checks
@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda p: assert_maml_gradient(np_maml, p, steps=10**9),
            ValueError,
            r"steps must be an integer in \[1, 10000\]",
        ),
        (lambda p: assert_maml_gradient(np_maml, p, steps=2.0), TypeError, "steps must be an integer"),
        (lambda p: assert_maml_gradient(np_maml, p, steps=True), TypeError, "steps must be an integer"),
        (lambda p: assert_maml_gradient(np_maml, p, lr="0.01"), TypeError, "lr must be a real number"),
        (lambda p: assert_maml_gradient(np_maml, p, lr=1 + 0j), TypeError, "lr must be a real number"),
        (lambda p: assert_maml_gradient(np_maml, p, lr=[0.1, 0.2]), TypeError, r"lr must be .* shape \(4,\)"),
        (lambda p: assert_fo_bmaml(lambda q, nu: q.theta, p, nu=True), TypeError, "nu must be a real number"),
        (lambda p: assert_meta_gradient(lambda q: q.theta, p, atol="0.1"), TypeError, "atol must be a real number"),
        (lambda p: assert_meta_gradient(lambda q: q.theta, p, atol=np.inf), ValueError, "atol must be a finite"),
        (lambda p: assert_meta_gradient(lambda q: q.theta, p, inner_tol=-1.0), ValueError, "inner_tol must be"),
        (lambda p: assert_imaml_gradient(lambda q, K, lr: q.theta, p, cg_tol="1e-5"), TypeError, "cg_tol must be"),
        (lambda p: assert_maml_gradient(np_maml, p, momentum=1.0), ValueError, r"momentum must lie in \[0, 1\)"),
        (lambda p: assert_maml_gradient(np_maml, p, nesterov=1), TypeError, "nesterov must be True or False"),
        (lambda p: assert_maml_gradient(np_maml, p, device="cpu"), ValueError, "device='cpu' needs backend='torch'"),
        (lambda p: assert_maml_gradient(np_maml, p, backend=3), ValueError, "backend must be one of"),
        (
            lambda p: assert_maml_gradient(np_maml, p.replace(A_train=p.A_train + 0j)),
            TypeError,
            "A_train must hold real",
        ),
        (lambda p: assert_maml_gradient(np_maml, p.replace(lam=True)), TypeError, "lam must be a real number"),
        (lambda p: assert_maml_gradient(np_maml, p.replace(lam="2")), TypeError, "lam must be a real number"),
        (lambda p: assert_maml_gradient(np_maml, p.replace(theta=p.theta > 0)), TypeError, "theta must hold real"),
    ],
)
def test_malformed_arguments_are_refused_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call(_problem())


# ============================================================================ named diagnoses
def _diag(check, fn, p, **kw) -> str:
    with pytest.raises(MetaGradientMismatchError) as err:
        check(fn, p, **kw)
    return "\n".join(ln for ln in str(err.value).splitlines() if "diagnosis" in ln or ln.startswith("    - "))


def test_zero_answer_is_no_gradient_reached_theta():
    p = _problem()
    assert "no gradient reached theta" in _diag(assert_maml_gradient, lambda q, K, lr: np.zeros(q.n), p, steps=3)
    assert "copy_initial_weights=True" in _diag(assert_fo_maml, lambda q, K, lr: np.zeros(q.n), p, steps=3)


def test_wrong_inner_lr_is_named_hard_coded_or_fitted():
    p = _problem()
    lr = exact.stable_lr(p)
    msg = _diag(assert_maml_gradient, lambda q, K, a: np_maml(q, K, 0.1), p, steps=3, lr=lr)
    assert "inner lr = 0.1 instead of" in msg and "hard-coded" in msg, msg
    msg = _diag(assert_maml_gradient, lambda q, K, a: np_maml(q, K, 0.77 * a), p, steps=3, lr=lr)
    assert f"inner lr = {0.77 * lr:.6g} (fitted)" in msg, msg


def _np_maml_inner(p, steps, lr, mu=0.0, nesterov=False, adam=False, detach_centre=False):
    """MAML by forward-mode Jacobians through heavy ball / Nesterov / Adam, or with the proximal centre detached."""
    out = []
    n = p.n
    for i in range(p.M):
        tr = exact._general(
            exact._QuadTask(p.A_train[i], p.b_train[i], p.A_test[i], p.b_test[i]), p.theta, p.lam, steps,
            np.asarray(lr), exact.Inner(mu, nesterov, adam, detach_centre), None,
        )  # fmt: skip
        out.append(tr.J.T @ (p.A_test[i] @ tr.phi_K + p.b_test[i]))
    assert n == len(out[0])
    return np.mean(out, 0)


def _np_maml_momentum(p, steps, lr, mu, nesterov=False):
    """Heavy ball by hand, reverse mode through the stored iterates (independent of the kit's forward mode)."""
    out = []
    for i in range(p.M):
        Ah, bh, A, b = p.A_train[i], p.b_train[i], p.A_test[i], p.b_test[i]
        Hp = Ah + p.lam * np.eye(p.n)
        phi, v = p.theta.copy(), np.zeros(p.n)
        for _ in range(steps):
            g = Ah @ phi + bh + p.lam * (phi - p.theta)
            v = mu * v + g
            phi = phi - lr * ((g + mu * v) if nesterov else v)
        # adjoint of z_{k+1} = T z_k + c theta (z = (phi, v)), T as the kit linearises it, c from lam (phi - theta)
        n = p.n
        eye = np.eye(n)
        Dp, Dv = ((1 + mu) * Hp, mu * mu * eye) if nesterov else (Hp, mu * eye)
        T = np.block([[eye - lr * Dp, -lr * Dv], [Hp, mu * eye]])
        c = np.concatenate([lr * p.lam * (1 + mu if nesterov else 1) * eye, -p.lam * eye])
        lam_z = np.concatenate([A @ phi + b, np.zeros(n)])
        grad = np.zeros(n)
        for _ in range(steps):
            grad = grad + c.T @ lam_z
            lam_z = T.T @ lam_z
        out.append(grad + lam_z[:n])
    return np.mean(out, 0)


@given(quadratic_problems(max_n=4), st.integers(1, 6), st.sampled_from([(0.9, False), (0.5, True)]))
def test_momentum_inner_loop_is_checked(p, K, opt):
    """A reverse-mode heavy-ball / Nesterov MAML written here passes with momentum=, and is named without it."""
    mu, nest = opt
    lr = 0.5 * (1 - mu) * exact.stable_lr(p)
    assert_maml_gradient(lambda q, K, a: _np_maml_momentum(q, K, a, mu, nest), p, steps=K, lr=lr, momentum=mu,
                         nesterov=nest)  # fmt: skip
    effect = np.linalg.norm(
        exact.maml_gradient(p, K, lr, exact.Inner(mu, nest)).value - exact.maml_gradient(p, K, lr).value
    )
    assume(effect > 100 * tolerance(exact.maml_gradient(p, K, lr), n=p.n, K=K) and mu == 0.9 and not nest)
    msg = _diag(assert_maml_gradient, lambda q, K, a: _np_maml_momentum(q, K, a, mu, nest), p, steps=K, lr=lr)
    assert "momentum 0.9" in msg, msg


def test_meta_sgd_vector_lr_is_checked():
    p = _problem()
    lr = exact.stable_lr(p) * np.linspace(0.2, 1.0, p.n)
    assert_maml_gradient(lambda q, K, a: _np_maml_inner(q, K, a), p, steps=4, lr=lr)
    with pytest.raises(MetaGradientMismatchError):
        assert_maml_gradient(lambda q, K, a: _np_maml_inner(q, K, float(np.mean(a))), p, steps=4, lr=lr)


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"adam": True}, "an inner loop with Adam"),
        ({"detach_centre": True}, "the proximal centre detached"),
        ({"mu": 0.9, "nesterov": True}, "momentum 0.9 (Nesterov)"),
    ],
)
def test_inner_optimiser_bugs_are_named(kw, name):
    p = _problem()
    assert name in _diag(assert_maml_gradient, lambda q, K, a: _np_maml_inner(q, K, a, **kw), p, steps=4)


def test_chained_tasks_are_named():
    """torchopt without recover_state_dict: task i+1 starts at task i's phi_K (the graph carried along)."""
    p = _problem()

    def chained(q, K, a):
        start = (q.theta.copy(), np.eye(q.n))
        out = []
        for i in range(q.M):
            t = exact._QuadTask(q.A_train[i], q.b_train[i], q.A_test[i], q.b_test[i])
            phi, J = start
            for _ in range(K):
                J = J - a * ((q.A_train[i] + q.lam * np.eye(q.n)) @ J - q.lam * np.eye(q.n))
                phi = phi - a * (t.grad_tr(phi) + q.lam * (phi - q.theta))
            out.append(J.T @ t.grad_te(phi))
            start = (phi, J)
        return np.mean(out, 0)

    assert "tasks chained" in _diag(assert_maml_gradient, chained, p, steps=3)


def test_reptile_loop_only_off_by_one_and_coinciding_diagnoses():
    p = _problem()  # M = 3
    lr = exact.stable_lr(p)

    def loop_only(q, K, a):
        return np.mean([(q.theta - _fwd(q.A_train[i], q.b_train[i], q.theta, K + 1, a, q.lam)) / (K * a)
                        for i in range(q.M)], 0)  # fmt: skip

    assert "K+1 = 4 steps taken but 1/(K lr)" in _diag(assert_reptile, loop_only, p, steps=3, lr=lr)
    # without 1/K at K = M = 3: the same vector as the sum over tasks; both named
    msg = _diag(assert_reptile, lambda q, K, a: K * np_reptile(q, K, a), p, steps=3, lr=lr)
    assert "coincide on this instance" in msg and "without 1/K" in msg and "sum over tasks" in msg, msg


def _cg(S, g, iters=None, rtol=0.0):
    x, r = np.zeros_like(g), g.copy()
    d, rr = r.copy(), r @ r
    for _ in range(iters or 10 * len(g)):
        if np.sqrt(rr) <= rtol * np.linalg.norm(g) or rr == 0:
            break
        Ad = S @ d
        al = rr / (d @ Ad)
        x, r = x + al * d, r - al * Ad
        rr2 = r @ r
        d, rr = r + rr2 / rr * d, rr2
    return x


def _imaml(q, K, a, *, iters=None, rtol=0.0, lam_factor=True):
    out = []
    for i in range(q.M):
        phi = _fwd(q.A_train[i], q.b_train[i], q.theta, K, a, q.lam)
        g = q.A_test[i] @ phi + q.b_test[i]
        S = np.eye(q.n) + q.A_train[i] / q.lam if lam_factor else q.A_train[i] + q.lam * np.eye(q.n)
        out.append(_cg(S, g, iters, rtol))
    return np.mean(out, 0)


def test_imaml_lam_factor_short_cg_and_cg_tol():
    p = _problem(n=6, seed=2)
    assert "lam factor of eq. (8) dropped" in _diag(
        assert_imaml_gradient, lambda q, K, a: _imaml(q, K, a, lam_factor=False), p, steps=3
    )
    assert "CG stopped after 2 iterations" in _diag(assert_imaml_gradient, lambda q, K, a: _imaml(q, K, a, iters=2), p,
                                                    steps=3)  # fmt: skip
    loose = 1e-5  # torchopt's solve_cg default rtol; n = 30 so that CG stops on rtol before finite termination
    p = _problem(n=30, seed=2)
    with pytest.raises(MetaGradientMismatchError):
        assert_imaml_gradient(lambda q, K, a: _imaml(q, K, a, rtol=loose), p, steps=3)
    assert_imaml_gradient(lambda q, K, a: _imaml(q, K, a, rtol=loose), p, steps=3, cg_tol=loose)


def test_user_exceptions_are_wrapped_with_the_likely_cause():
    p = _problem()

    def broken(q, K, a):
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")

    with pytest.raises(ImplementationError, match="likely cause: the loss does not depend on a tensor") as err:
        assert_maml_gradient(broken, p, steps=2)
    assert isinstance(err.value.__cause__, RuntimeError)
    with pytest.raises(ImplementationError, match="shape mismatch"):
        assert_maml_gradient(lambda q, K, a: q.A_train @ np.ones(7), p, steps=2)


# ============================================================================ pytrees
def test_pytree_answers_are_flattened_in_order():
    p = _problem()  # n = 4: a 'weight' of shape (1, 3) and a 'bias' of shape (1,)
    ref = exact.maml_gradient(p, 3, exact.stable_lr(p)).value
    w, b = unflatten(ref, [(1, 3), (1,)])
    assert_maml_gradient(lambda q, K, a: [w, b], p, steps=3)
    assert_maml_gradient(lambda q, K, a: {"weight": w, "bias": b}, p, steps=3)
    assert np.array_equal(flatten([w, b]), ref)
    with pytest.raises(MetaGradientMismatchError):
        assert_maml_gradient(lambda q, K, a: {"bias": b, "weight": w}, p, steps=3)  # order matters: dict order
    with pytest.raises(ValueError, match="holding 3 numbers in all"):
        assert_maml_gradient(lambda q, K, a: [w], p, steps=3)
    with pytest.raises(TypeError, match="None leaf"):
        assert_maml_gradient(lambda q, K, a: [w, None], p, steps=3)


def test_logistic_standard_problem_constructor():
    rng = np.random.default_rng(0)
    p = LogisticProblem.standard(rng.normal(size=(2, 3, 2)), np.ones((2, 3)), rng.normal(size=(2, 4, 2)),
                                 -np.ones((2, 4)), np.zeros(2))  # fmt: skip
    assert p.lam == 0.0 and p.standard_maml and not np.any(p.Q)
    assert_maml_gradient(lambda q, K, a: exact.maml_gradient(q, K, a).value, p.replace(theta=np.ones(2)), steps=2)
