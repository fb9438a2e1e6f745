"""The testing kit (bmaml_theory.testing): its exact answers, its tolerance, and the bug catalogue it must catch.

The kit's references are checked against the library's own baselines (bmaml_theory.baselines, estimators) and
against complex-step and central differences of the plain forward computations; then correct NumPy
implementations written here (by hand, reverse mode) must pass and each realistic bug must be caught, on every
drawn problem where the bug changes the answer by more than 100 x the tolerance (computed from the kit's exact
answer for the buggy algorithm, not from the buggy code).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from bmaml_theory import baselines, estimators
from bmaml_theory.tasks.generate import KINDS, random_family
from bmaml_theory.testing import (
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
    logistic_problems,
    quadratic_problems,
    tolerance,
)

ROOT = Path(__file__).resolve().parent.parent


def _problem(kind: str, M: int = 3, n: int = 4, seed: int = 0) -> QuadraticProblem:
    tasks, theta = random_family(kind, M, n, seed)
    return QuadraticProblem(tasks.A_train, tasks.b_train, tasks.A_test, tasks.b_test, tasks.lam, theta)


# ============================================================================ hand-written NumPy implementations
# `bug` selects one realistic mistake; None is the correct algorithm.  Quadratic tasks, float64 unless bug="float32".
BUGS = ("second_order_dropped", "prox_sign_flipped", "fhat_for_f", "tasks_summed", "off_by_one_K", "float32")


def _data(p, bug):
    dt = np.float32 if bug == "float32" else np.float64
    return (np.asarray(x, dtype=dt) for x in (p.A_train, p.b_train, p.A_test, p.b_test, p.theta)), dt(p.lam)


def _avg(per_task, bug):
    out = np.sum(per_task, axis=0) if bug == "tasks_summed" else np.mean(per_task, axis=0)
    return np.asarray(out, dtype=np.float64)


def np_maml(p, steps, lr, bug=None):
    """MAML by hand: K GD steps on fhat + lam/2||phi - theta||^2, then reverse mode through the stored iterates."""
    (Ah, bh, A, b, theta), lam = _data(p, bug)
    sign = -1.0 if bug == "prox_sign_flipped" else 1.0
    K = steps + 1 if bug == "off_by_one_K" else steps
    lr = Ah.dtype.type(lr)
    out = []
    for i in range(len(Ah)):
        phi = theta.copy()
        for _ in range(K):
            phi = phi - lr * (Ah[i] @ phi + bh[i] + sign * lam * (phi - theta))
        g = (Ah[i] @ phi + bh[i]) if bug == "fhat_for_f" else (A[i] @ phi + b[i])
        if bug == "second_order_dropped":
            out.append(g)
            continue
        v, acc = g, 0 * g
        for _ in range(K):
            acc = acc + lr * sign * lam * v
            v = v - lr * (Ah[i] @ v + sign * lam * v)
        out.append(v + acc)
    return _avg(out, bug)


def np_meta_gradient(p, bug=None):
    """Eq. (7) by hand with dense solves."""
    (Ah, bh, A, b, theta), lam = _data(p, bug)
    sign = -1.0 if bug == "prox_sign_flipped" else 1.0
    n = len(theta)
    out = []
    for i in range(len(Ah)):
        S = Ah[i] + sign * lam * np.eye(n, dtype=Ah.dtype)
        phi = np.linalg.solve(S, sign * lam * theta - bh[i])
        g = (Ah[i] @ phi + bh[i]) if bug == "fhat_for_f" else (A[i] @ phi + b[i])
        out.append(g if bug == "second_order_dropped" else sign * lam * np.linalg.solve(S, g))
    return _avg(out, bug)


def _gd(Ah, bh, theta, lam, K, lr, sign=1.0):
    phi = theta.copy()
    for _ in range(K):
        phi = phi - lr * (Ah @ phi + bh + sign * lam * (phi - theta))
    return phi


def np_fo_maml(p, steps, lr, bug=None):
    (Ah, bh, A, b, theta), lam = _data(p, bug)
    sign = -1.0 if bug == "prox_sign_flipped" else 1.0
    K = steps + 1 if bug == "off_by_one_K" else steps
    out = []
    for i in range(len(Ah)):
        phi = _gd(Ah[i], bh[i], theta, lam, K, Ah.dtype.type(lr), sign)
        out.append((Ah[i] @ phi + bh[i]) if bug == "fhat_for_f" else (A[i] @ phi + b[i]))
    return _avg(out, bug)


def np_reptile(p, steps, lr, bug=None):
    (Ah, bh, _, _, theta), lam = _data(p, bug)
    sign = -1.0 if bug == "prox_sign_flipped" else 1.0
    K = steps + 1 if bug == "off_by_one_K" else steps
    out = [(theta - _gd(Ah[i], bh[i], theta, lam, K, Ah.dtype.type(lr), sign)) / (K * lr) for i in range(len(Ah))]
    return _avg(out, bug)


def np_imaml(p, steps, lr, bug=None):
    (Ah, bh, A, b, theta), lam = _data(p, bug)
    sign = -1.0 if bug == "prox_sign_flipped" else 1.0
    K = steps + 1 if bug == "off_by_one_K" else steps
    n = len(theta)
    out = []
    for i in range(len(Ah)):
        phi = _gd(Ah[i], bh[i], theta, lam, K, Ah.dtype.type(lr), sign)
        g = (Ah[i] @ phi + bh[i]) if bug == "fhat_for_f" else (A[i] @ phi + b[i])
        S = np.eye(n, dtype=Ah.dtype) + Ah[i] / lam
        out.append(g if bug == "second_order_dropped" else np.linalg.solve(S, g))
    return _avg(out, bug)


def np_fo_bmaml(p, nu, stencil="forward", bug=None):
    """Eqs. (10)/(11) by hand: solve (9) densely at each node and difference."""
    (Ah, bh, A, b, theta), lam = _data(p, bug)
    nodes, weights = ((0, 1), (-1.0, 1.0)) if stencil == "forward" else ((-1, 1), (-0.5, 0.5))
    n = len(theta)
    out = []
    for i in range(len(Ah)):
        g = 0.0
        for t, w in zip(nodes, weights, strict=True):
            phi = np.linalg.solve(Ah[i] + lam * np.eye(n) + t * nu * A[i], lam * theta - bh[i] - t * nu * b[i])
            g = g - lam * w / nu * phi
        out.append(g)
    return _avg(out, bug)


# ============================================================================ the kit's references are exact
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("K", [1, 4])
def test_references_match_the_library_baselines(kind, K):
    """Closed forms (kit) vs reverse mode / CG (bmaml_theory.baselines): equal to round-off."""
    p = _problem(kind)
    t = p.tasks()
    lr = exact.stable_lr(p)
    pairs = [
        (exact.maml_gradient(p, K, lr), baselines.maml(t, p.theta, K, lr)),
        (exact.fo_maml_gradient(p, K, lr), baselines.fo_maml(t, p.theta, K, lr)),
        (exact.reptile_direction(p, K, lr), baselines.reptile(t, p.theta, K, lr)),
        (exact.imaml_gradient(p, K, lr), baselines.imaml(t, p.theta, K, lr, cg=4 * p.n)),
        (exact.meta_gradient(p), t.meta_gradient(p.theta)),
    ]
    for ref, lib in pairs:
        assert np.linalg.norm(ref.value - lib) <= tolerance(ref, n=p.n, K=K), (ref.value, lib)
    for st_name, fn in (("forward", estimators.forward), ("symmetric", estimators.symmetric)):
        nu = exact.default_nu(p, st_name)
        ref = exact.fo_bmaml_estimate(p, nu, st_name)
        assert np.linalg.norm(ref.value - fn(t, p.theta, nu)) <= tolerance(ref, n=p.n), st_name


def _forward_phiK(Ah, bh, theta, lam, K, lr):
    phi = theta + 0j * theta
    for _ in range(K):
        phi = phi - lr * (Ah @ phi + bh + lam * (phi - theta))
    return phi


@given(quadratic_problems(max_n=4), st.integers(1, 6))
def test_maml_reference_against_complex_step(p, K):
    r"""d/dtheta f_i(phi_K(theta)) by complex step on the plain forward K-step map (no cancellation: h = 1e-30)."""
    lr = exact.stable_lr(p)
    ref = exact.maml_gradient(p, K, lr)
    h = 1e-30
    for i in range(p.M):
        g = np.empty(p.n)
        for j in range(p.n):
            th = p.theta + 1j * h * np.eye(p.n)[j]
            phi = _forward_phiK(p.A_train[i], p.b_train[i], th, p.lam, K, lr)
            g[j] = (0.5 * phi @ p.A_test[i] @ phi + p.b_test[i] @ phi).imag / h
        assert np.linalg.norm(g - ref.per_task[i]) <= C_TOLERANCE(ref, p, K), (i, g, ref.per_task[i])


def C_TOLERANCE(ref, p, K):
    return tolerance(ref, n=p.n, K=K)


@given(quadratic_problems(max_n=4))
def test_meta_gradient_reference_against_complex_step(p):
    """d/dtheta f_i(phi*_i(theta)), phi* = (A_train + lam I)^-1 (lam theta - b_train), by complex step."""
    ref = exact.meta_gradient(p)
    h = 1e-30
    for i in range(p.M):
        S = p.A_train[i] + p.lam * np.eye(p.n)
        g = np.empty(p.n)
        for j in range(p.n):
            phi = np.linalg.solve(S.astype(complex), p.lam * (p.theta + 1j * h * np.eye(p.n)[j]) - p.b_train[i])
            g[j] = (0.5 * phi @ p.A_test[i] @ phi + p.b_test[i] @ phi).imag / h
        assert np.linalg.norm(g - ref.per_task[i]) <= tolerance(ref, n=p.n), (i, g, ref.per_task[i])


@given(logistic_problems(max_n=3, max_M=2))
def test_logistic_references_against_the_library_and_differences(p):
    """Logistic: Newton + eq. (7) (kit) vs LogisticTasks; MAML's forward-mode Jacobian vs central differences."""
    t = p.tasks()
    ref = exact.meta_gradient(p)
    lib = t.meta_gradient(p.theta)
    assert np.linalg.norm(ref.value - lib) <= tolerance(ref, n=p.n), (ref.value, lib)
    K, lr = 3, exact.stable_lr(p)
    mref = exact.maml_gradient(p, K, lr)
    assert np.linalg.norm(mref.value - baselines.maml(t, p.theta, K, lr)) <= tolerance(mref, n=p.n, K=K)
    # central differences of theta -> mean_i f_i(phi_K(theta)): truncation h^2/6 |F'''|, round-off ~eps |F| / h.
    # |F'''| is at most |l'''| <= 0.1 times |x|^3 <= 4e3 (|x| <= 3 * 3 * sqrt(3) + margin for the data drawn) times
    # |d phi_K / d theta|^3 <= 8 (GD contracts; J_K <= 1 + lam/mu): 3e3, so with h = 1e-5 truncation <= 5e-8 and
    # round-off <= 2e-11 |F|; 1e-6 * max(1, scale) bounds both with room, fixed before the run.
    tasks = exact._tasks(p)

    def F(th):
        vals = []
        for tk in tasks:
            phi = th.copy()
            for _ in range(K):
                phi = phi - lr * (tk.grad_tr(phi) + p.lam * (phi - th))
            vals.append(tk.val_te(phi))
        return np.mean(vals)

    h = 1e-5
    fd = np.array([(F(p.theta + h * e) - F(p.theta - h * e)) / (2 * h) for e in np.eye(p.n)])
    scale = max(1.0, float(np.max(mref.scale)))
    assert np.linalg.norm(fd - mref.value) <= 1e-6 * scale, (fd, mref.value)


