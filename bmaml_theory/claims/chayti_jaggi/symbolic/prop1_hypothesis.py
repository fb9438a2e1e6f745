r"""prop1-hypothesis: Proposition 1's hypothesis read with the standing assumptions printed before it.

**As printed** (Section 3): "We assume that there is a neighbourhood V_0 of 0, such that phi*_{i,nu}(theta) is
well-defined for any nu in V_0 and theta in Theta.  Then we can show the following result: Proposition 1. For any
training task T_i, if grad F_i(theta) exists, then nu -> phi*_{i,nu}(theta) is differentiable at nu = 0 and
grad F_i(theta) = -lam d phi*_{i,nu}(theta)/d nu ``|_{nu=0}``."

**Standing assumptions** (every one printed before the proposition):

* Section 2.3, eq. (6): phi*_i(theta) is defined as THE arg min (a unique minimiser);
* Section 2.3, before eq. (7): "Using the implicit function theorem and assuming that lam I + Hess fhat_i is
  invertible", which is the setting in which grad F_i is written by eq. (7), the formula Appendix A.1's last step
  identifies with -lam dphi*/dnu;
* Section 3, just before the proposition: phi*_{i,nu}(theta) well-defined for every nu in a neighbourhood V_0 of 0 and
  every theta in Theta.

**History.**  The ledger at 0132200 read this row as *violated*: with f = phi^3, fhat = phi^4 - lam phi^2/2 at
theta = 0, grad F(0) = lam/4 exists but -lam dphi*_nu/dnu|_0 = 3 lam/4 (derivation ``prop1-hypothesis-gap``, kept
in the evidence).  That instance violates two of the standing assumptions, which this row now derives exactly:

1. lam + fhat''(phi*_0(0)) = lam + (12 * 0^2 - lam) = 0: the invertibility of Section 2.3 fails at theta = 0;
2. for EVERY nu != 0, at theta = nu^3/(8 lam) the objective of (9) equals (phi - a)^2 (phi - b)^2 + const with
   a, b = nu(-1 +- sqrt 3)/4, a != b: two global minimisers, so phi*_{nu}(theta) is not well-defined there and no
   neighbourhood V_0 of 0 satisfies Section 3's assumption.

Under the invertibility the identity is proved for arbitrary smooth f, fhat (derivations ``prop1-general-n1``,
``-n2``, shared with ``symbolic-prop1``).  So Proposition 1 read with its standing assumptions holds; the old
instance only shows that those assumptions are needed, not that the proposition is false (errata E9).  Not decided
here: whether Section 3's well-definedness alone, without Section 2.3's invertibility, suffices.

``measured`` is the number of derivations (1, 2 and the two proofs) whose residual does not cancel; tolerance 0.
"""

from __future__ import annotations

import sympy as sp

from bmaml_theory import symbolic
from bmaml_theory._replay import replayable
from bmaml_theory.claims._core import ClaimResult, Context, Statement, claim
from bmaml_theory.claims.chayti_jaggi.symbolic._common import (
    EXACT,
    EXACT_TOL,
    GROUP,
    MEASURE,
    SOURCE,
    cached,
    symbolic_check,
)
from bmaml_theory.symbolic import combine

STATEMENT = Statement(
    id="prop1-hypothesis",
    source=f"{SOURCE}, Section 3, Proposition 1 and the assumption printed just before it",
    statement="We assume that there is a neighbourhood V_0 of 0, such that phi*_{i,nu}(theta) is well-defined for any "
    "nu in V_0 and theta in Theta. Then we can show the following result: [Proposition 1] For any training task "
    "T_i, if grad F_i(theta) exists, then nu -> phi*_{i,nu}(theta) is differentiable at nu = 0 and grad F_i(theta) = "
    "-lam d phi*_{i,nu}(theta)/d nu |_{nu=0}.",
    form="Proposition 1's hypothesis read with every standing assumption printed before it: the old degenerate "
    "counterexample is derived to lie outside them, and the identity is proved under them",
    assumptions="eq. (6): phi*_i the unique arg min; Section 2.3: lam I + Hess fhat_i invertible (the setting of "
    "eq. (7)); Section 3: phi*_{i,nu}(theta) well-defined for all nu in a neighbourhood V_0 of 0 and all theta",
    kind="identity",
    measure=MEASURE,
    threshold=EXACT,
    tolerance=EXACT_TOL,
    group=GROUP,
)


