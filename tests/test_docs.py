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


@pytest.mark.parametrize("page", ["README.md", "docs/symbolic-and-precision.md"])
def test_python_examples_in_pages_run(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, f"{page} has no python example"
    for code in blocks:
        exec(compile(code, page, "exec"), {})


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
