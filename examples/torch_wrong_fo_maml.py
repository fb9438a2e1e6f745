r"""A deliberately wrong first-order "MAML" in PyTorch, which bmaml_theory.testing rejects.

It looks like MAML: K steps of GD on the proximal inner problem, then ``backward()`` of the test loss.  But the inner
gradient is taken with ``torch.autograd.grad(loss, phi)`` *without* ``create_graph=True``, the classic slip: the
inner gradients become constants, :math:`d\phi_K/d\theta=I`, and the result is FO-MAML (eq. 3),
:math:`\nabla f_i(\phi_K)`, with the second-order term silently dropped.

Run ``python examples/torch_wrong_fo_maml.py``: the kit's report (what differs, by how much, the diagnosis
"matches FO-MAML: the second-order term dropped", and the replay code) is printed.
"""

from __future__ import annotations

import torch


def wrong_maml_gradient(problem, steps, lr):
    """Claims to be MAML; is FO-MAML (no create_graph in the inner loop)."""
    theta = problem.theta.clone().requires_grad_(True)
    total = 0.0
    for i in range(problem.A_train.shape[0]):
        phi = theta
        for _ in range(steps):
            inner = 0.5 * phi @ problem.A_train[i] @ phi + problem.b_train[i] @ phi
            inner = inner + 0.5 * problem.lam * torch.sum((phi - theta) ** 2)
            (g,) = torch.autograd.grad(inner, phi)  # BUG: create_graph=True is missing
            phi = phi - lr * g
        total = total + 0.5 * phi @ problem.A_test[i] @ phi + problem.b_test[i] @ phi
    (total / problem.A_train.shape[0]).backward()
    return theta.grad


if __name__ == "__main__":
    from bmaml_theory.tasks.generate import random_family
    from bmaml_theory.testing import QuadraticProblem, assert_maml_gradient

    tasks, theta = random_family("indefinite-both", M=2, n=3, seed=0)
    problem = QuadraticProblem(tasks.A_train, tasks.b_train, tasks.A_test, tasks.b_test, tasks.lam, theta)
    try:
        assert_maml_gradient(wrong_maml_gradient, problem, steps=5, backend="torch")
    except AssertionError as err:
        print(err)
    else:
        raise SystemExit("the kit accepted a first-order 'MAML': this must not happen")
