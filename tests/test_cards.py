"""Verdict cards: the one-line verdict, the terminal card and the docs' cards and index, from a ledger entry."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from verify import cards

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "figures" / "claims.json"


def _entry(comparison: str, value: float, measured, tol: float = 1e-6, **kw) -> dict:
    return {
        "id": "x",
        "status": "holds",
        "threshold": {"value": value, "comparison": comparison},
        "tolerance": {"value": tol, "reason": "r"},
        "measured": measured,
        "unbounded": False,
        **kw,
    }


@pytest.mark.parametrize(
    ("entry", "text"),
    [
        (_entry("<=", 1.0, 3.9999956), "4 > 1"),  # 6 significant digits, the side it lies on
        (_entry("<=", 1.0, 0.5), "0.5 <= 1"),
        (_entry("<=", 0.0, 1.9, tol=100.0), "1.9 <= 0 + 100"),  # the tolerance is shown where it decides
        (_entry(">=", 10.0, 2.0), "2 < 10"),
        (_entry(">=", 1e-6, 7e-4), "0.0007 >= 1e-06"),
        (_entry("within", 0.5, 0.49985, tol=0.05), "|0.49985 - 0.5| <= 0.05"),
        (_entry("within", 5.0, 2.43, tol=2.5), "|2.43 - 5| > 2.5"),
        (_entry("<=", 3.0, None, unbounded=True), "inf > 3"),
        (_entry("<=", 3.0, None), "no measurement"),
    ],
)
def test_relation_says_which_side_of_the_threshold(entry, text):
    assert cards.relation(entry) == text


def test_verdict_line_shows_the_category_where_the_ledger_has_one():
    e = _entry("<=", 1.0, 4.0, status="violated")
    e["id"] = "prop3"
    assert cards.verdict_line(e, 6).split() == ["prop3", "violated", "4", ">", "1"]
    e["category"] = "refutation"
    assert cards.verdict_line(e, 6).endswith("4 > 1  (refutation)")
    e["status"] = "scope"  # a status this code does not know yet still formats
    assert cards.verdict_line(e, 6).split()[1] == "scope"


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs(tmp_path_factory, committed) -> Path:
    d = tmp_path_factory.mktemp("docs")
    shutil.copy(ROOT / "docs" / "errata.md", d / "errata.md")
    (d / "claims").mkdir()
    (d / "claims" / "gone.md").write_text(cards.GENERATED + "\n# a claim no longer in the ledger\n")
    (d / "claims" / "notes.md").write_text("# written by hand\n")
    cards.write_docs(committed, d, COMMITTED)
    return d


def test_index_is_short_lines_linking_every_card(docs, committed):
    text = (docs / "claims.md").read_text(encoding="utf-8")
    assert max(len(ln) for ln in text.splitlines()) <= 250  # no 4,000-character rows
    for e in committed["claims"]:
        assert f"[{e['id']}](claims/{e['id']}.md)" in text, e["id"]
        assert (docs / "claims" / f"{e['id']}.md").exists(), e["id"]
    assert "```{toctree}\n:hidden:\n:glob:\n\nclaims/*\n```" in text  # every card is in a toctree (sphinx -W)
    assert not (docs / "claims" / "gone.md").exists()  # a stale generated card goes
    assert (docs / "claims" / "notes.md").exists()  # a page written by hand stays


def test_prop3_card_links_its_erratum_code_figure_and_tests(docs, committed):
    text = (docs / "claims" / "prop3.md").read_text(encoding="utf-8")
    e = next(x for x in committed["claims"] if x["id"] == "prop3")
    for part in (
        "# prop3: Chayti & Jaggi, Section 4.2, Proposition 3",
        "## Statement as printed",
        "> Under Assumptions 1 and 2",
        f"**Verdict: {e['status']}",
        "python -m verify replay prop3",
        "{py:mod}`bmaml_theory.claims.chayti_jaggi.section4.prop3`",
        "![smoothness_envelope.png](../../figures/smoothness_envelope.png)",
        "tests/claims/test_section4_smoothness.py",
    ):
        assert part in text, part
    assert "tests/test_cli.py" not in text  # the CLI's tests use prop3 as a sample input: they test no statement
    # the erratum link: E5's heading, anchored as MyST anchors it (GitHub slugs of the heading's text)
    slugs = pytest.importorskip("myst_parser.slugs")
    head = next(ln[3:] for ln in (docs / "errata.md").read_text().splitlines() if ln.startswith("## E5."))
    assert f"](../errata.md#{slugs.github_slugify(head.replace('`', ''))})" in text


def test_every_card_names_only_things_that_exist(docs, committed):
    import importlib

    for e in committed["claims"]:
        text = (docs / "claims" / f"{e['id']}.md").read_text(encoding="utf-8")
        for fig in re.findall(r"\]\(\.\./\.\./figures/([^)]+)\)", text):
            assert (ROOT / "figures" / fig).exists(), (e["id"], fig)
        for mod in re.findall(r"\{py:mod\}`([^`]+)`", text):
            importlib.import_module(mod)
        for t in re.findall(r"- Test: `([^`]+)`", text):
            assert (ROOT / t).exists(), (e["id"], t)


def test_errata_index_links_deep_headings_to_an_anchored_parent(tmp_path):
    p = tmp_path / "errata.md"
    p.write_text(
        "# Errata\n\n## E1. First — established (`prop3`)\n\ntext naming `cor2`\n\n"
        "### Later\n\n#### E10.c1. Deep entry (`cor2`)\n\n```\n## not a heading `thm1`\n```\n\n## Later (`cor3`)\n"
    )
    idx = cards.errata_index(p)
    assert [r.anchor for r in idx["prop3"][0]] == ["e1-first--established-prop3"]
    entries, mentions = idx["cor2"]
    assert [r.heading for r in entries] == ["E10.c1. Deep entry (cor2)"]
    assert [r.anchor for r in entries] == ["later"]  # depth 4 has no anchor (myst_heading_anchors = 3)
    assert [r.anchor for r in mentions] == ["e1-first--established-prop3"]
    assert [r.anchor for r in idx["cor3"][0]] == ["later-cor3"]
    assert not idx["thm1"][0]  # a heading inside a code block is no heading (its text still mentions thm1)
