r"""Rigorous enclosures on small dense problems: interval vectors and matrices over :mod:`mpmath.iv`, exact rational
positive-semidefiniteness, verified linear solves and the Krawczyk test.

Every function returns an enclosure of the exact real result (outward-rounded interval arithmetic at the working
precision of :func:`precision`) or raises :class:`CertificationError`; none of them uses floating point except to
*guess* (a midpoint inverse, a Newton iterate): a guess only decides how tight an enclosure is, never whether it holds.

* :func:`solve`: :math:`x` with :math:`Ax=b` for every :math:`A\in\mathbf A`, :math:`b\in\mathbf b`, by Gaussian
  elimination on the preconditioned system :math:`(R\mathbf A)x=R\mathbf b`, :math:`R\approx\mathrm{mid}(\mathbf
  A)^{-1}` (interval elimination encloses the solution set whenever no pivot interval contains 0, and it proves
  every :math:`A\in\mathbf A` non-singular).
* :func:`krawczyk`: the unique zero of :math:`h` in a box :math:`X`: with :math:`\tilde x\in X`, :math:`R` any
  matrix and :math:`\mathbf J\supseteq\{h'(x):x\in X\}`, if :math:`K=\tilde x-Rh(\tilde x)+(I-R\mathbf J)(X-\tilde x)`
  lies in the interior of :math:`X` then :math:`h` has exactly one zero in :math:`X`, and it lies in :math:`K`
  (Krawczyk 1969; Moore, Kearfott & Cloud, *Introduction to Interval Analysis*, 2009, Thm. 8.2).
* :func:`psd`: whether a symmetric rational matrix is positive semidefinite, exactly (symmetric Gaussian
  elimination over :class:`fractions.Fraction`).
* :func:`eig_max`: an enclosure of :math:`\lambda_{\max}` of a rational symmetric matrix: a Rayleigh quotient below,
  the smallest tried :math:`t` with :math:`tI-A\succeq0` (exact :func:`psd`) above.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from mpmath import iv, mp

__all__ = [
    "DIGITS",
    "CertificationError",
    "I",
    "dot",
    "eig_max",
    "eig_min",
    "hi",
    "krawczyk",
    "lo",
    "matvec",
    "mid",
    "norm",
    "precision",
    "psd",
    "solve",
]

DIGITS = 50  # decimal digits of the interval arithmetic (a ratio of gradient differences at distance 1e-4 keeps ~40)


class CertificationError(ArithmeticError):
    """The enclosure could not be proved (a pivot interval holds 0, a Krawczyk box did not contract, ...)."""


@contextmanager
def precision(digits: int = DIGITS):
    """Run interval (:data:`mpmath.iv`) and guessing (:data:`mpmath.mp`) arithmetic at ``digits`` decimal digits."""
    old = (iv.dps, mp.dps)
    iv.dps, mp.dps = digits, digits
    try:
        yield
    finally:
        iv.dps, mp.dps = old


def I(x: Any) -> Any:  # noqa: E743 - the interval-analysis name for "the interval of"
    """The point interval of an exact number (int, float, :class:`~fractions.Fraction`) or an interval as is."""
    if isinstance(x, Fraction):
        return iv.mpf(x.numerator) / iv.mpf(x.denominator)
    if isinstance(x, bool):
        raise TypeError("a bool is not a number here")
    if isinstance(x, (int, float, str)):
        return iv.mpf(x)
    if hasattr(x, "_mpi_"):
        return x
    if hasattr(x, "_mpf_"):
        return iv.mpf(x)
    raise TypeError(f"cannot make an interval of {type(x).__name__}")


def lo(x: Any) -> Any:
    """The lower end of interval ``x`` as an :class:`mpmath.mpf` (exact)."""
    return mp.make_mpf(I(x)._mpi_[0])


def hi(x: Any) -> Any:
    """The upper end of interval ``x`` as an :class:`mpmath.mpf` (exact)."""
    return mp.make_mpf(I(x)._mpi_[1])


def mid(x: Any) -> Any:
    """A point inside ``x`` (its midpoint, rounded): a guess, never a bound."""
    return (lo(x) + hi(x)) / 2


def hull(a: Any, b: Any) -> Any:
    """The smallest interval holding both."""
    return iv.mpf([min(lo(a), lo(b)), max(hi(a), hi(b))])


def dot(u: Sequence, v: Sequence) -> Any:
    s = iv.mpf(0)
    for a, b in zip(u, v, strict=True):
        s += a * b
    return s


def norm(v: Sequence) -> Any:
    r""":math:`\|v\|_2` (squares taken as ``x**2``, which mpmath.iv bounds below by 0)."""
    s = iv.mpf(0)
    for a in v:
        s += I(a) ** 2
    return iv.sqrt(s)


def matvec(A: Sequence[Sequence], v: Sequence) -> list:
    return [dot(row, v) for row in A]


def matmul(A: Sequence[Sequence], B: Sequence[Sequence]) -> list[list]:
    cols = list(zip(*B, strict=True))
    return [[dot(row, c) for c in cols] for row in A]


def _mid_inverse(A: Sequence[Sequence]) -> list[list]:
    """An approximate inverse of mid(A) in floating point (a preconditioner: a guess)."""
    n = len(A)
    M = mp.matrix([[mid(A[i][j]) for j in range(n)] for i in range(n)])
    try:
        R = mp.inverse(M)
    except ZeroDivisionError as exc:
        raise CertificationError("the midpoint matrix is singular") from exc
    return [[iv.mpf(R[i, j]) for j in range(n)] for i in range(n)]


def solve(A: Sequence[Sequence], b: Sequence) -> list:
    r"""An enclosure of :math:`\{x: Ax=b, A\in\mathbf A, b\in\mathbf b\}` (preconditioned interval elimination)."""
    n = len(A)
    R = _mid_inverse(A)
    M = matmul(R, [[I(a) for a in row] for row in A])
    y = matvec(R, [I(v) for v in b])
    for k in range(n):
        p = M[k][k]
        if lo(p) <= 0 <= hi(p):
            raise CertificationError(f"pivot {k} of the preconditioned system contains 0: {p}")
        for i in range(k + 1, n):
            f = M[i][k] / p
            for j in range(k, n):
                M[i][j] = M[i][j] - f * M[k][j]
            y[i] = y[i] - f * y[k]
    x = [iv.mpf(0)] * n
    for i in reversed(range(n)):
        s = y[i]
        for j in range(i + 1, n):
            s -= M[i][j] * x[j]
        x[i] = s / M[i][i]
    return x


def krawczyk(
    h: Callable[[list], list],
    jac: Callable[[list], list[list]],
    x0: Sequence,
    *,
    newton_steps: int = 60,
    inflate: float = 1e-20,
) -> list:
    r"""Enclose the unique zero of ``h`` near ``x0``.

    ``h(x)`` and ``jac(X)`` are interval evaluations (``jac`` over a box).  A guess :math:`\tilde x` is polished by
    Newton steps at the midpoint (floating point, a guess only), then the Krawczyk test is run on boxes
    :math:`\tilde x\pm r` for growing r; returns :math:`K\cap X` when :math:`K\subset\operatorname{int}X`, else raises
    :class:`CertificationError`.
    """
    n = len(x0)
    x = [mp.mpf(v) if not hasattr(v, "_mpi_") else mid(v) for v in x0]
    for _ in range(newton_steps):
        pt = [iv.mpf(v) for v in x]
        J = jac(pt)
        hv = h(pt)
        try:
            step = mp.lu_solve(mp.matrix([[mid(J[i][j]) for j in range(n)] for i in range(n)]), [mid(v) for v in hv])
        except ZeroDivisionError as exc:
            raise CertificationError("singular Jacobian while polishing the guess") from exc
        x = [x[i] - step[i] for i in range(n)]
        if max(abs(s) for s in step) <= mp.mpf(10) ** (-mp.dps + 5) * (1 + max(abs(v) for v in x)):
            break
    pt = [iv.mpf(v) for v in x]
    hx = h(pt)
    scale = max(max(abs(lo(v)), abs(hi(v))) for v in hx) + mp.mpf(10) ** (-mp.dps + 8)
    r = max(mp.mpf(inflate), scale * 1000)
    for _ in range(12):
        X = [iv.mpf([v - r, v + r]) for v in x]
        J = jac(X)
        R = _mid_inverse(J)
        Rh = matvec(R, hx)
        RJ = matmul(R, J)
        C = [[(iv.mpf(1) if i == j else iv.mpf(0)) - RJ[i][j] for j in range(n)] for i in range(n)]
        K = [pt[i] - Rh[i] + dot(C[i], [X[j] - pt[j] for j in range(n)]) for i in range(n)]
        if all(lo(X[i]) < lo(K[i]) and hi(K[i]) < hi(X[i]) for i in range(n)):
            return K
        r *= 100
    raise CertificationError("the Krawczyk operator did not map any tried box into its interior")


# --- exact rational symmetric matrices --------------------------------------------------------------------------------
def rational(x: Any) -> Fraction:
    """The exact rational value of a float/int (a JSON number of the instance)."""
    if isinstance(x, bool) or not isinstance(x, (int, float, Fraction)):
        raise TypeError(f"expected a number, got {type(x).__name__}")
    return Fraction(x)


def psd(A: Sequence[Sequence[Fraction]]) -> bool:
    r"""Whether the symmetric rational matrix A is positive semidefinite, exactly.

    Symmetric elimination: a negative diagonal entry refutes; a zero diagonal entry with a nonzero entry in its row
    refutes (a 2x2 principal minor is negative); otherwise eliminate on it (the Schur complement of a positive pivot
    is PSD iff A is) or drop it (a zero row and column)."""
    M = [[Fraction(v) for v in row] for row in A]
    n = len(M)
    if any(M[i][j] != M[j][i] for i in range(n) for j in range(n)):
        raise ValueError("psd needs a symmetric matrix")
    idx = list(range(n))
    while idx:
        k = idx[0]
        p = M[k][k]
        if p < 0:
            return False
        rest = idx[1:]
        if p == 0:
            if any(M[k][j] != 0 for j in rest):
                return False
            idx = rest
            continue
        for i in rest:
            f = M[i][k] / p
            if f:
                for j in rest:
                    M[i][j] -= f * M[k][j]
        idx = rest
    return True


def _shift(A: Sequence[Sequence[Fraction]], t: Fraction, sign: int) -> list[list[Fraction]]:
    n = len(A)
    return [[(t if i == j else Fraction(0)) + sign * Fraction(A[i][j]) for j in range(n)] for i in range(n)]


def eig_max(A: Sequence[Sequence[Fraction]]) -> Any:
    r"""An enclosure of :math:`\lambda_{\max}(A)`, A symmetric rational: below, the Rayleigh quotient of a computed
    eigenvector (in intervals); above, the first of :math:`\tilde\lambda(1+\epsilon_k)+\epsilon_k` (:math:`\epsilon_k=
    0,10^{-40},10^{-30},\dots`) with :math:`tI-A\succeq0` (exact)."""
    n = len(A)
    E, Q = mp.eigsy(mp.matrix([[mp.mpf(A[i][j].numerator) / A[i][j].denominator for j in range(n)] for i in range(n)]))
    k = max(range(n), key=lambda i: E[i])
    v = [iv.mpf(Q[i, k]) for i in range(n)]
    Ai = [[I(A[i][j]) for j in range(n)] for i in range(n)]
    below = dot(v, matvec(Ai, v)) / dot(v, v)
    lam = Fraction(str(mp.nstr(E[k], mp.dps + 5)))
    for e in (Fraction(0), Fraction(1, 10**40), Fraction(1, 10**30), Fraction(1, 10**20), Fraction(1, 10**12)):
        t = lam + e * (abs(lam) + 1)
        if psd(_shift(A, t, -1)):
            return iv.mpf([lo(below), hi(I(t))])
    raise CertificationError("no upper bound on the largest eigenvalue was proved")


def eig_min(A: Sequence[Sequence[Fraction]]) -> Any:
    r"""An enclosure of :math:`\lambda_{\min}(A)` (:func:`eig_max` of :math:`-A`, negated)."""
    e = eig_max([[-Fraction(v) for v in row] for row in A])
    return iv.mpf([-hi(e), -lo(e)])
