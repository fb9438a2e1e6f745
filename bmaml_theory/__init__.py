"""bmaml-theory: checks, numerically and symbolically, the claims of the FO-B-MAML paper.

Chayti & Jaggi, "A New First-Order Meta-Learning Algorithm with Convergence Guarantees"
(arXiv 2409.03682), and the MAML convergence results of Fallah, Mokhtari & Ozdaglar it builds on.
"""

from bmaml_theory import estimators, inexact, outer, rates, solvers, stencils, sweeps, theory
from bmaml_theory._validation import AccuracyWarning
from bmaml_theory.tasks import Constants, LogisticTasks, QuadraticTasks, TaskFamily


def __getattr__(name: str):
    """``bmaml_theory.testing`` on first use (PEP 562).

    The testing kit imports Hypothesis where it is installed (the ``test`` extra) for its strategies; importing it
    lazily keeps ``import bmaml_theory`` free of every extra.
    """
    if name == "testing":
        import importlib

        return importlib.import_module("bmaml_theory.testing")
    raise AttributeError(f"module 'bmaml_theory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"testing"})


def _version() -> str:
    """The installed distribution's version; pyproject.toml is its one source.

    In a checkout that is not installed (the package imported from the source tree), the version is read
    from the pyproject.toml beside the package, and ``"0+unknown"`` where there is none.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bmaml-theory")
    except PackageNotFoundError:
        import re
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        found = (
            re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
            if pyproject.is_file()
            else None
        )
        return found.group(1) if found else "0+unknown"


__version__ = _version()

__all__ = [
    "AccuracyWarning",
    "Constants",
    "LogisticTasks",
    "QuadraticTasks",
    "TaskFamily",
    "__version__",
    "estimators",
    "inexact",
    "outer",
    "rates",
    "solvers",
    "stencils",
    "sweeps",
    "testing",
    "theory",
]
