"""Figures of the default run, one module per paper section; each draws from its claims' results only."""

from __future__ import annotations

import importlib
import pkgutil

import matplotlib

matplotlib.use("Agg")

from verify.figures._registry import FIGURES, FigureSpec, figure

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if not _m.startswith("_"):
        importlib.import_module(f"{__name__}.{_m}")

__all__ = ["FIGURES", "FigureSpec", "figure"]
