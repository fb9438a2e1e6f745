r"""torchopt's implicit iMAML, as its README writes it (``torchopt.diff.implicit.custom_root`` with ``solve_cg``).

The kit's logistic tasks with a proximal term (``lam > 0``): per task the inner problem
:math:`\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2` is solved by plain GD to convergence under ``torch.no_grad()``,
and ``custom_root`` differentiates the solution through its optimality condition
:math:`\nabla\hat f_i(\phi)+\lambda(\phi-\theta)=0`: the backward pass solves
:math:`(\lambda I+\nabla^2\hat f_i(\phi))x=\nabla f_i(\phi)` by conjugate gradient and returns :math:`\lambda x`, which
is eq. (7)'s meta-gradient (iMAML at the exact inner solution: ``assert_imaml_gradient(..., steps=None)``).

torchopt's default ``solve_cg()`` stops at relative residual ``rtol = 1e-5``, so its answer is within
:math:`\frac\lambda\mu10^{-5}\|\nabla f_i\|` of the exact one, not within round-off: pass ``cg_tol=`` the ``rtol``
you use (``maml_gradient(..., rtol=...)`` here) and the kit widens its tolerance by exactly that.
Needs ``pip install torchopt`` (optional).  Run ``python examples/torchopt_imaml.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the name every PyTorch README uses
import torchopt

INNER_STEPS = (
    200  # GD on a lam-strongly convex problem, lr = 1/(lam + Lhat1): contracts by <= 2/3 a step (lam >= 2 Lhat1)
)


def imaml_gradient(problem, steps=None, lr=None, *, rtol=1e-5):
    """iMAML at the converged inner solution, differentiated by ``custom_root`` (CG stopped at ``rtol``)."""
    lam = problem.lam
    lr_inner = 1.0 / (lam + problem.Lhat1)

    def fhat(phi, i):
        Zh = problem.y_train[i][:, None] * problem.X_train[i]
        return F.softplus(-(Zh @ phi)).mean() + 0.5 * phi @ problem.Q[i] @ phi + problem.q[i] @ phi

    def f(phi, i):
        Z = problem.y_test[i][:, None] * problem.X_test[i]
        return F.softplus(-(Z @ phi)).mean() + problem.r[i] @ phi

    def optimality(phi, theta, i):  # grad of fhat + lam/2 ||phi - theta||^2: zero at the inner solution
        return torch.func.grad(fhat)(phi, i) + lam * (phi - theta)  # torchopt differentiates it with torch.func

    @torchopt.diff.implicit.custom_root(optimality, argnums=1, solve=torchopt.linear_solve.solve_cg(rtol=rtol))
    def inner_solve(phi0, theta, i):
        phi = phi0.detach().clone()
        with torch.enable_grad():
            for _ in range(INNER_STEPS):
                p = phi.detach().requires_grad_(True)
                (g,) = torch.autograd.grad(fhat(p, i), p)
                phi = phi - lr_inner * (g + lam * (phi - theta.detach()))
        return phi.detach()

    theta = problem.theta.clone().requires_grad_(True)
    total = sum(f(inner_solve(theta.detach(), theta, i), i) for i in range(problem.M)) / problem.M
    return torch.autograd.grad(total, theta)[0]


if __name__ == "__main__":
    from hypothesis import given, settings

    from bmaml_theory.testing import assert_imaml_gradient, logistic_problems

    @settings(max_examples=30, deadline=None)
    @given(logistic_problems())
    def check(problem):
        assert_imaml_gradient(imaml_gradient, problem, steps=None, backend="torch", cg_tol=1e-5)

    check()
    print("torchopt implicit iMAML (solve_cg rtol 1e-5): within the kit's tolerance with cg_tol=1e-5 on 30 draws")