# ============================================================================ correct implementations pass
@given(quadratic_problems(), st.integers(1, 6))
def test_correct_numpy_implementations_pass(p, K):
    assert_maml_gradient(np_maml, p, steps=K)
    assert_fo_maml(np_fo_maml, p, steps=K)
    assert_reptile(np_reptile, p, steps=K)
    assert_imaml_gradient(np_imaml, p, steps=K)
    assert_meta_gradient(np_meta_gradient, p)
    assert_fo_bmaml(np_fo_bmaml, p, stencil="forward")
    assert_fo_bmaml(lambda q, nu: np_fo_bmaml(q, nu, "symmetric"), p, stencil="symmetric")


def _judged(check, *args, **kw) -> bool:
    """Run an assertion; False where the kit refuses to judge (its float32 tolerance reaches |exact|/10)."""
    try:
        check(*args, **kw)
    except NotJudgeableError as err:
        note(str(err).splitlines()[1])
        return False
    return True


@given(quadratic_problems(), st.integers(1, 6))
def test_float32_implementations_pass_with_dtype_float32(p, K):
    """The same tolerance with eps(float32) admits an honest float32 computation (dtype='float32' on request).

    In float32 the kit may refuse an instance (e.g. Reptile at lam = 1e4, lr = 1e-4: theta - phi_K cancels to a
    tenth of float32's digits); the same instance in float64 is then judged (a refusal is specific to float32).
    """
    for check, fn, kw in (
        (assert_maml_gradient, lambda q, K, lr: np_maml(q, K, lr, bug="float32"), {"steps": K}),
        (assert_reptile, lambda q, K, lr: np_reptile(q, K, lr, bug="float32"), {"steps": K}),
        (assert_meta_gradient, lambda q: np_meta_gradient(q, bug="float32"), {}),
        (assert_fo_bmaml, lambda q, nu: np_fo_bmaml(q, nu, bug="float32"), {}),
    ):
        if not _judged(check, fn, p, dtype="float32", **kw):
            good = {assert_maml_gradient: np_maml, assert_reptile: np_reptile}.get(check)
            if good is not None:
                check(good, p, **kw)  # float64: judged, and the honest float64 code passes


