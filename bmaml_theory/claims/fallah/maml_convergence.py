r"""Fallah, Mokhtari & Ozdaglar: MAML finds an eps-approximate first-order stationary point.

**As printed** (the reading note on arXiv 1908.10400, first theorem of "Results"):

    Theorem: Consider the objective function F for the case that alpha in (0, 1/L]. Consider running MAML with
    batch size of D_h >= ceil(2 alpha^2 sigma_H^2) and B >= 20. Let beta_k = 1/(12 L~(w_k)). Then for any eps > 0,
    MAML finds a solution w_eps such that E[||grad F(w_eps)||] <= max{ sqrt(61 (1 + rho alpha sigma / L)(sigma^2/B
    + sigma~^2/(B D_o) + sigma~^2/D_in)), 61 rho alpha / L (sigma^2/B + sigma~^2/(B D_o) + sigma~^2/D_in), eps }
    After at most running for O(1) Delta min{ (L + rho alpha (sigma + eps))/eps^2, L B/sigma^2 + L(B D_o +
    D_in)/sigma~^2 } where Delta = F(w_0) - min F.

**Form checked**: the O(.) iteration count together with the printed accuracy: for each eps of a ladder, the first
K at which the 99% CI of :math:`\mathbb E\|\nabla F(w_\varepsilon)\|` (w_eps a uniformly random iterate of the first
K) lies wholly below the printed max{...}; the measure is the implied constant K / (Delta min{...})
(:mod:`bmaml_theory.claims.fallah._convergence`).  No constant is printed for the iteration count, so the O(1) goes
through :func:`bmaml_theory.claims.runners.big_o` (violated only if the implied constant grows without bound as eps
decreases) with the reference constant of :func:`~bmaml_theory.claims.fallah._convergence.reference_constant`
(71.7) as the threshold for ``holds``; the printed accuracy (61) is what K(eps) is measured against.

**Standing assumptions**: Assumptions 1-5 with uniform exact constants (shared positive-definite mean Hessian,
no Hessian noise so D_h = 1 is admissible, c > 0), alpha at 1/(2L) and 1/L, B = 20, the step-size lemma's B' and
D_beta (the step :math:`1/(12\tilde L)` uses them).  Tolerance 0: K(eps) is already decided by a 99% CI.
"""

from __future__ import annotations

from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.fallah import _convergence as cv

METHOD = "maml"

STATEMENT = Statement(
    id="fallah-maml-convergence",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), MAML convergence theorem (reading note)",
    statement="Consider running MAML with batch size of D_h >= ceil(2 alpha^2 sigma_H^2) and B >= 20. Let beta_k = "
    "1/(12 L~(w_k)). Then for any eps > 0, MAML finds a solution w_eps such that E[||grad F(w_eps)||] <= max{sqrt(61 "
    "(1 + rho alpha sigma/L)(sigma^2/B + sigma~^2/(B D_o) + sigma~^2/D_in)), 61 rho alpha/L (sigma^2/B + sigma~^2/"
    "(B D_o) + sigma~^2/D_in), eps} After at most running for O(1) Delta min{(L + rho alpha (sigma + eps))/eps^2, "
    "L B/sigma^2 + L(B D_o + D_in)/sigma~^2}",
    form="the O(.) iteration count at the printed accuracy max{...} (threshold: the reference constant 71.7, a "
    "heuristic reading of the proof via the Corollary and the step-size lemma; the note prints no constant)",
    assumptions="Assumptions 1-5 with uniform exact constants: shared positive-definite mean Hessian, c > 0, no "
    "Hessian noise; alpha in {1/(2L), 1/L}; B = 20; D_h, B', D_beta the prescribed minima; fixed instances",
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
