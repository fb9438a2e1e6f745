r"""higher's MAML, as its README and ``examples/maml-omniglot.py`` write it, checked by bmaml_theory.testing.

A logistic-regression "network" (``nn.Linear(n, 1, bias=False)``, its weight the kit's theta) adapted with
``higher.innerloop_ctx`` and ``torch.optim.SGD(lr)`` for K steps on each task's training points, the query loss
``binary_cross_entropy_with_logits`` back-propagated through the unrolled loop into ``net.weight.grad``: standard MAML
(no proximal term), which the kit checks on :func:`~bmaml_theory.testing.maml_problems` ("logistic").

Nothing here is adapted to the kit except reading its arrays (``problem.X_train[i]`` ...) and returning
``net.weight.grad``.  ``copy_initial_weights=False`` is what higher's MAML example passes: with the default ``True``
the gradient goes to a copy and ``net.weight.grad`` stays empty, which the kit reports as "no gradient reached theta".
Needs ``pip install higher`` (optional; not a dependency of bmaml-theory).  Run ``python examples/higher_maml.py``.
"""

from __future__ import annotations

import higher
import torch
import torch.nn.functional as F  # noqa: N812 - the name every PyTorch README uses


def maml_gradient(problem, steps, lr, *, copy_initial_weights=False):
    """The MAML gradient of mean_i BCE(query_i) through `steps` SGD steps on support_i, by higher."""
    net = torch.nn.Linear(problem.n, 1, bias=False).to(problem.theta.dtype)
    with torch.no_grad():
        net.weight.copy_(problem.theta[None, :])
    inner_opt = torch.optim.SGD(net.parameters(), lr=lr)
    for i in range(problem.M):
        x_s, y_s = problem.X_train[i], (problem.y_train[i] + 1) / 2  # labels {-1, 1} -> {0, 1}
        x_q, y_q = problem.X_test[i], (problem.y_test[i] + 1) / 2
        with higher.innerloop_ctx(net, inner_opt, copy_initial_weights=copy_initial_weights) as (fnet, diffopt):
            for _ in range(steps):
                diffopt.step(F.binary_cross_entropy_with_logits(fnet(x_s).squeeze(-1), y_s))
            (F.binary_cross_entropy_with_logits(fnet(x_q).squeeze(-1), y_q) / problem.M).backward()
    if net.weight.grad is None:
        return torch.zeros(problem.n, dtype=problem.theta.dtype)  # what a training loop would step with
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
    print("higher MAML: exact on 100 drawn standard-MAML logistic problems, K = 1 and 5")
