"""Sphinx configuration: the markdown pages under docs/ (MyST), the furo theme, sphinx-proof for the paper's
statements, and an API reference generated from the docstrings.

Build (offline; warnings are errors): ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Nothing here reaches the network: no intersphinx, no remote images, and MathJax is served from the build itself
(MathJax 3.2.2 as vendored by the ``sphinx-mathjax-offline`` package of the docs extra, copied into ``_static``).
At the end of a build every HTML page is scanned: a ``<script>``, stylesheet, image or frame loaded from another
host fails the build (:func:`remote_resources`), so the pages render with the network unreachable.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
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
# The stubs are regenerated on every build: stubs of a module that left the reference (a build before a pull) are
# removed first, or Sphinx would read them as pages and fail to import what they name.
shutil.rmtree(Path(__file__).resolve().parent / "reference" / "_autosummary", ignore_errors=True)
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

# MathJax from the build, never from a CDN: the package's static folder holds mathjax/, which Sphinx copies into
# _static/mathjax/ (fonts and the TeX extensions it autoloads included).
_mathjax = importlib.util.find_spec("sphinx-mathjax-offline")
_mathjax_static = None if _mathjax is None or _mathjax.origin is None else Path(_mathjax.origin).parent / "static"
html_static_path = [str(_mathjax_static)] if _mathjax_static is not None else []
mathjax_path = "mathjax/tex-chtml.js"

_REMOTE = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//"
    r"|<link\b[^>]*\brel\s*=\s*[\"']?(?:stylesheet|preload|modulepreload|icon)[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*\brel\s*=\s*[\"']?(?:stylesheet|preload|modulepreload|icon)"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//",
    re.IGNORECASE,
)


def remote_resources(html_dir: Path) -> list[str]:
    """Every resource an HTML page of ``html_dir`` would load from another host: 'page: tag' lines (empty = offline).

    Hyperlinks (``<a href>``) are not loads and are allowed; scripts, stylesheets, images, frames and CSS imports are.
    """
    found = []
    for page in sorted(Path(html_dir).rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for m in _REMOTE.finditer(text):
            tag = text[m.start() : text.find(">", m.start()) + 1][:200]
            found.append(f"{page.relative_to(html_dir)}: {tag}")
    return found


def _check_offline(app, exc) -> None:
    if exc is not None or app.builder.format != "html":
        return
    found = remote_resources(Path(app.outdir))
    if found:
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            f"{len(found)} remote resources in the built HTML (the docs must render offline):\n" + "\n".join(found[:20])
        )
    if not (Path(app.outdir) / "_static" / mathjax_path).is_file():
        from sphinx.errors import ExtensionError

        raise ExtensionError(f"_static/{mathjax_path} is missing from the build: MathJax would not load")


def setup(app):
    if _mathjax_static is None or not (_mathjax_static / mathjax_path).is_file():
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            "the docs serve MathJax themselves (they must render offline): pip install -e '.[docs]', which installs "
            "sphinx-mathjax-offline"
        )
    app.connect("build-finished", _check_offline)
