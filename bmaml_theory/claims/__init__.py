"""One function per paper statement, registered by id; ``verify`` walks :data:`REGISTRY`."""

from bmaml_theory.claims import (  # noqa: F401  (registers the claims)
    chayti_jaggi,
    experiments,
    fallah,
    precision_claims,
    symbolic_claims,
    theory_claims,
)
from bmaml_theory.claims._core import REGISTRY, ClaimResult, ClaimSpec, Context, claim

__all__ = ["REGISTRY", "ClaimResult", "ClaimSpec", "Context", "claim", "run_claim"]


def run_claim(cid: str, ctx: Context | None = None) -> ClaimResult:
    """Run the check of claim ``cid`` (see ``python -m verify list``)."""
    if cid not in REGISTRY:
        raise KeyError(f"no claim {cid!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[cid].func(ctx or Context())
