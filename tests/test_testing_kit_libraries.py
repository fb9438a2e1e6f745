"""The testing kit on MAML as PyTorch users write it: loss idioms over many seeds, higher / torchopt /
learn2learn-style MAML unmodified, their classic bugs named, device=, memory against K.

Skipped without torch; the higher and torchopt tests are skipped where those optional libraries are missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="PyTorch is not installed (optional: the `nn` extra or pip install torch)")
import torch.nn.functional as F  # noqa: E402, N812 - the name every PyTorch README uses

from bmaml_theory.testing import (  # noqa: E402
    ImplementationError,
    MemoryGrowthError,
    MetaGradientMismatchError,
    NotJudgeableError,
    assert_fo_maml,
    assert_maml_gradient,
    assert_memory_flat,
    logistic_problems,
    maml_problems,
    quadratic_problems,
)

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ============================================================================ loss idioms, many seeds
IDIOMS = {
    "F.softplus": lambda s: F.softplus(-s),
    "BCE-with-logits": lambda s: F.binary_cross_entropy_with_logits(s, torch.ones_like(s), reduction="none"),
    "logaddexp": lambda s: torch.logaddexp(torch.zeros_like(s), -s),
    "-logsigmoid": lambda s: -F.logsigmoid(s),
}


def torch_logistic_maml(ell):
    """MAML on the kit's logistic tasks (any lam) with the per-margin loss ``ell``, by torch.autograd.grad."""

    def fn(problem, steps, lr):
        theta = problem.theta.clone().requires_grad_(True)
        total = 0.0
        for i in range(problem.M):
            Zh = problem.y_train[i][:, None] * problem.X_train[i]
            Z = problem.y_test[i][:, None] * problem.X_test[i]
            phi = theta
            for _ in range(steps):
                h = ell(Zh @ phi).mean() + 0.5 * phi @ problem.Q[i] @ phi + problem.q[i] @ phi
                h = h + 0.5 * problem.lam * torch.sum((phi - theta) ** 2)
                (g,) = torch.autograd.grad(h, phi, create_graph=True)
                phi = phi - lr * g
            total = total + (ell(Z @ phi).mean() + problem.r[i] @ phi) / problem.M
        (g,) = torch.autograd.grad(total, theta)
        return g

    return fn


@pytest.mark.parametrize("idiom", list(IDIOMS))
@pytest.mark.parametrize("standard", [False, True])
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_correct_loss_idioms_never_fail(idiom, standard, data):
    """F.softplus (threshold 20), BCE-with-logits, logaddexp, -logsigmoid: correct code passes or is refused, never
    fails (before the kit accounted for softplus's threshold, F.softplus code failed wherever a margin passed 20)."""
    p = data.draw(logistic_problems(standard=standard))
    K = data.draw(st.integers(1, 5))
    try:
        assert_maml_gradient(torch_logistic_maml(IDIOMS[idiom]), p, steps=K, backend="torch")
    except NotJudgeableError as err:  # e.g. a margin so large that the answer is all softplus tail
        assert "softplus" in str(err) or "cancellation" in str(err) or "exact answer is 0" in str(err), str(err)


# ============================================================================ the libraries, unmodified
higher_maml = _load("higher_maml") if importlib.util.find_spec("higher") else None
torchopt_maml = _load("torchopt_maml") if importlib.util.find_spec("torchopt") else None
l2l_maml = _load("l2l_style_maml")
LIBS = [
    pytest.param(higher_maml, id="higher", marks=pytest.mark.skipif(higher_maml is None, reason="higher missing")),
    pytest.param(torchopt_maml, id="torchopt", marks=pytest.mark.skipif(torchopt_maml is None, reason="no torchopt")),
    pytest.param(l2l_maml, id="l2l-style"),
]


@pytest.mark.parametrize("lib", LIBS)
@settings(max_examples=60)
@given(p=maml_problems("logistic"), K=st.integers(1, 5))
def test_library_maml_passes_unmodified(lib, p, K):
    assert_maml_gradient(lib.maml_gradient, p, steps=K, backend="torch")


