r"""Section 3 of Chayti & Jaggi on quadratic task families: bias against :math:`\nu` and :math:`\delta` per task.

For every family kind of :mod:`bmaml_theory.tasks.generate` (train = test PSD, indefinite training, train
:math:`\ne` test with both indefinite, :math:`\lambda` at :math:`2\hat L_1` and at :math:`20\hat L_1`, test spectra over
6 decades) and every dimension of the run, :func:`bias_study` sweeps one stencil over a :math:`(\nu,\delta)` grid
(:mod:`bmaml_theory.sweeps`) and fits, per task,

* the order in :math:`\nu` of the bias at exact solutions (eq. 12), on the a-priori window
  :math:`\nu\rho\le10^{-2}` above 100x the round-off estimate;
* the order in :math:`\delta` of the bias at the best :math:`\nu` under adversarial (worst-case) and random
  :math:`\delta`-inexact solutions (eq. 14).

:func:`solver_study` does the same with GD and Nesterov stopped at a certified :math:`\delta` (evidence only: eq. (14)
is a worst-case rate).  :func:`fitted_order` refits ONE task from plain data (the family's generator arguments and
the grid): it is the replay of a rate counterexample.  This module is library code: it never imports the claims.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bmaml_theory import solvers, sweeps
from bmaml_theory._replay import replayable
from bmaml_theory.rates import RateFit
from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil
from bmaml_theory.tasks.generate import KINDS, random_family

__all__ = ["STENCILS", "bias_study", "families", "fitted_order", "settings", "solver_study"]

STENCILS = {"forward": FORWARD, "symmetric": SYMMETRIC}

# Grids (fixed before any fit).  nu: 11 decades below 0.5 r / max|t_k| (r the distance to the nearer end of the
# uniqueness interval), enough for the window nu*rho <= 1e-2 to hold >= 1 decade above the round-off floor in
# every family kind; delta: 1e-1 .. 1e-15, float64's whole useful range, 4 points per decade by default.
NU_DECADES = 11.0
SOLVER_NU_PER_DECADE = 5  # solver runs are ~100x dearer per point; the best nu is only bracketed, not fitted in nu
SEED = 0


def settings(quick: bool) -> dict:
    """Instances and grids of a run (quick: 4 tasks in 2 dimensions, half the grid densities)."""
    return {
        "M": 4 if quick else 16,
        "dims": (3, 8) if quick else (2, 5, 10, 20, 50),
        "kinds": KINDS,
        "nu_decades": NU_DECADES,
        "nu_per_decade": 10 if quick else 20,
        "delta_range": (-1.0, -15.0, 29 if quick else 57),  # log10 of the largest, the smallest; count
        "seed": SEED,
    }


def families(s: dict) -> list[dict]:
    """Every (kind, n) family of settings ``s``: ``{"kind", "n", "M", "seed", "tasks", "theta"}``."""
    out = []
    for kind in s["kinds"]:
        for n in s["dims"]:
            tasks, theta = random_family(kind, s["M"], n, s["seed"])
            out.append({"kind": kind, "n": n, "M": s["M"], "seed": s["seed"], "tasks": tasks, "theta": theta})
    return out


def _stencil(name: str) -> Stencil:
    if name not in STENCILS:
        raise ValueError(f"stencil must be one of {sorted(STENCILS)}, got {name!r}.")
    return STENCILS[name]


def _grids(tasks: Any, theta: Any, st: Stencil, nu_decades: float, nu_per_decade: int, deltas: np.ndarray, j: int):
    nus = sweeps.nu_grid(tasks, st, decades=nu_decades, per_decade=nu_per_decade)
    adv = sweeps.bias_grid(tasks, theta, nus, st, deltas, model="adversarial")
    rnd = sweeps.bias_grid(tasks, theta, nus, st, deltas, model="random", seed=j)
    return adv, sweeps.best_nu(adv), rnd, sweeps.best_nu(rnd)


def bias_study(stencil_name: str, s: dict, progress: Any = None) -> dict:
    r"""Per task: fitted order in :math:`\nu` (exact solutions) and in :math:`\delta` (adversarial, random), all families.

    Returns ``{"rows": [...], "grids": {j: {...}}, "settings": s}``; a row is ``{"kind", "n", "M", "seed", "family",
    "task", "fit_nu", "fit_delta": {"adversarial", "random"}}`` with :class:`~bmaml_theory.rates.RateFit` values.
    """
    st = _stencil(stencil_name)
    deltas = sweeps.delta_grid(s["delta_range"])
    rows, grids = [], {}
    fams = families(s)
    for j, fam in enumerate(fams):
        if progress is not None:
            progress(f"{st.name} sweep {j + 1}/{len(fams)} ({fam['kind']}, n={fam['n']})")
        adv, b_adv, rnd, b_rnd = _grids(fam["tasks"], fam["theta"], st, s["nu_decades"], s["nu_per_decade"], deltas, j)
        grids[j] = {"adversarial": (adv, b_adv), "random": (rnd, b_rnd)}
        for i in range(fam["tasks"].M):
            rows.append(
                {
                    "kind": fam["kind"],
                    "n": fam["n"],
                    "M": fam["M"],
                    "seed": fam["seed"],
                    "family": j,
                    "task": i,
                    "fit_nu": sweeps.fit_nu_order(adv, i),
                    "fit_delta": {
                        "adversarial": sweeps.fit_delta_order(adv, b_adv, i),
                        "random": sweeps.fit_delta_order(rnd, b_rnd, i),
                    },
                }
            )
    return {"rows": rows, "grids": grids, "settings": s, "deltas": deltas}


@replayable
def fitted_order(
    *,
    kind: str,
    M: int,
    n: int,
    seed: int,
    family: int,
    task: int,
    stencil: str,
    which: str,
    nu_decades: float = NU_DECADES,
    nu_per_decade: int,
    delta_range: tuple[float, float, int] | list,
) -> float:
    r"""The fitted order of task ``task`` of ``random_family(kind, M, n, seed)``, exactly as :func:`bias_study` fits it.

    ``which``: ``"nu"`` (eq. 12, exact solutions), ``"delta"`` (eq. 14, adversarial errors) or ``"delta-random"``;
    ``family`` is the family's index in the study (it seeds the random directions).  Returns NaN when the rate is not
    measurable on that task (no asymptotic window).
    """
    if which not in ("nu", "delta", "delta-random"):
        raise ValueError(f"which must be 'nu', 'delta' or 'delta-random', got {which!r}.")
    st = _stencil(stencil)
    tasks, theta = random_family(kind, int(M), int(n), int(seed))
    if not 0 <= int(task) < tasks.M:
        raise ValueError(f"task must index a task of the family, 0 <= task < {tasks.M}, got {task!r}.")
    adv, b_adv, rnd, b_rnd = _grids(
        tasks, theta, st, float(nu_decades), int(nu_per_decade), sweeps.delta_grid(tuple(delta_range)), int(family)
    )
    if which == "nu":
        f = sweeps.fit_nu_order(adv, int(task))
    elif which == "delta":
        f = sweeps.fit_delta_order(adv, b_adv, int(task))
    else:
        f = sweeps.fit_delta_order(rnd, b_rnd, int(task))
    return float(f.order) if f.ok else float("nan")


def solver_study(stencil_name: str, quick: bool, progress: Any = None) -> dict:
    r"""Best-:math:`\nu` bias against certified :math:`\delta` with GD and Nesterov run from :math:`\theta` (4 tasks, n = 5).

    One family per kind (quick: the first two kinds); the best :math:`\nu` must be bracketed by trusted grid points,
    with no :math:`\nu` window (real solvers plateau).  Returns ``{"fits": {"gd": [...], "nesterov": [...]},
    "deltas", "grids"}``.
    """
    st = _stencil(stencil_name)
    deltas = np.logspace(-1, -12, 12 if quick else 23)
    out: dict[str, list] = {"gd": [], "nesterov": []}
    grids = {}
    kinds = KINDS[:2] if quick else KINDS
    for j, kind in enumerate(kinds):
        tasks, theta = random_family(kind, 4, 5, SEED)
        nus = sweeps.nu_grid(tasks, st, decades=NU_DECADES, per_decade=SOLVER_NU_PER_DECADE)
        for solver in (solvers.GDSolver(1.0), solvers.NesterovSolver(1.0)):
            if progress is not None:
                progress(f"{st.name} {solver.name} sweep {j + 1}/{len(kinds)} ({kind})")
            g = sweeps.solver_bias_grid(tasks, theta, nus, st, deltas, solver)
            b = sweeps.best_nu(g)
            grids[(kind, solver.name)] = (g, b)
            for i in range(tasks.M):
                f: RateFit = sweeps.fit_delta_order(g, b, i, asymptotic_nu=False)
                out[solver.name].append({"kind": kind, "task": i, "fit": f})
    return {"fits": out, "deltas": deltas, "grids": grids}
