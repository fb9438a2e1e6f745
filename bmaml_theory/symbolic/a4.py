r"""Appendix A.4's algebra (NormalizedGD / ClippedGD step count) proved symbolically."""

from __future__ import annotations

import sympy as sp

from bmaml_theory.symbolic._core import Derivation, combine, decide_zero, sign_proof

__all__ = ["a4_algebra"]


def a4_algebra() -> Derivation:
    r"""The algebra of Appendix A.4 (NormalizedGD / ClippedGD step count).

    With :math:`\mathcal L(\theta)=\mathcal L_0+\mathcal L_1\|\nabla F(\theta)\|`, :math:`h(g)=g^2/(2(\mathcal L_0+\mathcal L_1g))`:

    1. :math:`\eta\mapsto\eta(1-\mathcal L\eta/2)` is maximised at :math:`\eta=1/\mathcal L` with value :math:`1/(2\mathcal L)`;
    2. :math:`h` is increasing on :math:`g>0`;
    3. regime 1 (:math:`g\ge\mathcal L_0/\mathcal L_1`): :math:`h(\mathcal L_0/\mathcal L_1)=\mathcal L_0/(4\mathcal L_1^2)`, so
       :math:`h(g)\ge\mathcal L_0/(4\mathcal L_1^2)`;
    4. regime 2 (:math:`\varepsilon\le g\le\mathcal L_0/\mathcal L_1`): :math:`h(g)\ge h(\varepsilon)\ge\varepsilon^2/(4\mathcal L_0)`;
    5. :math:`\Delta/\min(a,b)=\max(\Delta/a,\Delta/b)\le4\mathcal L_0\Delta/\varepsilon^2+4\mathcal L_1^2\Delta/\mathcal L_0`.
    """
    L0, L1, g, eps, Delta, eta, calL = sp.symbols("calL0 calL1 g epsilon Delta eta calL", positive=True)
    u = sp.Symbol("u", nonnegative=True)  # eps = (L0/L1)/(1+u) <= L0/L1
    h = g**2 / (2 * (L0 + L1 * g))
    checks: dict = {}
    phi = eta * (1 - calL * eta / 2)
    crit = sp.solve(sp.diff(phi, eta), eta)
    checks["argmax_eta eta(1 - L eta/2) = 1/L"] = (
        decide_zero(crit[0] - 1 / calL) if len(crit) == 1 else (False, str(crit), None)
    )
    checks["max value = 1/(2L)"] = decide_zero(phi.subs(eta, 1 / calL) - 1 / (2 * calL))
    checks["second derivative < 0 (a maximum)"] = sign_proof(-sp.diff(phi, eta, 2), "positive")
    dh = sp.factor(sp.diff(h, g))
    checks["h'(g) > 0"] = sign_proof(dh, "positive")
    checks["h(calL0/calL1) = calL0/(4 calL1^2)"] = decide_zero(h.subs(g, L0 / L1) - L0 / (4 * L1**2))
    gap = sp.factor(sp.simplify((h.subs(g, eps) - eps**2 / (4 * L0)).subs(eps, L0 / (L1 * (1 + u)))))
    checks["h(eps) - eps^2/(4 calL0) >= 0 for eps <= calL0/calL1"] = sign_proof(gap, "nonnegative")
    a, b = eps**2 / (4 * L0), L0 / (4 * L1**2)
    bound = 4 * L0 * Delta / eps**2 + 4 * L1**2 * Delta / L0
    checks["Delta/a + Delta/b = 4 calL0 Delta/eps^2 + 4 calL1^2 Delta/calL0"] = decide_zero(
        Delta / a + Delta / b - bound
    )
    checks["Delta/min(a, b) <= Delta/a + Delta/b (a, b > 0)"] = sign_proof(sp.Min(Delta / a, Delta / b), "positive")
    return combine(
        "a4-algebra",
        "Appendix A.4: K <= Delta/min(eps^2/(4 calL0), calL0/(4 calL1^2)) <= 4 calL0 Delta/eps^2 + 4 calL1^2 Delta/calL0.",
        checks,
        expression=f"h'(g) = {dh}; h(eps) - eps^2/(4 calL0) at eps = calL0/(calL1 (1+u)), u >= 0: {gap}",
    )
