"""The ledger as a whole (schema 2): validated, pinned, replayable, and the same verdicts quick and default.

One quick run of every claim (``verify all --quick``, in-process CLI, 2 jobs) is shared by the whole session
(``quick_run`` in tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bmaml_theory.claims import REGISTRY, Replay
from verify import ledger as ledger_mod

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "quick_statuses.json"
COMMITTED = ROOT / "figures" / "claims.json"
REFUTED = {"violated", "not-reproduced"}


@pytest.fixture(scope="module")
def quick(quick_run):
    return quick_run.rc, quick_run.out, quick_run.doc  # the session's one quick run (tests/conftest.py)


def _validate(doc: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    jsonschema.Draft202012Validator(ledger_mod.schema()).validate(doc)


def test_quick_run_completes_every_runnable_claim(quick):
    rc, _, doc = quick
    runnable = {c for c, s in REGISTRY.items() if not s.statement.missing()}
    assert {e["id"] for e in doc["claims"]} == runnable
    assert {s["id"] for s in doc["summary"]["skipped"]} == set(REGISTRY) - runnable
    errored = [(e["id"], e["error"]) for e in doc["claims"] if e["error"]]
    assert not errored, errored
    assert rc == 0


def test_quick_ledger_validates_against_the_schema(quick):
    _validate(quick[2])


def test_committed_ledger_validates_against_the_schema():
    doc = json.loads(COMMITTED.read_text())
    _validate(doc)
    assert doc["quick"] is False


def test_golden_quick_statuses(quick):
    """Every claim's quick status is pinned; the golden file is keyed by the registry, so no claim is forgotten."""
    golden = json.loads(GOLDEN.read_text())
    got = {e["id"]: e["status"] for e in quick[2]["claims"]}
    runnable = {c for c, s in REGISTRY.items() if not s.statement.missing()}
    assert set(golden) == set(REGISTRY), "tests/golden/quick_statuses.json must list every registered claim"
    assert {c: golden[c] for c in runnable} == got


def test_quick_never_flips_the_default_verdict(quick):
    """--quick changes the cost, not the verdict: it may lose power (inconclusive), never flip holds <-> refuted."""
    default = {e["id"]: e["status"] for e in json.loads(COMMITTED.read_text())["claims"]}
    flips = []
    for e in quick[2]["claims"]:
        d = default.get(e["id"])
        assert d is not None, f"{e['id']} is missing from the committed default ledger: rerun python -m verify all"
        q = e["status"]
        if (q == "holds" and d in REFUTED) or (q in REFUTED and d == "holds"):
            flips.append((e["id"], d, q))
    assert not flips, flips


def _replays(doc: dict, extras: bool = False):
    """Counterexamples that can rerun here (a claim whose optional extra is missing, e.g. torch, is skipped); with
    ``extras`` only those of claims that need an optional extra, else only those that need none."""
    for e in doc["claims"]:
        st = REGISTRY[e["id"]].statement
        if e["counterexample"] is not None and not st.missing() and bool(st.requires) == extras:
            yield e["id"], e["counterexample"]


@pytest.mark.parametrize(
    "extras",
    [False, pytest.param(True, marks=pytest.mark.slow, id="extras")],  # torch replays train networks: ~45 s
)
def test_every_counterexample_reruns(quick, extras):
    seen = 0
    for doc in (quick[2], json.loads(COMMITTED.read_text())):
        for cid, ce in _replays(doc, extras):
            got = Replay(ce["replay"]["target"], ce["replay"]["kwargs"]).run()
            if ce["unbounded"]:
                assert got == float("inf"), (cid, got)
            else:
                assert got == pytest.approx(ce["value"], rel=1e-6, abs=1e-12), (cid, got, ce["value"])
            seen += 1
    if extras and not seen:
        pytest.skip("no claim with an optional extra has a counterexample here (extra not installed)")
    assert seen >= 1


def test_violated_entries_carry_counterexamples(quick):
    for doc in (quick[2], json.loads(COMMITTED.read_text())):
        for e in doc["claims"]:
            if e["status"] == "violated":
                assert e["counterexample"] is not None, e["id"]
            assert isinstance(e["measured"], (int, float)) or e["measured"] is None, e["id"]
            assert e["tolerance"]["reason"].strip(), e["id"]


def test_tidy_outputs_read_with_pandas(quick):
    pd = pytest.importorskip("pandas", reason="pandas is in the test extra")
    _, out, doc = quick
    df = pd.read_csv(out / "claims.csv")
    assert list(df["id"]) == [e["id"] for e in doc["claims"]]
    for col in ("measured", "threshold", "tolerance", "seconds"):
        assert pd.api.types.is_float_dtype(df[col]) or pd.api.types.is_integer_dtype(df[col]), col
    pngs = sorted(out.glob("*.png"))
    assert pngs, "the quick run drew no figure"
    for png in pngs:
        data = pd.read_csv(png.with_suffix(".csv"))
        assert list(data.columns) == ["panel", "xlabel", "ylabel", "series", "x", "y"], png.name
        assert len(data) > 0, png.name
        assert pd.api.types.is_float_dtype(data["x"]) and pd.api.types.is_float_dtype(data["y"]), png.name
    assert set(doc["figures"]) == {p.name for p in pngs}
    assert all(v == "ok" for v in doc["figures"].values()), doc["figures"]


def test_output_files_get_normal_modes(quick):
    _, out, _ = quick
    for p in out.iterdir():
        assert p.stat().st_mode & 0o044 == 0o044, (p.name, oct(p.stat().st_mode))  # readable by group and others
    assert not list(out.parent.glob(".figures.*")), "staging leftovers survived"