@given(quadratic_problems(), st.integers(1, 6), st.floats(0.05, 1.95))
def test_library_baselines_pass(p, K, frac):
    """bmaml_theory.baselines (reverse mode, CG) pass at any contracting step lr = frac * 2/(lam + Lhat1) * ... ."""
    lr = frac / (p.lam + p.Lhat1)
    assert_maml_gradient(lambda q, K, lr: baselines.maml(q.tasks(), q.theta, K, lr), p, steps=K, lr=lr)
    assert_fo_maml(lambda q, K, lr: baselines.fo_maml(q.tasks(), q.theta, K, lr), p, steps=K, lr=lr)
    assert_reptile(lambda q, K, lr: baselines.reptile(q.tasks(), q.theta, K, lr), p, steps=K, lr=lr)
    assert_imaml_gradient(lambda q, K, lr: baselines.imaml(q.tasks(), q.theta, K, lr, cg=6 * q.n), p, steps=K, lr=lr)
    assert_imaml_gradient(lambda q, K, lr: q.tasks().meta_gradient(q.theta), p, steps=None)
    assert_fo_bmaml(lambda q, nu: estimators.symmetric(q.tasks(), q.theta, nu), p, stencil="symmetric")


@given(logistic_problems(), st.integers(1, 4))
def test_library_baselines_pass_on_logistic_problems(p, K):
    assert_maml_gradient(lambda q, K, lr: baselines.maml(q.tasks(), q.theta, K, lr), p, steps=K)
    assert_reptile(lambda q, K, lr: baselines.reptile(q.tasks(), q.theta, K, lr), p, steps=K)
    assert_fo_maml(lambda q, K, lr: baselines.fo_maml(q.tasks(), q.theta, K, lr), p, steps=K)
    assert_imaml_gradient(lambda q, K, lr: baselines.imaml(q.tasks(), q.theta, K, lr, cg=8 * q.n), p, steps=K)
    assert_meta_gradient(lambda q: q.tasks().meta_gradient(q.theta), p)
    assert_fo_bmaml(lambda q, nu: estimators.forward(q.tasks(), q.theta, nu), p, stencil="forward")


