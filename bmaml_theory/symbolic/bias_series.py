r"""The exact bias of the stencil estimators on quadratic tasks and its series in nu (eq. 12, Table 1's caption)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from bmaml_theory._validation import check_int
from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil
from bmaml_theory.symbolic._core import Derivation, _quadratic, check_dimension, combine, decide_zero, lam, nu, vec

__all__ = ["bias_series", "moments"]


def moments(st: Stencil, upto: int) -> list[sp.Rational]:
    r""":math:`s_j=\sum_kw_kt_k^{j+1}` for j = 0..upto, exactly (:math:`s_0=1` is consistency)."""
    if not isinstance(st, Stencil):
        raise TypeError(f"st must be a Stencil, got {type(st).__name__}.")
    upto = check_int(upto, "upto", lo=0, hi=200)
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
    if isinstance(stencils, (str, bytes)) or not hasattr(stencils, "__iter__"):
        raise TypeError(f"stencils must be a sequence of Stencil, got {type(stencils).__name__}.")
    stencils = tuple(stencils)
    if not stencils or not all(isinstance(s, Stencil) for s in stencils):
        raise TypeError("stencils must be a non-empty sequence of bmaml_theory.stencils.Stencil.")
    n_matrix, _ = check_dimension(n_matrix, name="n_matrix")
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
    return combine(
        "bias-series",
        "Exact bias of the stencil estimators on quadratic tasks, its order in nu and its leading coefficient.",
        checks,
        expression="g_nu - grad F = sum_{j>=p} s_j (-nu S^-1 A)^j grad F, s_j = sum_k w_k t_k^(j+1); "
        + "; ".join(f"{k}: {v['leading_term']} + O(nu^{v['next_nonzero_order']})" for k, v in per_stencil.items()),
        extra={"stencils": per_stencil},
    )