@replayable
def old_instance_outside_assumptions() -> symbolic.Derivation:
    r"""The instance f = phi^3, fhat = phi^4 - lam phi^2/2 violates Section 2.3's and Section 3's standing assumptions.

    Exact checks: :math:`\hat f''(0)+\lambda=0` with :math:`\phi^*_0(0)=0` (the inner stationarity
    :math:`4\phi^3=\lambda\theta` at :math:`\theta=0`); and, for every :math:`\nu`, at :math:`\theta=\nu^3/(8\lambda)`,
    :math:`h(\phi)-h(a)=(\phi-a)^2(\phi-b)^2` with :math:`a,b=\nu(-1\pm\sqrt3)/4`, :math:`a-b=\nu\sqrt3/2`, where
    :math:`h` is the objective of (9): two global minimisers whenever :math:`\nu\ne0`.
    """
    phi, theta = sp.symbols("phi theta", real=True)
    nu, lam = sp.Symbol("nu", real=True), sp.Symbol("lam", positive=True)
    fh, f = phi**4 - lam * phi**2 / 2, phi**3
    checks: dict = {}
    inner0 = fh + lam / 2 * (phi - theta) ** 2
    stat0 = sp.diff(inner0, phi)
    checks["phi*_0(0) = 0 is the inner stationary point at theta = 0 (4 phi^3 = lam theta)"] = symbolic.decide_zero(
        stat0.subs({theta: 0, phi: 0})
    )
    checks["lam + fhat''(phi*_0(0)) = 0: lam I + Hess fhat not invertible (Section 2.3)"] = symbolic.decide_zero(
        lam + sp.diff(fh, phi, 2).subs(phi, 0)
    )
    h = nu * f + fh + lam / 2 * (phi - theta) ** 2  # the objective of (9)
    a = nu * (-1 + sp.sqrt(3)) / 4
    b = nu * (-1 - sp.sqrt(3)) / 4
    th_star = nu**3 / (8 * lam)
    hs = sp.expand(h.subs(theta, th_star))
    checks["at theta = nu^3/(8 lam): h(phi) - h(a) = (phi - a)^2 (phi - b)^2"] = symbolic.decide_zero(
        sp.expand(hs - hs.subs(phi, a) - (phi - a) ** 2 * (phi - b) ** 2)
    )
    checks["h(b) = h(a): both are global minimisers"] = symbolic.decide_zero(
        sp.expand(hs.subs(phi, b) - hs.subs(phi, a))
    )
    checks["a - b = nu sqrt(3)/2 (distinct for every nu != 0)"] = symbolic.decide_zero(
        sp.expand(a - b - nu * sp.sqrt(3) / 2)
    )
    return combine(
        "prop1-old-instance-outside-assumptions",
        "The old counterexample (f = phi^3, fhat = phi^4 - lam phi^2/2, theta = 0) violates the standing assumptions: "
        "lam + fhat''(phi*_0) = 0, and (9) has two minimisers at theta = nu^3/(8 lam) for every nu != 0.",
        checks,
        expression="h(phi) - min h = (phi - nu(-1+sqrt3)/4)^2 (phi - nu(-1-sqrt3)/4)^2 at theta = nu^3/(8 lam)",
    )


DERIVATIONS = (
    f"{__name__}:old_instance_outside_assumptions",
    "prop1-general-n1",
    "prop1-general-n2",
)
QUICK = (f"{__name__}:old_instance_outside_assumptions", "prop1-general-n1")


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Derive that the old instance lies outside the standing assumptions, and the identity under them."""
    gap = cached(ctx, "prop1-hypothesis-gap")
    ev = {
        "old_counterexample": {
            "derivation": gap.name,
            "refutes_identity_at_instance": gap.proved is False,
            "result": gap.expression,
            "why_withdrawn": "the instance has lam + fhat''(phi*_0) = 0 (Section 2.3's invertibility fails) and (9) "
            "has two minimisers at theta = nu^3/(8 lam) for every nu != 0 (Section 3's assumption fails)",
        },
        "not_decided": "whether Section 3's well-definedness alone (without Section 2.3's invertibility) suffices",
    }
    return symbolic_check(ctx, STATEMENT, DERIVATIONS, quick_names=QUICK, evidence=ev)