def test_float32_on_request():
    """dtype='float32': the arrays handed over are float32 and the tolerance is that of eps(float32)."""
    p = _problem("indefinite-both")
    seen = []

    def fn(q, K, lr):
        seen.append(q.A_train.dtype)
        return np_maml(q, K, lr, bug="float32").astype(np.float32)

    assert_maml_gradient(fn, p, steps=3, dtype="float32")
    assert seen == [np.float32]
    with pytest.raises(MetaGradientMismatchError, match=r"float32 \(numpy\) but float64 was promised"):
        assert_maml_gradient(fn, p, steps=3)


# ============================================================================ the bug catalogue
def _variant(p, bug, quantity, K, lr):
    """The kit's exact answer of the buggy algorithm (a priori, independent of the buggy code)."""
    ts = exact._tasks(p)
    core = {"maml": exact._maml, "fo_maml": exact._fo_maml, "reptile": exact._reptile, "imaml": exact._imaml}[quantity]

    def m(out):
        return np.mean(out[0], axis=0)

    if bug == "second_order_dropped":
        return m(exact._fo_maml(ts, p.theta, p.lam, K, lr))
    if bug == "prox_sign_flipped":
        return m(core(ts, p.theta, -p.lam, K, lr, closed=False))
    if bug == "fhat_for_f":
        return m(core(exact._swap(ts), p.theta, p.lam, K, lr))
    if bug == "tasks_summed":
        return np.sum(core(ts, p.theta, p.lam, K, lr)[0], axis=0)
    if bug == "off_by_one_K":
        return m(core(ts, p.theta, p.lam, K + 1, lr))
    raise AssertionError(bug)


