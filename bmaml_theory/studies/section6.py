r"""Section 6's extension (eqs. 15-16) on a family where every meta-gradient is exact: quadratic tasks with a shared
"decoder" :math:`\theta_d` and a diagonally weighted regulariser.

Task i (eq. (15) with :math:`\mathbf h=\{\theta,\theta_d,\lambda\}`):

.. math::  g(\phi,\mathbf h)=\hat f_i(\theta_d,\phi)+\lambda\,\mathcal Reg(\phi;\theta),\qquad
           \hat f_i(\theta_d,\phi)=\tfrac12\phi^\top\hat A_i\phi+\phi^\top(C_i\theta_d+\hat b_i),\qquad
           \mathcal Reg(\phi;\theta)=\tfrac12(\phi-\theta)^\top W(\phi-\theta),

:math:`W=\mathrm{diag}(w)\succ0` fixed, and the test objective :math:`f_i(\phi)=\frac12\phi^\top A_i\phi+b_i^\top\phi`.
With :math:`H=\hat A_i+\lambda W\succ0` the inner solution is :math:`\phi^*=H^{-1}(\lambda W\theta-C_i\theta_d-\hat b_i)`
and, by the chain rule on that closed form (:math:`\partial_\theta\phi^*=\lambda H^{-1}W`,
:math:`\partial_{\theta_d}\phi^*=-H^{-1}C_i`, :math:`\partial_\lambda\phi^*=H^{-1}W(\theta-\phi^*)`),

.. math::  \nabla_\theta F_i=\lambda WH^{-1}\nabla f_i(\phi^*),\qquad \nabla_{\theta_d}F_i=-C_i^\top H^{-1}\nabla f_i(\phi^*),
           \qquad \partial_\lambda F_i=\nabla f_i(\phi^*)^\top H^{-1}W(\theta-\phi^*)

(:func:`exact_meta_gradient`).  The perturbed problem adds :math:`\nu f_i(\phi)`:
:math:`\phi^*_\nu=(H+\nu A_i)^{-1}(\lambda W\theta-C_i\theta_d-\hat b_i-\nu b_i)`, and eq. (16)'s right side is the
:math:`\nu`-derivative at 0 of :math:`\psi(\nu)=\partial_{\mathbf h}g(\phi^*_\nu,\mathbf h)=
(-\lambda W(\phi^*_\nu-\theta),\ C_i^\top\phi^*_\nu,\ \tfrac12(\phi^*_\nu-\theta)^\top W(\phi^*_\nu-\theta))`.

Two ways to take that derivative from perturbed solutions:

* :func:`eq16_complex_step`: :math:`\psi'(0)=\mathrm{Im}\,\psi(i\epsilon)/\epsilon` with :math:`\phi^*_{i\epsilon}` the
  solution of the perturbed problem at the imaginary perturbation :math:`i\epsilon` (a finite difference in the
  imaginary direction: no subtraction, so no cancellation; truncation :math:`O(\epsilon^2)`, nil at
  :math:`\epsilon\rho=10^{-20}`).  Its only error is round-off: it checks (16) as an identity.
* :func:`eq16_finite_difference`: the real stencils the paper suggests ("use finite differences to approximate the
  derivative in (16)"), with truncation :math:`O(\nu^p)`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bmaml_theory.stencils import Stencil

__all__ = ["Sec6Instance", "eq16_complex_step", "eq16_finite_difference", "exact_meta_gradient", "instance", "scales"]

# the class sampled (fixed before any run): n in [2, 10], p = dim(theta_d) in [1, 4], M in [1, 4]; eigenvalues of
# Ahat_i and A_i in [-1, 1] times a scale 10^U(-2, 1); W's weights in [0.5, 2]; lam = factor Lhat1 / min(w) with
# factor in [2, 20] (the analogue of Section 4's lam >= 2 Lhat1: H >= (lam min w - Lhat1) I >= lam min(w)/2 I)
N_RANGE, P_RANGE, M_RANGE = (2, 10), (1, 4), (1, 4)
W_RANGE = (0.5, 2.0)
LAM_FACTOR = (2.0, 20.0)
CS_STEP = 1e-20  # complex step times rho = ||H^-1 A||: truncation (eps rho)^2 ~ 1e-40 relative


class Sec6Instance(NamedTuple):
    """M tasks of the Section 6 family: Ahat, C, bhat, A, b (per task), w, and h = (theta, theta_d, lam)."""

    Ahat: np.ndarray  # (M, n, n)
    C: np.ndarray  # (M, n, p)
    bhat: np.ndarray  # (M, n)
    A: np.ndarray  # (M, n, n)
    b: np.ndarray  # (M, n)
    w: np.ndarray  # (n,)
    theta: np.ndarray  # (n,)
    theta_d: np.ndarray  # (p,)
    lam: float


def _sym(rng: np.random.Generator, M: int, n: int, scale: np.ndarray) -> np.ndarray:
    Q, R = np.linalg.qr(rng.standard_normal((M, n, n)))
    Q = Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[..., None, :]
    ev = rng.uniform(-1.0, 1.0, (M, n)) * scale[:, None]
    S = (Q * ev[:, None, :]) @ Q.swapaxes(-1, -2)
    return (S + S.swapaxes(-1, -2)) / 2


def instance(seed: int, index: int) -> Sec6Instance:
    """Instance ``index`` of the sample with base ``seed`` (seeded by both: any instance can be rebuilt alone)."""
    if int(seed) < 0 or int(index) < 0:
        raise ValueError(f"seed and index must be ints >= 0, got {seed!r}, {index!r}.")
    rng = np.random.default_rng([int(seed), int(index), 6])
    n = int(rng.integers(N_RANGE[0], N_RANGE[1] + 1))
    p = int(rng.integers(P_RANGE[0], P_RANGE[1] + 1))
    M = int(rng.integers(M_RANGE[0], M_RANGE[1] + 1))
    Ahat = _sym(rng, M, n, 10 ** rng.uniform(-2, 1, M))
    A = _sym(rng, M, n, 10 ** rng.uniform(-2, 1, M))
    C = rng.standard_normal((M, n, p)) * 10 ** rng.uniform(-1, 1)
    bhat = rng.standard_normal((M, n)) * 10 ** rng.uniform(-1, 1)
    b = rng.standard_normal((M, n)) * 10 ** rng.uniform(-1, 1)
    w = rng.uniform(*W_RANGE, n)
    Lhat1 = float(np.max(np.abs(np.linalg.eigvalsh(Ahat))))
    lam = float(rng.uniform(*LAM_FACTOR) * Lhat1 / w.min())
    theta = rng.standard_normal(n) * 10 ** rng.uniform(-1, 1)
    theta_d = rng.standard_normal(p) * 10 ** rng.uniform(-1, 1)
    return Sec6Instance(Ahat, C, bhat, A, b, w, theta, theta_d, lam)


def _H(inst: Sec6Instance) -> np.ndarray:
    return inst.Ahat + inst.lam * np.diag(inst.w)[None]


def _rhs(inst: Sec6Instance) -> np.ndarray:
    return inst.lam * inst.w * inst.theta - np.einsum("inp,p->in", inst.C, inst.theta_d) - inst.bhat


def exact_meta_gradient(inst: Sec6Instance) -> dict[str, np.ndarray]:
    r"""The closed-form meta-gradients (module docstring): ``theta`` (M, n), ``theta_d`` (M, p), ``lam`` (M,)."""
    H = _H(inst)
    phi = np.linalg.solve(H, _rhs(inst)[..., None])[..., 0]
    gf = np.einsum("inm,im->in", inst.A, phi) + inst.b
    v = np.linalg.solve(H, gf[..., None])[..., 0]  # H^-1 grad f (H symmetric)
    return {
        "theta": inst.lam * inst.w * v,
        "theta_d": -np.einsum("inp,in->ip", inst.C, v),
        "lam": np.einsum("in,in->i", v, inst.w * (inst.theta - phi)),
    }


def _psi(inst: Sec6Instance, phi: np.ndarray) -> dict[str, np.ndarray]:
    r""":math:`\partial_{\mathbf h}g(\phi,\mathbf h)` at phi (M, n), real or complex (no conjugation: holomorphic)."""
    d = phi - inst.theta
    return {
        "theta": -inst.lam * inst.w * d,
        "theta_d": np.einsum("inp,in->ip", inst.C, phi),
        "lam": 0.5 * np.einsum("in,in->i", d, inst.w * d),
    }


def _perturbed(inst: Sec6Instance, nu: complex) -> np.ndarray:
    """phi*_nu of the perturbed problem g + nu f, for a real or complex nu."""
    K = _H(inst) + nu * inst.A
    return np.linalg.solve(K, (_rhs(inst) - nu * inst.b)[..., None])[..., 0]


def scales(inst: Sec6Instance) -> dict[str, Any]:
    r"""A-priori round-off scales: cond(H) and, per block, the product of the norms its formula multiplies
    (:math:`\lambda\|W\|\|H^{-1}\|\|\nabla f\|`, :math:`\|C\|\|H^{-1}\|\|\nabla f\|`, :math:`\|\nabla f\|\|H^{-1}\|\|W\|(\|\theta\|+\|\phi^*\|)`: the difference
    :math:`\theta-\phi^*` carries an absolute error relative to its terms, not to itself),
    and :math:`\rho=\max_i\|H_i^{-1}A_i\|` (the radius of the nu-expansion)."""
    H = _H(inst)
    ev = np.linalg.eigvalsh(H)
    mu, L = ev[:, 0], np.abs(ev).max(axis=1)
    phi = np.linalg.solve(H, _rhs(inst)[..., None])[..., 0]
    gf = np.linalg.norm(np.einsum("inm,im->in", inst.A, phi) + inst.b, axis=-1)
    wmax = float(inst.w.max())
    Cn = np.linalg.norm(inst.C, ord=2, axis=(-2, -1))
    rho = float(np.max(np.linalg.norm(np.linalg.solve(H, inst.A), ord=2, axis=(-2, -1))))
    return {
        "cond": L / mu,
        "rho": rho,
        "theta": inst.lam * wmax * gf / mu,
        "theta_d": Cn * gf / mu,
        "lam": gf * wmax * (np.linalg.norm(inst.theta) + np.linalg.norm(phi, axis=-1)) / mu,
    }


def eq16_complex_step(inst: Sec6Instance) -> dict[str, np.ndarray]:
    r"""Eq. (16) by a complex step: :math:`\mathrm{Im}\,\psi(i\epsilon)/\epsilon`, :math:`\epsilon=10^{-20}/\max(1,\rho)`."""
    eps = CS_STEP / max(1.0, scales(inst)["rho"])
    psi = _psi(inst, _perturbed(inst, 1j * eps))
    return {k: np.imag(v) / eps for k, v in psi.items()}


def eq16_finite_difference(inst: Sec6Instance, nu: float, st: Stencil) -> dict[str, np.ndarray]:
    r"""Eq. (16) by the real stencil ``st``: :math:`\frac1\nu\sum_kw_k\psi(t_k\nu)` (the paper's suggestion)."""
    out: dict[str, np.ndarray] = {}
    for t, wk in zip(st.nodes, st.weights, strict=True):
        psi = _psi(inst, _perturbed(inst, t * nu))
        for k, v in psi.items():
            out[k] = out.get(k, 0.0) + wk * v / nu
    return out
