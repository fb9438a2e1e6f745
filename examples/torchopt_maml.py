r"""torchopt's MAML, as its README writes it (``MetaSGD``, ``extract_state_dict`` / ``recover_state_dict``).

The same logistic-regression network as ``examples/higher_maml.py`` (``nn.Linear(n, 1, bias=False)``, its weight
the kit's theta); per task, ``torchopt.MetaSGD(net, lr).step(loss)`` K times (differentiable in-place updates), the
query loss back-propagated into the initial weight, then ``recover_state_dict`` restores the initial weights for the
next task.  Without that restore each task starts where the previous one ended, which the kit names ("tasks
chained ... torchopt without recover_state_dict").  Needs ``pip install torchopt`` (optional).
Run ``python examples/torchopt_maml.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the name every PyTorch README uses
import torchopt


def maml_gradient(problem, steps, lr, *, recover=True):
    """The MAML gradient by torchopt.MetaSGD; ``recover=False`` is the bug of a missing recover_state_dict."""
    net = torch.nn.Linear(problem.n, 1, bias=False).to(problem.theta.dtype)
    with torch.no_grad():
        net.weight.copy_(problem.theta[None, :])
    theta = net.weight  # the meta-parameter: MetaSGD replaces net.weight by its updates, this tensor stays
    inner_opt = torchopt.MetaSGD(net, lr=lr)
    net_state = torchopt.extract_state_dict(net)
    opt_state = torchopt.extract_state_dict(inner_opt)
    total = 0.0
    for i in range(problem.M):
        x_s, y_s = problem.X_train[i], (problem.y_train[i] + 1) / 2
        x_q, y_q = problem.X_test[i], (problem.y_test[i] + 1) / 2
        for _ in range(steps):
            inner_opt.step(F.binary_cross_entropy_with_logits(net(x_s).squeeze(-1), y_s))
        total = total + F.binary_cross_entropy_with_logits(net(x_q).squeeze(-1), y_q) / problem.M
        if recover:
            torchopt.recover_state_dict(net, net_state)
            torchopt.recover_state_dict(inner_opt, opt_state)
    (g,) = torch.autograd.grad(total, theta)
    return g.reshape(-1)


if __name__ == "__main__":
    from hypothesis import given, settings

    from bmaml_theory.testing import assert_maml_gradient, maml_problems

    @settings(max_examples=100, deadline=None)
    @given(maml_problems("logistic"))
    def check(problem):
        for K in (1, 5):
            assert_maml_gradient(maml_gradient, problem, steps=K, backend="torch")

    check()
    print("torchopt MAML: exact on 100 drawn standard-MAML logistic problems, K = 1 and 5")