def _fixed_problem():
    return maml_problems("logistic", min_n=3, max_n=3, min_M=3, max_M=3).example()


def _diag(fn, p, **kw):
    with pytest.raises(MetaGradientMismatchError) as err:
        assert_maml_gradient(fn, p, backend="torch", **kw)
    return "\n".join(ln for ln in str(err.value).splitlines() if "diagnosis" in ln or ln.startswith("    - "))


@pytest.mark.skipif(higher_maml is None, reason="higher missing")
def test_higher_copy_initial_weights_and_track_higher_grads_are_named():
    import higher

    p = _fixed_problem()
    msg = _diag(lambda q, K, lr: higher_maml.maml_gradient(q, K, lr, copy_initial_weights=True), p, steps=3)
    assert "no gradient reached theta" in msg and "copy_initial_weights=True" in msg

    def untracked(q, K, lr):
        net = torch.nn.Linear(q.n, 1, bias=False).double()
        with torch.no_grad():
            net.weight.copy_(q.theta[None])
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        for i in range(q.M):
            with higher.innerloop_ctx(net, opt, copy_initial_weights=False, track_higher_grads=False) as (fnet, diff):
                for _ in range(K):
                    diff.step(
                        F.binary_cross_entropy_with_logits(fnet(q.X_train[i]).squeeze(-1), (q.y_train[i] + 1) / 2)
                    )
                loss = F.binary_cross_entropy_with_logits(fnet(q.X_test[i]).squeeze(-1), (q.y_test[i] + 1) / 2)
                (loss / q.M).backward()
        return torch.zeros(q.n, dtype=q.theta.dtype) if net.weight.grad is None else net.weight.grad.reshape(-1)

    assert "track_higher_grads=False" in _diag(untracked, p, steps=3)

    def momentum(q, K, lr):
        net = torch.nn.Linear(q.n, 1, bias=False).double()
        with torch.no_grad():
            net.weight.copy_(q.theta[None])
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
        for i in range(q.M):
            with higher.innerloop_ctx(net, opt, copy_initial_weights=False) as (fnet, diff):
                for _ in range(K):
                    diff.step(
                        F.binary_cross_entropy_with_logits(fnet(q.X_train[i]).squeeze(-1), (q.y_train[i] + 1) / 2)
                    )
                loss = F.binary_cross_entropy_with_logits(fnet(q.X_test[i]).squeeze(-1), (q.y_test[i] + 1) / 2)
                (loss / q.M).backward()
        return net.weight.grad.reshape(-1)

    assert "momentum 0.9" in _diag(momentum, p, steps=3)
    # declared, the same higher momentum MAML passes: momentum inner loops are checkable
    assert_maml_gradient(momentum, p, steps=3, momentum=0.9, backend="torch")


@pytest.mark.skipif(torchopt_maml is None, reason="torchopt missing")
def test_torchopt_without_recover_state_dict_is_named():
    p = _fixed_problem()
    msg = _diag(lambda q, K, lr: torchopt_maml.maml_gradient(q, K, lr, recover=False), p, steps=3)
    assert "tasks chained" in msg and "recover_state_dict" in msg


def test_first_order_and_hard_coded_lr_are_named():
    p = _fixed_problem()
    assert "second-order term dropped" in _diag(
        lambda q, K, lr: l2l_maml.maml_gradient(q, K, lr, first_order=True), p, steps=3
    )
    assert "hard-coded" in _diag(lambda q, K, lr: l2l_maml.maml_gradient(q, K, 0.01), p, steps=3)


