"""The testing kit with PyTorch implementations: the examples/ scripts and the bug catalogue written in torch.

Skipped when torch is absent (it comes from the optional ``nn`` extra, or ``pip install torch``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional: the `nn` extra or pip install torch)")
from torch.func import grad, vmap  # noqa: E402

from bmaml_theory.testing import (  # noqa: E402
    MetaGradientMismatchError,
    assert_fo_bmaml,
    assert_maml_gradient,
    assert_meta_gradient,
    exact,
    quadratic_problems,
    tolerance,
)

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


torch_maml = _load("torch_maml")
torch_wrong = _load("torch_wrong_fo_maml")


# ----------------------------------------------------------------------------- the examples
@given(quadratic_problems(), st.integers(1, 6))
def test_torch_func_maml_example_passes(p, K):
    assert_maml_gradient(torch_maml.maml_gradient, p, steps=K, backend="torch")


@given(quadratic_problems(), st.integers(1, 6))
def test_wrong_first_order_maml_example_is_rejected(p, K):
    """Rejected, and diagnosed as FO-MAML, wherever FO-MAML differs from MAML by > 100 x the tolerance."""
    lr = exact.stable_lr(p)
    ref = exact.maml_gradient(p, K, lr)
    effect = float(np.linalg.norm(exact.fo_maml_gradient(p, K, lr).value - ref.value))
    note(f"MAML - FO-MAML = {effect:.3e}")
    assume(effect > 100 * tolerance(ref, n=p.n, K=K))
    with pytest.raises(MetaGradientMismatchError, match="second-order term dropped"):
        assert_maml_gradient(torch_wrong.wrong_maml_gradient, p, steps=K, backend="torch")


# ----------------------------------------------------------------------------- the catalogue in torch
BUGS = ("second_order_dropped", "prox_sign_flipped", "fhat_for_f", "tasks_summed", "off_by_one_K", "float32")
DIAGNOSIS = {
    "second_order_dropped": "second-order term dropped",
    "prox_sign_flipped": "proximal term's sign flipped",
    "fhat_for_f": "grad fhat (training) used for grad f",
    "tasks_summed": "sum over tasks",
    "off_by_one_K": "off-by-one in K",
    "float32": "float32",
}


def torch_maml_with(bug):
    """torch.func MAML with one realistic bug (None: correct)."""

    def q(phi, A, b):
        return 0.5 * phi @ (A @ phi) + b @ phi

    def outer(theta, Ah, bh, A, b, lam, steps, lr):
        sign = -1.0 if bug == "prox_sign_flipped" else 1.0
        K = steps + 1 if bug == "off_by_one_K" else steps

        def inner(phi):
            return q(phi, Ah, bh) + sign * 0.5 * lam * torch.sum((phi - theta) ** 2)

        phi = theta
        for _ in range(K):
            g = grad(inner)(phi)
            phi = phi - lr * (g.detach() if bug == "second_order_dropped" else g)
        if bug == "second_order_dropped":  # the first-order shortcut: gradient of f at phi_K, phi_K detached
            phi = theta + (phi - theta).detach()
        return q(phi, Ah, bh) if bug == "fhat_for_f" else q(phi, A, b)

    def fn(problem, steps, lr):
        arrs = [problem.theta, problem.A_train, problem.b_train, problem.A_test, problem.b_test]
        if bug == "float32":
            arrs = [a.to(torch.float32) for a in arrs]
        per = vmap(grad(outer), in_dims=(None, 0, 0, 0, 0, None, None, None))(*arrs, problem.lam, steps, lr)
        out = per.sum(0) if bug == "tasks_summed" else per.mean(0)
        return out.to(torch.float64)

    return fn


def _effect(p, bug, K, lr):
    ts = exact._tasks(p)
    ref = exact.maml_gradient(p, K, lr)
    v = {
        "second_order_dropped": lambda: np.mean(exact._fo_maml(ts, p.theta, p.lam, K, lr)[0], 0),
        "prox_sign_flipped": lambda: np.mean(exact._maml(ts, p.theta, -p.lam, K, lr, closed=False)[0], 0),
        "fhat_for_f": lambda: np.mean(exact._maml(exact._swap(ts), p.theta, p.lam, K, lr)[0], 0),
        "tasks_summed": lambda: ref.per_task.sum(0),
        "off_by_one_K": lambda: np.mean(exact._maml(ts, p.theta, p.lam, K + 1, lr)[0], 0),
    }[bug]()
    return float(np.linalg.norm(v - ref.value)), tolerance(ref, n=p.n, K=K)


@given(quadratic_problems(), st.integers(1, 5))
def test_correct_torch_maml_passes(p, K):
    assert_maml_gradient(torch_maml_with(None), p, steps=K, backend="torch")


@pytest.mark.parametrize("bug", BUGS)
@settings(max_examples=20)
@given(p=quadratic_problems(min_M=2), K=st.integers(1, 5))
def test_torch_bug_catalogue_is_caught(bug, p, K):
    lr = exact.stable_lr(p)
    if bug != "float32":
        effect, tol = _effect(p, bug, K, lr)
        note(f"effect {effect:.3e}, tolerance {tol:.3e}")
        assume(effect > 100 * tol)
    with pytest.raises(MetaGradientMismatchError) as err:
        assert_maml_gradient(torch_maml_with(bug), p, steps=K, backend="torch")
    assert DIAGNOSIS[bug] in str(err.value), str(err.value)


@given(quadratic_problems())
def test_torch_meta_gradient_and_fo_bmaml_pass(p):
    """Eq. (7) by autograd through a differentiable solve; eq. (11) by torch.linalg.solve at the two nodes."""

    def meta(problem):
        theta = problem.theta.clone().requires_grad_(True)
        n = theta.shape[0]
        S = problem.A_train + problem.lam * torch.eye(n, dtype=theta.dtype)
        phi = torch.linalg.solve(S, problem.lam * theta - problem.b_train)  # (M, n)
        F = (0.5 * torch.einsum("in,inm,im->i", phi, problem.A_test, phi) + (problem.b_test * phi).sum(-1)).mean()
        (g,) = torch.autograd.grad(F, theta)
        return g

    def symmetric(problem, nu):
        n = problem.theta.shape[0]
        S = problem.A_train + problem.lam * torch.eye(n, dtype=problem.theta.dtype)
        rhs = problem.lam * problem.theta - problem.b_train
        plus = torch.linalg.solve(S + nu * problem.A_test, rhs - nu * problem.b_test)
        minus = torch.linalg.solve(S - nu * problem.A_test, rhs + nu * problem.b_test)
        return (-problem.lam * (plus - minus) / (2 * nu)).mean(0)

    assert_meta_gradient(meta, p, backend="torch")
    assert_fo_bmaml(symmetric, p, stencil="symmetric", backend="torch")


def test_float32_tensors_on_request():
    p = exact_problem()
    seen = []

    def fn(problem, steps, lr):
        seen.append(problem.A_train.dtype)
        return torch_maml.maml_gradient(problem, steps, lr)

    assert_maml_gradient(fn, p, steps=3, backend="torch", dtype="float32")
    assert seen == [torch.float32]
    with pytest.raises(MetaGradientMismatchError, match=r"float32 \(torch\) but float64 was promised"):
        assert_maml_gradient(
            lambda q, K, lr: torch_maml.maml_gradient(
                q.replace(**{f: getattr(q, f).float() for f in ("A_train", "b_train", "A_test", "b_test", "theta")}),
                K,
                lr,
            ),
            p,
            steps=3,
            backend="torch",
        )


def exact_problem():
    from bmaml_theory.tasks.generate import random_family
    from bmaml_theory.testing import QuadraticProblem

    tasks, theta = random_family("ill-test", 3, 4, 2)
    return QuadraticProblem(tasks.A_train, tasks.b_train, tasks.A_test, tasks.b_test, tasks.lam, theta)
