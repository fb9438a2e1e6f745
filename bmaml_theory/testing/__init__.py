r"""A testing kit for meta-learning code: problems with exact answers, and assertions against them.

Chayti & Jaggi's setting (eqs. (5)-(11)): M tasks, inner problem :math:`\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2`,
meta-objective :math:`F(\theta)=\frac1M\sum_if_i(\phi^*_i(\theta))`.  The kit gives

* problems (:class:`QuadraticProblem`, :class:`LogisticProblem`, the non-convex network :class:`MLPProblem`: plain
  NumPy float64 arrays) and Hypothesis strategies drawing them (:func:`quadratic_problems`, :func:`logistic_problems`,
  :func:`mlp_problems`);
* exact answers computed from those arrays (:mod:`bmaml_theory.testing.exact`): eq. (7)'s meta-gradient, MAML
  through K GD steps, FO-MAML, Reptile, iMAML, FO-B-MAML at exact solutions;
* assertions comparing the user's callable with them (NumPy, PyTorch or JAX arrays in and out), with a tolerance
  derived from the problem's conditioning and a failure message that says what differs, by how much, which known bug
  the answer matches, and how to replay it.

A five-line property test (docs/testing.md)::

    from hypothesis import given
    from bmaml_theory.testing import assert_maml_gradient, quadratic_problems

    @given(quadratic_problems())
    def test_my_maml(problem):
        assert_maml_gradient(my_maml, problem, steps=5)

The strategies need Hypothesis (the ``test`` extra); the problems, exact answers and assertions do not.
"""

from bmaml_theory.testing import adapters, exact
from bmaml_theory.testing.adapters import flatten, unflatten
from bmaml_theory.testing.assertions import (
    C_TOL,
    JUDGE_FRACTION,
    ImplementationError,
    MetaGradientMismatchError,
    NotJudgeableError,
    assert_fo_bmaml,
    assert_fo_maml,
    assert_imaml_gradient,
    assert_maml_gradient,
    assert_meta_gradient,
    assert_meta_sgd_lr_gradient,
    assert_reptile,
    tolerance,
)
from bmaml_theory.testing.memory import MemoryGrowthError, assert_memory_flat, memory_profile
from bmaml_theory.testing.problems import LogisticProblem, MLPProblem, QuadraticProblem

__all__ = [
    "C_TOL",
    "JUDGE_FRACTION",
    "ImplementationError",
    "LogisticProblem",
    "MLPProblem",
    "MemoryGrowthError",
    "MetaGradientMismatchError",
    "NotJudgeableError",
    "QuadraticProblem",
    "adapters",
    "assert_fo_bmaml",
    "assert_fo_maml",
    "assert_imaml_gradient",
    "assert_maml_gradient",
    "assert_memory_flat",
    "assert_meta_gradient",
    "assert_meta_sgd_lr_gradient",
    "assert_reptile",
    "exact",
    "flatten",
    "memory_profile",
    "tolerance",
    "unflatten",
]

try:  # the strategies need Hypothesis (the `test` extra); everything else works without it
    from bmaml_theory.testing.strategies import (
        family_data,
        logistic_problems,
        maml_problems,
        mlp_problems,
        quadratic_problems,
        spectra,
    )
except ImportError as _exc:  # pragma: no cover - depends on the environment
    _missing = _exc

    def _needs_hypothesis(*args, **kwargs):
        raise ImportError(
            "bmaml_theory.testing's strategies need Hypothesis: pip install 'bmaml-theory[test]'"
        ) from _missing

    family_data = logistic_problems = maml_problems = mlp_problems = quadratic_problems = spectra = _needs_hypothesis
else:
    __all__ += ["family_data", "logistic_problems", "maml_problems", "mlp_problems", "quadratic_problems", "spectra"]
