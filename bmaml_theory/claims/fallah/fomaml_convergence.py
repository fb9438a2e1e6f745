r"""Fallah, Mokhtari & Ozdaglar: FO-MAML reaches an accuracy floor that does not vanish with the batch size.

**As printed** (the reading note on arXiv 1908.10400, second theorem of "Results"):

    Theorem: Consider the objective function F for the case that alpha in (0, 1/(10L)]. Consider running FO-MAML
    with batch size of D_h >= ceil(2 alpha^2 sigma_H^2) and B >= 20. Let beta_k = 1/(18 L~(w_k)). Then for any
    eps > 0, FO-MAML finds a solution w_eps such that E[||grad F(w_eps)||] <= max{ sqrt(14 (1 + rho alpha sigma/L)
    (sigma^2 (1/B + 20 alpha^2 L^2) + sigma^2/(B D_o) + sigma~^2/D_in)), 14 rho alpha/L (sigma^2 (1/B + 20 alpha^2
    L^2) + sigma~^2/(B D_o) + sigma^2/D_in), eps } After at most running for O(1) Delta min{ (L + rho alpha (sigma
    + eps))/eps^2, L/(sigma^2 (1/B + 20 sigma^2 L^2)) + L(B D_o + D_in)/sigma~^2 }

Conversion slips (checked as intended, :func:`~bmaml_theory.claims.fallah._convergence.floor` and ``rate``): the
first entry's :math:`\sigma^2/(BD_o)` and the second entry's :math:`\sigma^2/D_{in}` are :math:`\tilde\sigma^2` (data
noise over :math:`D_o` and :math:`D_{in}`, as in the same theorem's other entry and in the other two theorems); the
iteration count's :math:`20\sigma^2L^2` is the :math:`20\alpha^2L^2` of the floor.

**Form checked**: as for ``fallah-maml-convergence`` (:mod:`bmaml_theory.claims.fallah._convergence`): the implied
O(1) constant of the iteration count at the printed accuracy, via :func:`bmaml_theory.claims.runners.big_o` with the
reference constant 101 for ``holds``.  FO-MAML's direction is the biased first-order one (``fallah-fomaml-bias``):
its floor keeps :math:`14\sigma^2\cdot20\alpha^2L^2` whatever B.

**Standing assumptions**: Assumptions 1-5 with uniform exact constants (shared positive-definite mean Hessian,
c > 0, no Hessian noise), alpha at 1/(20L) and 1/(10L), B = 20, the step-size lemma's B' and D_beta.
"""

from __future__ import annotations

from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.fallah import _convergence as cv

METHOD = "fo_maml"

STATEMENT = Statement(
    id="fallah-fomaml-convergence",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), FO-MAML convergence theorem (reading note)",
    statement="Consider running FO-MAML with batch size of D_h >= ceil(2 alpha^2 sigma_H^2) and B >= 20. Let beta_k "
    "= 1/(18 L~(w_k)). Then for any eps > 0, FO-MAML finds a solution w_eps such that E[||grad F(w_eps)||] <= "
    "max{sqrt(14 (1 + rho alpha sigma/L)(sigma^2 (1/B + 20 alpha^2 L^2) + sigma^2/(B D_o) + sigma~^2/D_in)), "
    "14 rho alpha/L (sigma^2 (1/B + 20 alpha^2 L^2) + sigma~^2/(B D_o) + sigma^2/D_in), eps} After at most running "
    "for O(1) Delta min{(L + rho alpha (sigma + eps))/eps^2, L/(sigma^2 (1/B + 20 sigma^2 L^2)) + L(B D_o + D_in)/"
    "sigma~^2}",
    form="the O(.) iteration count at the printed accuracy, slips corrected (sigma^2/(B D_o) and sigma^2/D_in read "
    "sigma~^2; 20 sigma^2 L^2 read 20 alpha^2 L^2); threshold: the reference constant 101 (none printed)",
    assumptions="Assumptions 1-5 with uniform exact constants: shared positive-definite mean Hessian, c > 0, no "
    "Hessian noise; alpha in {1/(20L), 1/(10L)}; B = 20; D_h, B', D_beta the prescribed minima; fixed instances",
    kind="complexity",
    measure="worst over instances and eps of K(eps) / (Delta min{...}), K(eps) the first iteration count whose 99% "
    "CI of E||grad F(w_eps)|| is below max{floor, eps} (dimensionless)",
    threshold=Threshold(cv.reference_constant(METHOD), "<="),
    tolerance=Tolerance(0.0, "K(eps) is decided by a 99% Monte Carlo CI fixed before the run"),
    group="fallah-mc",
)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Run the instances of :data:`~bmaml_theory.claims.fallah._convergence.INSTANCES` and decide with big_o."""
    return cv.decide(ctx, STATEMENT, METHOD)
