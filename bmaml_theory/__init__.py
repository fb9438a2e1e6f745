"""bmaml-theory: checks, numerically and symbolically, the claims of the FO-B-MAML paper.

Chayti & Jaggi, "A New First-Order Meta-Learning Algorithm with Convergence Guarantees"
(arXiv 2409.03682), and the MAML convergence results of Fallah, Mokhtari & Ozdaglar it builds on.
"""

from bmaml_theory import estimators, inexact, outer, rates, search, solvers, stencils, sweeps, theory
from bmaml_theory._validation import AccuracyWarning
from bmaml_theory.tasks import Constants, LogisticTasks, QuadraticTasks, TaskFamily

__version__ = "0.1.0"

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
    "search",
    "solvers",
    "stencils",
    "sweeps",
    "theory",
]