DIAGNOSIS = {
    "second_order_dropped": "second-order term dropped",
    "prox_sign_flipped": "proximal term's sign flipped",
    "fhat_for_f": "grad fhat (training) used for grad f",
    "tasks_summed": "sum over tasks",
    "off_by_one_K": "off-by-one in K",
    "float32": "float32",
}

CATALOGUE = [
    ("maml", np_maml, assert_maml_gradient, BUGS),
    ("fo_maml", np_fo_maml, assert_fo_maml, tuple(b for b in BUGS if b != "second_order_dropped")),
    ("imaml", np_imaml, assert_imaml_gradient, BUGS),
    ("reptile", np_reptile, assert_reptile, ("prox_sign_flipped", "tasks_summed", "off_by_one_K", "float32")),
]


@pytest.mark.parametrize(
    ("quantity", "impl", "check", "bug"), [(q, i, c, b) for q, i, c, bugs in CATALOGUE for b in bugs]
)
@settings(max_examples=25)
@given(p=quadratic_problems(min_M=2), K=st.integers(1, 5))
def test_bug_catalogue_is_caught(quantity, impl, check, bug, p, K):
    """Each bug is reported, and named in the diagnosis, wherever it moves the answer by > 100 x the tolerance."""
    lr = exact.stable_lr(p)
    ref = {
        "maml": exact.maml_gradient,
        "fo_maml": exact.fo_maml_gradient,
        "imaml": exact.imaml_gradient,
        "reptile": exact.reptile_direction,
    }[quantity](p, K, lr)
    tol = tolerance(ref, n=p.n, K=K)
    if bug != "float32":
        effect = float(np.linalg.norm(_variant(p, bug, quantity, K, lr) - ref.value))
        note(f"effect of the bug {effect:.3e}, tolerance {tol:.3e}")
        assume(effect > 100 * tol)
    with pytest.raises(MetaGradientMismatchError) as err:
        check(lambda q, K, lr: impl(q, K, lr, bug=bug), p, steps=K)
    msg = str(err.value)
    assert DIAGNOSIS[bug] in msg, msg
    assert "replay:" in msg and "problem = QuadraticProblem(" in msg


