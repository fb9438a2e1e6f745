"""Sphinx configuration: the markdown pages under docs/ (MyST), the furo theme, sphinx-proof for the paper's
statements, and an API reference generated from the docstrings.

Build (offline; warnings are errors): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Nothing here reaches the network: no intersphinx, no remote images.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # document the checkout's package even when it is not installed

import bmaml_theory  # noqa: E402

project = "bmaml-theory"
author = "the bmaml-theory developers"
copyright = "2026, the bmaml-theory developers"
release = bmaml_theory.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_proof",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
suppress_warnings = [
    # The ledger's JSON evidence blocks may hold Infinity/NaN (a method that never converges), which a strict
    # JSON lexer rejects; Pygments then highlights them in relaxed mode. Only the colouring is affected.
    "misc.highlighting_failure",
]

# MyST: $...$ math, ::: fences, and anchors for headings (the ledger links to #claim-id).
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# API reference: one page per public module, from the docstrings (numpy style).
autosummary_generate = True
# "ignore-module-all": a module documents what it defines, not what it re-exports through __all__ (so each
# object has one page and a name like QuadraticTasks one target).
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Optional extras the core never imports; mocked so a module that mentions one still documents.
autodoc_mock_imports = ["torch", "cupy", "dask", "mnist1d"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True

html_theme = "furo"
html_title = f"bmaml-theory {release}"
