"""Fail closed, end to end: with every function of ``bmaml_theory.theory`` raising, every claim still completes,
and no claim that reached one of them reads ``holds`` (issue 12's acceptance test)."""

from __future__ import annotations

import inspect
import sys

import pytest

from bmaml_theory import theory
from bmaml_theory.claims import REGISTRY, Context, groups, run_claim


def _uses_theory(cid: str) -> bool:
    src = inspect.getsource(sys.modules[REGISTRY[cid].module])
    return "theory" in src


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