@pytest.mark.parametrize("bug", ["second_order_dropped", "prox_sign_flipped", "fhat_for_f", "tasks_summed", "float32"])
@settings(max_examples=25)
@given(p=quadratic_problems(min_M=2))
def test_bug_catalogue_meta_gradient(bug, p):
    ref = exact.meta_gradient(p)
    tol = tolerance(ref, n=p.n)
    if bug != "float32":
        try:
            buggy = np_meta_gradient(p, bug=bug)
        except np.linalg.LinAlgError:
            assume(False)
        # a priori effect: the buggy formula evaluated in float64 by this test's own code
        assume(float(np.linalg.norm(buggy - ref.value)) > 100 * tol)
    with pytest.raises(MetaGradientMismatchError):
        assert_meta_gradient(lambda q: np_meta_gradient(q, bug=bug), p)


@pytest.mark.parametrize("bug", ["tasks_summed", "float32"])
@settings(max_examples=25)
@given(p=quadratic_problems(min_M=2))
def test_bug_catalogue_fo_bmaml(bug, p):
    nu = exact.default_nu(p, "forward")
    ref = exact.fo_bmaml_estimate(p, nu, "forward")
    if bug == "tasks_summed":
        assume(float(np.linalg.norm(ref.per_task.sum(0) - ref.value)) > 100 * tolerance(ref, n=p.n))
    with pytest.raises(MetaGradientMismatchError) as err:
        assert_fo_bmaml(lambda q, nu: np_fo_bmaml(q, nu, bug=bug), p, nu=nu)
    assert DIAGNOSIS[bug] in str(err.value)


@pytest.mark.parametrize("stencil", ["forward", "symmetric"])
def test_fo_bmaml_wrong_normalisation_and_meta_gradient_are_caught(stencil):
    """The exact meta-gradient is NOT the FO-B-MAML estimate (the bias is part of the answer); a wrong 1/2 is caught."""
    p = _problem("indefinite-both")
    with pytest.raises(MetaGradientMismatchError, match="the exact meta-gradient"):
        assert_fo_bmaml(lambda q, nu: q.tasks().meta_gradient(q.theta), p, stencil=stencil)
    wrong = 0.5 if stencil == "forward" else 2.0
    with pytest.raises(MetaGradientMismatchError, match=r"without its 1/2|divided by 2 nu"):
        assert_fo_bmaml(lambda q, nu: wrong * np_fo_bmaml(q, nu, stencil), p, stencil=stencil)


def test_catalogue_table_on_fixed_instances():
    """The catalogue on the five generator corners (seeded, not drawn): each bug exceeds the tolerance >= 1e3 x.

    (The numbers in docs/testing.md's table come from this loop.)
    """
    for kind in KINDS:
        p = _problem(kind, M=3, n=4, seed=1)
        K, lr = 3, exact.stable_lr(p)
        tol = tolerance(exact.maml_gradient(p, K, lr), n=p.n, K=K)
        for bug in BUGS:
            if bug == "fhat_for_f" and kind == "same-psd":
                continue  # train == test there (Appendix B's setting): grad fhat IS grad f, no bug to catch
            with pytest.raises(MetaGradientMismatchError) as err:
                assert_maml_gradient(lambda q, K, lr, b=bug: np_maml(q, K, lr, bug=b), p, steps=K)
            assert err.value.diff >= 1e3 * tol, (kind, bug, err.value.diff, tol)
            assert DIAGNOSIS[bug] in str(err.value), (kind, bug, str(err.value))


# ============================================================================ messages, inputs, replay
def test_failure_message_replays_the_instance():
    p = _problem("ill-test", seed=3)
    with pytest.raises(MetaGradientMismatchError) as err:
        assert_maml_gradient(lambda q, K, lr: np_maml(q, K, lr, bug="off_by_one_K"), p, steps=2)
    msg = str(err.value)
    code = msg.split("replay:\n", 1)[1].split("\n    assert_maml_gradient", 1)[0]
    ns: dict = {}
    exec(compile("\n".join(ln[4:] for ln in code.splitlines()), "replay", "exec"), ns)
    q = ns["problem"]
    for f in ("A_train", "b_train", "A_test", "b_test", "theta"):
        assert np.array_equal(getattr(q, f), getattr(p, f)), f
    assert q.lam == p.lam
    assert re.search(r"\|yours - exact\|_2 = [0-9.e+-]+, tolerance [0-9.e+-]+", msg)
    assert "K+1 = 3 inner steps (off-by-one in K)" in msg


