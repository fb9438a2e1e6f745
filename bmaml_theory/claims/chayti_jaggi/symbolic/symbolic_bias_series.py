r"""symbolic-bias-series: the exact bias series of eq. (12) and of Table 1's order-n stencils (sympy).

**As printed.**  Section 3, eq. (12): "... ||grad F_i(theta) - g^For_{i,nu}(theta)|| = O(lam nu) and
||grad F_i(theta) - g^Sym_{i,nu}(theta)|| = O(lam nu^2)"; Table 1's caption: an order-n finite-difference
approximation (its bias at exact solutions O(nu^n), the definition of "order n").

**Standing assumptions.**  Quadratic tasks (Appendix B's setting, train != test allowed), S = Ahat + lam I invertible,
``|nu|`` below the radius where (I + t_k nu S^-1 A) stays invertible (Section 4.1's uniqueness interval).

**What is derived.**  For every stencil (nodes t_k, weights w_k) of orders 1..6, the estimator at exact solutions is
g_nu = sum_k w_k t_k (I + t_k nu S^-1 A)^-1 grad F, hence g_nu - grad F = sum_{j >= p} s_j (-nu S^-1 A)^j grad F with
s_j = sum_k w_k t_k^(j+1): the moments s_1..s_{p-1} vanish exactly and s_p != 0, so the order is p (1 forward, 2
symmetric, n for the order-n stencil), with the leading coefficient given.  Derived with general symbolic 2x2
matrices.  ``measured`` is the number of derivations whose residual does not cancel; tolerance 0.
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

DERIVATIONS = ("bias-series-orders-1-6",)

STATEMENT = Statement(
    id="symbolic-bias-series",
    source=f"{SOURCE}, Section 3, eq. (12), and Table 1's caption",
    statement="||grad F_i(theta) - g^For_{i,nu}(theta)|| = O(lam nu) and ||grad F_i(theta) - g^Sym_{i,nu}(theta)|| = "
    "O(lam nu^2) (eq. (12)); an order-n approximation has bias O(nu^n) at exact solutions (Table 1).",
    form="the exact bias series at exact inner solutions on quadratic tasks: its order in nu (1, 2, n) and leading "
    "coefficient, for the stencils of orders 1..6",
    assumptions="quadratic tasks, train != test allowed; S = Ahat + lam I invertible; |nu| inside the uniqueness "
    "interval",
    kind="identity",
    measure=MEASURE,
    threshold=EXACT,
    tolerance=EXACT_TOL,
    group=GROUP,
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Derive the series for the six stencils; every residual must cancel to 0."""
    return symbolic_check(ctx, STATEMENT, DERIVATIONS)
