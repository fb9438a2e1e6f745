"""Shared helpers of the symbolic claims: named derivations, cached per run, decided by exact cancellation.

A symbolic claim is a list of named derivations (:class:`bmaml_theory.symbolic.Derivation`).  ``measured`` is the
number of derivations whose residual does not cancel to 0 (0 when every one is proved), compared with 0 ("<=") at
tolerance 0: sympy.cancel is a decision procedure for rational identities, so there is no floating point to allow
for.  A derivation refuted at an exhibited rational point (``proved`` False) makes the claim violated, replayed by
:func:`unproved`, which re-runs the derivations and counts again; an undecided one (``proved`` None, e.g. a sign
sympy cannot certify) makes it inconclusive.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from bmaml_theory import symbolic
from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance
from bmaml_theory.stencils import stencil

SOURCE = "Chayti & Jaggi (arXiv 2409.03682)"
GROUP = "chayti-jaggi-symbolic"
EXACT = Threshold(0.0, "<=")
EXACT_TOL = Tolerance(0.0, "exact: sympy.cancel decides rational identities")
MEASURE = "number of derivations whose residual does not cancel to 0 (count; 0 when every derivation is proved)"

# name -> derivation.  Library derivations by name; a claim module's own derivation as "module:function".
DERIVATIONS: dict[str, Callable[[], symbolic.Derivation]] = {
    "prop1-general-n1": lambda: symbolic.prop1_general(1),
    "prop1-general-n2": lambda: symbolic.prop1_general(2),
    "prop1-quadratic-n1": lambda: symbolic.prop1_quadratic(1),
    "prop1-quadratic-n2": lambda: symbolic.prop1_quadratic(2),
    "prop1-eigenbasis-n2": lambda: symbolic.prop1_eigenbasis(2),
    "prop1-eigenbasis-n3": lambda: symbolic.prop1_eigenbasis(3, seed=3),
    "prop1-hypothesis-gap": symbolic.prop1_hypothesis_gap,
    "appendix-b-n1": lambda: symbolic.appendix_b(1),
    "appendix-b-n2": lambda: symbolic.appendix_b(2),
    "bias-series-orders-1-6": lambda: symbolic.bias_series(tuple(stencil(n) for n in range(1, 7)), n_matrix=2),
    "a4-algebra": symbolic.a4_algebra,
}


def derivation(name: str) -> symbolic.Derivation:
    """Run the derivation called ``name`` (a key of :data:`DERIVATIONS`, or ``'module:function'``)."""
    if name in DERIVATIONS:
        return DERIVATIONS[name]()
    if ":" in name:
        module, fn = name.split(":", 1)
        return getattr(importlib.import_module(module), fn)()
    raise ValueError(f"derivation must be one of {sorted(DERIVATIONS)} or 'module:function', got {name!r}.")


@replayable
def unproved(*, derivations: Sequence[str]) -> int:
    """Replay: re-run ``derivations`` and count those whose residual does not cancel (``proved`` is not True)."""
    return sum(1 for name in derivations if derivation(name).proved is not True)


def cached(ctx: Context, name: str) -> symbolic.Derivation:
    return ctx.cached(f"symbolic:{name}", lambda: derivation(name))


def _as_dict(d: symbolic.Derivation) -> dict:
    return {
        "name": d.name,
        "statement": d.statement,
        "proved": d.proved,
        "derived_expression": d.expression,
        "residual": d.residual,
        "checks": d.details,
        **({"counterexample": d.counterexample} if d.counterexample else {}),
    }


def symbolic_check(
    ctx: Context,
    st: Statement,
    names: Sequence[str],
    *,
    quick_names: Sequence[str] | None = None,
    evidence: dict | None = None,
) -> ClaimResult:
    """Run ``names`` (in a quick run ``quick_names`` if given: then the run lacks power), count the unproved."""
    run = list(quick_names) if (ctx.quick and quick_names is not None) else list(names)
    derivs = []
    for k, name in enumerate(run):
        ctx.progress(f"{st.id}: derivation {k + 1}/{len(run)} ({name})")
        derivs.append(cached(ctx, name))
    count = sum(1 for d in derivs if d.proved is not True)
    refuted = [name for name, d in zip(run, derivs, strict=True) if d.proved is False]
    replay = Replay(f"{__name__}:unproved", {"derivations": run}) if refuted else None
    inst = {
        "derivations": run,
        "refuted": refuted,
        "undecided": [n for n, d in zip(run, derivs, strict=True) if d.proved is None],
    }
    ev = {"derivations": [_as_dict(d) for d in derivs], **(evidence or {})}
    skipped = [n for n in names if n not in run]
    return runners.decide(
        ctx,
        st,
        [Measurement(float(count), inst, replay)],
        power_ok=not skipped,
        power_note=f"the quick run skips the derivations {skipped} (the default run proves them)",
        evidence=ev,
    )