def test_torch_errors_are_wrapped_with_the_likely_cause():
    p = _fixed_problem()

    def detached(q, K, lr):  # theta never marked: torch's own error
        theta = q.theta.clone()
        loss = F.binary_cross_entropy_with_logits(q.X_test[0] @ theta, (q.y_test[0] + 1) / 2)
        return torch.autograd.grad(loss, theta)[0]

    with pytest.raises(ImplementationError, match="likely cause: the loss does not depend on a tensor"):
        assert_maml_gradient(detached, p, steps=2, backend="torch")

    def mixed(q, K, lr):
        return torch.ones(q.n, dtype=torch.float32) @ q.X_test[0].T

    with pytest.raises(ImplementationError, match="float32 and float64 mixed"):
        assert_maml_gradient(mixed, p, steps=2, backend="torch")


def test_device_argument_places_the_tensors():
    p = _fixed_problem()
    seen = []

    def fn(q, K, lr):
        seen.append(q.theta.device)
        return l2l_maml.maml_gradient(q, K, lr)

    assert_maml_gradient(fn, p, steps=2, backend="torch", device="cpu")
    assert seen == [torch.device("cpu")]
    with pytest.raises(ValueError, match="not a usable torch device"):
        assert_maml_gradient(fn, p, steps=2, backend="torch", device="nonsense")


# ============================================================================ memory against K
def _quadratic_maml(first_order):
    def fn(problem, steps, lr):
        theta = problem.theta.clone().requires_grad_(True)
        out = 0.0
        for i in range(problem.M):
            phi = theta
            for _ in range(steps):
                h = 0.5 * phi @ problem.A_train[i] @ phi + problem.b_train[i] @ phi
                h = h + 0.5 * problem.lam * torch.sum((phi - theta) ** 2)
                (g,) = torch.autograd.grad(h, phi, create_graph=not first_order)
                phi = phi - lr * g
            if first_order:
                phi = phi.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(0.5 * phi @ problem.A_test[i] @ phi + problem.b_test[i] @ phi, phi)
                out = out + g / problem.M
            else:
                out = out + (0.5 * phi @ problem.A_test[i] @ phi + problem.b_test[i] @ phi) / problem.M
        return out if first_order else torch.autograd.grad(out, theta)[0]

    return fn


@settings(max_examples=10)
@given(quadratic_problems(min_n=2))
def test_memory_flat_for_fo_maml_and_growing_for_maml(p):
    """FO-MAML keeps nothing per step (flat); MAML keeps phi_k and the products for the backward pass (grows)."""
    prof = assert_memory_flat(_quadratic_maml(True), p, ks=(1, 5, 20))
    assert prof[1] == prof[20]
    with pytest.raises(MemoryGrowthError) as err:
        assert_memory_flat(_quadratic_maml(False), p, ks=(1, 5, 20))
    assert err.value.per_step >= 8 * p.n  # at least one float64 theta-sized tensor per step
    assert_fo_maml(_quadratic_maml(True), p, steps=5, backend="torch")  # and it is FO-MAML


def test_memory_meter_refuses_torch_func_with_a_named_cause():
    from torch.func import grad

    p = quadratic_problems().example()

    def fn(q, K, lr):
        return grad(lambda th: 0.5 * th @ q.A_test[0] @ th)(q.theta)

    with pytest.raises(ImplementationError, match=r"torch\.func transforms refuse saved-tensor hooks"):
        assert_memory_flat(fn, p)


# ============================================================================ the docs page
def test_checking_your_maml_page_runs(monkeypatch):
    """docs/checking-your-maml.md's blocks run in order in one namespace (higher / torchopt blocks skipped when those
    optional libraries are missing), and its property tests pass."""
    import re

    monkeypatch.chdir(ROOT)
    text = (ROOT / "docs" / "checking-your-maml.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    ns: dict = {"__name__": "docs_checking"}
    ran = []
    for code in blocks:
        if ("import higher" in code and higher_maml is None) or ("import torchopt" in code and torchopt_maml is None):
            continue
        before = set(ns)
        exec(compile(code, "docs/checking-your-maml.md", "exec"), ns)
        for name in sorted(set(ns) - before):
            if name.startswith("test_") and callable(ns[name]):
                ns[name]()
                ran.append(name)
    assert "second-order term dropped" in ns["first_order_report"]
    if higher_maml is not None:
        assert "test_higher_maml" in ran
