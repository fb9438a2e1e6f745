"""Fail closed, end to end: with every function of ``bmaml_theory.theory`` raising, every claim still completes,
and no claim that reached one of them reads ``holds``."""

from __future__ import annotations

import ast
import inspect
import sys

import pytest

from bmaml_theory import theory
from bmaml_theory.claims import REGISTRY, Context, groups, run_claim


def _uses_theory(cid: str) -> bool:
    """Whether the claim's module imports ``bmaml_theory.theory`` itself (by its import statements, not by text:
    every claim's source names the package ``bmaml_theory``, so a substring test selects them all)."""
    tree = ast.parse(inspect.getsource(sys.modules[REGISTRY[cid].module]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "bmaml_theory.theory" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (
            node.module == "bmaml_theory.theory"
            or (node.module == "bmaml_theory" and any(a.name == "theory" for a in node.names))
        ):
            return True
    return False


def test_the_selector_selects_by_import():
    chosen = {c for c in REGISTRY if _uses_theory(c)}
    assert "prop3" in chosen  # imports theory for its constants
    assert "symbolic-a4" not in chosen and "fallah-smoothness" not in chosen  # name the package, not the module
    assert len(chosen) < len(REGISTRY)


def test_raising_theory_never_reads_holds(monkeypatch):
    ids = [c for c in REGISTRY if not REGISTRY[c].statement.missing() and _uses_theory(c)]
    if not ids:
        pytest.skip("no registered claim reads bmaml_theory.theory")
    calls = {"n": 0}

    def make(name):
        def broken(*args, **kwargs):
            calls["n"] += 1
            raise RuntimeError(f"injected fault in theory.{name}")

        return broken

    names = [n for n, f in vars(theory).items() if inspect.isfunction(f) and f.__module__ == theory.__name__]
    assert names
    for n in names:
        monkeypatch.setattr(theory, n, make(n))
    bad = []
    for _, ids_g in groups(ids).items():
        ctx = Context(quick=True)
        for cid in ids_g:
            before = calls["n"]
            r = run_claim(cid, ctx)
            reached = calls["n"] > before
            if reached and r.status == "holds":
                bad.append(cid)
    assert calls["n"] > 0
    assert not bad, f"claims read 'holds' although a theory function they called raised: {bad}"
