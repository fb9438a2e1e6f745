r"""The paper's constants and bounds as the paper states them, beside the corrected ones.

Every ``*_stated`` function transcribes a statement of Chayti & Jaggi (main text, or Appendix A's explicit
form where the main text writes :math:`O(\cdot)`); every ``*_corrected`` function is the tightest version
this package establishes (derivations in ``docs/errata.md``, checked by the same searches).  Arguments
are a :class:`~bmaml_theory.tasks.Constants` ``c`` (lam, Lhat1, Lhat2, L0, L1, mu) and plain floats.

Shorthand: :math:`A=\frac{L_0}{\lambda}\big(L_1+\frac{\hat L_2L_0}{\lambda}\big)` (Prop. 2's coefficient),
:math:`c_\mu=(\lambda/\mu)^2\le4` under :math:`\lambda\ge2\hat L_1` (because :math:`\mu\ge\lambda-\hat L_1\ge\lambda/2`).

>>> from bmaml_theory.tasks import Constants
>>> c = Constants(lam=2.0, Lhat1=1.0, Lhat2=0.0, L0=1.0, L1=1.0, mu=1.0)
>>> prop2_bound_stated(c, 0.1), prop2_bound_corrected(c, 0.1)
(0.05, 0.2)
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

from bmaml_theory._validation import check_constants, finite_scalar
from bmaml_theory.tasks._protocol import Constants

_F = TypeVar("_F", bound=Callable[..., Any])
# every function validates its constants (:func:`bmaml_theory._validation.check_constants`) and arguments, and
# never returns NaN; +inf only where c.L0 = inf (quadratic families: f_i is not globally Lipschitz).

# how each plain argument of the functions below is validated: "pos" finite > 0, "nonneg" finite >= 0,
# "real" finite (nu may be negative: the bounds use |nu|)
_ARG_RULES = {
    "nu": "real",
    "delta": "pos",
    "grad_norm": "nonneg",
    "zeta": "nonneg",
    "calL0": "pos",
    "calL1": "nonneg",
    "calL": "pos",
    "Delta": "nonneg",
    "eps": "pos",
    "G": "nonneg",
}


def _validated(fn: _F) -> _F:
    """Check ``c`` (a Constants with lam, mu > 0) and every plain argument by :data:`_ARG_RULES`; the result
    must be finite (else ``FloatingPointError``: the constants are too large for float64)."""
    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            if name == "c":
                bound.arguments[name] = check_constants(value)
                continue
            v = finite_scalar(value, name)
            rule = "pos" if (name == "nu" and fn.__name__.startswith("cor1_bias")) else _ARG_RULES[name]
            if rule == "pos" and v <= 0:
                raise ValueError(f"{name} must be > 0, got {v}.")
            if rule == "nonneg" and v < 0:
                raise ValueError(f"{name} must be >= 0, got {v}.")
            bound.arguments[name] = v
        what = ", ".join(f"{k}={v!r:.80}" for k, v in bound.arguments.items())
        try:
            out = fn(*bound.args, **bound.kwargs)
        except (OverflowError, ZeroDivisionError) as exc:
            raise FloatingPointError(
                f"theory.{fn.__name__}: {exc} for {what}; the arguments are too large or small for float64."
            ) from exc
        c = bound.arguments.get("c")
        unbounded = c is not None and math.isinf(c.L0)  # quadratics: L0 = inf makes some bounds inf, legitimately
        for x in out if isinstance(out, tuple) else (out,):
            if math.isnan(x) or (math.isinf(x) and not unbounded and fn.__name__ != "assumption3_interval"):
                raise FloatingPointError(
                    f"theory.{fn.__name__} is not finite ({x}) for {what}: the arguments are too large for float64 "
                    "(or a 0 * inf with L0 = inf)."
                )
        return out

    return wrapper  # type: ignore[return-value]


__all__ = [
    "a4_steps",
    "assumption3_interval",
    "cor1_bias_corrected",
    "cor1_bias_stated",
    "cor1_nu_appendix",
    "cor1_nu_corrected",
    "cor1_nu_stated",
    "cor2_constants_corrected",
    "cor2_constants_stated",
    "cor3_G",
    "cor3_L_corrected",
    "cor3_L_stated",
    "gd_steps",
    "prop2_bound_corrected",
    "prop2_bound_stated",
    "prop2_coefficient",
    "prop3_L_corrected",
    "prop3_L_stated",
    "thm1_parameters",
    "thm2_step",
]


def _cmu(c: Constants) -> float:
    return (c.lam / c.mu) ** 2


def _finite_L0(c: Constants, fn: str) -> None:
    """Corollary 1's nu divides by L0: it needs a finite L0 > 0 (no choice of nu exists for L0 = inf or 0)."""
    if not (0 < c.L0 < math.inf):
        raise ValueError(
            f"theory.{fn} needs a finite c.L0 > 0 (Corollary 1's nu is sqrt(lam^2 delta / (L0 (L1 lam + Lhat2 L0)))), "
            f"got L0={c.L0}; a family with unbounded gradients (e.g. QuadraticTasks: L0 = inf) has no such nu - "
            "use a bounded-gradient family (LogisticTasks) or pass its L0 on a ball."
        )


