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


@pytest.mark.parametrize("page", ["README.md", "docs/symbolic-and-precision.md", "docs/certification.md"])
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
