r"""Sources of inner solutions for the estimators: exact, or delta-inexact as in eq. (13).

Every source has ``solutions(tasks, theta, nus, coeffs) -> (phis, info)`` where ``nus`` are the G
perturbations the estimator needs, ``coeffs`` its weights (the estimate is
:math:`g=-\lambda\sum_kc_k\phi_{\nu_k}`), ``phis`` has shape (M, G, n).  The solvers of
:mod:`bmaml_theory.solvers` are sources too, so one keyword (``inner=``) covers all.

Inexactness models perturb the exact solutions by errors of norm exactly ``delta``:

* :class:`Adversarial` places them to maximise the estimator's bias: :math:`e_k=\mathrm{sign}(c_k)\,\delta\,\hat u`
  with :math:`\hat u` the direction of the exact estimator's bias :math:`\nabla F_i-g_i`, so the bias becomes
  :math:`\|\nabla F_i-g_i\|+\lambda\delta\sum_k|c_k|` - the worst case that the paper's
  :math:`2\lambda\delta/\nu` term (forward) bounds, attained.  Where that bias is below its round-off floor its
  direction is round-off (it differs between BLAS libraries), so a fixed direction is taken instead (the worst
  case is then attained to within the floor, and the result says so).
* :class:`RandomDirection` draws each :math:`e_k` uniformly on the sphere of radius delta.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bmaml_theory._backend import eps, on_device, safe_norm, to_numpy
from bmaml_theory._validation import check_int, check_positive

__all__ = ["TRUST_FACTOR", "Adversarial", "Exact", "RandomDirection", "adversarial_errors"]


def adversarial_errors(u: Any, coeffs: Sequence[Any], delta: Any) -> list[Any]:
    r"""The worst case of eq. (13): :math:`e_k=\mathrm{sign}(c_k)\,\delta\,\hat u` for each stencil coefficient.

    ``u`` is the unit direction of the exact estimator's bias (any object that a scalar multiplies: a backend
    array of rows, an mpmath matrix); ``coeffs`` are the estimator's weights (floats, Fractions or mpf).  Then
    :math:`g=-\lambda\sum_kc_k(\phi_k+e_k)` moves by :math:`\lambda\delta\sum_k|c_k|` along the bias - the bound
    that the paper's :math:`2\lambda\delta/\nu` term (forward) states, attained.  Shared by :class:`Adversarial` and
    :class:`bmaml_theory.precision.MPQuadraticTask`.
    """
    return [((c > 0) - (c < 0)) * delta * u for c in coeffs]


@dataclass(frozen=True)
class Exact:
    """Exact inner solutions (closed form for quadratics, Newton for other families)."""

    def solutions(self, tasks: Any, theta: Any, nus: Any, coeffs: Any) -> tuple[Any, dict]:
        return tasks.inner_solution(theta, nus), {"source": "exact"}


# A bias direction is trusted when the bias exceeds this many times its a-priori round-off bound (the same x100
# margin as the sweeps' trust rule, sweeps.FLOOR_FACTOR): its direction is then known to 2/TRUST_FACTOR at worst.
TRUST_FACTOR = 100.0


@dataclass(frozen=True)
class Adversarial:
    r"""Errors of norm ``delta`` aligned to maximise the bias (the worst case covered by eq. (13)).

    ``align="task"`` maximises each task's bias (the paper's per-task statements);
    ``align="mean"`` maximises the bias of the task-averaged estimate of Algorithm 1.

    The direction is the exact estimator's bias :math:`b_i=\nabla F_i-g_i` made unit only where it is
    *trusted*: :math:`\|b_i\|>` ``TRUST_FACTOR`` :math:`\cdot r_i` with the a-priori round-off bound
    :math:`r_i=\lambda\sum_k|c_k|\,\varepsilon\,\mathrm{cond}(S)\max_k\|\phi_k\|` of the difference quotient
    (:func:`bmaml_theory.stencils.roundoff_estimate`).  Below that floor the computed direction is round-off and
    differs between BLAS libraries and backends, so the rule takes the fixed unit vector :math:`e_1` instead: any
    unit vector attains the worst case :math:`\|b_i\|+\lambda\delta\sum_k|c_k|` to within :math:`2\|b_i\|`, i.e.
    to within the floor.  ``info["trusted"]`` lists per task (one entry with ``align="mean"``) which rule was used,
    and ``info["direction_error"]`` bounds the direction's error on the trusted rows (:math:`2r_i/\|b_i\|`).
    """

    delta: float
    align: str = "task"

    def __post_init__(self) -> None:
        object.__setattr__(self, "delta", check_positive(self.delta, "delta"))
        if not isinstance(self.align, str) or self.align not in ("task", "mean"):
            raise ValueError(f"align must be 'task' or 'mean', got {self.align!r}.")

    def solutions(self, tasks: Any, theta: Any, nus: Any, coeffs: Any) -> tuple[Any, dict]:
        xp = tasks.xp
        phis = tasks.inner_solution(theta, nus)
        g = -tasks.lam * xp.sum(coeffs[None, :, None] * phis, axis=1)
        bias = tasks.meta_gradient(theta, per_task=True) - g  # (M, n)
        c_host = [float(c) for c in to_numpy(coeffs)]
        phin = to_numpy(xp.max(safe_norm(phis, xp=xp), axis=1))  # (M,) largest ||phi_k|| per task
        r = tasks.lam * sum(abs(c) for c in c_host) * eps(xp, tasks.dtype) * tasks.cond_S * np.maximum(phin, 1.0)
        if self.align == "mean":
            bias = xp.mean(bias, axis=0)[None, :]
            r = np.array([r.max()])
        bnorm = to_numpy(safe_norm(bias, xp=xp))
        trusted = bnorm > TRUST_FACTOR * r
        keep = xp.asarray(trusted[:, None], **on_device(tasks))
        u = xp.where(keep, _unit_rows(bias, xp), _unit_rows(xp.zeros_like(bias), xp))
        u = xp.broadcast_to(u, (tasks.M, tasks.n))
        e = xp.stack(adversarial_errors(u, c_host, self.delta), axis=1)  # (M, K, n)
        err = float(np.max(2 * r[trusted] / bnorm[trusted])) if trusted.any() else 0.0
        info = {
            "source": "adversarial",
            "delta": self.delta,
            "align": self.align,
            "trusted": trusted.tolist(),
            "direction_error": err,
        }
        return phis + e, info


@dataclass(frozen=True)
class RandomDirection:
    """Errors of norm exactly ``delta`` in independent uniformly random directions (seeded)."""

    delta: float
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "delta", check_positive(self.delta, "delta"))
        object.__setattr__(self, "seed", check_int(self.seed, "seed", lo=0))

    def solutions(self, tasks: Any, theta: Any, nus: Any, coeffs: Any) -> tuple[Any, dict]:
        xp = tasks.xp
        phis = tasks.inner_solution(theta, nus)
        rng = np.random.default_rng(self.seed)
        raw = rng.standard_normal(tuple(phis.shape))
        raw /= np.linalg.norm(raw, axis=-1, keepdims=True)
        e = xp.asarray(self.delta * raw, dtype=phis.dtype, **on_device(tasks))
        return phis + e, {"source": "random", "delta": self.delta, "seed": self.seed}


def _unit_rows(v: Any, xp: Any) -> Any:
    """Rows of v normalised; a zero row becomes e_1 (any unit vector attains the worst case then)."""
    nrm = xp.linalg.vector_norm(v, axis=-1, keepdims=True)
    e1 = xp.zeros_like(v[:1, :])
    e1 = xp.concat([xp.ones_like(e1[:, :1]), e1[:, 1:]], axis=-1)
    safe = xp.where(nrm > 0, nrm, xp.ones_like(nrm))
    return xp.where(nrm > 0, v / safe, xp.broadcast_to(e1, v.shape))
