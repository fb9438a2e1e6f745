"""The examples in the README and in docstrings run and say what they claim."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import bmaml_theory.estimators
import bmaml_theory.outer
import bmaml_theory.tasks.logistic
import bmaml_theory.tasks.quadratic
import bmaml_theory.theory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "page", ["README.md", "docs/symbolic-and-precision.md", "docs/certification.md", "docs/adding-a-statement.md"]
)
def test_python_examples_in_pages_run(page):
    """Every python block of the page runs; a claim the page registers (adding-a-statement.md's example) is
    unregistered afterwards, so the ledger the other tests run stays the package's own."""
    from bmaml_theory.claims import REGISTRY

    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, f"{page} has no python example"
    before = dict(REGISTRY)
    try:
        for code in blocks:
            exec(compile(code, page, "exec"), {})
    finally:
        REGISTRY.clear()
        REGISTRY.update(before)


@pytest.mark.parametrize(
    "module",
    [
        bmaml_theory.estimators,
        bmaml_theory.tasks.quadratic,
        bmaml_theory.tasks.logistic,
        bmaml_theory.theory,
        bmaml_theory.outer,
    ],
)
def test_docstring_examples(module):
    result = doctest.testmod(module, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_docs_name_only_existing_tests():
    """how-to-verify.md's map from statements to tests names tests that exist."""
    doc = (ROOT / "docs" / "how-to-verify.md").read_text(encoding="utf-8")
    names = set(re.findall(r"`(test_[a-z0-9_]+)`", doc)) | set(re.findall(r"::(test_[a-z0-9_]+)", doc))
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    missing = sorted(n for n in names if f"def {n}(" not in source)
    assert names and not missing, missing


def _committed_ledger() -> dict:
    """The committed record's ledger: ``git show HEAD:figures/claims.json`` (a reader's own run rewrites ./figures,
    e.g. without the nn extra, and that set is not the record the docs quote); the file itself outside a checkout."""
    import json
    import subprocess

    try:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", "HEAD:figures/claims.json"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        text = (ROOT / "figures" / "claims.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_marked_numbers_in_the_docs_equal_the_committed_ledger():
    """Every number that docs/errata.md and docs/methods.md quote through a ledger marker equals the committed ledger's
    value in the marker's format: the default run writes them (verify.ledger.update_doc_numbers), so a stale or
    hand-edited number fails here."""

    from verify import ledger

    doc = _committed_ledger()
    marked = 0
    for page in ledger.DOC_NUMBER_PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        marked += len(ledger.DOC_NUMBER.findall(text))
        filled, problems = ledger.fill_doc_numbers(text, doc)
        assert not problems, (page, problems)
        stale = [
            (a.group(0), b.group("value"))
            for a, b in zip(ledger.DOC_NUMBER.finditer(text), ledger.DOC_NUMBER.finditer(filled), strict=True)
            if a.group("value") != b.group("value")
        ]
        assert not stale, (page, stale)
    assert marked >= 20


def test_doc_number_markers_are_rewritten_and_bad_paths_refused():
    """Can fail: a stale value is rewritten from the ledger, an unbounded measurement reads inf, a path the entry
    lacks raises, and a claim absent from the ledger (skipped) keeps its value and is reported."""
    from verify import ledger

    doc = {
        "claims": [
            {"id": "a", "measured": 3.96123, "unbounded": False, "evidence": {"runs": [{"v": 0.5}]}},
            {"id": "b", "measured": None, "unbounded": True, "evidence": {}},
        ]
    }
    text = (
        "x <!--ledger:a:measured:.3g-->2.30<!--/ledger--> y <!--ledger:a:evidence.runs.0.v:.2f-->9<!--/ledger--> "
        "z <!--ledger:b:measured:.3g-->1<!--/ledger--> w <!--ledger:c:measured:.3g-->7<!--/ledger-->"
    )
    out, problems = ledger.fill_doc_numbers(text, doc)
    assert [m.group("value") for m in ledger.DOC_NUMBER.finditer(out)] == ["3.96", "0.50", "inf", "7"]
    assert len(problems) == 1 and problems[0].startswith("c:measured")
    with pytest.raises(KeyError, match=r"no 'evidence\.nope'"):
        ledger.fill_doc_numbers("<!--ledger:a:evidence.nope:.3g-->1<!--/ledger-->", doc)


def test_headline_map_names_only_registered_rows():
    """docs/claims-not-checkable.md cites rows by id: every backticked id that looks like a claim id is registered,
    and every headline row (claims/chayti_jaggi/sentences, the optimal-nu rows) is cited."""
    from bmaml_theory.claims import REGISTRY

    doc = (ROOT / "docs" / "claims-not-checkable.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", doc))  # `fallah-*-convergence` is not an id: unmatched
    unknown = sorted(c for c in cited if c not in REGISTRY)
    assert not unknown, unknown
    headline = {c for c, s in REGISTRY.items() if ".sentences." in s.module} | {
        "nu-forward-scaling",
        "nu-symmetric-scaling",
    }
    assert headline <= cited, sorted(headline - cited)


def _conf():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_conf", ROOT / "docs" / "conf.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_offline_check_finds_remote_loads_and_allows_links(tmp_path):
    conf = _conf()
    (tmp_path / "sub").mkdir()
    (tmp_path / "ok.html").write_text(
        '<a href="https://arxiv.org/abs/2409.03682">paper</a><script src="_static/mathjax/tex-chtml.js"></script>'
        '<link rel="stylesheet" href="_static/furo.css"><img src="fig.png">'
    )
    (tmp_path / "sub" / "bad.html").write_text(
        '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>\n'
        "<link href='//fonts.example.org/x.css' rel='stylesheet'>\n<img src=\"http://example.org/a.png\">"
    )
    found = conf.remote_resources(tmp_path)
    assert [f.split(":", 1)[0] for f in found] == ["sub/bad.html"] * 3, found
    assert conf.mathjax_path == "mathjax/tex-chtml.js"  # relative: served from the build's _static


@pytest.mark.slow
def test_docs_build_offline_with_local_mathjax(tmp_path):
    """The full Sphinx build (extra 'docs') with the network unreachable where ``unshare -rn`` works: it passes the
    build-finished check (no remote script, stylesheet or image on any page) and ships MathJax in _static."""
    import shutil
    import subprocess
    import sys

    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    pytest.importorskip("furo", reason="the docs extra is not installed")
    conf = _conf()
    if conf._mathjax_static is None:
        pytest.skip("sphinx-mathjax-offline (docs extra) is not installed")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(tmp_path / "html")]
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-rn", *cmd]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    html = tmp_path / "html"
    assert conf.remote_resources(html) == []
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()  # glyphs local too
    pages_with_math = [p for p in html.rglob("*.html") if "mathjax/tex-chtml.js" in p.read_text(encoding="utf-8")]
    assert len(pages_with_math) >= 10  # the statement boxes and API pages load the local MathJax
