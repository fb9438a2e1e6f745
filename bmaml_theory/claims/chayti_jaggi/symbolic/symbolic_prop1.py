r"""symbolic-prop1: Proposition 1 of Chayti & Jaggi proved symbolically (sympy), under its standing assumptions.

**As printed** (Section 3): "For any training task T_i, if grad F_i(theta) exists, then nu -> phi*_{i,nu}(theta) is
differentiable at nu = 0 and grad F_i(theta) = -lam d phi*_{i,nu}(theta)/d nu ``|_{nu=0}``."  Proof in Appendix A.1
(eq. (17) differentiated in nu).

**Standing assumptions.**  Section 2.3 derives eq. (7) "using the implicit function theorem and assuming that
lam I + Hess fhat_i is invertible"; Section 3 assumes (9) well-defined near nu = 0.  The derivations assume the
invertibility (at phi*_0(theta)); claim ``prop1-hypothesis`` discusses the printed hypothesis alone.

**What is derived.**  (i) For arbitrary smooth f, fhat (undefined sympy functions) in dimension 1 and 2: the implicit
function theorem on eq. (6) with the chain rule on F = f(phi*_0) equals -lam dphi*_nu/dnu from eq. (17), and both
equal eq. (7); (ii) quadratic tasks with general symbolic symmetric matrices (Ahat != A, no definiteness), n = 1, 2;
(iii) the eigenbasis factorisation the library computes with, n = 2 symbolic and n = 3 with a rational V.
``measured`` is the number of derivations whose residual does not cancel to 0; tolerance 0 (exact).  The quick run
derives (i) and (ii) for n = 1 only, and is then inconclusive (too little power), never holds.
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

DERIVATIONS = (
    "prop1-general-n1",
    "prop1-general-n2",
    "prop1-quadratic-n1",
    "prop1-quadratic-n2",
    "prop1-eigenbasis-n2",
    "prop1-eigenbasis-n3",
)
QUICK = ("prop1-general-n1", "prop1-quadratic-n1")  # the n = 2, 3 cases and the eigenbasis cost ~10 s

STATEMENT = Statement(
    id="symbolic-prop1",
    source=f"{SOURCE}, Section 3, Proposition 1 (proof in Appendix A.1, eq. (17))",
    statement="For any training task T_i, if grad F_i(theta) exists, then nu -> phi*_{i,nu}(theta) is differentiable "
    "at nu = 0 and grad F_i(theta) = -lam d phi*_{i,nu}(theta)/d nu |_{nu=0}.",
    form="the identity of Proposition 1 as exact symbolic identities: arbitrary smooth f, fhat (n = 1, 2), quadratic "
    "tasks with general symmetric matrices (n = 1, 2), the library's eigenbasis formulas (n = 2, 3)",
    assumptions="lam I + Hess fhat_i(phi*_0(theta)) invertible (Section 2.3, the setting of eq. (7)); (9) "
    "well-defined near nu = 0 (Section 3); f, fhat smooth",
    kind="identity",
    measure=MEASURE,
    threshold=EXACT,
    tolerance=EXACT_TOL,
    group=GROUP,
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Derive the six cases; every residual must cancel to 0."""
    return symbolic_check(ctx, STATEMENT, DERIVATIONS, quick_names=QUICK)
