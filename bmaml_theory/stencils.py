r"""Finite-difference stencils for :math:`\frac{d}{d\nu}\phi^*_{\nu}\big|_{\nu=0}` (Proposition 1).

A stencil is a set of integer nodes :math:`t_k` and weights :math:`w_k` with

.. math::  \frac{d\phi}{d\nu}(0)\approx\frac1\nu\sum_k w_k\,\phi(t_k\nu),

so the FO-B-MAML estimator is :math:`g=-\frac\lambda\nu\sum_kw_k\phi^*_{t_k\nu}`.  The forward stencil
(eq. 10) is nodes (0, 1), weights (-1, 1), order 1; the symmetric one (eq. 11) is nodes (-1, 1),
weights (-1/2, 1/2), order 2.  :func:`stencil` gives the order-n stencils of Table 1's caption.

Two numbers govern the bias with delta-inexact solutions (13):

* truncation: :math:`\frac1\nu\sum_kw_k\phi(t_k\nu)-\phi'(0)=C_p\,\phi^{(p+1)}(0)\,\nu^{p}+O(\nu^{p+1})` with
  :math:`C_p=\sum_kw_kt_k^{p+1}/(p+1)!` (``error_coefficient``);
* inexactness: errors :math:`\|e_k\|\le\delta` move the estimate by at most
  :math:`\lambda\delta\|w\|_1/\nu` (``w_l1``), attained when every :math:`e_k=\mathrm{sign}(w_k)\,\delta\,u`.

Minimising :math:`a\nu^p+b\delta/\nu` gives :math:`\nu\propto\delta^{1/(p+1)}` and a bias
:math:`\propto\delta^{p/(p+1)}`: 1/2 forward, 2/3 symmetric (eq. 14).

Weights are computed in exact rational arithmetic (a Vandermonde system over ``fractions.Fraction``).
"""

from __future__ import annotations

from fractions import Fraction
from math import factorial
from typing import Any, NamedTuple

from bmaml_theory._backend import eps
from bmaml_theory._validation import check_int

__all__ = ["FORWARD", "MAX_NODE", "MAX_ORDER", "SYMMETRIC", "Stencil", "make_stencil", "roundoff_estimate", "stencil"]

# Bounds that keep the exact rational solve fast (O(K^3) Fraction operations) and the weights meaningful in
# float64 (the weights of an order-n central stencil grow like 2^n / n; at n = 24 the sum |w| is ~ 1e1 but the
# round-off floor of the difference quotient already exceeds any truncation error at float64).
MAX_ORDER = 24
MAX_NODE = 1000


class Stencil(NamedTuple):
    """Nodes, weights, order p and the constants of the bias (see the module docstring)."""

    name: str
    nodes: tuple[int, ...]
    weights: tuple[float, ...]
    order: int
    error_coefficient: float
    w_l1: float
    weights_exact: tuple[Fraction, ...] = ()
    """The weights as exact rationals (for sympy and mpmath; ``weights`` are their float64 roundings)."""


def _solve_weights(nodes: tuple[int, ...]) -> list[Fraction]:
    """Exact weights with sum_k w_k t_k^j = [j == 1] for j = 0..K-1 (Gauss-Jordan over Q)."""
    K = len(nodes)
    rows = [[Fraction(t) ** j for t in nodes] + [Fraction(1 if j == 1 else 0)] for j in range(K)]
    for col in range(K):
        piv = next(r for r in range(col, K) if rows[r][col] != 0)
        rows[col], rows[piv] = rows[piv], rows[col]
        p = rows[col][col]
        rows[col] = [v / p for v in rows[col]]
        for r in range(K):
            if r != col and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[k][K] for k in range(K)]


def make_stencil(nodes: Any, name: str | None = None) -> Stencil:
    """The stencil of highest order on the given distinct integer ``nodes`` (2 to MAX_ORDER + 1 of them, ``|t| <= 1000``).

    Non-integer nodes are rejected (never truncated): the estimator evaluates phi at t_k nu with integer t_k.
    """
    if isinstance(nodes, (str, bytes)) or not hasattr(nodes, "__iter__") or getattr(nodes, "ndim", 1) != 1:
        raise TypeError(f"nodes must be a sequence of distinct integers, got {type(nodes).__name__} {nodes!r:.40}.")
    nodes = tuple(nodes)
    if not 2 <= len(nodes) <= MAX_ORDER + 1:
        raise ValueError(f"nodes must hold 2 to {MAX_ORDER + 1} distinct integers, got {len(nodes)}.")
    nodes = tuple(check_int(t, "nodes[k]", lo=-MAX_NODE, hi=MAX_NODE) for t in nodes)
    if len(set(nodes)) != len(nodes):
        raise ValueError(f"nodes must be distinct integers, got {nodes}.")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a string or None, got {type(name).__name__}.")
    w = _solve_weights(nodes)
    keep = [(t, wk) for t, wk in zip(nodes, w, strict=True) if wk != 0]
    j = len(nodes)
    while sum(wk * Fraction(t) ** j for t, wk in keep) == 0:
        j += 1
    order = j - 1
    C = sum(wk * Fraction(t) ** j for t, wk in keep) / factorial(j)
    return Stencil(
        name=name or f"nodes{nodes}",
        nodes=tuple(t for t, _ in keep),
        weights=tuple(float(wk) for _, wk in keep),
        order=order,
        error_coefficient=float(C),
        w_l1=float(sum(abs(wk) for _, wk in keep)),
        weights_exact=tuple(wk for _, wk in keep),
    )


def stencil(order: int) -> Stencil:
    """The most nearly centred stencil of the given order n >= 1 (Table 1's caption).

    Even n = 2m: nodes +-1..+-m (exactly central, n solves).  Odd n = 2m - 1: nodes -(m-1)..m
    (n + 1 solves).  n = 1 is the forward stencil of eq. (10), n = 2 the symmetric one of eq. (11).
    """
    order = check_int(order, "order", lo=1, hi=MAX_ORDER)
    m = (order + 1) // 2
    if order % 2 == 0:
        nodes = tuple(range(-m, 0)) + tuple(range(1, m + 1))
    else:
        nodes = tuple(range(-(m - 1), m + 1))
    names = {1: "forward", 2: "symmetric"}
    st = make_stencil(nodes, name=names.get(order, f"order-{order}"))
    assert st.order == order, (order, st)
    return st


FORWARD = stencil(1)
SYMMETRIC = stencil(2)


def roundoff_estimate(tasks: Any, st: Stencil, nu: float, phi_norm: Any) -> Any:
    r"""A-priori round-off of the difference quotient: :math:`\lambda\|w\|_1\,\varepsilon\,\mathrm{cond}(S)\,\|\phi\|/\nu`.

    Each solution carries a relative error of about :math:`\varepsilon\,\mathrm{cond}(S)`; the stencil sums them
    with weights :math:`\lambda w_k/\nu`.  ``phi_norm`` is the largest solution norm (any shape).
    """
    return tasks.lam * st.w_l1 * eps(tasks.xp, tasks.dtype) * tasks.cond_S * phi_norm / nu
