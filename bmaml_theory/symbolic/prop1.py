r"""Proposition 1 proved symbolically: any smooth f, fhat; quadratics; the library's eigenbasis; the printed hypothesis.

* :func:`prop1_general`    Proposition 1 for *any* smooth :math:`f_i,\hat f_i` (undefined sympy functions in
  dimension n): implicit differentiation of eq. (17) in :math:`\nu` against the implicit function theorem in
  :math:`\theta` applied to :math:`F_i(\theta)=f_i(\phi^*_i(\theta))`.
* :func:`prop1_quadratic`  the same for quadratic tasks with general symbolic symmetric matrices.
* :func:`prop1_eigenbasis` the factorisation the library computes with.
* :func:`prop1_hypothesis_gap` the printed hypothesis ("if grad F exists") refuted at a degenerate minimum.
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from bmaml_theory.symbolic._core import (
    Derivation,
    _quadratic,
    _rational_matrix,
    _solve,
    _suffix,
    check_dimension,
    combine,
    decide_zero,
    lam,
    nu,
    vec,
)

__all__ = ["prop1_eigenbasis", "prop1_general", "prop1_hypothesis_gap", "prop1_quadratic"]


def prop1_general(n: int = 2) -> Derivation:
    r"""Proposition 1 for any smooth :math:`f_i,\hat f_i`: :math:`\nabla F_i(\theta)=-\lambda\,d\phi^*_{i,\nu}/d\nu|_{\nu=0}`.

    :math:`f,\hat f` are undefined sympy functions of n variables.  The left side is the implicit function
    theorem applied to :math:`\nabla\hat f(\phi^*_0(\theta))+\lambda(\phi^*_0(\theta)-\theta)=0` (eq. 6) and the chain
    rule on :math:`F(\theta)=f(\phi^*_0(\theta))`; the right side is eq. (17) differentiated in :math:`\nu` and
    solved for :math:`d\phi/d\nu` (Appendix A.1).  After both, every value of a derivative of f, fhat at
    :math:`\phi^*_0` is replaced by one symbol and the two sides are compared as rational functions.
    Also checks eq. (7): :math:`\nabla F_i=(I+\nabla^2\hat f/\lambda)^{-1}\nabla f`.
    """
    n, _ = check_dimension(n)
    th = sp.symbols(f"theta1:{n + 1}", real=True)
    x = sp.symbols(f"x1:{n + 1}", real=True)
    f, fh = sp.Function("f"), sp.Function("fhat")
    grad = lambda F, at: [sp.diff(F(*x), xi).subs(dict(zip(x, at, strict=True)), simultaneous=True) for xi in x]  # noqa: E731

    # nu-path: eq. (17) along phi(nu), differentiated, solved for phi'(nu), at nu = 0
    phi = [sp.Function(f"phi{i + 1}")(nu) for i in range(n)]
    G = [nu * gf + gh + lam * (p - t) for gf, gh, p, t in zip(grad(f, phi), grad(fh, phi), phi, th, strict=True)]
    d_phi = [sp.Derivative(p, nu) for p in phi]
    sol = sp.solve([sp.diff(g, nu) for g in G], d_phi, dict=True)[0]
    p0 = sp.symbols(f"p1:{n + 1}", real=True)  # phi*_0(theta)
    to_p0 = dict(zip(phi, p0, strict=True))
    rhs = sp.Matrix([(-lam * sol[d]).subs(to_p0).subs(nu, 0).doit() for d in d_phi])

    # theta-path: implicit function theorem on eq. (6), chain rule on F = f(phi*_0(theta))
    phi0 = [sp.Function(f"q{i + 1}")(*th) for i in range(n)]
    G0 = [gh + lam * (p - t) for gh, p, t in zip(grad(fh, phi0), phi0, th, strict=True)]
    J = [[sp.Derivative(phi0[i], th[j]) for j in range(n)] for i in range(n)]
    unknowns = [J[i][j] for i in range(n) for j in range(n)]
    eqs = [sp.diff(g, th[j]) for g in G0 for j in range(n)]
    solJ = sp.solve(eqs, unknowns, dict=True)[0]
    F = f(*phi0)
    to_q0 = dict(zip(phi0, p0, strict=True))
    lhs = sp.Matrix([sp.diff(F, th[j]).subs(solJ).subs(to_q0).doit() for j in range(n)])

    # eq. (7) with the Hessian and gradient values at phi*_0
    Hh = sp.Matrix(n, n, lambda i, j: sp.diff(fh(*p0), p0[i], p0[j]))
    g7 = (sp.eye(n) + Hh / lam).LUsolve(sp.Matrix([sp.diff(f(*p0), pi) for pi in p0]))

    # name every derivative value at phi*_0 by a symbol, so the residuals are rational functions
    atoms = sorted(
        (lhs.atoms(sp.Derivative) | rhs.atoms(sp.Derivative) | g7.atoms(sp.Derivative)),
        key=sp.default_sort_key,
    )
    names = {a: sp.Symbol(f"D{k}", real=True) for k, a in enumerate(atoms)}
    L, R, E7 = (m.xreplace(names) for m in (lhs, rhs, g7))
    checks = {
        "grad F (IFT on eq. 6 + chain rule) = -lam d phi/d nu (eq. 17)": decide_zero(L - R),
        "eq. (7) = -lam d phi/d nu (eq. 17)": decide_zero(E7 - R),
    }
    return combine(
        f"prop1-general-n{n}",
        f"Proposition 1 for arbitrary smooth f, fhat in dimension {n}: grad F = -lam d phi*_nu/d nu at 0.",
        checks,
        expression=f"-lam dphi/dnu|0 = (I + Hess fhat/lam)^-1 grad f, entry 1: {sp.simplify(E7[0])}",
        extra={"derivative_symbols": {str(v): str(k) for k, v in names.items()}},
    )


def prop1_hypothesis_gap() -> Derivation:
    r"""Proposition 1 with only its printed hypothesis ("if :math:`\nabla F_i(\theta)` exists") fails at a degenerate minimum.

    Instance (n = 1, any :math:`\lambda>0`): :math:`\hat f(\phi)=\phi^4-\lambda\phi^2/2`, :math:`f(\phi)=\phi^3`, :math:`\theta=0`.

    * the inner objective is :math:`\phi^4-\lambda\theta\phi+\lambda\theta^2/2`, strictly convex (second derivative
      :math:`12\phi^2`, zero only at one point), so :math:`\phi^*(\theta)` is unique with :math:`4\phi^{*3}=\lambda\theta`;
    * hence :math:`F(\theta)=f(\phi^*(\theta))=\phi^{*3}=\lambda\theta/4` for every :math:`\theta`: :math:`\nabla F(0)=\lambda/4` exists;
    * at :math:`\theta=0` the perturbed objective is :math:`h_\nu=\phi^4+\nu\phi^3` and
      :math:`h_\nu(\phi)-h_\nu(-3\nu/4)=(4\phi+3\nu)^2(16\phi^2-8\nu\phi+3\nu^2)/256\ge0`, the second factor having negative
      discriminant :math:`-128\nu^2`: :math:`\phi^*_\nu=-3\nu/4` is the unique minimiser, differentiable at 0;
    * so :math:`-\lambda\,d\phi^*_\nu/d\nu|_0=3\lambda/4=3\nabla F(0)`.

    The proof (Appendix A.1) and eq. (7) need :math:`\lambda I+\nabla^2\hat f(\phi^*_0)` invertible (Section 2 assumes
    it); here it is :math:`0`.  Under Assumption 3 (:math:`\mu>0`) it is invertible and :func:`prop1_general` proves the
    identity.  ``proved`` is False: the identity is refuted at this instance.
    """
    phi, theta = sp.symbols("phi theta", real=True)
    fh, f = phi**4 - lam * phi**2 / 2, phi**3
    inner = sp.expand(fh + lam / 2 * (phi - theta) ** 2)
    checks: dict = {}
    checks["inner objective = phi^4 - lam theta phi + lam theta^2/2"] = decide_zero(
        inner - (phi**4 - lam * theta * phi + lam * theta**2 / 2)
    )
    checks["its second derivative 12 phi^2 >= 0 (strictly convex: zero at one point only)"] = decide_zero(
        sp.diff(inner, phi, 2) - 12 * phi**2
    )
    # stationarity 4 phi^3 = lam theta, so F(theta) = phi*^3 = lam theta / 4 for every theta
    stationarity = sp.diff(inner, phi)
    checks["F(theta) = f(phi*(theta)) = lam theta/4 (from 4 phi*^3 = lam theta)"] = decide_zero(
        f - lam * sp.solve(stationarity, theta)[0] / 4
    )
    h = (nu * f + fh + lam / 2 * phi**2).expand()  # eq. (9) at theta = 0
    gap = sp.factor(h - h.subs(phi, -3 * nu / 4))
    checks["h_nu(phi) - h_nu(-3 nu/4) = (4 phi + 3 nu)^2 (16 phi^2 - 8 nu phi + 3 nu^2)/256"] = decide_zero(
        gap - (4 * phi + 3 * nu) ** 2 * (16 * phi**2 - 8 * nu * phi + 3 * nu**2) / 256
    )
    checks["discriminant of 16 phi^2 - 8 nu phi + 3 nu^2 is -128 nu^2 < 0"] = decide_zero(
        sp.discriminant(16 * phi**2 - 8 * nu * phi + 3 * nu**2, phi) + 128 * nu**2
    )
    minus_lam_dphi = -lam * sp.diff(-3 * nu / 4, nu)
    grad_F = lam / 4
    checks["Prop. 1's identity -lam dphi*_nu/dnu = grad F at theta = 0"] = decide_zero(minus_lam_dphi - grad_F)
    # numeric confirmation, independent of the algebra: minimise by the real roots of the derivatives
    lam_v = 1.0

    def argmin(coeffs_obj: list, coeffs_der: list) -> float:
        r = np.roots(coeffs_der)
        r = r[np.abs(r.imag) < 1e-12].real
        return float(r[np.argmin(np.polyval(coeffs_obj, r))])

    def phi_star(t: float) -> float:  # phi^4 - lam t phi
        return argmin([1, 0, 0, -lam_v * t, 0], [4, 0, 0, -lam_v * t])

    def phi_nu(v: float) -> float:  # phi^4 + v phi^3
        return argmin([1, v, 0, 0, 0], [4, 3 * v, 0, 0])

    hstep = 1e-6
    gradF_fd = ((phi_star(hstep)) ** 3 - (phi_star(-hstep)) ** 3) / (2 * hstep)
    fwd = {f"{v:g}": -lam_v * (phi_nu(v) - phi_nu(0.0)) / v for v in (1e-2, 1e-4, 1e-6)}
    return combine(
        "prop1-hypothesis-gap",
        "Proposition 1 with only 'if grad F_i(theta) exists': fhat = phi^4 - lam phi^2/2, f = phi^3, theta = 0.",
        checks,
        expression="grad F(0) = lam/4, but phi*_nu = -3 nu/4 so -lam dphi*_nu/dnu at 0 = 3 lam/4 = 3 grad F(0); "
        "lam + fhat''(phi*_0) = 0 (eq. (7) is 0/0)",
        extra={
            "instance": {"fhat": "phi^4 - lam*phi^2/2", "f": "phi^3", "theta": 0, "lam": "any > 0", "n": 1},
            "numeric_lam_1": {"grad_F_central_difference": gradF_fd, "forward_estimator_at_nu": fwd},
            "ratio": "3 exactly",
            "corrected": "the identity holds whenever lam I + Hess fhat(phi*_0) is invertible (Section 2's "
            "assumption; implied by Assumption 3), proved by prop1_general",
        },
    )


def prop1_quadratic(n: int = 2, seed: int | None = None) -> Derivation:
    r"""Proposition 1 for quadratic tasks :math:`\hat f=\frac12\phi^\top\hat A\phi+\hat b^\top\phi`, :math:`f=\frac12\phi^\top A\phi+b^\top\phi`.

    General symbolic symmetric :math:`\hat A, A` (train != test, no definiteness), :math:`S=\hat A+\lambda I`
    invertible (``seed``: random rational matrices instead, with theta, b, bhat, lam, nu still symbolic - the
    way to reach n >= 3, where fully symbolic cancellation is too slow).  Four expressions agree: the definition
    :math:`\nabla_\theta f(\phi^*_0(\theta))`, eq. (7), :math:`-\lambda` times eq. (17)'s implicit derivative, and
    :math:`-\lambda` times the derivative of the closed form :math:`\phi^*_\nu=(S+\nu A)^{-1}(\lambda\theta-\hat b-\nu b)`.
    """
    n, seed = check_dimension(n, seed)
    q = _quadratic(n, seed)
    Ah, A, bh, b, theta, eye = q["Ah"], q["A"], q["bh"], q["b"], q["theta"], q["I"]
    S = Ah + lam * eye
    p = vec("p", n)
    G = nu * (A * p + b) + (Ah * p + bh) + lam * (p - theta)  # eq. (17)
    phi0 = _solve(S, lam * theta - bh)
    J = G.jacobian(p).subs(nu, 0)
    dphi_implicit = -_solve(J, G.diff(nu).subs(dict(zip(p, phi0, strict=True))))
    phi_nu = _solve(S + nu * A, lam * theta - bh - nu * b)
    dphi_closed = phi_nu.diff(nu).subs(nu, 0)
    f = (phi0.T * A * phi0 / 2 + b.T * phi0)[0, 0]
    grad_def = sp.Matrix([f.diff(t) for t in theta])
    g7 = _solve(eye + Ah / lam, A * phi0 + b)
    checks = {
        "definition grad_theta f(phi*_0) = -lam d phi/d nu (implicit, eq. 17)": decide_zero(
            grad_def + lam * dphi_implicit
        ),
        "eq. (7) = -lam d phi/d nu (implicit, eq. 17)": decide_zero(g7 + lam * dphi_implicit),
        "closed-form derivative = implicit derivative": decide_zero(dphi_closed - dphi_implicit),
    }
    return combine(
        f"prop1-quadratic{_suffix(n, seed)}",
        f"Proposition 1 for quadratic tasks with {'rational' if seed is not None else 'general'} symmetric {n}x{n} Ahat != A.",
        checks,
        expression="grad F = -lam dphi/dnu|0 = lam (Ahat + lam I)^-1 (A phi*_0 + b), phi*_0 = (Ahat + lam I)^-1 (lam theta - bhat)",
    )


def prop1_eigenbasis(n: int = 2, seed: int | None = None) -> Derivation:
    r"""The library's factorisation (``QuadraticTasks``) proved for a general invertible :math:`V` and diagonal :math:`\Gamma`.

    With :math:`S=V^{-\top}V^{-1}` (:math:`=\hat A+\lambda I`) and :math:`A=V^{-\top}\Gamma V^{-1}`, :math:`c=V^\top(\lambda\theta-\hat b)`,
    :math:`d=V^\top b`: :math:`\phi^*_\nu=V(c-\nu d)/(1+\nu\gamma)` (componentwise), :math:`\nabla F=\lambda V(\Gamma c+d)=-\lambda\,d\phi^*_\nu/d\nu|_0`,
    :math:`\nabla^2F=\lambda^2V\Gamma V^\top` and :math:`\det(S+\nu A)=\det S\prod_k(1+\nu\gamma_k)` (so the exact uniqueness
    interval of eq. (9) is :math:`\{\nu:1+\nu\gamma_k>0\ \forall k\}`).  ``seed``: V and gamma random rationals.
    """
    n, seed = check_dimension(n, seed)
    if seed is None:
        V = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"V{i + 1}{j + 1}", real=True))
        gam = vec("gamma", n)
    else:
        rng = random.Random(seed)
        V = _rational_matrix(n, rng, symmetric=False)
        gam = sp.Matrix([sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(n)])
    Gam = sp.diag(*gam)
    r = vec("r", n)  # lam * theta - bhat
    b = vec("b", n)
    theta = vec("theta", n)
    bh = vec("bh", n)
    Vi = V.inv()
    S = Vi.T * Vi
    A = Vi.T * Gam * Vi
    c, d = V.T * r, V.T * b
    phi_nu = _solve(S + nu * A, r - nu * b)
    phi_eig = V * sp.Matrix([(c[k] - nu * d[k]) / (1 + nu * gam[k]) for k in range(n)])
    grad_eig = lam * V * (Gam * c + d)
    phi0 = _solve(S, r)
    grad7 = lam * _solve(S, A * phi0 + b)
    # Hessian: d/dtheta of grad F with r = lam theta - bhat
    rt = lam * theta - bh
    grad_theta = (lam * _solve(S, A * _solve(S, rt) + b)).jacobian(theta)
    det_res = (S + nu * A).det() - S.det() * sp.prod([1 + nu * g for g in gam])
    checks = {
        "phi*_nu = V (c - nu d)/(1 + nu gamma)": decide_zero(phi_nu - phi_eig),
        "grad F (eq. 7) = lam V (Gamma c + d)": decide_zero(grad7 - grad_eig),
        "-lam d phi*_nu/d nu at 0 = lam V (Gamma c + d)": decide_zero(-lam * phi_eig.diff(nu).subs(nu, 0) - grad_eig),
        "Hessian of F = lam^2 V Gamma V^T": decide_zero(grad_theta - lam**2 * V * Gam * V.T),
        "det(S + nu A) = det S prod(1 + nu gamma_k)": decide_zero(det_res),
    }
    return combine(
        f"prop1-eigenbasis{_suffix(n, seed)}",
        f"The simultaneous-diagonalisation formulas of QuadraticTasks, general invertible V ({n}x{n}).",
        checks,
        expression="phi*_nu = V (c - nu d)/(1 + nu gamma); grad F = lam V (Gamma c + d); Hess F = lam^2 V Gamma V^T",
    )