@_validated
def assumption3_interval(c: Constants) -> tuple[float, float]:
    r"""Assumption 3's uniqueness interval :math:`\mathcal V_0=(-\mu/L_1,\ \mu/L_1)` for eq. (9)."""
    r = c.mu / c.L1 if c.L1 > 0 else math.inf
    return -r, r


@_validated
def prop2_coefficient(c: Constants) -> float:
    r""":math:`A=\frac{L_0}{\lambda}(L_1+\frac{\hat L_2L_0}{\lambda})`, the coefficient of Proposition 2."""
    return c.L0 / c.lam * (c.L1 + c.Lhat2 * c.L0 / c.lam)


@_validated
def prop2_bound_stated(c: Constants, nu: float) -> float:
    r"""Proposition 2 with the constant of Appendix A.2's last display: :math:`\|\nabla F_i-g^{For}_{i,\nu}\|\le A|\nu|`."""
    return prop2_coefficient(c) * abs(nu)


@_validated
def prop2_bound_corrected(c: Constants, nu: float) -> float:
    r"""Proposition 2, corrected: :math:`\|\nabla F_i-g^{For}_{i,\nu}\|\le|\nu|\frac{\lambda L_0}{\mu^2}
    \big(L_1+\frac{\hat L_2L_0}{2\mu}\big)\le4A|\nu|` (errata E4); the factor :math:`(\lambda/\mu)^2` is attained."""
    return abs(nu) * c.lam * c.L0 / c.mu**2 * (c.L1 + c.Lhat2 * c.L0 / (2 * c.mu))


@_validated
def cor1_nu_stated(c: Constants, delta: float) -> float:
    r"""Corollary 1's choice (main text): :math:`\nu=\sqrt{\lambda^2\delta/(L_0(L_1\lambda+\hat L_2L_0))}=\sqrt{\delta/A}`."""
    _finite_L0(c, "cor1_nu_stated")
    return math.sqrt(c.lam**2 * delta / (c.L0 * (c.L1 * c.lam + c.Lhat2 * c.L0)))


@_validated
def cor1_nu_appendix(c: Constants, delta: float) -> float:
    r"""Appendix A.2's minimiser of eq. (23): :math:`\nu=\sqrt{2\lambda^2\delta/(L_0(L_1\lambda+L_0\hat L_2))}`
    (:math:`\sqrt2` times the main text's choice; checked by the ``cor1-explicit`` claim)."""
    _finite_L0(c, "cor1_nu_appendix")
    return math.sqrt(2 * c.lam**2 * delta / (c.L0 * (c.L1 * c.lam + c.Lhat2 * c.L0)))


@_validated
def cor1_bias_stated(c: Constants, delta: float, nu: float) -> float:
    r"""Eq. (23) as printed: :math:`A\nu+2\delta/\nu`; at the main-text nu it is :math:`3\sqrt{A\delta}`, the
    explicit form of Corollary 1's :math:`O(\sqrt{L_0(L_1/\lambda+\hat L_2L_0/\lambda^2)\delta})`."""
    return prop2_coefficient(c) * nu + 2 * delta / nu


@_validated
def cor1_bias_corrected(c: Constants, delta: float, nu: float) -> float:
    r"""Corrected eq. (23): :math:`A'\nu+2\lambda\delta/\nu` with :math:`A'=\frac{\lambda L_0}{\mu^2}(L_1+\frac{\hat L_2L_0}{2\mu})`
    (errata E1, E2, E4)."""
    return prop2_bound_corrected(c, 1.0) * nu + 2 * c.lam * delta / nu


@_validated
def cor1_nu_corrected(c: Constants, delta: float) -> float:
    r"""Minimiser of the corrected eq. (23): :math:`\nu^*=\sqrt{2\lambda\delta/A'}`; the bias there is
    :math:`2\sqrt{2\lambda A'\delta}\le4\sqrt{2L_0(L_1+\hat L_2L_0/\lambda)\delta}`."""
    return math.sqrt(2 * c.lam * delta / prop2_bound_corrected(c, 1.0))


