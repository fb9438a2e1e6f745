r"""Fallah, Mokhtari & Ozdaglar: the error of HF-MAML's finite-difference Hessian-vector product.

**As printed** (the reading note on arXiv 1908.10400, section "Hessian Free MAML"):

    the Hessian vector product of any function phi with a vector v can be approximated by
    grad^2 phi(w) v ~ [grad phi(w + delta v) - grad phi(w - delta v)] / (2 delta).
    The approximation error rho delta ||v||^2, where rho is parameter for Lipschitz continuity of Hessian.

Read as an upper bound: ||(grad phi(w + delta v) - grad phi(w - delta v)) / (2 delta) - grad^2 phi(w) v||
<= rho delta ||v||^2.  The integral form of Taylor's theorem gives the bound with a factor 1/2, so the sup of the
measured ratio is predicted to be at most 1/2 (and below it for a smooth Hessian, whose error is O(delta^2)).

**Standing assumptions**: phi twice differentiable with a rho-Lipschitz Hessian (Assumption 3).  The searched
class: one logistic training objective of :mod:`bmaml_theory.search` (n = 2, rho = Lhat2, exact for one training
point), v in R^2, delta in [1e-3, 1].

**Measured**: the sup of error / (rho delta ||v||^2).  An instance whose predicted bound is below the round-off of
the difference itself (1e6 eps (1 + ||grad phi||) / delta) is outside the measurable class (``None``, skipped):
there the quotient would compare round-off with round-off.

**Tolerance** 1e-6: such instances are skipped, so the remaining quotients carry relative round-off < 1e-6.
"""

from __future__ import annotations

import numpy as np

from bmaml_theory import search
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.fallah._common import MAXFEV, QUICK_MAXFEV, QUICK_STARTS, SEARCH_SEED, STARTS, sig

EPS = float(np.finfo(np.float64).eps)
ROUNDOFF_MARGIN = 1e6  # the bound must exceed the difference's round-off eps (1 + ||grad||) / delta by 1e6

STATEMENT = Statement(
    id="fallah-hfmaml-error",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), Hessian-free MAML (reading note)",
    statement="The approximation error rho delta ||v||^2, where rho is parameter for Lipschitz continuity of Hessian.",
    form="the error bound of the central-difference Hessian-vector product, read as an upper bound",
    assumptions="phi twice differentiable with rho-Lipschitz Hessian (Assumption 3); searched class: one logistic "
    "training objective with an indefinite quadratic part (n = 2), delta in [1e-3, 1]",
    kind="upper_bound",
    measure="sup over the searched class of ||central difference - grad^2 phi(w) v|| / (rho delta ||v||^2) "
    "(dimensionless)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(1e-6, "instances where the bound is within 1e6 eps of round-off are skipped, not measured"),
    group="fallah",
)


def ratio(p: list[float] | np.ndarray) -> float | None:
    r"""||(grad phi(w + delta v) - grad phi(w - delta v)) / (2 delta) - grad^2 phi(w) v|| / (rho delta ||v||^2).

    ``p[:12]`` the task and w; v = p[12:14]; delta = 10^(-3 + 3 sig(p[14])).  ``None`` when the bound is within
    ``ROUNDOFF_MARGIN`` of the difference's round-off (not a measurement).
    """
    p = np.asarray(p, dtype=np.float64)
    t, w = search.decode(p[:12])
    rho = t.constants().Lhat2
    v = p[12:14]
    delta = 10 ** (-3 + 3 * sig(p[14]))
    W, V = w[None], v[None]
    d = (t.train_grad(W + delta * V) - t.train_grad(W - delta * V)) / (2 * delta)
    err = float(np.linalg.norm(d - t.train_hvp(W, V)))
    bound = rho * delta * float(v @ v)
    if bound < ROUNDOFF_MARGIN * EPS * (1 + float(np.linalg.norm(t.train_grad(W)))) / delta:
        return None
    return err / bound


def _describe(p: np.ndarray) -> dict:
    """The decoded task (the full encoding stays under encoding; the extras are p[12:])."""
    d = search.instance_dict(p[:12])
    d.pop("encoding")
    return d | {"extra": np.asarray(p[12:]).tolist()}


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Adversarial search of :func:`ratio` over the logistic class."""
    starts, maxfev = (QUICK_STARTS, QUICK_MAXFEV) if ctx.quick else (STARTS, MAXFEV)
    return runners.search_upper_bound(
        ctx,
        STATEMENT,
        ratio=ratio,
        dim=15,
        starts=starts,
        maxfev=maxfev,
        seed=SEARCH_SEED,
        describe=_describe,
        evidence={"tighter": "Taylor's integral form gives rho delta ||v||^2 / 2: the sup is at most 1/2"},
    )
