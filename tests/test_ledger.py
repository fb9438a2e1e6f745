"""The ledger as a whole (schema 3): validated, pinned, replayable, and the same verdicts quick and default.

One quick run of every claim (``verify all --quick``, in-process CLI, 2 jobs) is shared by the whole session
(``quick_run`` in tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bmaml_theory._replay import REQUIRES as REPLAY_REQUIRES
from bmaml_theory._replay import resolve_replay
from bmaml_theory.claims import REGISTRY, Replay
from verify import ledger as ledger_mod

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "quick_statuses.json"
COMMITTED = ROOT / "figures" / "claims.json"
REFUTED = {"violated", "scope", "not-reproduced"}


@pytest.fixture(scope="module")
def quick(quick_run):
    return quick_run.rc, quick_run.out, quick_run.doc  # the session's one quick run (tests/conftest.py)


def _validate(doc: dict) -> None:
    """Validate against the ledger schema; the synthetic entries' replay targets live in tests/canfail_targets.py,
    outside the package's allow-list, so that module's registered names are admitted here (and only here)."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    import canfail_targets  # noqa: F401  (registers the synthetic entries' replay targets)

    from bmaml_theory._replay import REPLAYS

    schema = ledger_mod.schema()
    target = schema["$defs"]["replay_target"]
    target.pop("pattern")  # the package's names only; the test module's are admitted by name below
    target["enum"].extend(t for t in REPLAYS if t.startswith("canfail_targets:") and t not in target["enum"])
    jsonschema.Draft202012Validator(schema).validate(doc)


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
    # imaml-memory's CNN part, imaml-memory-as-printed and fallah-hfmaml-cost's FLOP count need the nn extra (torch);
    # without it these rows are inconclusive (what remains is a sanity check), so the golden statuses need torch
    if any(REGISTRY["tmlr-flat-memory"].statement.missing()):
        golden["imaml-memory"] = golden["imaml-memory-as-printed"] = golden["fallah-hfmaml-cost"] = "inconclusive"
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
        st, ce = REGISTRY[e["id"]].statement, e["counterexample"]
        if ce is None:
            continue
        # a claim may run without an extra while its recorded replay needs one (imaml-memory-as-printed's CNN bytes)
        target = ce["replay"]["target"]
        resolve_replay(target)  # registers it (imports its module)
        needs = bool(st.requires) or bool(REPLAY_REQUIRES.get(target))
        if needs == extras and not st.missing() and not Replay(target).missing():
            yield e["id"], ce


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


def _synthetic_results(hedged_b: bool = False):
    from bmaml_theory.claims import Context, Measurement, Replay, Statement, Threshold, Tolerance, runners

    def st(cid, **kw):
        return Statement(
            id=cid,
            source="a test",
            statement="a printed statement",
            form="a form",
            assumptions="none",
            kind=kw.pop("kind", "upper_bound"),
            measure="a number",
            threshold=Threshold(1.0, "<="),
            tolerance=Tolerance(0.0, "a reason"),
            **kw,
        )

    def m(v):
        return Measurement(v, {"v": v}, Replay("canfail_targets:exponent_of", {"slope": v}))

    from bmaml_theory.claims._core import provenance_base

    ctx = Context(quick=True)
    results = [
        runners.decide(ctx, st("a-holds"), [m(0.5)]),
        runners.decide(ctx, st("a-refuted"), [m(2.0)]),
        runners.decide(ctx, st("b-refuted", hedged=hedged_b), [m(3.0)]),
        runners.decide(ctx, st("a-slip", category="slip", intended="a-holds"), [m(2.0)]),
        runners.decide(ctx, st("a-scope", category="scope"), [m(2.0)]),
        runners.decide(ctx, st("a-sentence", kind="empirical", settings_given=False), [m(2.0)]),
        runners.decide(ctx, st("a-weak", kind="empirical", settings_given=False), [m(2.0)], power_ok=False),
    ]
    for r in results:
        r.provenance = {**provenance_base(), "seed": 0, "quick": True, "seconds": 0.0}
    return results


def test_summary_counts_the_three_kinds_of_finding_apart():
    results = _synthetic_results()
    s = ledger_mod.summary(results, [])
    assert {k: s[k] for k in ("holds", "violated", "scope", "inconclusive", "not-reproduced")} == {
        "holds": 1,
        "violated": 3,
        "scope": 1,
        "inconclusive": 1,
        "not-reproduced": 1,
    }
    assert s["categories"] == {"refutation": 2, "slip": 1, "scope": 1}
    phrase = "1 holds, 2 refutations, 1 slip, 1 scope finding, 1 inconclusive, 1 not reproduced"
    assert ledger_mod.counts_phrase(s) == phrase
    assert ledger_mod.readme_block(results, 1.0, []).splitlines()[-1].startswith(f"7 claims: {phrase}.")
    md = ledger_mod.ledger_md(results, True, "", 1.0, [])
    assert f"7 claims: {phrase}." in md and "**VIOLATED** (slip)" in md and "[`a-holds`](#a-holds)" in md
    doc = ledger_mod.ledger_doc(results, True, 1.0, [])
    _validate(json.loads(json.dumps(doc)))


def test_a_hedged_refutation_is_visible_in_the_counts_and_the_entry():
    """A refutation of a hedged sentence ('prima facie') is still a refutation, but the counts phrase and the entry
    say so; without a hedged one the phrase has no parenthesis (the test above)."""
    results = _synthetic_results(hedged_b=True)
    s = ledger_mod.summary(results, [])
    assert s["categories"]["refutation"] == 2 and s["hedged_refutations"] == 1
    assert ledger_mod.counts_phrase(s).startswith("1 holds, 2 refutations (1 of a hedged sentence), 1 slip,")
    doc = json.loads(json.dumps(ledger_mod.ledger_doc(results, True, 1.0, [])))
    assert [e["id"] for e in doc["claims"] if e["hedged"]] == ["b-refuted"]
    entry = ledger_mod.schema()["$defs"]["entry"]
    assert "hedged" in entry["required"] and entry["properties"]["hedged"]["type"] == "boolean"


def test_hedged_must_be_a_bool():
    with pytest.raises(ValueError, match="hedged must be True or False"):
        _synthetic_results(hedged_b="yes")  # type: ignore[arg-type]


def test_limitations_autodiff_is_declared_hedged():
    from bmaml_theory.claims.tmlr.limitations_autodiff import STATEMENT

    assert STATEMENT.hedged and "prima facie" in STATEMENT.statement


@pytest.mark.parametrize(
    ("cid", "field", "value"),
    [
        ("a-refuted", "category", None),  # a violated entry must say refutation or slip
        ("a-refuted", "category", "scope"),  # a scope finding is never violated
        ("a-scope", "status", "violated"),
        ("a-holds", "category", "refutation"),  # a holds entry carries no category
        ("a-sentence", "category", "refutation"),  # not-reproduced is counted apart
        ("a-slip", "intended", None),  # a slip names its intended row
        ("a-refuted", "hedged", None),  # every entry says whether its sentence is hedged
        ("a-scope", "counterexample", None),  # a scope finding reruns like a violation
    ],
)
def test_schema_rejects_entries_outside_the_taxonomy(cid, field, value):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    doc = json.loads(json.dumps(ledger_mod.ledger_doc(_synthetic_results(), True, 1.0, [])))
    entry = next(e for e in doc["claims"] if e["id"] == cid)
    entry[field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(ledger_mod.schema()).validate(doc)
