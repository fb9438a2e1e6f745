"""Adversarial search over the classes the assumptions admit: one engine (:mod:`.engine`: CMA-ES from random starts
with successive halving, run from one :class:`SearchPlan`) over peer spaces (:mod:`.spaces`)."""

from bmaml_theory.search.engine import SearchPlan, SearchResult, StartResult, maximize, merge_searches, run
from bmaml_theory.search.spaces import (
    HEADER,
    Instance,
    LogisticSpace,
    SearchSpace,
    StochasticInstance,
    StochasticSpace,
    Structure,
    TiedLogisticSpace,
    sig,
    zeta_bound,
    zeta_lower,
)

__all__ = [
    "HEADER",
    "Instance",
    "LogisticSpace",
    "SearchPlan",
    "SearchResult",
    "SearchSpace",
    "StartResult",
    "StochasticInstance",
    "StochasticSpace",
    "Structure",
    "TiedLogisticSpace",
    "maximize",
    "merge_searches",
    "run",
    "sig",
    "zeta_bound",
    "zeta_lower",
]
