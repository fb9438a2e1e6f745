r"""learn2learn's MAML wrapper (``MAML(model, lr).clone()``, ``learner.adapt(loss)``), checked by the kit.

learn2learn does not install in this environment (its source build needs Cython and pins old dependencies), so this
example re-creates the part of ``learn2learn.algorithms.MAML`` that a MAML step uses, with the same structure and
the same arithmetic: ``clone()`` keeps the parameters in the graph, ``adapt(loss)`` takes
``torch.autograd.grad(loss, params, create_graph=not first_order)`` and replaces each parameter p by
``p - lr * g`` (learn2learn's ``maml_update``).  With learn2learn installed, replace ``MAML`` by
``learn2learn.algorithms.MAML`` and ``Learner`` by what ``clone()`` returns: the loop below is unchanged.
``first_order=True`` is FO-MAML (the kit names it "the second-order term dropped" under ``assert_maml_gradient``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the name every PyTorch README uses
from torch.func import functional_call


class Learner:
    """What ``MAML.clone()`` returns: the module and its current (differentiable) parameters."""

    def __init__(self, module, params, lr, first_order):
        self.module, self.params, self.lr, self.first_order = module, params, lr, first_order

    def __call__(self, x):
        return functional_call(self.module, self.params, (x,))

    def adapt(self, loss):
        names = list(self.params)
        grads = torch.autograd.grad(loss, [self.params[k] for k in names], create_graph=not self.first_order)
        self.params = {k: self.params[k] - self.lr * g for k, g in zip(names, grads, strict=True)}


class MAML:
    """``learn2learn.algorithms.MAML(model, lr, first_order)``'s interface: ``clone()``."""

    def __init__(self, module, lr, first_order=False):
        self.module, self.lr, self.first_order = module, lr, first_order

    def clone(self):
        return Learner(self.module, dict(self.module.named_parameters()), self.lr, self.first_order)


def maml_gradient(problem, steps, lr, *, first_order=False):
    net = torch.nn.Linear(problem.n, 1, bias=False).to(problem.theta.dtype)
    with torch.no_grad():
        net.weight.copy_(problem.theta[None, :])
    maml = MAML(net, lr=lr, first_order=first_order)
    for i in range(problem.M):
        learner = maml.clone()
        x_s, y_s = problem.X_train[i], (problem.y_train[i] + 1) / 2
        x_q, y_q = problem.X_test[i], (problem.y_test[i] + 1) / 2
        for _ in range(steps):
            learner.adapt(F.binary_cross_entropy_with_logits(learner(x_s).squeeze(-1), y_s))
        (F.binary_cross_entropy_with_logits(learner(x_q).squeeze(-1), y_q) / problem.M).backward()
    return net.weight.grad.reshape(-1)


if __name__ == "__main__":
    from hypothesis import given, settings

    from bmaml_theory.testing import assert_maml_gradient, maml_problems

    @settings(max_examples=100, deadline=None)
    @given(maml_problems("logistic"))
    def check(problem):
        for K in (1, 5):
            assert_maml_gradient(maml_gradient, problem, steps=K, backend="torch")

    check()
    print("learn2learn-style MAML: exact on 100 drawn standard-MAML logistic problems, K = 1 and 5")
