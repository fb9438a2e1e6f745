"""Shared machinery of the symbolic proofs: the symbols nu and lam, :class:`Derivation`, :func:`decide_zero`.

How a verdict is reached.  Every identity is reduced to a residual (matrix) of rational functions and each
entry is put in canonical form by ``sympy.cancel``, which is a decision procedure for rational identities:
the residual is identically zero iff the canonical form is 0 (``proved=True``).  Otherwise the residual is
evaluated at random rational points; a point where it is non-zero disproves the identity
(``proved=False`` with that point as ``counterexample``); if none is found the result is ``None``
(undecided, reported as inconclusive).  Inequalities are proved by exhibiting the difference as a
product/quotient of factors that sympy's assumption system certifies non-negative (:func:`sign_proof`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import sympy as sp

from bmaml_theory._validation import check_int

__all__ = ["Derivation", "check_dimension", "decide_zero", "lam", "nu", "sym_matrix", "vec"]

# Symbolic cost grows steeply with the dimension (general symbolic n x n matrices: n = 3 already takes minutes);
# numbers above these bounds are rejected rather than left to run for hours.
MAX_N_SYMBOLIC = 3
MAX_N_RATIONAL = 6


def check_dimension(n: Any, seed: Any = None, *, name: str = "n") -> tuple[int, int | None]:
    """(n, seed) validated: n an integer in [1, 3] for fully symbolic matrices, [1, 6] with a rational ``seed``."""
    if seed is not None:
        seed = check_int(seed, "seed", lo=0)
    n = check_int(n, name, lo=1, hi=MAX_N_SYMBOLIC if seed is None else MAX_N_RATIONAL)
    return n, seed


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
    trials = check_int(trials, "trials", lo=0, hi=10_000)
    seed = check_int(seed, "seed", lo=0)
    if isinstance(residual, (str, bytes)) or residual is None:
        raise TypeError(
            f"residual must be a sympy expression, a number or a sympy Matrix, got {type(residual).__name__}."
        )
    entries = [sp.sympify(e) for e in _entries(residual)]
    if not all(isinstance(e, sp.Expr) for e in entries):
        raise TypeError("residual must be a sympy expression, a number or a sympy Matrix of expressions.")
    canon = [sp.cancel(sp.together(e)) for e in entries]
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


def combine(name: str, statement: str, checks: dict, expression: str, extra: dict | None = None) -> Derivation:
    """Fold named sub-checks ``{label: (proved, residual, counterexample)}`` into one :class:`Derivation`.

    Proved iff every sub-check is; refuted (False) iff one is refuted; undecided (None) otherwise. The residual and
    counterexample are the first sub-check's that is not proved; ``extra`` adds entries to ``details``.
    """
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


def sign_proof(expr: sp.Expr, sign: str) -> tuple[bool | None, str, dict | None]:
    """(True, expr) if sympy's assumptions certify ``expr`` positive/nonnegative, (None, expr) if undecided."""
    ok = expr.is_positive if sign == "positive" else expr.is_nonnegative
    if ok:
        return True, "0", None
    if ok is False:
        return False, str(expr), {"expression": str(expr)}
    return None, str(expr), None
