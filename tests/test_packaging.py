"""The version has one source (pyproject.toml); the package is citable and ships its type hints."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import bmaml_theory

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
VERSION = re.search(r'^version = "([^"]+)"$', PYPROJECT, re.M).group(1)


def test_version_is_read_from_the_distribution():
    assert bmaml_theory.__version__ == VERSION
    assert '__version__ = "' not in (ROOT / "bmaml_theory" / "__init__.py").read_text(encoding="utf-8")


def test_version_falls_back_to_pyproject_when_not_installed(monkeypatch):
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert bmaml_theory._version() == VERSION


def test_citation_names_the_same_version_and_license():
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M)
    assert re.search(rf'^version: "{re.escape(VERSION)}"$', cff, re.M)
    assert re.search(r"^license: MIT$", cff, re.M)
    assert re.search(r'^license = "MIT"$', PYPROJECT, re.M)
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_type_hints_ship():
    assert (ROOT / "bmaml_theory" / "py.typed").is_file()
    assert re.search(r'^bmaml_theory = \["py\.typed"\]', PYPROJECT, re.M)


def test_changelog_has_this_version():
    assert f"## [{VERSION}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
