r"""Rates at arbitrary precision (mpmath): eq. (14) and Table 1's order-n stencils over tens of decades of delta.

Instances: task 0 of a family of every kind of :mod:`bmaml_theory.tasks.generate` (train != test, indefinite
training, large lam, ill-conditioned test) in the dimensions of the run, converted exactly to mpmath
(:class:`bmaml_theory.precision.MPQuadraticTask`).  Per instance and stencil order n:

* the worst-case (adversarial) bias at the best nu against delta, and its fitted order on the a-priori window
  (best nu bracketed, nu rho max|t_k| <= 1e-2, bias > 100x the round-off estimate, >= ``MIN_DECADES`` decades);
* the exact-solution bias against nu over ``NU_DECADES`` decades, and its fitted order;
* float64's view of the same rate (the sweep of :mod:`bmaml_theory.sweeps`), to record how much float64 can show.

Two working precisions per instance, each from :func:`bmaml_theory.precision.dps_for`: the delta study resolves the
smallest delta; the nu study resolves nu_min^(n_max+1) (the order-n_max bias at the smallest nu).
:func:`delta_order` and :func:`nu_order` refit one instance from plain data: the replays of a rate counterexample.
This module is library code: it never imports the claims.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory import precision, sweeps
from bmaml_theory._replay import replayable
from bmaml_theory.stencils import stencil
from bmaml_theory.tasks.generate import KINDS, random_family

__all__ = ["ORDERS", "delta_order", "instances", "nu_order", "order_study", "settings"]

ORDERS = (1, 2, 3, 4, 5, 6)
MIN_DECADES = 20.0  # the fitted window must span >= 20 decades of delta (what float64 can never give)
NU_DECADES = 20.0
M_FAMILY = 2  # task 0 of a 2-task family: the family only fixes lam and the uniqueness interval
SEED = 0


def settings(quick: bool) -> dict:
    r"""Instances and grids of a run.

    delta: one point every 4 decades from 1e-4 down to 1e-84 (default) or 1e-44 (quick).  The window must span
    >= 20 decades; at 1e-4 .. 1e-164 every window began at 1e-4 .. 1e-8 and spanned 148 .. 160 decades, with slopes
    within 1e-6 of n/(n+1), so 80 (quick: 40) decades keep every criterion (>= 20 decades, >= 5 points, the 0.01
    tolerance) with a wide margin at a fraction of the digits (cost grows with the digits carried).
    """
    return {
        "dims": (3,) if quick else (3, 6),
        "kinds": KINDS,
        "delta_range": (-4.0, -44.0, 11) if quick else (-4.0, -84.0, 21),  # log10 largest, smallest; count
        "nu_decades": NU_DECADES,
        "seed": SEED,
    }


def _tasks(kind: str, n: int, seed: int, delta_range: Any) -> dict:
    tasks, theta = random_family(kind, M_FAMILY, int(n), int(seed))
    deltas = sweeps.delta_grid(delta_range)
    probe = precision.MPQuadraticTask(tasks, 0, theta, dps=30)
    nu_min = probe.nu_max(stencil(max(ORDERS))) * 10.0 ** (-NU_DECADES)
    dps_delta = precision.dps_for(float(deltas.min()))
    dps_nu = precision.dps_for(max(nu_min ** (max(ORDERS) + 1), 1e-300))
    return {
        "tasks": tasks,
        "theta": theta,
        "mp_delta": precision.MPQuadraticTask(tasks, 0, theta, dps=dps_delta),
        "mp_nu": precision.MPQuadraticTask(tasks, 0, theta, dps=dps_nu),
    }


def instances(s: dict) -> list[dict]:
    """``{"kind", "n", "seed", "tasks", "theta", "mp_delta", "mp_nu"}`` for every (kind, n) of settings ``s``."""
    return [
        {"kind": k, "n": n, "seed": s["seed"], **_tasks(k, n, s["seed"], s["delta_range"])}
        for k in s["kinds"]
        for n in s["dims"]
    ]


def _float64(tasks: Any, theta: Any, order: int) -> dict:
    """The same adversarial best-nu fit in float64 on the same task (how much float64 can show)."""
    st = stencil(order)
    nus = sweeps.nu_grid(tasks, st, decades=11.0, per_decade=10)
    g = sweeps.bias_grid(tasks, theta, nus, st, np.logspace(-1, -15, 29), model="adversarial")
    f = sweeps.fit_delta_order(g, sweeps.best_nu(g), 0)
    return {"ok": f.ok, "order": f.order, "decades": round(f.decades, 2), "reason": f.reason}


def order_study(order: int, insts: list[dict], s: dict, progress: Any = None) -> dict:
    """For every instance: best-nu bias vs delta and exact bias vs nu at high precision, and float64's view."""
    st = stencil(order)
    deltas = sweeps.delta_grid(s["delta_range"])
    rows = []
    for j, inst in enumerate(insts):
        if progress is not None:
            progress(f"mpmath order {order}: instance {j + 1}/{len(insts)} ({inst['kind']}, n={inst['n']})")
        d = precision.delta_study(inst["mp_delta"], st, deltas, min_decades=MIN_DECADES)
        v = precision.nu_study(inst["mp_nu"], st, decades=s["nu_decades"])
        rows.append(
            {
                "kind": inst["kind"],
                "n": inst["n"],
                "seed": inst["seed"],
                "dps_delta": inst["mp_delta"].dps,
                "dps_nu": inst["mp_nu"].dps,
                "delta": d,
                "nu": v,
                "f64": _float64(inst["tasks"], inst["theta"], order),
            }
        )
    return {"order": order, "rows": rows, "deltas": deltas, "stencil": st}


