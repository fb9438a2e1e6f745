r"""Section 3's rates (eqs. 12, 14) on task families with only the smoothness of Assumptions 1-3.

Eq. (12)'s :math:`O(\lambda\nu^2)` for the symmetric estimator (11) assumes :math:`\nu\mapsto\phi^*_{i,\nu}` three times
differentiable; Assumptions 1-2 give :math:`\hat f_i\in C^{2,1}` and :math:`f_i\in C^{1,1}` only.  On the families of
:func:`bmaml_theory.tasks.kinked.placed_family` (a kink of :math:`\nabla^2f_i` or of :math:`\nabla^3\hat f_i` placed at
:math:`\phi^*_{i,0}(\theta)`, so the path crosses it at :math:`\nu=0`; and a control with every kink a margin away)
:func:`study` sweeps both estimators over the :math:`(\nu,\delta)` grid of :mod:`bmaml_theory.sweeps` (worst-case
:math:`\delta`-errors) and fits per task, with the same a-priori windows as the quadratic study
(:mod:`bmaml_theory.studies.section3`): the order in :math:`\nu` at exact solutions and the order in :math:`\delta` at
the best :math:`\nu`.

It also measures the corrected explicit bounds (docs/errata.md, E2): with :math:`A'=(\lambda L_0/\mu^2)(L_1+\hat L_2L_0/
(2\mu))`, :math:`\|\nabla F_i-g_\nu\|\le A'|\nu|` for both estimators and :math:`\min_\nu` worst-case bias
:math:`\le\min_\nu(A'\nu+\|w\|_1\lambda\delta/\nu)`.

:func:`pinned` gives two one-dimensional families whose bias is known in closed form (:func:`pinned_bias`):
``"test-kink"`` (Huber test loss, kink at :math:`\phi^*_0`) and ``"train-kink"`` (training loss with
:math:`g''=\max(0,1-|s|)`, kink of :math:`g'''` at :math:`\phi^*_0`).  Library code: never imports the claims.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bmaml_theory import sweeps
from bmaml_theory.rates import fit_power_law
from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil
from bmaml_theory.studies.section3 import NU_DECADES
from bmaml_theory.tasks.kinked import KINDS, KinkedTasks, placed_family

__all__ = [
    "PINNED",
    "STENCILS",
    "fitted_order",
    "pinned",
    "pinned_bias",
    "pinned_exact_order",
    "pinned_growth",
    "pinned_worst_case_bias",
    "settings",
    "sign_flip_bias",
    "sign_flip_constants",
    "study",
]

STENCILS: dict[str, Stencil] = {"forward": FORWARD, "symmetric": SYMMETRIC}
SEED = 0
PINNED = ("test-kink", "train-kink")


def settings(quick: bool) -> dict:
    """Families and grids of a run (quick: 2 tasks, n in {2, 5}, lam = 2 Lhat1 only, half the grid densities)."""
    return {
        "M": 2 if quick else 4,
        "dims": (2, 5) if quick else (2, 5, 10),
        "kinds": KINDS,
        "lam_factors": (2.0,) if quick else (2.0, 20.0),  # lam / Lhat1: the threshold of Section 4 and 10x above it
        "nu_decades": NU_DECADES,
        # 10 nu points per decade in both modes: a window of >= 1 decade keeps >= 10 points; the study is evidence only
        # (sec3-regularity decides on exact closed forms), sized so the section-3 group stays <= 20 s single-core
        "nu_per_decade": 10,
        "delta_range": (-1.0, -15.0, 29 if quick else 57),
        "seed": SEED,
    }


def _stencil(name: str) -> Stencil:
    if name not in STENCILS:
        raise ValueError(f"stencil must be one of {sorted(STENCILS)}, got {name!r}.")
    return STENCILS[name]


def corrected_slope(tasks: KinkedTasks) -> float:
    r""":math:`A'=(\lambda L_0/\mu^2)(L_1+\hat L_2L_0/(2\mu))`: the corrected Proposition 2 slope (errata E4), which
    bounds both estimators' exact-solution bias per unit :math:`|\nu|` (the symmetric one is the mean of the forward
    ones at :math:`\pm\nu`)."""
    c = tasks.constants()
    return c.lam * c.L0 / c.mu**2 * (c.L1 + c.Lhat2 * c.L0 / (2 * c.mu))


def _grid(tasks: Any, theta: Any, st: Stencil, s: dict):
    nus = sweeps.nu_grid(tasks, st, decades=float(s["nu_decades"]), per_decade=int(s["nu_per_decade"]))
    adv = sweeps.bias_grid(tasks, theta, nus, st, sweeps.delta_grid(tuple(s["delta_range"])), model="adversarial")
    return adv, sweeps.best_nu(adv)


def _bound_ratios(tasks: KinkedTasks, adv: Any, best: Any, i: int) -> dict:
    """Worst ratios of task i to the corrected bounds over its trusted grid points (NaN when none is trusted)."""
    A = corrected_slope(tasks)
    trusted = adv.exact[i] > sweeps.FLOOR_FACTOR * adv.roundoff[i]
    nu_ratio = float(np.max(adv.exact[i][trusted] / (A * adv.nus[trusted]))) if trusted.any() else math.nan
    # the grid minimum of the worst-case bias (at a bracketed best nu) against the continuous minimum over (0, top] of
    # the bound A nu + |w| lam delta / nu: 2 sqrt(|w| A lam delta) when its minimiser lies below the grid's top
    wl = adv.stencil.w_l1 * tasks.lam * adv.deltas
    top = float(adv.nus.max())
    star = np.sqrt(wl / A)
    bound_min = np.where(star <= top, 2.0 * np.sqrt(A * wl), A * top + wl / top)
    ok = np.isfinite(best.bias[i]) & best.bracketed[i]
    delta_ratio = float(np.max(best.bias[i][ok] / bound_min[ok])) if ok.any() else math.nan
    return {"nu": nu_ratio, "delta": delta_ratio}


def study(s: dict, progress: Any = None) -> dict:
    r"""Per task and stencil: fitted orders in :math:`\nu` and :math:`\delta` and the corrected-bound ratios.

    Returns ``{"rows": [...], "settings": s, "grids": {(j, stencil): (adv, best)}}``; a row is ``{"kind", "n", "M",
    "seed", "family", "task", "stencil", "fit_nu", "fit_delta", "bound_ratio": {"nu", "delta"}}``.
    """
    rows, grids = [], {}
    j = -1
    for kind in s["kinds"]:
        for lam_factor in s["lam_factors"]:
            for n in s["dims"]:
                j += 1
                _sweep_family(rows, grids, s, j, kind, n, float(lam_factor), progress)
    return {"rows": rows, "settings": s, "grids": grids}


def _sweep_family(
    rows: list, grids: dict, s: dict, j: int, kind: str, n: int, lam_factor: float, progress: Any
) -> None:
    """Sweep family j (both stencils) and append one row per task and stencil."""
    tasks, theta = placed_family(kind, s["M"], n, s["seed"], lam_factor=lam_factor)
    for name, st in STENCILS.items():
        if progress is not None:
            progress(f"regularity: {name} sweep ({kind}, lam={lam_factor:g} Lhat1, n={n})")
        adv, best = _grid(tasks, theta, st, s)
        grids[(j, name)] = (adv, best)
        for i in range(tasks.M):
            rows.append(
                {
                    "kind": kind,
                    "lam_factor": lam_factor,
                    "n": n,
                    "M": s["M"],
                    "seed": s["seed"],
                    "family": j,
                    "task": i,
                    "stencil": name,
                    "fit_nu": sweeps.fit_nu_order(adv, i),
                    "fit_delta": sweeps.fit_delta_order(adv, best, i),
                    "bound_ratio": _bound_ratios(tasks, adv, best, i),
                }
            )


def fitted_order(
    *,
    kind: str,
    M: int,
    n: int,
    seed: int,
    task: int,
    stencil: str,
    which: str,
    lam_factor: float = 2.0,
    nu_decades: float = NU_DECADES,
    nu_per_decade: int,
    delta_range: tuple[float, float, int] | list,
) -> float:
    r"""The fitted order of task ``task`` of ``placed_family(kind, M, n, seed, lam_factor=lam_factor)``, exactly as
    :func:`study` fits it.

    ``which``: ``"nu"`` (eq. 12, exact solutions) or ``"delta"`` (eq. 14, worst-case errors at the best nu).
    Returns NaN when the rate is not measurable on that task (no asymptotic window).
    """
    if which not in ("nu", "delta"):
        raise ValueError(f"which must be 'nu' or 'delta', got {which!r}.")
    st = _stencil(stencil)
    tasks, theta = placed_family(kind, int(M), int(n), int(seed), lam_factor=float(lam_factor))
    if not 0 <= int(task) < tasks.M:
        raise ValueError(f"task must index a task of the family, 0 <= task < {tasks.M}, got {task!r}.")
    s = {"nu_decades": float(nu_decades), "nu_per_decade": int(nu_per_decade), "delta_range": tuple(delta_range)}
    adv, best = _grid(tasks, theta, st, s)
    f = sweeps.fit_nu_order(adv, int(task)) if which == "nu" else sweeps.fit_delta_order(adv, best, int(task))
    return float(f.order) if f.ok else float("nan")


# --------------------------------------------------------------------------------------- pinned 1-D families
def pinned(which: str) -> tuple[KinkedTasks, np.ndarray]:
    r"""One task in n = 1 with lam = 2 Lhat1 = 2 and the kink at :math:`\phi^*_0`, bias known in closed form.

    * ``"test-kink"``: :math:`\hat f=\phi^2/2`, :math:`f=h(\phi-1)` (Huber), :math:`\theta=3`, :math:`\phi^*_0=2` on
      the kink :math:`s=1`; :math:`L_0=L_1=\hat L_1=1`, :math:`\hat L_2=0`, :math:`\mu=3`.
    * ``"train-kink"``: :math:`\hat f=g(\phi-\tfrac12)` (:math:`g''=\max(0,1-|s|)`), :math:`f=\phi`,
      :math:`\theta=\phi^*_0=\tfrac12` on the kink :math:`s=0` of :math:`g'''`; :math:`L_0=\hat L_1=\hat L_2=1`,
      :math:`L_1=0`, :math:`\mu=2`.
    """
    zero = [[[0.0]]]
    if which == "test-kink":
        t = KinkedTasks(
            zero, None, 2.0, zero, Q=[[[1.0]]], a=[[1.0]], b=[1.0], c=[1.0], a_hat=[[0.0]], b_hat=[0.0], c_hat=[0.0]
        )
        return t, np.array([3.0])
    if which == "train-kink":
        t = KinkedTasks(
            zero, None, 2.0, zero, r=[[1.0]], a=[[0.0]], b=[0.0], c=[0.0], a_hat=[[1.0]], b_hat=[0.5], c_hat=[1.0]
        )
        return t, np.array([0.5])
    raise ValueError(f"which must be one of {PINNED}, got {which!r}.")


def pinned_bias(which: str, stencil: str, nu: float) -> float:
    r"""Closed-form exact-solution bias :math:`\|\nabla F-g_\nu\|` of :func:`pinned` (``nu > 0``).

    ``"test-kink"`` (:math:`A=\hat f''+\lambda=3`, :math:`\phi_\nu=2-\nu/(3+\nu)`, :math:`\phi_{-\nu}=2+\nu/3`):
    forward :math:`2\nu/(3(3+\nu))`, symmetric :math:`\nu/(3(3+\nu))`, i.e. :math:`\nu/9+O(\nu^2)` - order 1.
    ``"train-kink"`` (:math:`\phi_{\pm\nu}-\tfrac12=\mp(3-\sqrt{9-2\nu})`): forward and symmetric both
    :math:`2(3-\sqrt{9-2\nu})/\nu-2/3=4\nu/(3(3+\sqrt{9-2\nu})^2)=\nu/27+O(\nu^2)` - order 1
    (the second form is free of cancellation).
    """
    _stencil(stencil)
    nu = float(nu)
    if not (math.isfinite(nu) and 0 < nu < 1):
        raise ValueError(f"nu must be in (0, 1) (inside both families' uniqueness intervals), got {nu!r}.")
    if which == "test-kink":
        return (2.0 if stencil == "forward" else 1.0) * nu / (3.0 * (3.0 + nu))
    if which == "train-kink":
        return 4.0 * nu / (3.0 * (3.0 + math.sqrt(9.0 - 2.0 * nu)) ** 2)  # = 2(3 - sqrt(9 - 2nu))/nu - 2/3
    raise ValueError(f"which must be one of {PINNED}, got {which!r}.")


def pinned_worst_case_bias(which: str, stencil: str, delta: float) -> float:
    r"""Exact best-nu worst-case bias of :func:`pinned` under (13): :math:`\min_{0<\nu<1/2}\,[b(\nu)+\lambda\|w\|_1
    \delta/\nu]`, with :math:`b` the closed form :func:`pinned_bias` (in one dimension the worst errors of norm delta
    add :math:`\lambda\|w\|_1\delta/\nu` to :math:`|b|` exactly, see :mod:`bmaml_theory.sweeps`).

    The minimum over :math:`\log\nu` is found by bounded Brent (:func:`scipy.optimize.minimize_scalar`) to a relative
    :math:`\nu`-accuracy of 1e-12, so the value is exact to round-off (it is stationary in :math:`\nu`); a minimiser
    on the bracket's edge raises (``delta`` outside (1e-14, 1e-3), where the bracket is not the family's).
    """
    from scipy.optimize import minimize_scalar

    st = _stencil(stencil)
    delta = float(delta)
    if not (math.isfinite(delta) and 1e-14 < delta < 1e-3):
        raise ValueError(f"delta must be in (1e-14, 1e-3) (best nu inside (0, 1/2)), got {delta!r}.")
    tasks, _ = pinned(which)
    wl = st.w_l1 * tasks.lam * delta

    def total(t: float) -> float:
        nu = math.exp(t)
        return pinned_bias(which, stencil, nu) + wl / nu

    lo, hi = math.log(1e-12), math.log(0.5)
    res = minimize_scalar(total, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    if not (res.success and lo + 1e-6 < res.x < hi - 1e-6):
        raise ValueError(f"the best nu of pinned({which!r}) at delta = {delta:g} is not inside (1e-12, 1/2).")
    return float(res.fun)


def pinned_exact_order(which: str, stencil: str, rate: str, points: Any) -> tuple[float, float]:
    r"""Fitted order (and its standard error) of the exact closed-form bias of :func:`pinned` over ``points``:
    ``rate="nu"``: :func:`pinned_bias` against nu (eq. 12, exact solutions); ``rate="delta"``:
    :func:`pinned_worst_case_bias` against delta (eq. 14, best nu).  :func:`~bmaml_theory.rates.fit_power_law` on
    exact values: no window rule or round-off floor is involved."""
    pts = np.sort(np.asarray(points, dtype=float))
    if pts.ndim != 1 or pts.size < 3:
        raise ValueError(f"points must be 1-D with at least 3 values, got shape {pts.shape}.")
    if rate == "nu":
        vals = [pinned_bias(which, stencil, v) for v in pts]
    elif rate == "delta":
        vals = [pinned_worst_case_bias(which, stencil, v) for v in pts]
    else:
        raise ValueError(f"rate must be 'nu' or 'delta', got {rate!r}.")
    fit = fit_power_law(pts, np.array(vals))
    return float(fit.exponent), float(fit.stderr)


def measured_pinned_bias(which: str, stencil: str, nu: float) -> float:
    r"""The same bias measured through the package: Newton solutions of eq. (9) and the estimator of eq. (10)/(11)."""
    from bmaml_theory import estimators

    tasks, theta = pinned(which)
    g = estimators.estimate(tasks, theta, float(nu), _stencil(stencil)).per_task[0]
    return float(np.linalg.norm(tasks.meta_gradient(theta, per_task=True)[0] - g))


def pinned_growth(which: str, stencil: str, nus: Any) -> dict:
    r""":math:`\mathrm{bias}/(\lambda\nu^2)` on the pinned family over ``nus`` (measured), with its log-log slope in
    :math:`1/\nu` (:func:`~bmaml_theory.rates.fit_power_law`, standard error): slope 1 means the ratio grows without
    bound, so no constant makes the bias :math:`O(\lambda\nu^2)`."""
    nus = np.sort(np.asarray(nus, dtype=float))[::-1]
    tasks, _ = pinned(which)
    ratio = np.array([measured_pinned_bias(which, stencil, v) / (tasks.lam * v * v) for v in nus])
    fit = fit_power_law(1.0 / nus, ratio)
    return {"nus": nus.tolist(), "ratio": ratio.tolist(), "slope": fit.exponent, "slope_stderr": fit.stderr}


# ------------------------------------------------------------------ the family that reaches the constant A'
SIGN_FLIP = {"lam": 2.0, "Lhat1": 1.0, "Lhat2": 0.0, "L0": 1.0, "L1": 1.0, "mu": 3.0, "theta": 3.0}


def sign_flip_constants() -> dict:
    r"""Constants of :func:`sign_flip_bias`'s family and its :math:`A'=(\lambda L_0/\mu^2)(L_1+\hat L_2L_0/(2\mu))
    =2/9`."""
    c = dict(SIGN_FLIP)
    c["A_prime"] = c["lam"] * c["L0"] / c["mu"] ** 2 * (c["L1"] + c["Lhat2"] * c["L0"] / (2 * c["mu"]))
    return c


def _sign_flip_dtest(phi: float) -> float:
    """f'(phi) = 1 - min(|phi - 2|, 1): f'' = +1 below phi = 2, -1 above (on |phi - 2| < 1), 0 beyond."""
    return 1.0 - min(abs(phi - 2.0), 1.0)


def sign_flip_bias(nu: float, *, measured: bool = False) -> float:
    r"""Exact-solution bias of the symmetric estimator (11) on a one-dimensional family whose test loss's second
    derivative jumps from :math:`+L_1` to :math:`-L_1` at :math:`\phi^*_0`: the constant :math:`A'` is reached.

    :math:`\hat f=\phi^2/2`, :math:`\lambda=2`, :math:`\theta=3`, :math:`f'(\phi)=1-\min(|\phi-2|,1)`
    (:math:`L_0=L_1=\hat L_1=1`, :math:`\hat L_2=0`, :math:`\mu=3`, :math:`A'=2/9`); :math:`\phi^*_0=2`.  Eq. (9)'s
    optimality :math:`3\phi+\nu f'(\phi)=6` gives :math:`\phi^*_{\pm\nu}=2\mp\nu/(3+\nu)`, so with
    :math:`\nabla F=\lambda f'(2)/3=2/3`:

    .. math:: \|\nabla F-g^{\rm Sym}_\nu\|=\frac23-\frac{2}{3+\nu}=\frac{2\nu}{3(3+\nu)}=A'\nu\,(1+O(\nu)).

    ``measured=True`` solves the two optimality equations by :func:`scipy.optimize.brentq` instead (an independent
    check of the closed form).  Inside Assumptions 1-3 under the :math:`C^{1,1}` reading of Assumption 2 only
    (:math:`f` has no Hessian at 2).  ``nu`` in (0, 1) (inside :math:`V_0=(-3,3)` and away from the clipping).
    """
    nu = float(nu)
    if not (math.isfinite(nu) and 0 < nu < 1):
        raise ValueError(f"nu must be in (0, 1), got {nu!r}.")
    if not measured:
        return 2.0 * nu / (3.0 * (3.0 + nu))
    from scipy.optimize import brentq

    c = SIGN_FLIP
    mu = c["lam"] + c["Lhat1"]  # fhat'' + lam = 3

    def phi(v: float) -> float:
        return brentq(
            lambda p: mu * p + v * _sign_flip_dtest(p) - c["lam"] * c["theta"], 0.0, 4.0, xtol=1e-15, rtol=1e-15
        )

    g = c["lam"] * (phi(-nu) - phi(nu)) / (2.0 * nu)
    grad = c["lam"] * _sign_flip_dtest(phi(0.0)) / mu
    return abs(grad - g)
