r"""MAML on an ``nn.Module``, as PyTorch users write it: ``nn.Sequential(Linear, Tanh, Linear)`` adapted with
``torch.func.functional_call`` and ``torch.autograd.grad(create_graph=True)``, checked on the kit's networks.

``nn.Sequential(nn.Linear(d, h), nn.Tanh(), nn.Linear(h, 1))`` holds exactly the kit's :class:`MLPProblem`
parameters in theta's order: ``0.weight`` (h, d) = W1, ``0.bias`` = b1, ``2.weight`` (1, h) = W2, ``2.bias`` (1,) = b2;
the module's parameters are loaded from ``problem.params`` and the gradients come back as a list in
``named_parameters()`` order.  Run ``python examples/torch_mlp_maml.py``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call


def make_net(problem) -> nn.Module:
    """The kit's network as a module, its weights set from ``problem.params`` (float64 like the problem)."""
    act = nn.Tanh() if problem.activation == "tanh" else nn.Softplus()
    net = nn.Sequential(nn.Linear(problem.d, problem.hidden), act, nn.Linear(problem.hidden, 1)).to(problem.theta.dtype)
    p = problem.params
    with torch.no_grad():
        net[0].weight.copy_(p["W1"])
        net[0].bias.copy_(p["b1"])
        net[2].weight.copy_(p["W2"][None, :])
        net[2].bias.copy_(p["b2"].reshape(1))
    return net


def maml_gradient(problem, steps, lr, *, first_order=False):
    """The MAML gradient with respect to the module's parameters, one tensor each (``first_order``: FO-MAML's bug)."""
    net = make_net(problem)
    params = dict(net.named_parameters())

    def loss(ps, X, y):
        return 0.5 * torch.mean((functional_call(net, ps, (X,)).squeeze(-1) - y) ** 2)

    total = 0.0
    for i in range(problem.M):
        fast = params
        for _ in range(steps):
            h = loss(fast, problem.X_train[i], problem.y_train[i])
            h = h + 0.5 * problem.lam * sum(torch.sum((fast[k] - params[k]) ** 2) for k in fast)
            grads = torch.autograd.grad(h, list(fast.values()), create_graph=not first_order)
            fast = {k: v - lr * g for (k, v), g in zip(fast.items(), grads, strict=True)}
        total = total + loss(fast, problem.X_test[i], problem.y_test[i]) / problem.M
    return list(torch.autograd.grad(total, list(params.values())))


if __name__ == "__main__":
    from hypothesis import given, settings

    from bmaml_theory.testing import assert_maml_gradient, mlp_problems

    @settings(max_examples=100, deadline=None)
    @given(mlp_problems())
    def check(problem):
        for K in (1, 5):
            assert_maml_gradient(maml_gradient, problem, steps=K, backend="torch")

    check()
    print("nn.Sequential MAML: exact on 100 drawn networks, K = 1 and 5")