@replayable
def delta_order(*, kind: str, n: int, seed: int, order: int, delta_range: Any) -> float:
    """Replay: the fitted order in delta of instance (kind, n, seed) for the order-``order`` stencil (NaN: no window)."""
    t = _tasks(kind, n, seed, delta_range)
    f = precision.delta_study(
        t["mp_delta"], stencil(int(order)), sweeps.delta_grid(delta_range), min_decades=MIN_DECADES
    ).fit
    return float(f.order) if f.ok else float("nan")


def nu_order(*, kind: str, n: int, seed: int, order: int, delta_range: Any) -> float:
    """Replay: the fitted order in nu of the exact-solution bias of instance (kind, n, seed) (NaN: no window)."""
    t = _tasks(kind, n, seed, delta_range)
    f = precision.nu_study(t["mp_nu"], stencil(int(order)), decades=NU_DECADES).fit
    return float(f.order) if f.ok else float("nan")


def best_nu_exponent(d: precision.DeltaStudy) -> tuple[float, float] | None:
    r"""Fitted exponent (and its standard error) of the best :math:`\nu` in :math:`\delta`, over the points of the bias
    fit's window (``d.fit.mask``: bracketed, asymptotic, above round-off); None when the bias fit has no window.

    Eq. (14)'s scalings: the worst-case bias :math:`a\nu^p+\lambda\|w\|_1\delta/\nu` is least at
    :math:`\nu^*=(\lambda\|w\|_1\delta/(pa))^{1/(p+1)}`: exponent 1/2 for the forward stencil (p = 1), 1/3 for the
    symmetric one (p = 2), 1/(n+1) for an order-n stencil."""
    from bmaml_theory.rates import fit_power_law

    if not d.fit.ok:
        return None
    mask = np.asarray(d.fit.mask, dtype=bool)
    f = fit_power_law(np.asarray(d.deltas, dtype=float)[mask], np.asarray(d.nu, dtype=float)[mask])
    return float(f.exponent), float(f.stderr)


@replayable
def nu_exponent(*, kind: str, n: int, seed: int, order: int, delta_range: Any) -> float:
    """Replay: the fitted exponent of the best nu in delta of instance (kind, n, seed), order-``order`` stencil (NaN:
    no window)."""
    t = _tasks(kind, n, seed, delta_range)
    r = best_nu_exponent(
        precision.delta_study(
            t["mp_delta"], stencil(int(order)), sweeps.delta_grid(delta_range), min_decades=MIN_DECADES
        )
    )
    return float("nan") if r is None else r[0]