@_validated
def prop3_L_stated(c: Constants, grad_norm: float) -> float:
    r"""Proposition 3: :math:`\mathcal L(\theta)=L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i(\theta)\|`."""
    return c.L1 + c.Lhat2 / c.lam * grad_norm


@_validated
def prop3_L_corrected(c: Constants, grad_norm: float) -> float:
    r"""Proposition 3, corrected: :math:`(\lambda/\mu)^2\big(L_1+\frac{\hat L_2}{\lambda}\|\nabla F_i(\theta)\|\big)`
    (:math:`\le4(\dots)` under :math:`\lambda\ge2\hat L_1`; errata E5)."""
    return _cmu(c) * (c.L1 + c.Lhat2 / c.lam * grad_norm)


@_validated
def cor2_constants_stated(c: Constants, zeta: float) -> tuple[float, float]:
    r"""Corollary 2: :math:`\mathcal L_0=\frac{L_1}4+\frac{\hat L_2}{4\lambda}\zeta`, :math:`\mathcal L_1=\frac{\hat L_2}{2\lambda}`."""
    return c.L1 / 4 + c.Lhat2 / (4 * c.lam) * zeta, c.Lhat2 / (2 * c.lam)


@_validated
def cor2_constants_corrected(c: Constants, zeta: float) -> tuple[float, float]:
    r"""Corollary 2, corrected: :math:`\mathcal L_0=c_\mu(L_1+\frac{\hat L_2}{\lambda}\zeta)`,
    :math:`\mathcal L_1=c_\mu\frac{\hat L_2}{\lambda}` with :math:`c_\mu=(\lambda/\mu)^2` (errata E6)."""
    k = _cmu(c)
    return k * (c.L1 + c.Lhat2 / c.lam * zeta), k * c.Lhat2 / c.lam


@_validated
def cor3_G(c: Constants) -> float:
    r"""Corollary 3: :math:`\|\nabla F(\theta)\|\le G:=\lambda L_0/\mu`."""
    return c.lam * c.L0 / c.mu


@_validated
def cor3_L_stated(c: Constants, zeta: float) -> float:
    r"""Corollary 3: :math:`\mathcal L=\mathcal L_0+G\mathcal L_1` with Corollary 2's stated constants."""
    L0_, L1_ = cor2_constants_stated(c, zeta)
    return L0_ + cor3_G(c) * L1_


@_validated
def cor3_L_corrected(c: Constants, zeta: float) -> float:
    r"""Corollary 3 with the corrected constants of Corollary 2."""
    L0_, L1_ = cor2_constants_corrected(c, zeta)
    return L0_ + cor3_G(c) * L1_


@_validated
def thm1_parameters(calL0: float, calL1: float) -> tuple[float, float]:
    r"""Theorem 1's NormalizedGD parameters :math:`\eta=1/\mathcal L_1`, :math:`\beta=\mathcal L_0/\mathcal L_1`
    (the update :math:`\theta-\eta g/(\beta+\|g\|)=\theta-g/(\mathcal L_0+\mathcal L_1\|g\|)`)."""
    if calL1 <= 0:
        raise ValueError("calL1 must be > 0 for Theorem 1's step eta = 1/calL1 (Lhat2 = 0 makes it infinite).")
    return 1.0 / calL1, calL0 / calL1


@_validated
def a4_steps(calL0: float, calL1: float, Delta: float, eps: float) -> float:
    r"""Appendix A.4: :math:`K\le\frac{4\mathcal L_0\Delta}{\varepsilon^2}+\frac{4\mathcal L_1^2\Delta}{\mathcal L_0}`,
    the explicit form of Theorem 1's :math:`O(\cdot)`."""
    return 4 * calL0 * Delta / eps**2 + 4 * calL1**2 * Delta / calL0


@_validated
def thm2_step(calL0: float, calL1: float, G: float) -> float:
    r"""Theorem 2's GD step :math:`\eta=1/(\mathcal L_0+G\mathcal L_1)`."""
    return 1.0 / (calL0 + G * calL1)


@_validated
def gd_steps(calL: float, Delta: float, eps: float) -> float:
    r"""The descent-lemma count behind Theorem 2: :math:`K\le2\mathcal L\Delta/\varepsilon^2` for GD with
    :math:`\eta=1/\mathcal L` (explicit form of :math:`O(\mathcal L_0\Delta/\varepsilon^2+G\mathcal L_1\Delta/\varepsilon^2)`)."""
    return 2 * calL * Delta / eps**2
