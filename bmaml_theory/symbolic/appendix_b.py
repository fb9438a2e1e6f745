r"""Appendix B's printed closed forms (:math:`f_i=\hat f_i` quadratic) checked against derivations."""

from __future__ import annotations

import sympy as sp

from bmaml_theory.symbolic._core import (
    Derivation,
    _quadratic,
    _solve,
    _suffix,
    check_dimension,
    combine,
    decide_zero,
    lam,
    nu,
    vec,
)

__all__ = ["appendix_b"]


def appendix_b(n: int = 2, seed: int | None = None) -> Derivation:
    r"""Appendix B (:math:`f_i=\hat f_i=\frac12\phi^\top A\phi+b^\top\phi`), each printed formula against a derivation.

    * :math:`\phi^*_\nu=((1+\nu)A+\lambda I)^{-1}(\lambda\theta-(1+\nu)b)`: solved from eq. (17);
    * :math:`\phi^*_0=(A+\lambda I)^{-1}(\lambda\theta-b)`;
    * :math:`\nabla F_i=\lambda(A+\lambda I)^{-1}(A(A+\lambda I)^{-1}(\lambda\theta-b)+b)`: against
      :math:`\nabla_\theta f(\phi^*_0(\theta))` (the definition of the meta-gradient);
    * ":math:`\nabla F_i=-\lambda\,d\phi^*_i/d\nu|_{\nu=0}`": the printed forms differentiated.

    ``seed``: A a random rational matrix (theta, b, lam, nu symbolic).
    """
    n, seed = check_dimension(n, seed)
    q = _quadratic(n, seed)
    A, b, theta, eye = q["A"], q["b"], q["theta"], q["I"]
    p = vec("p", n)
    G = nu * (A * p + b) + (A * p + b) + lam * (p - theta)  # eq. (17) with f = fhat
    derived = _solve(G.jacobian(p), -G.subs(dict.fromkeys(p, 0)))
    printed_phi = _solve((1 + nu) * A + lam * eye, lam * theta - (1 + nu) * b)
    printed_phi0 = _solve(A + lam * eye, lam * theta - b)
    printed_grad = lam * _solve(A + lam * eye, A * _solve(A + lam * eye, lam * theta - b) + b)
    f = (printed_phi0.T * A * printed_phi0 / 2 + b.T * printed_phi0)[0, 0]
    grad_def = sp.Matrix([f.diff(t) for t in theta])
    checks = {
        "phi*_nu as printed = solution of eq. (17)": decide_zero(printed_phi - derived),
        "phi*_0 as printed = phi*_nu at nu = 0": decide_zero(printed_phi0 - derived.subs(nu, 0)),
        "grad F_i as printed = grad_theta f(phi*_0(theta))": decide_zero(printed_grad - grad_def),
        "grad F_i as printed = -lam d phi*_nu/d nu at 0": decide_zero(
            printed_grad + lam * printed_phi.diff(nu).subs(nu, 0)
        ),
    }
    a, bb, t = sp.symbols("a b theta", real=True)
    phi_1d = sp.factor(((1 + nu) * a + lam) ** -1 * (lam * t - (1 + nu) * bb))
    grad_1d = sp.factor(lam / (a + lam) * (a * (lam * t - bb) / (a + lam) + bb))
    return combine(
        f"appendix-b{_suffix(n, seed)}",
        f"Appendix B's closed forms for phi*_nu and grad F_i (f = fhat quadratic, general symmetric {n}x{n} A).",
        checks,
        expression=f"n = 1: phi*_nu = {phi_1d}; grad F = {grad_1d}",
    )
