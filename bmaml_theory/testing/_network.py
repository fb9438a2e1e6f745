r"""A one-hidden-layer network's squared loss, differentiated exactly (gradient, Hessian, a local third-derivative
bound): the oracle behind :class:`~bmaml_theory.testing.MLPProblem`'s exact answers and its local :math:`\hat L_1`.

It imports nothing else of the kit, so the problem (its ``Lhat1``) and the exact references (``exact``) both use it
without importing each other.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

__all__ = ["ELL2_MAX", "ELL3_MAX"]

ELL2_MAX = 0.25
r""":math:`\max_s\ell''(s)` for :math:`\ell(s)=\log(1+e^{-s})` (at s = 0)."""
ELL3_MAX = 1.0 / (6.0 * math.sqrt(3.0))
r""":math:`\max_s|\ell'''(s)|` (at :math:`\sigma(s)=\frac12\pm\frac1{2\sqrt3}`)."""


# activation: sigma, sigma', sigma'', and bounds on |sigma''| and |sigma'''| over the real line
_ACT = {
    "tanh": (
        np.tanh,
        lambda z: 1.0 - np.tanh(z) ** 2,
        lambda z: -2.0 * np.tanh(z) * (1.0 - np.tanh(z) ** 2),
        4.0 / (3.0 * math.sqrt(3.0)),
        2.0,
    ),
    "softplus": (lambda z: np.logaddexp(0.0, z), expit, lambda z: expit(z) * expit(-z), ELL2_MAX, ELL3_MAX),
}


class _MLPSide:
    r"""One loss :math:`\frac1{2m}\sum_j(u(x_j;\phi)-y_j)^2` of a one-hidden-layer network, differentiated exactly.

    Per point, with :math:`z=W_1x+b_1`, :math:`a=\sigma(z)`, :math:`r=u-y` and :math:`g=(x,1)`: the gradient is
    :math:`rJ`, :math:`J=\partial u/\partial\phi` (:math:`W_{2k}\sigma'(z_k)g` on unit k's row of :math:`(W_1,b_1)`,
    :math:`a` on :math:`W_2`, 1 on :math:`b_2`); the Hessian is :math:`JJ^\top+r\,\partial^2u/\partial\phi^2`, with
    :math:`\partial^2u` block-diagonal over units: :math:`W_{2k}\sigma''(z_k)gg^\top` on unit k's row and
    :math:`\sigma'(z_k)g` between that row and :math:`W_{2k}`.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, h: int, act: str):
        self.X, self.y, self.h = X, y, h
        self.m, self.d = X.shape
        self.s0, self.s1, self.s2, self.b2max, self.b3max = _ACT[act]
        self.n = h * self.d + 2 * h + 1
        self.L2 = 0.0  # the largest local bound on the third derivative met (see hess)

    def _point(self, phi: np.ndarray, j: int):
        h, d = self.h, self.d
        W1, b1, W2, b2 = phi[: h * d].reshape(h, d), phi[h * d : h * d + h], phi[h * d + h : -1], phi[-1]
        x = self.X[j]
        z = W1 @ x + b1
        a = self.s0(z)
        r = W2 @ a + b2 - self.y[j]
        g = np.append(x, 1.0)
        J = np.empty(self.n)
        J[: h * d] = ((W2 * self.s1(z))[:, None] * x[None, :]).reshape(-1)
        J[h * d : h * d + h] = W2 * self.s1(z)
        J[h * d + h : -1] = a
        J[-1] = 1.0
        terms = float(np.sum(np.abs(W2 * a)) + abs(b2) + abs(self.y[j]))  # u - y is added up from these
        return z, r, g, J, terms, W2

    def grad(self, phi: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n)
        for j in range(self.m):
            _, r, _, J, _, _ = self._point(phi, j)
            out += r * J
        return out / self.m

    def hess(self, phi: np.ndarray) -> np.ndarray:
        h, d = self.h, self.d
        H = np.zeros((self.n, self.n))
        third = 0.0
        for j in range(self.m):
            z, r, g, J, _, W2 = self._point(phi, j)
            D2 = np.zeros((self.n, self.n))
            s1, s2 = self.s1(z), self.s2(z)
            for k in range(h):
                idx = [k * d + c for c in range(d)] + [h * d + k]
                D2[np.ix_(idx, idx)] = W2[k] * s2[k] * np.outer(g, g)
                D2[idx, h * d + h + k] = s1[k] * g
                D2[h * d + h + k, idx] = s1[k] * g
            H += np.outer(J, J) + r * D2
            # |d^3 (r^2/2)| <= 3 |J| |d^2 u| + |r| |d^3 u|, |d^2 u| <= w s2 G^2 + 2 G, |d^3 u| <= w s3 G^3 + 3 s2 G^2
            G, w = float(np.linalg.norm(g)), max(1.0, float(np.max(np.abs(W2))))
            third += 3 * float(np.linalg.norm(J)) * (w * self.b2max * G * G + 2 * G) + abs(r) * (
                w * self.b3max * G**3 + 3 * self.b2max * G * G
            )
        self.L2 = max(self.L2, third / self.m)
        return H / self.m

    def terms(self, phi: np.ndarray) -> float:
        r""":math:`\frac1m\sum_j(\sum_k|W_{2k}a_k|+|b_2|+|y_j|)\|J_j\|`: the size of the terms of the gradient."""
        tot = 0.0
        for j in range(self.m):
            _, _, _, J, terms, _ = self._point(phi, j)
            tot += terms * float(np.linalg.norm(J))
        return tot / self.m
