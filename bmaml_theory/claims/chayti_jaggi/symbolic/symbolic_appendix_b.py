r"""symbolic-appendix-b: Appendix B's closed forms of Chayti & Jaggi, proved symbolically (sympy).

**As printed** (Appendix B, the quadratic experiment, f_i = fhat_i = theta^T A theta / 2 + theta^T b):
phi*_nu = ((1 + nu) A + lam I)^-1 (lam theta - (1 + nu) b), phi*_0 = (A + lam I)^-1 (lam theta - b), and
grad F_i = lam (A + lam I)^-1 (A (A + lam I)^-1 (lam theta - b) + b) = -lam d phi*_nu / d nu at 0.

**Standing assumptions.**  A + lam I invertible (so the closed forms exist); Appendix B's f = fhat.

**What is derived.**  For general symbolic symmetric A (n = 1 and 2): each closed form satisfies the stationarity
condition of (9) (resp. (6)), the printed grad F_i equals the derivative of F_i(theta) = f(phi*_0(theta)), and equals
-lam dphi*_nu/dnu at 0.  ``measured`` is the number of derivations whose residual does not cancel; tolerance 0.
"""

from __future__ import annotations

from bmaml_theory.claims._core import ClaimResult, Context, Statement, claim
from bmaml_theory.claims.chayti_jaggi.symbolic._common import (
    EXACT,
    EXACT_TOL,
    GROUP,
    MEASURE,
    SOURCE,
    symbolic_check,
)

DERIVATIONS = ("appendix-b-n1", "appendix-b-n2")

STATEMENT = Statement(
    id="symbolic-appendix-b",
    source=f"{SOURCE}, Appendix B",
    statement="For f_i = fhat_i = theta^T A theta/2 + theta^T b: phi*_nu = ((1+nu)A + lam I)^-1 (lam theta - (1+nu) b), "
    "phi*_0 = (A + lam I)^-1 (lam theta - b), grad F_i = lam (A + lam I)^-1 (A (A + lam I)^-1 (lam theta - b) + b) "
    "= -lam d phi*_nu/d nu at 0.",
    form="Appendix B's printed closed forms as exact symbolic identities, general symmetric A, n = 1 and 2",
    assumptions="A + lam I invertible; f = fhat quadratic (Appendix B's experiment)",
    kind="identity",
    measure=MEASURE,
    threshold=EXACT,
    tolerance=EXACT_TOL,
    group=GROUP,
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Derive the closed forms for n = 1 and 2; every residual must cancel to 0."""
    return symbolic_check(ctx, STATEMENT, DERIVATIONS)
