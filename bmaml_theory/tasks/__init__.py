"""Task families: one module per family, one shared protocol (:class:`TaskFamily`)."""

from bmaml_theory.tasks._protocol import Constants, TaskFamily
from bmaml_theory.tasks.logistic import LogisticTasks
from bmaml_theory.tasks.quadratic import QuadraticTasks

__all__ = ["Constants", "LogisticTasks", "QuadraticTasks", "TaskFamily"]
