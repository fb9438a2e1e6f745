"""The claims, the ledger and the verify CLI (quick settings)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bmaml_theory.claims import REGISTRY, ClaimResult, Context, run_claim
from bmaml_theory.claims import chayti_jaggi as cj
from bmaml_theory.claims._core import rate_status
from bmaml_theory.stencils import FORWARD

DESIGN_IDS = {
    "prop1",
    "eq12-forward",
    "eq12-symmetric",
    "inexact-term",
    "eq14-forward",
    "eq14-symmetric",
}


@pytest.fixture(scope="module")
def ctx():
    return Context(quick=True)


@pytest.mark.parametrize("cid", sorted(DESIGN_IDS))
def test_claim_runs_and_holds(ctx, cid):
    r = run_claim(cid, ctx)
    assert r.status == "holds", r.evidence
    entry = r.to_json()
    assert set(entry) == {
        "id",
        "source",
        "statement",
        "kind",
        "status",
        "stated",
        "measured",
        "tolerance",
        "evidence",
        "counterexample",
        "figure",
    }
    json.dumps(entry, allow_nan=False)


def test_rate_claims_measure_the_stated_exponents(ctx):
    for cid, p in (
        ("eq12-forward", 1),
        ("eq12-symmetric", 2),
        ("eq14-forward", 0.5),
        ("eq14-symmetric", 2 / 3),
    ):
        r = run_claim(cid, ctx)
        assert abs(r.measured - p) <= r.tolerance
        assert r.evidence["measured_instances"] >= 0.9 * r.evidence["instances"]


def test_a_wrong_statement_is_reported_violated_with_a_counterexample(ctx):
    """The machinery can fail: eq. (12) forward checked against a wrong exponent 1/2 is violated."""
    r = cj._rate_claim(ctx, "eq12-forward-wrong", FORWARD, 0.5, "wrong on purpose", "nu", None)
    assert r.status == "violated"
    ce = r.counterexample
    from bmaml_theory import QuadraticTasks, sweeps

    t = QuadraticTasks(
        np.array([ce["A_train"]]),
        np.array([ce["b_train"]]),
        ce["lam"],
        np.array([ce["A_test"]]),
        np.array([ce["b_test"]]),
    )
    nus = sweeps.nu_grid(t, FORWARD, decades=11, per_decade=20)
    g = sweeps.bias_grid(t, np.array(ce["theta"]), nus, FORWARD)
    f = sweeps.fit_nu_order(g, 0)
    assert abs(f.order - 0.5) > cj.RATE_TOL  # the counterexample reproduces the violation


def test_rate_status_rules():
    assert rate_status([], 1.0, 0.05)[0] == "inconclusive"
    assert rate_status([1.0, 1.04], 1.0, 0.05) == ("holds", 1.04, 1)
    assert rate_status([1.0, 0.9], 1.0, 0.05) == ("violated", 0.9, 1)


def test_violated_needs_a_counterexample():
    with pytest.raises(ValueError, match="counterexample"):
        ClaimResult("x", "s", "t", "rate", "violated", 1, 2, 0.1, {})


def test_registry_holds_the_design_ids():
    assert set(REGISTRY) >= DESIGN_IDS


def test_verify_cli_all_quick(tmp_path, capsys):
    from verify.__main__ import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(cid in out for cid in DESIGN_IDS)
    assert main(["all", "--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    doc = json.loads((tmp_path / "claims.json").read_text())
    assert doc["schema"] == 1 and doc["quick"] is True and set(doc) == {"schema", "package_version", "quick", "claims"}
    assert {c["id"] for c in doc["claims"]} == set(REGISTRY)
    for name in ("bias_vs_nu.png", "bias_vs_delta.png", "rate_slopes.png", "claims.md"):
        assert (tmp_path / name).stat().st_size > 1000
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporaries
    assert main(["eq12-forward", "--quick"]) == 0
    assert main(["nonsense"]) == 2


def test_atomic_write_leaves_target_intact_on_failure(tmp_path):
    from verify._io import _atomic, write_text

    target = tmp_path / "claims.json"
    write_text(target, "old")

    def boom(tmp):
        with open(tmp, "w") as f:
            f.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _atomic(target, boom)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["claims.json"]