def test_non_finite_and_wrong_shapes_fail_closed():
    p = _problem("same-psd")
    with pytest.raises(MetaGradientMismatchError, match="not finite"):
        assert_meta_gradient(lambda q: np.full(q.n, np.nan), p)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        assert_meta_gradient(lambda q: np.zeros((q.M, q.n)), p)
    with pytest.raises(TypeError, match="returned None"):
        assert_meta_gradient(lambda q: None, p)
    with pytest.raises(TypeError, match="fn must be callable"):
        assert_meta_gradient(3, p)
    with pytest.raises(ValueError, match="lr="):
        assert_maml_gradient(np_maml, p, steps=2, lr=10.0)
    with pytest.raises(ValueError, match="steps must be"):
        assert_maml_gradient(np_maml, p, steps=0)
    with pytest.raises(ValueError, match="backend must be"):
        assert_meta_gradient(np_meta_gradient, p, backend="tensorflow")
    with pytest.raises(TypeError, match="problem must be"):
        assert_meta_gradient(np_meta_gradient, {"A_train": 1})
    bad = p.replace(lam=-1.0)
    with pytest.raises(ValueError, match="lam must be"):
        assert_meta_gradient(np_meta_gradient, bad)
    with pytest.raises(ValueError, match="atol must be"):
        assert_meta_gradient(np_meta_gradient, p, atol=-1.0)


def test_in_place_updates_in_fn_do_not_touch_the_problem():
    p = _problem("large-lam")
    A0 = p.A_train.copy()

    def clobber(q):
        g = np_meta_gradient(q)
        q.A_train[...] = 0.0
        q.theta[...] = 0.0
        return g

    assert_meta_gradient(clobber, p)
    assert np.array_equal(p.A_train, A0)


def test_problem_repr_round_trips_and_logistic_problem_validates():
    p = _problem("indefinite-train")
    q = eval(repr(p), {"np": np, "QuadraticProblem": QuadraticProblem})
    assert all(np.array_equal(getattr(q, f), getattr(p, f)) for f in ("A_train", "b_train", "A_test", "b_test"))
    lp = LogisticProblem(
        np.ones((1, 2, 2)), np.array([[1.0, 2.0]]), np.ones((1, 1, 2)), np.ones((1, 1)),
        np.zeros((1, 2, 2)), np.zeros((1, 2)), np.zeros((1, 2)), 1.0, np.zeros(2),
    )  # fmt: skip
    with pytest.raises(ValueError, match="y_train must hold labels"):
        lp.validate()


def test_strategies_respect_their_arguments():
    @settings(max_examples=20)
    @given(quadratic_problems(min_M=2, max_M=2, min_n=3, max_n=3, same=False, lam_factors=[1.0]))
    def inner(p):
        assert (p.M, p.n) == (2, 3)
        assert p.at_threshold and p.lam == pytest.approx(2 * p.Lhat1)
        assert not np.array_equal(p.A_train, p.A_test)

    inner()


# ============================================================================ docs and examples
def _blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), flags=re.S)


def test_docs_testing_page_code_runs():
    """docs/testing.md's code blocks run, and its property tests (the five-line one included) pass."""
    blocks = _blocks("docs/testing.md")
    assert any("@given(quadratic_problems())" in b and "assert_maml_gradient(" in b for b in blocks)
    ran = []
    ns: dict = {"__name__": "docs_testing"}  # one namespace: later blocks use earlier ones, as a reader would
    for code in blocks:
        if "import torch" in code:
            try:
                import torch  # noqa: F401
            except ImportError:
                continue
        before = set(ns)
        exec(compile(code, "docs/testing.md", "exec"), ns)
        for name in sorted(set(ns) - before):
            if name.startswith("test_") and callable(ns[name]):
                ns[name]()
                ran.append(name)
    assert "test_my_maml" in ran, ran  # the five-line property test ran (and passed)
    assert "report" in ns and "second-order term dropped" in ns["report"]
