r"""Logistic task families in interval arithmetic: the constants, :math:`\phi^*_{i,\nu}(\theta)`, eq. (7), and the
Section 4 ratios, enclosed from an instance's data alone.

Task i (the instance's lists; labels folded into the points):
:math:`\hat f_i(\phi)=\frac1{\hat m}\sum_j\ell(\hat z_{ij}^\top\phi)+\frac12\phi^\top Q_i\phi`,
:math:`f_i(\phi)=\frac1m\sum_j\ell(z_{ij}^\top\phi)+r_i^\top\phi`, :math:`\ell(s)=\log(1+e^{-s})`, so
:math:`\ell'(s)=-1/(1+e^s)` and :math:`\ell''(s)=1/(2+e^s+e^{-s})`.

* :math:`\phi^*_{i,\nu}(\theta)`, the zero of :math:`h(\phi)=\nabla\hat f_i(\phi)+\nu\nabla f_i(\phi)+\lambda(\phi-
  \theta)` (eq. (9)), by the Krawczyk test (:func:`~._interval.krawczyk`): unique in its box, which holds it.
* eq. (7): :math:`\nabla F_i(\theta)=\lambda(\lambda I+\nabla^2\hat f_i(\phi^*))^{-1}\nabla f_i(\phi^*)`, a verified
  solve with the Hessian and gradient evaluated over the box of :math:`\phi^*`.
* Constants (the formulas of the package's documentation, re-derived here): :math:`L_1=\max_i\lambda_{\max}(Z_i^\top
  Z_i/m)/4`, :math:`\hat L_2=\frac1{6\sqrt3}\max_i\min(\frac1{\hat m}\sum_j\|\hat z_{ij}\|^3,\max_j\|\hat z_{ij}\|
  \lambda_{\max}(\hat Z_i^\top\hat Z_i/\hat m))`, :math:`L_0=\max_i\max_{s\in\{0,1\}^m}\|r_i-\frac1m\sum_js_jz_{ij}\|`,
  :math:`\mu=\min_i\lambda+\lambda_{\min}(Q_i)`; each is a valid constant of Assumptions 1-3 (a sup bound), so a
  printed bound evaluated with them is one the statement asserts.  The hypothesis :math:`\lambda\ge2\hat L_1` with
  :math:`\hat L_1=\max_i\max(\lambda_{\max}(Q_i+\hat Z_i^\top\hat Z_i/(4\hat m)),-\lambda_{\min}(Q_i))` is checked
  exactly in rationals: :math:`\frac\lambda2I-Q_i-\hat Z_i^\top\hat Z_i/(4\hat m)\succeq0` and
  :math:`\frac\lambda2I+Q_i\succeq0`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from mpmath import iv

from bmaml_theory.certify._interval import (
    CertificationError,
    I,
    dot,
    eig_max,
    eig_min,
    hi,
    krawczyk,
    lo,
    mid,
    norm,
    psd,
    rational,
    solve,
)

__all__ = ["Family", "axpy", "imax", "imin", "sig", "sub", "vec"]


def imax(xs: Sequence) -> Any:
    """An enclosure of the max of the values enclosed by ``xs``."""
    return iv.mpf([max(lo(x) for x in xs), max(hi(x) for x in xs)])


def imin(xs: Sequence) -> Any:
    """An enclosure of the min of the values enclosed by ``xs``."""
    return iv.mpf([min(lo(x) for x in xs), min(hi(x) for x in xs)])


def _d1(s: Any) -> Any:
    return -1 / (1 + iv.exp(s))


def _d2(s: Any) -> Any:
    return 1 / (2 + iv.exp(s) + iv.exp(-s))


def _gram(Z: list[list[Fraction]]) -> list[list[Fraction]]:
    n, m = len(Z[0]), len(Z)
    return [[sum((z[a] * z[b] for z in Z), Fraction(0)) / m for b in range(n)] for a in range(n)]


class Family:
    r"""One logistic family from an instance's lists (``X_train`` (M, mh, n) folded points, ``Q`` (M, n, n),
    ``X_test`` (M, m, n), ``r`` (M, n), ``lam``), every number taken as the exact rational its JSON float is."""

    def __init__(self, inst: dict) -> None:
        try:
            self.Zh = [[[rational(v) for v in z] for z in task] for task in inst["X_train"]]
            self.Q = [[[rational(v) for v in row] for row in task] for task in inst["Q"]]
            self.Z = [[[rational(v) for v in z] for z in task] for task in inst["X_test"]]
            self.r = [[rational(v) for v in task] for task in inst["r"]]
            if not (len(self.Zh) == len(self.Q) == len(self.Z) == len(self.r) >= 1):
                raise ValueError("X_train, Q, X_test and r must hold the same number (>= 1) of tasks")
            self.lam: Fraction | None = rational(inst["lam"])
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"the instance is not a logistic family's data ({exc}); it needs X_train, Q, X_test, r, lam"
            ) from exc
        self.M, self.n = len(self.Zh), len(self.Q[0])
        for i in range(self.M):
            if any(self.Q[i][a][b] != self.Q[i][b][a] for a in range(self.n) for b in range(self.n)):
                raise ValueError(f"Q[{i}] is not symmetric")
        self.lam_i = I(self.lam)
        self.lam_factor: Fraction | None = None  # set by from_encoding: lam = factor * max(Lhat1, 1e-6)
        self._constants: dict | None = None

    @classmethod
    def from_encoding(cls, p: Sequence, extras: int, lam_mult: float | None = None, box: float = 10.0) -> Family:
        r"""The family of a plain adversarial encoding ``p`` = (M, n, mh, m, z): z clipped to [-box, box], per task
        :math:`\hat Z` (mh x n), the upper triangle of Q row by row with off-diagonal entries halved, Z (m x n), r (n);
        then theta (n), :math:`z_\lambda`, then ``extras`` numbers.  :math:`\lambda=\text{factor}\cdot\max(\hat L_1,
        10^{-6})` with factor :math:`2\min(1+z_\lambda^2,10)`, or :math:`2\,`lam_mult when given, and the exact
        :math:`\hat L_1` (an enclosure): the hypothesis :math:`\lambda\ge2\hat L_1` holds by construction when
        factor >= 2.  Returns the family; its ``theta`` and ``extra`` (the trailing numbers) are attributes."""
        head = [rational(v) for v in p[:4]]
        if any(h.denominator != 1 or h < 1 for h in head):
            raise ValueError(f"p[:4] must be the positive integers (M, n, mh, m), got {p[:4]}")
        M, n, mh, m = (int(h) for h in head)
        bx = rational(box)
        z = [min(max(rational(v), -bx), bx) for v in p[4:]]
        per = mh * n + n * (n + 1) // 2 + m * n + n
        if len(z) != M * per + n + 1 + extras:
            raise ValueError(
                f"p has {len(p)} entries; structure {(M, n, mh, m)} with {extras} extras needs "
                f"{4 + M * per + n + 1 + extras}"
            )
        k = 0

        def take(c: int) -> list:
            nonlocal k
            out = z[k : k + c]
            k += c
            return out

        inst: dict = {"X_train": [], "Q": [], "X_test": [], "r": []}
        for _ in range(M):
            zh = take(mh * n)
            inst["X_train"].append([zh[j * n : (j + 1) * n] for j in range(mh)])
            u = take(n * (n + 1) // 2)
            Q = [[Fraction(0)] * n for _ in range(n)]
            t = 0
            for a in range(n):
                for b in range(a, n):
                    Q[a][b] = Q[b][a] = u[t] if a == b else u[t] / 2
                    t += 1
            inst["Q"].append(Q)
            zt = take(m * n)
            inst["X_test"].append([zt[j * n : (j + 1) * n] for j in range(m)])
            inst["r"].append(take(n))
        theta = take(n)
        zl = take(1)[0]
        factor = 2 * rational(lam_mult) if lam_mult is not None else 2 * min(1 + zl * zl, Fraction(10))
        inst["lam"] = 1  # placeholder, replaced below by the enclosure
        fam = cls(inst)
        Lh1 = []
        for i in range(M):
            Ph = _gram(fam.Zh[i])
            A = [[fam.Q[i][a][b] + Ph[a][b] / 4 for b in range(n)] for a in range(n)]
            e1, e2 = eig_max(A), eig_min(fam.Q[i])
            Lh1.append(iv.mpf([max(lo(e1), -hi(e2)), max(hi(e1), -lo(e2))]))
        L = imax(Lh1)
        L = iv.mpf([max(lo(L), 1e-6), max(hi(L), 1e-6)])
        fam.lam = None
        fam.lam_i = I(factor) * L
        fam.lam_factor = factor
        fam.theta = theta
        fam.extra = take(extras)
        return fam

    # ---------------------------------------------------------------- constants
    def hypothesis(self) -> bool:
        r""":math:`\lambda\ge2\hat L_1` exactly (module docstring; by construction for :meth:`from_encoding`)."""
        if self.lam_factor is not None:
            return self.lam_factor >= 2
        half = self.lam / 2
        n = self.n
        for i in range(self.M):
            Ph = _gram(self.Zh[i])
            A = [[(half if a == b else 0) - self.Q[i][a][b] - Ph[a][b] / 4 for b in range(n)] for a in range(n)]
            B = [[(half if a == b else 0) + self.Q[i][a][b] for b in range(n)] for a in range(n)]
            if not (psd(A) and psd(B)):
                return False
        return True

    def constants(self) -> dict:
        """Enclosures of the uniform constants L1, Lhat2, L0, mu and the per-task G_i = lam L0_i / mu_i."""
        if self._constants is not None:
            return self._constants
        L1, Lh2, L0, mu = [], [], [], []
        ell3 = 1 / (6 * iv.sqrt(3))
        for i in range(self.M):
            L1.append(eig_max(_gram(self.Z[i])) / 4)
            nh = [norm([I(v) for v in z]) for z in self.Zh[i]]
            a = sum((x**3 for x in nh), iv.mpf(0)) / len(nh)
            b = imax(nh) * eig_max(_gram(self.Zh[i]))
            Lh2.append(ell3 * imin([a, b]))
            m = len(self.Z[i])
            if m > 12:
                raise CertificationError("L0 by vertices needs m <= 12 test points")
            vals = []
            for s in itertools.product((0, 1), repeat=m):
                v = [
                    I(self.r[i][k]) - sum((I(self.Z[i][j][k]) for j in range(m) if s[j]), iv.mpf(0)) / m
                    for k in range(self.n)
                ]
                vals.append(norm(v))
            L0.append(imax(vals))
            mu.append(self.lam_i + eig_min(self.Q[i]))
        if lo(imin(mu)) <= 0:
            raise CertificationError("mu is not proved positive")
        G = [self.lam_i * L0[i] / mu[i] for i in range(self.M)]
        zeta = iv.mpf(0) if self.M == 1 else iv.sqrt(sum((g**2 for g in G), iv.mpf(0)) / self.M)
        self._constants = {
            "L1": imax(L1),
            "Lhat2": imax(Lh2),
            "L0": imax(L0),
            "mu": imin(mu),
            "zeta": zeta,
            "L1_task": L1,
            "Lhat2_task": Lh2,
        }
        return self._constants

    # ---------------------------------------------------------------- inner problem and eq. (7)
    def _parts(self, Zs: list, phi: list, hess: bool) -> tuple[list, list | None]:
        """Mean over points of l'(z^T phi) z and (if ``hess``) of l''(z^T phi) z z^T, over box ``phi``."""
        n = self.n
        g = [iv.mpf(0)] * n
        H = [[iv.mpf(0)] * n for _ in range(n)] if hess else None
        for z in Zs:
            zi = [I(v) for v in z]
            s = dot(zi, phi)
            d1 = _d1(s)
            g = [g[k] + d1 * zi[k] for k in range(n)]
            if hess:
                d2 = _d2(s)
                for a in range(n):
                    for b in range(n):
                        H[a][b] += d2 * zi[a] * zi[b]
        m = len(Zs)
        g = [v / m for v in g]
        if hess:
            H = [[v / m for v in row] for row in H]
        return g, H

    def train_grad_hess(self, i: int, phi: list) -> tuple[list, list]:
        g, H = self._parts(self.Zh[i], phi, True)
        Qi = [[I(v) for v in row] for row in self.Q[i]]
        g = [g[a] + dot(Qi[a], phi) for a in range(self.n)]
        H = [[H[a][b] + Qi[a][b] for b in range(self.n)] for a in range(self.n)]
        return g, H

    def test_grad_hess(self, i: int, phi: list) -> tuple[list, list]:
        g, H = self._parts(self.Z[i], phi, True)
        return [g[a] + I(self.r[i][a]) for a in range(self.n)], H

    def inner_solution(self, i: int, theta: list, nu: Any = 0) -> list:
        r"""An enclosure of :math:`\phi^*_{i,\nu}(\theta)` (unique in it), for every theta in the box ``theta``."""
        n, lam = self.n, self.lam_i
        nu = I(nu)
        if lo(nu) < 0:
            raise CertificationError("nu must be proved >= 0 here (the test objective is convex)")

        def h(phi: list) -> list:
            tg, _ = self._parts(self.Zh[i], phi, False)
            fg, _ = self._parts(self.Z[i], phi, False)
            Qi = [[I(v) for v in row] for row in self.Q[i]]
            return [
                tg[a] + dot(Qi[a], phi) + nu * (fg[a] + I(self.r[i][a])) + lam * (phi[a] - theta[a]) for a in range(n)
            ]

        def jac(phi: list) -> list:
            _, tH = self.train_grad_hess(i, phi)
            _, fH = self.test_grad_hess(i, phi)
            return [[tH[a][b] + nu * fH[a][b] + (lam if a == b else 0) for b in range(n)] for a in range(n)]

        return krawczyk(h, jac, [mid(t) for t in theta])

    def meta_gradient(self, i: int, theta: list) -> tuple[list, list]:
        r"""eq. (7) over the box of :math:`\phi^*_i(\theta)`: (enclosure of :math:`\nabla F_i(\theta)`, the box)."""
        phi = self.inner_solution(i, theta)
        _, tH = self.train_grad_hess(i, phi)
        fg, _ = self.test_grad_hess(i, phi)
        lam = self.lam_i
        A = [[tH[a][b] + (lam if a == b else 0) for b in range(self.n)] for a in range(self.n)]
        x = solve(A, fg)
        return [lam * v for v in x], phi


def sig(v: Any) -> Any:
    """The logistic function on an interval, with the float path's clip of its argument to [-50, 50]."""
    v = I(v)
    v = iv.mpf([max(lo(v), -50), min(hi(v), 50)]) if lo(v) <= hi(v) else v
    return 1 / (1 + iv.exp(-v))


def vec(x: Sequence) -> list:
    return [I(rational(v)) for v in x]


def sub(u: list, v: list) -> list:
    return [a - b for a, b in zip(u, v, strict=True)]


def axpy(a: Any, x: list, y: list) -> list:
    return [a * u + w for u, w in zip(x, y, strict=True)]
