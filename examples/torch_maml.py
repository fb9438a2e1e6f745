r"""A PyTorch MAML written with ``torch.func``, checked by bmaml_theory.testing.

MAML (Finn et al.; Chayti & Jaggi, Section 2) on the proximal inner problem of eq. (6): for each task,
K steps of GD with step ``lr`` on :math:`h_i(\phi)=\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2` from
:math:`\phi_0=\theta`, then the gradient of :math:`f_i(\phi_K(\theta))` in theta, through all K steps
(``torch.func.grad`` differentiates through the unrolled loop; ``vmap`` batches the tasks), averaged over tasks.

Run ``python examples/torch_maml.py`` (needs torch): it checks the implementation against the kit's exact
answers on 200 drawn quadratic problems and prints a line.
"""

from __future__ import annotations

import torch
from torch.func import grad, vmap


def quadratic(phi, A, b):
    r""":math:`\tfrac12\phi^\top A\phi+b^\top\phi` (the kit's convention for :math:`\hat f_i` and :math:`f_i`)."""
    return 0.5 * phi @ (A @ phi) + b @ phi


def adapt(theta, A_train, b_train, lam, steps, lr):
    """K GD steps on fhat + lam/2 ||phi - theta||^2, from theta (differentiable in theta)."""

    def inner(phi):
        return quadratic(phi, A_train, b_train) + 0.5 * lam * torch.sum((phi - theta) ** 2)

    phi = theta
    for _ in range(steps):
        phi = phi - lr * grad(inner)(phi)
    return phi


def task_outer(theta, A_train, b_train, A_test, b_test, lam, steps, lr):
    """f_i(phi_K(theta)): the test loss after adaptation."""
    return quadratic(adapt(theta, A_train, b_train, lam, steps, lr), A_test, b_test)


def maml_gradient(problem, steps, lr):
    r""":math:`\frac1M\sum_i\nabla_\theta f_i(\phi_{i,K}(\theta))` for a problem whose arrays are torch tensors."""
    per_task = vmap(grad(task_outer), in_dims=(None, 0, 0, 0, 0, None, None, None))(
        problem.theta, problem.A_train, problem.b_train, problem.A_test, problem.b_test, problem.lam, steps, lr
    )
    return per_task.mean(dim=0)


if __name__ == "__main__":
    from hypothesis import given, settings

    from bmaml_theory.testing import assert_maml_gradient, quadratic_problems

    @settings(max_examples=200, deadline=None)
    @given(quadratic_problems())
    def check(problem):
        assert_maml_gradient(maml_gradient, problem, steps=5, backend="torch")

    check()
    print("torch.func MAML matches the exact MAML gradient on 200 drawn quadratic problems.")
