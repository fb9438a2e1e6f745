r"""Symbolic proofs (sympy) of the statements that are identities.

* :func:`prop1_general`    Proposition 1 for *any* smooth :math:`f_i,\hat f_i` (undefined sympy functions in
  dimension n): implicit differentiation of eq. (17) in :math:`\nu` against the implicit function theorem in
  :math:`\theta` applied to :math:`F_i(\theta)=f_i(\phi^*_i(\theta))`.
* :func:`prop1_quadratic`  the same for quadratic tasks with general symbolic symmetric matrices
  (:math:`\hat A\ne A`, no definiteness assumed): eq. (17)'s implicit derivative, the closed form's derivative,
  eq. (7) and the definition :math:`\nabla_\theta f(\phi^*_0(\theta))` all agree.
* :func:`prop1_eigenbasis` the factorisation the library computes with: :math:`V^\top SV=I`, :math:`V^\top AV=\Gamma`
  give :math:`\phi^*_\nu=V(c-\nu d)/(1+\nu\gamma)`, :math:`\nabla F=\lambda V(\Gamma c+d)`,
  :math:`\nabla^2F=\lambda^2V\Gamma V^\top`, :math:`\det(S+\nu A)=\det S\prod_k(1+\nu\gamma_k)`.
* :func:`appendix_b`       Appendix B's printed closed forms for :math:`\phi^*_\nu` and :math:`\nabla F_i` (:math:`f=\hat f`).
* :func:`bias_series`      the exact estimator of any stencil on quadratic tasks,
  :math:`g_\nu=\sum_kw_kt_k(I+t_k\nu S^{-1}A)^{-1}\nabla F`, hence the bias series
  :math:`g_\nu-\nabla F=\sum_{j\ge p}s_j(-\nu S^{-1}A)^j\nabla F`, :math:`s_j=\sum_kw_kt_k^{j+1}`: its order p
  and leading coefficient :math:`s_p(-1)^p(S^{-1}A)^p\nabla F`.
* :func:`a4_algebra`       Appendix A.4's step count:
  :math:`K\le\Delta/\min(\varepsilon^2/4\mathcal L_0,\mathcal L_0/4\mathcal L_1^2)\le4\mathcal L_0\Delta/\varepsilon^2+4\mathcal L_1^2\Delta/\mathcal L_0`.

How a verdict is reached.  Every identity is reduced to a residual (matrix) of rational functions and each
entry is put in canonical form by ``sympy.cancel``, which is a decision procedure for rational identities:
the residual is identically zero iff the canonical form is 0 (``proved=True``).  Otherwise the residual is
evaluated at random rational points; a point where it is non-zero disproves the identity
(``proved=False`` with that point as ``counterexample``); if none is found the result is ``None``
(undecided, reported as inconclusive).  Inequalities are proved by exhibiting the difference as a
product/quotient of factors that sympy's assumption system certifies non-negative.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil

__all__ = [
    "Derivation",
    "a4_algebra",
    "appendix_b",
    "bias_series",
    "decide_zero",
    "prop1_eigenbasis",
    "prop1_general",
    "prop1_hypothesis_gap",
    "prop1_quadratic",
]

nu = sp.Symbol("nu", real=True)
lam = sp.Symbol("lam", positive=True)


class Derivation(NamedTuple):
    """One symbolic check: ``proved`` True (identity holds), False (refuted, see ``counterexample``), None (undecided).

    ``expression`` is the derived result in sympy's plain-text form; ``details`` holds named sub-results.
    """

    name: str
    statement: str
    proved: bool | None
    expression: str
    residual: str
    counterexample: dict | None
    details: dict


# --- helpers ----------------------------------------------------------------------------------------


def sym_matrix(name: str, n: int) -> sp.Matrix:
    """A general symmetric n x n matrix of real symbols ``name_ij`` (i <= j)."""
    s = {(i, j): sp.Symbol(f"{name}{i + 1}{j + 1}", real=True) for i in range(n) for j in range(i, n)}
    return sp.Matrix(n, n, lambda i, j: s[(min(i, j), max(i, j))])


def vec(name: str, n: int) -> sp.Matrix:
    """A column of n real symbols ``name_i``."""
    return sp.Matrix([sp.Symbol(f"{name}{i + 1}", real=True) for i in range(n)])


def _solve(M: sp.Matrix, rhs: sp.Matrix) -> sp.Matrix:
    """M^-1 rhs with every entry in canonical rational form (keeps later cancellations small)."""
    return M.LUsolve(rhs).applyfunc(lambda e: sp.cancel(sp.together(e)))


def _entries(x: Any) -> list:
    return list(x) if isinstance(x, sp.MatrixBase) else [x]


def _random_point(symbols: Sequence[sp.Symbol], rng: random.Random) -> dict:
    pt = {}
    for s in symbols:
        v = Fraction(rng.randint(1, 9), rng.randint(1, 4))
        if not s.is_positive and not s.is_nonnegative and rng.random() < 0.5:
            v = -v
        pt[s] = sp.Rational(v.numerator, v.denominator)
    return pt


def decide_zero(residual: Any, *, trials: int = 40, seed: int = 0) -> tuple[bool | None, str, dict | None]:
    """Is ``residual`` (an expression or a matrix of them) identically zero?

    Returns (proved, canonical residual, counterexample): True with "0" if every entry cancels to 0; False
    with a rational point where some entry is non-zero; None if neither could be established.
    """
    canon = [sp.cancel(sp.together(e)) for e in _entries(residual)]
    if all(c == 0 for c in canon):
        return True, "0", None
    nonzero = [c for c in canon if c != 0]
    symbols = sorted(set().union(*(c.free_symbols for c in nonzero)), key=lambda s: s.name)
    rng = random.Random(seed)
    for _ in range(trials):
        pt = _random_point(symbols, rng)
        vals = [c.subs(pt) for c in nonzero]
        if any(v.has(sp.zoo, sp.nan, sp.oo) for v in vals):
            continue  # a pole of the expressions: not a valid instance
        if any(v != 0 for v in vals):
            return False, str(nonzero[0]), {str(k): str(v) for k, v in pt.items()}
    return None, str(nonzero[0]), None


def _combine(name: str, statement: str, checks: dict, expression: str, extra: dict | None = None) -> Derivation:
    """Fold named sub-checks {label: (proved, residual, counterexample)} into one Derivation."""
    verdicts = [c[0] for c in checks.values()]
    proved: bool | None
    if all(v is True for v in verdicts):
        proved = True
    elif any(v is False for v in verdicts):
        proved = False
    else:
        proved = None
    bad = next((k for k, c in checks.items() if c[0] is not True), None)
    details = {k: {"proved": c[0], "residual": c[1]} for k, c in checks.items()}
    if extra:
        details.update(extra)
    return Derivation(
        name=name,
        statement=statement,
        proved=proved,
        expression=expression,
        residual="0" if proved else f"{bad}: {checks[bad][1]}",
        counterexample=None if bad is None or checks[bad][2] is None else {"check": bad, "point": checks[bad][2]},
        details=details,
    )


# --- Proposition 1 ----------------------------------------------------------------------------------


def prop1_general(n: int = 2) -> Derivation:
    r"""Proposition 1 for any smooth :math:`f_i,\hat f_i`: :math:`\nabla F_i(\theta)=-\lambda\,d\phi^*_{i,\nu}/d\nu|_{\nu=0}`.

    :math:`f,\hat f` are undefined sympy functions of n variables.  The left side is the implicit function
    theorem applied to :math:`\nabla\hat f(\phi^*_0(\theta))+\lambda(\phi^*_0(\theta)-\theta)=0` (eq. 6) and the chain
    rule on :math:`F(\theta)=f(\phi^*_0(\theta))`; the right side is eq. (17) differentiated in :math:`\nu` and
    solved for :math:`d\phi/d\nu` (Appendix A.1).  After both, every value of a derivative of f, fhat at
    :math:`\phi^*_0` is replaced by one symbol and the two sides are compared as rational functions.
    Also checks eq. (7): :math:`\nabla F_i=(I+\nabla^2\hat f/\lambda)^{-1}\nabla f`.
    """
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
    return _combine(
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
    return _combine(
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


def _rational_matrix(n: int, rng: random.Random, *, symmetric: bool) -> sp.Matrix:
    """A random n x n matrix of small rationals (symmetric if asked); invertible (redrawn otherwise)."""
    while True:
        M = sp.Matrix(n, n, lambda i, j: sp.Rational(rng.randint(-6, 6), rng.randint(1, 3)))
        if symmetric:
            M = (M + M.T) / 2
        if M.det() != 0:
            return M


def _quadratic(n: int, seed: int | None = None) -> dict:
    """Symbols of a quadratic task; with ``seed`` the matrices are random rationals (vectors, lam, nu stay symbolic)."""
    if seed is None:
        Ah, A = sym_matrix("Ah", n), sym_matrix("A", n)
    else:
        rng = random.Random(seed)
        Ah, A = _rational_matrix(n, rng, symmetric=True), _rational_matrix(n, rng, symmetric=True)
    return {"Ah": Ah, "A": A, "bh": vec("bh", n), "b": vec("b", n), "theta": vec("theta", n), "I": sp.eye(n)}


def _suffix(n: int, seed: int | None) -> str:
    return f"-n{n}" + ("" if seed is None else f"-rational-matrices-seed{seed}")


def prop1_quadratic(n: int = 2, seed: int | None = None) -> Derivation:
    r"""Proposition 1 for quadratic tasks :math:`\hat f=\frac12\phi^\top\hat A\phi+\hat b^\top\phi`, :math:`f=\frac12\phi^\top A\phi+b^\top\phi`.

    General symbolic symmetric :math:`\hat A, A` (train != test, no definiteness), :math:`S=\hat A+\lambda I`
    invertible (``seed``: random rational matrices instead, with theta, b, bhat, lam, nu still symbolic - the
    way to reach n >= 3, where fully symbolic cancellation is too slow).  Four expressions agree: the definition
    :math:`\nabla_\theta f(\phi^*_0(\theta))`, eq. (7), :math:`-\lambda` times eq. (17)'s implicit derivative, and
    :math:`-\lambda` times the derivative of the closed form :math:`\phi^*_\nu=(S+\nu A)^{-1}(\lambda\theta-\hat b-\nu b)`.
    """
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
    return _combine(
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
    return _combine(
        f"prop1-eigenbasis{_suffix(n, seed)}",
        f"The simultaneous-diagonalisation formulas of QuadraticTasks, general invertible V ({n}x{n}).",
        checks,
        expression="phi*_nu = V (c - nu d)/(1 + nu gamma); grad F = lam V (Gamma c + d); Hess F = lam^2 V Gamma V^T",
    )


# --- Appendix B -------------------------------------------------------------------------------------


def appendix_b(n: int = 2, seed: int | None = None) -> Derivation:
    r"""Appendix B (:math:`f_i=\hat f_i=\frac12\phi^\top A\phi+b^\top\phi`), each printed formula against a derivation.

    * :math:`\phi^*_\nu=((1+\nu)A+\lambda I)^{-1}(\lambda\theta-(1+\nu)b)`: solved from eq. (17);
    * :math:`\phi^*_0=(A+\lambda I)^{-1}(\lambda\theta-b)`;
    * :math:`\nabla F_i=\lambda(A+\lambda I)^{-1}(A(A+\lambda I)^{-1}(\lambda\theta-b)+b)`: against
      :math:`\nabla_\theta f(\phi^*_0(\theta))` (the definition of the meta-gradient);
    * ":math:`\nabla F_i=-\lambda\,d\phi^*_i/d\nu|_{\nu=0}`": the printed forms differentiated.

    ``seed``: A a random rational matrix (theta, b, lam, nu symbolic).
    """
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
    return _combine(
        f"appendix-b{_suffix(n, seed)}",
        f"Appendix B's closed forms for phi*_nu and grad F_i (f = fhat quadratic, general symmetric {n}x{n} A).",
        checks,
        expression=f"n = 1: phi*_nu = {phi_1d}; grad F = {grad_1d}",
    )


# --- the bias of the stencil estimators ------------------------------------------------------------


def moments(st: Stencil, upto: int) -> list[sp.Rational]:
    r""":math:`s_j=\sum_kw_kt_k^{j+1}` for j = 0..upto, exactly (:math:`s_0=1` is consistency)."""
    w = [sp.Rational(x.numerator, x.denominator) for x in st.weights_exact]
    return [sum(wk * sp.Integer(t) ** (j + 1) for wk, t in zip(w, st.nodes, strict=True)) for j in range(upto + 1)]


def _estimate(st: Stencil, phi: Any) -> Any:
    """-(lam/nu) sum_k w_k phi(t_k nu) for a callable phi(nu) (scalar or matrix valued)."""
    w = [sp.Rational(x.numerator, x.denominator) for x in st.weights_exact]
    terms = [wk * phi(sp.Integer(t) * nu) for wk, t in zip(w, st.nodes, strict=True)]
    total = terms[0]
    for tm in terms[1:]:
        total = total + tm
    return -lam / nu * total


def bias_series(stencils: Sequence[Stencil] = (FORWARD, SYMMETRIC), *, n_matrix: int = 2) -> Derivation:
    r"""Exact bias of the stencil estimators on quadratic tasks, and its series in :math:`\nu` (eq. 12).

    Write :math:`M=S^{-1}A` (:math:`S=\hat A+\lambda I`).  The proof has three steps, each checked:

    1. *node lemma* (general symbolic :math:`\hat A\ne A` of size ``n_matrix``, symbolic :math:`\tau`):
       :math:`\phi^*_\tau-\phi^*_0=-\tau(S+\tau A)^{-1}(A\phi^*_0+b)=-\frac\tau\lambda(I+\tau M)^{-1}\nabla F`;
    2. *consistency* :math:`\sum_kw_k=0`, so by linearity
       :math:`g_\nu=-\frac\lambda\nu\sum_kw_k\phi^*_{t_k\nu}=\sum_kw_kt_k(I+t_k\nu M)^{-1}\nabla F` exactly;
    3. *series*: :math:`\sum_kw_kt_k(1+t_k\nu\gamma)^{-1}-1=\sum_{j\ge p}s_j(-\gamma\nu)^j`,
       :math:`s_j=\sum_kw_kt_k^{j+1}`, checked in one scalar :math:`\gamma` to order p+2 from the estimator itself
       (:math:`\phi(\nu)=(c-\nu d)/(1+\nu\gamma)`, one eigen-component).  A power-series identity in one
       variable holds with :math:`\gamma` replaced by the matrix M, hence

       .. math::  g_\nu-\nabla F=\sum_{j\ge p}s_j(-\nu M)^j\nabla F,\qquad\text{leading term } s_p(-\nu)^pM^p\nabla F,

       convergent for :math:`|\nu|\max_k|t_k|\rho(M)<1`.

    Forward (eq. 10): p = 1, :math:`-\nu S^{-1}A\nabla F`; symmetric (eq. 11): p = 2, :math:`+\nu^2(S^{-1}A)^2\nabla F`,
    next term :math:`O(\nu^4)`.  With :math:`\|S^{-1}A\|\le L_1/\mu` and :math:`\|\nabla F\|\le\lambda L_0/\mu` the forward
    leading term is at most :math:`\nu\lambda L_0L_1/\mu^2`: the quadratic case of Prop. 2's corrected constant.
    """
    q = _quadratic(n_matrix)
    Ah, A, b, eye = q["Ah"], q["A"], q["b"], q["I"]
    S = Ah + lam * eye
    p0 = vec("p", n_matrix)  # phi*_0; then lam theta - bhat = S p0
    tau = sp.Symbol("tau", real=True)
    # phi*_tau = (S + tau A)^-1 (S p0 - tau b); the lemma's two sides agree iff (S + tau A) maps them to the
    # same vector (S + tau A is invertible on the uniqueness interval): a polynomial identity, no inverse needed
    lhs_mapped = S * p0 - tau * b - (S + tau * A) * p0  # (S + tau A)(phi*_tau - phi*_0)
    rhs_mapped = -tau * (A * p0 + b)  # (S + tau A)(-tau (S + tau A)^-1 (A phi*_0 + b))
    checks: dict = {
        "node lemma: phi*_tau - phi*_0 = -tau (S + tau A)^-1 (A phi*_0 + b)": decide_zero(lhs_mapped - rhs_mapped)
    }
    c, d, gam = sp.symbols("c d gamma", real=True)
    grad_eig = lam * (gam * c + d)
    per_stencil: dict = {}
    for st in stencils:
        w = [sp.Rational(x.numerator, x.denominator) for x in st.weights_exact]
        checks[f"{st.name}: sum_k w_k = 0"] = decide_zero(sum(w))
        s = moments(st, st.order + 3)
        checks[f"{st.name}: s_0 = sum_k w_k t_k = 1"] = decide_zero(s[0] - 1)
        p = next(j for j in range(1, len(s)) if s[j] != 0)
        g1 = sp.cancel(sp.together(_estimate(st, lambda v: (c - v * d) / (1 + v * gam))))
        closed = grad_eig * sum(wk * t / (1 + t * nu * gam) for wk, t in zip(w, st.nodes, strict=True))
        checks[f"{st.name}: estimator = sum_k w_k t_k (1 + t_k nu gamma)^-1 grad F"] = decide_zero(g1 - closed)
        series = sp.series(g1 - grad_eig, nu, 0, p + 3).removeO()
        predicted = sum(grad_eig * s[j] * (-gam * nu) ** j for j in range(p, p + 3))
        checks[f"{st.name}: series to order {p + 2}"] = decide_zero(sp.expand(series - predicted))
        checks[f"{st.name}: order p = stencil order"] = (p == st.order, f"p={p}, stencil order {st.order}", None)
        nxt = next((j for j in range(p + 1, len(s)) if s[j] != 0), None)
        per_stencil[st.name] = {
            "nodes": list(st.nodes),
            "weights": [str(x) for x in w],
            "order_p": p,
            "s_p": str(s[p]),
            "leading_term": f"{s[p] * (-1) ** p} * nu^{p} * (S^-1 A)^{p} * grad F",
            "next_nonzero_order": nxt,
            "exact_bias_one_component": str(sp.factor(sp.cancel(g1 - grad_eig))),
        }
    return _combine(
        "bias-series",
        "Exact bias of the stencil estimators on quadratic tasks, its order in nu and its leading coefficient.",
        checks,
        expression="g_nu - grad F = sum_{j>=p} s_j (-nu S^-1 A)^j grad F, s_j = sum_k w_k t_k^(j+1); "
        + "; ".join(f"{k}: {v['leading_term']} + O(nu^{v['next_nonzero_order']})" for k, v in per_stencil.items()),
        extra={"stencils": per_stencil},
    )


# --- Appendix A.4 -----------------------------------------------------------------------------------


def a4_algebra() -> Derivation:
    r"""The algebra of Appendix A.4 (NormalizedGD / ClippedGD step count).

    With :math:`\mathcal L(\theta)=\mathcal L_0+\mathcal L_1\|\nabla F(\theta)\|`, :math:`h(g)=g^2/(2(\mathcal L_0+\mathcal L_1g))`:

    1. :math:`\eta\mapsto\eta(1-\mathcal L\eta/2)` is maximised at :math:`\eta=1/\mathcal L` with value :math:`1/(2\mathcal L)`;
    2. :math:`h` is increasing on :math:`g>0`;
    3. regime 1 (:math:`g\ge\mathcal L_0/\mathcal L_1`): :math:`h(\mathcal L_0/\mathcal L_1)=\mathcal L_0/(4\mathcal L_1^2)`, so
       :math:`h(g)\ge\mathcal L_0/(4\mathcal L_1^2)`;
    4. regime 2 (:math:`\varepsilon\le g\le\mathcal L_0/\mathcal L_1`): :math:`h(g)\ge h(\varepsilon)\ge\varepsilon^2/(4\mathcal L_0)`;
    5. :math:`\Delta/\min(a,b)=\max(\Delta/a,\Delta/b)\le4\mathcal L_0\Delta/\varepsilon^2+4\mathcal L_1^2\Delta/\mathcal L_0`.
    """
    L0, L1, g, eps, Delta, eta, calL = sp.symbols("calL0 calL1 g epsilon Delta eta calL", positive=True)
    u = sp.Symbol("u", nonnegative=True)  # eps = (L0/L1)/(1+u) <= L0/L1
    h = g**2 / (2 * (L0 + L1 * g))
    checks: dict = {}
    phi = eta * (1 - calL * eta / 2)
    crit = sp.solve(sp.diff(phi, eta), eta)
    checks["argmax_eta eta(1 - L eta/2) = 1/L"] = (
        decide_zero(crit[0] - 1 / calL) if len(crit) == 1 else (False, str(crit), None)
    )
    checks["max value = 1/(2L)"] = decide_zero(phi.subs(eta, 1 / calL) - 1 / (2 * calL))
    checks["second derivative < 0 (a maximum)"] = _sign_proof(-sp.diff(phi, eta, 2), "positive")
    dh = sp.factor(sp.diff(h, g))
    checks["h'(g) > 0"] = _sign_proof(dh, "positive")
    checks["h(calL0/calL1) = calL0/(4 calL1^2)"] = decide_zero(h.subs(g, L0 / L1) - L0 / (4 * L1**2))
    gap = sp.factor(sp.simplify((h.subs(g, eps) - eps**2 / (4 * L0)).subs(eps, L0 / (L1 * (1 + u)))))
    checks["h(eps) - eps^2/(4 calL0) >= 0 for eps <= calL0/calL1"] = _sign_proof(gap, "nonnegative")
    a, b = eps**2 / (4 * L0), L0 / (4 * L1**2)
    bound = 4 * L0 * Delta / eps**2 + 4 * L1**2 * Delta / L0
    checks["Delta/a + Delta/b = 4 calL0 Delta/eps^2 + 4 calL1^2 Delta/calL0"] = decide_zero(
        Delta / a + Delta / b - bound
    )
    checks["Delta/min(a, b) <= Delta/a + Delta/b (a, b > 0)"] = _sign_proof(sp.Min(Delta / a, Delta / b), "positive")
    return _combine(
        "a4-algebra",
        "Appendix A.4: K <= Delta/min(eps^2/(4 calL0), calL0/(4 calL1^2)) <= 4 calL0 Delta/eps^2 + 4 calL1^2 Delta/calL0.",
        checks,
        expression=f"h'(g) = {dh}; h(eps) - eps^2/(4 calL0) at eps = calL0/(calL1 (1+u)), u >= 0: {gap}",
    )


def _sign_proof(expr: sp.Expr, sign: str) -> tuple[bool | None, str, dict | None]:
    """(True, expr) if sympy's assumptions certify ``expr`` positive/nonnegative, (None, expr) if undecided."""
    ok = expr.is_positive if sign == "positive" else expr.is_nonnegative
    if ok:
        return True, "0", None
    if ok is False:
        return False, str(expr), {"expression": str(expr)}
    return None, str(expr), None
