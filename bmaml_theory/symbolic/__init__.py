r"""Symbolic proofs (sympy) of the statements that are identities, one module per derivation.

* :func:`prop1_general`    Proposition 1 for *any* smooth :math:`f_i,\hat f_i` (undefined sympy functions in
  dimension n): implicit differentiation of eq. (17) in :math:`\nu` against the implicit function theorem in
  :math:`\theta` applied to :math:`F_i(\theta)=f_i(\phi^*_i(\theta))`.
* :func:`prop1_quadratic`  the same for quadratic tasks with general symbolic symmetric matrices
  (:math:`\hat A\ne A`, no definiteness assumed): eq. (17)'s implicit derivative, the closed form's derivative,
  eq. (7) and the definition :math:`\nabla_\theta f(\phi^*_0(\theta))` all agree.
* :func:`prop1_eigenbasis` the factorisation the library computes with: :math:`V^\top SV=I`, :math:`V^\top AV=\Gamma`
  give :math:`\phi^*_\nu=V(c-\nu d)/(1+\nu\gamma)`, :math:`\nabla F=\lambda V(\Gamma c+d)`,
  :math:`\nabla^2F=\lambda^2V\Gamma V^\top`, :math:`\det(S+\nu A)=\det S\prod_k(1+\nu\gamma_k)`.
* :func:`appendix_b`       Appendix B's printed closed forms for :math:`\phi^*_\nu` and :math:`\nabla F_i` (:math:`f=\hat f`).
* :func:`bias_series`      the exact estimator of any stencil on quadratic tasks,
  :math:`g_\nu=\sum_kw_kt_k(I+t_k\nu S^{-1}A)^{-1}\nabla F`, hence the bias series
  :math:`g_\nu-\nabla F=\sum_{j\ge p}s_j(-\nu S^{-1}A)^j\nabla F`, :math:`s_j=\sum_kw_kt_k^{j+1}`: its order p
  and leading coefficient :math:`s_p(-1)^p(S^{-1}A)^p\nabla F`.
* :func:`a4_algebra`       Appendix A.4's step count:
  :math:`K\le\Delta/\min(\varepsilon^2/4\mathcal L_0,\mathcal L_0/4\mathcal L_1^2)\le4\mathcal L_0\Delta/\varepsilon^2+4\mathcal L_1^2\Delta/\mathcal L_0`.

Modules: :mod:`~bmaml_theory.symbolic.prop1` (Proposition 1, four ways), :mod:`~bmaml_theory.symbolic.appendix_b`,
:mod:`~bmaml_theory.symbolic.bias_series`, :mod:`~bmaml_theory.symbolic.a4`; the decision procedure and the
shared symbols in :mod:`~bmaml_theory.symbolic._core`.  Every public name is importable from this package.

How a verdict is reached.  Every identity is reduced to a residual (matrix) of rational functions and each
entry is put in canonical form by ``sympy.cancel``, which is a decision procedure for rational identities:
the residual is identically zero iff the canonical form is 0 (``proved=True``).  Otherwise the residual is
evaluated at random rational points; a point where it is non-zero disproves the identity
(``proved=False`` with that point as ``counterexample``); if none is found the result is ``None``
(undecided, reported as inconclusive).  Inequalities are proved by exhibiting the difference as a
product/quotient of factors that sympy's assumption system certifies non-negative.
"""

from __future__ import annotations

from bmaml_theory.symbolic._core import (
    Derivation,
    check_dimension,
    combine,
    decide_zero,
    lam,
    nu,
    sign_proof,
    sym_matrix,
    vec,
)
from bmaml_theory.symbolic.a4 import a4_algebra
from bmaml_theory.symbolic.appendix_b import appendix_b
from bmaml_theory.symbolic.bias_series import bias_series, moments
from bmaml_theory.symbolic.prop1 import prop1_eigenbasis, prop1_general, prop1_hypothesis_gap, prop1_quadratic

__all__ = [
    "Derivation",
    "a4_algebra",
    "appendix_b",
    "bias_series",
    "check_dimension",
    "combine",
    "decide_zero",
    "lam",
    "moments",
    "nu",
    "prop1_eigenbasis",
    "prop1_general",
    "prop1_hypothesis_gap",
    "prop1_quadratic",
    "sign_proof",
    "sym_matrix",
    "vec",
]
