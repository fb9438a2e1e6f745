"""The Hypothesis strategies now live in the package (bmaml_theory.testing.strategies); re-exported here."""

from bmaml_theory.testing.strategies import family_data, logistic_problems, quadratic_problems, spectra

__all__ = ["family_data", "logistic_problems", "quadratic_problems", "spectra"]
