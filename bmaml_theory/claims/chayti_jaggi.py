r"""Claims of Chayti & Jaggi, Section 3: Proposition 1 and eqs. (10)-(14).

Each check runs over every family kind of :mod:`bmaml_theory.tasks.generate` (train = test PSD,
indefinite training, train != test with both indefinite, lam at 2 Lhat1 and at 20 Lhat1, test
spectra over 6 decades) and treats each task as one instance, because the paper states these
results per task.  Tolerances are fixed here, before any fit, with their reasons.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bmaml_theory import solvers, sweeps
from bmaml_theory.claims._core import ClaimResult, Context, claim, rate_status
from bmaml_theory.inexact import Adversarial, RandomDirection
from bmaml_theory.stencils import FORWARD, SYMMETRIC, Stencil
from bmaml_theory.tasks.generate import KINDS, random_family

SOURCE = "Chayti & Jaggi"
EPS = float(np.finfo(np.float64).eps)

# --- tolerances, decided before any fit -------------------------------------------------------
# Rate windows (sweeps.ASYMPTOTIC_NU_RHO, sweeps.FLOOR_FACTOR) keep nu * rho <= 1e-2, where the next
# term of the nu-expansion moves the local slope by about 1e-2, and drop points within 100x of the
# a-priori round-off estimate (moving the slope by < 1e-2 more).  0.05 covers both with margin and
# still separates every pair of rates in question (1/2, 2/3, 1, 2) by > 3 tolerances.
RATE_TOL = 0.05


def _grid_settings(quick: bool) -> dict:
    return {
        "M": 4 if quick else 16,
        "dims": (3, 8) if quick else (2, 5, 10, 20, 50),
        "nu_decades": 11.0,
        "nu_per_decade": 10 if quick else 20,
        "deltas": np.logspace(-1, -15, 29 if quick else 57),
        "seed": 0,
    }


def families(ctx: Context) -> list[tuple[str, int, Any, np.ndarray]]:
    """(kind, n, tasks, theta) for every kind and dimension of this run (cached)."""

    def make():
        s = _grid_settings(ctx.quick)
        return [(k, n, *random_family(k, s["M"], n, s["seed"])) for k in KINDS for n in s["dims"]]

    return ctx.cached("families", make)


def instance(tasks: Any, i: int, theta: Any) -> dict:
    """Task i of a family as plain lists: a small instance that reproduces a counterexample."""
    from bmaml_theory._backend import to_numpy

    return {
        "A_train": to_numpy(tasks.A_train[i]).tolist(),
        "b_train": to_numpy(tasks.b_train[i]).tolist(),
        "A_test": to_numpy(tasks.A_test[i]).tolist(),
        "b_test": to_numpy(tasks.b_test[i]).tolist(),
        "lam": tasks.lam,
        "theta": np.asarray(theta).tolist(),
    }


def bias_study(ctx: Context, st: Stencil) -> dict:
    """Exact-solution bias vs nu and adversarial/random best-nu bias vs delta, every instance."""

    def run():
        s = _grid_settings(ctx.quick)
        rows, grids = [], {}
        fams = families(ctx)
        for j, (kind, n, tasks, theta) in enumerate(fams):
            ctx.progress(f"{st.name} sweep {j + 1}/{len(fams)} ({kind}, n={n})")
            nus = sweeps.nu_grid(tasks, st, decades=s["nu_decades"], per_decade=s["nu_per_decade"])
            adv = sweeps.bias_grid(tasks, theta, nus, st, s["deltas"], model="adversarial")
            rnd = sweeps.bias_grid(tasks, theta, nus, st, s["deltas"], model="random", seed=j)
            b_adv, b_rnd = sweeps.best_nu(adv), sweeps.best_nu(rnd)
            grids[j] = {"adversarial": (adv, b_adv), "random": (rnd, b_rnd)}
            for i in range(tasks.M):
                fit_nu = sweeps.fit_nu_order(adv, i)
                fits_d = {
                    "adversarial": sweeps.fit_delta_order(adv, b_adv, i),
                    "random": sweeps.fit_delta_order(rnd, b_rnd, i),
                }
                rows.append(
                    {
                        "kind": kind,
                        "n": n,
                        "task": i,
                        "family": j,
                        "fit_nu": fit_nu,
                        "fit_delta": fits_d,
                    }
                )
        return {"rows": rows, "settings": s, "grids": grids}

    return ctx.cached(f"study-{st.name}", run)


def solver_study(ctx: Context, st: Stencil) -> dict:
    """Best-nu bias vs certified delta with GD and Nesterov run from theta (a family per kind)."""

    def run():
        s = _grid_settings(ctx.quick)
        deltas = np.logspace(-1, -12, 12 if ctx.quick else 23)
        out: dict[str, list] = {"gd": [], "nesterov": []}
        grids = {}
        kinds = KINDS[:2] if ctx.quick else KINDS
        for j, kind in enumerate(kinds):
            tasks, theta = random_family(kind, 4, 5, s["seed"])
            nus = sweeps.nu_grid(tasks, st, decades=s["nu_decades"], per_decade=5)
            for solver in (solvers.GDSolver(1.0), solvers.NesterovSolver(1.0)):
                ctx.progress(f"{st.name} {solver.name} sweep {j + 1}/{len(kinds)} ({kind})")
                g = sweeps.solver_bias_grid(tasks, theta, nus, st, deltas, solver)
                b = sweeps.best_nu(g)
                grids[(kind, solver.name)] = (g, b)
                for i in range(tasks.M):
                    # the best nu must be bracketed by trusted points; no nu window: real solvers plateau
                    f = sweeps.fit_delta_order(g, b, i, asymptotic_nu=False)
                    out[solver.name].append({"kind": kind, "task": i, "fit": f})
        return {"fits": out, "deltas": deltas, "grids": grids}

    return ctx.cached(f"solver-study-{st.name}", run)


def _summary(slopes: list[float]) -> dict:
    if not slopes:
        return {"count": 0}
    a = np.asarray(slopes)
    return {
        "count": len(a),
        "min": float(a.min()),
        "median": float(np.median(a)),
        "max": float(a.max()),
    }


def _rate_claim(ctx, cid, st, stated, statement, which, figure) -> ClaimResult:
    study = bias_study(ctx, st)
    rows = study["rows"]
    fits = [r["fit_nu"] if which == "nu" else r["fit_delta"]["adversarial"] for r in rows]
    ok_rows = [(r, f) for r, f in zip(rows, fits, strict=True) if f.ok]
    slopes = [f.order for _, f in ok_rows]
    status, worst, k = rate_status(slopes, stated, RATE_TOL)
    fams = families(ctx)
    evidence: dict = {
        "instances": len(rows),
        "measured_instances": len(ok_rows),
        "not_measurable": [
            {"kind": r["kind"], "n": r["n"], "task": r["task"], "reason": f.reason}
            for r, f in zip(rows, fits, strict=True)
            if not f.ok
        ][:10],
        "slopes": _summary(slopes),
        "tolerance_reason": (
            "fixed before the fit: window nu*rho <= 1e-2 (next expansion term moves the slope ~1e-2) and "
            "error > 100x the a-priori round-off estimate; 0.05 covers both and separates 1/2, 2/3, 1, 2"
        ),
        "kinds": list(KINDS),
        "dims": list(study["settings"]["dims"]),
        "tasks_per_family": study["settings"]["M"],
        "nu_grid": f"{study['settings']['nu_decades']} decades below 0.5*r/max|t_k| at "
        f"{study['settings']['nu_per_decade']} per decade",
    }
    if k is not None:
        r, f = ok_rows[k]
        evidence["worst_instance"] = {
            "kind": r["kind"],
            "n": r["n"],
            "task": r["task"],
            **f.as_dict(),
        }
    if which == "delta":
        s = study["settings"]
        evidence["delta_grid"] = [float(s["deltas"][0]), float(s["deltas"][-1]), len(s["deltas"])]
        rnd = [r["fit_delta"]["random"].order for r in rows if r["fit_delta"]["random"].ok]
        evidence["random_direction_slopes"] = _summary(rnd)
        sol = solver_study(ctx, st)
        for name, lst in sol["fits"].items():
            sl = [e["fit"].order for e in lst if e["fit"].ok]
            evidence[f"{name}_slopes"] = _summary(sl)
            evidence[f"{name}_windows"] = [e["fit"].window for e in lst if e["fit"].ok][:3]
        evidence["why_solvers_differ"] = (
            "Solvers started from the same theta make errors e_nu and e_0 that depend smoothly on nu, so "
            "e_nu - e_0 = O(nu*delta) and the worst-case lam*delta/nu term largely cancels: the bias at the best "
            "nu falls faster than the worst case (slopes between 1/2 and about 1, a staircase because a certified "
            "solver's iterate only changes when delta crosses its certificate); eq. (14) is a worst-case rate, "
            "attained by the adversarial errors."
        )
    counter = None
    if status == "violated":
        r, _ = ok_rows[k]
        _, _, tasks, theta = fams[r["family"]]
        counter = instance(tasks, r["task"], theta)
    return ClaimResult(
        id=cid,
        source=f"{SOURCE}, {'eq. (12)' if which == 'nu' else 'eq. (14)'}",
        statement=statement,
        kind="rate",
        status=status,
        stated=stated,
        measured=worst,
        tolerance=RATE_TOL,
        evidence=evidence,
        counterexample=counter,
        figure=figure,
    )


class RateClaim(NamedTuple):
    id: str
    stencil: Stencil
    stated: float
    which: str  # "nu": eq. (12) at exact solutions; "delta": eq. (14) at the best nu
    figure: str
    statement: str


RATE_CLAIMS = (
    RateClaim(
        "eq12-forward",
        FORWARD,
        1.0,
        "nu",
        "bias_vs_nu.png",
        "At exact inner solutions the forward estimator (10) has bias O(lam*nu): observed order 1 in nu.",
    ),
    RateClaim(
        "eq12-symmetric",
        SYMMETRIC,
        2.0,
        "nu",
        "bias_vs_nu.png",
        "At exact inner solutions the symmetric estimator (11) has bias O(lam*nu^2): observed order 2 in nu.",
    ),
    RateClaim(
        "eq14-forward",
        FORWARD,
        0.5,
        "delta",
        "bias_vs_delta.png",
        "With delta-inexact solutions (13) and the best nu (~ sqrt(delta)), the forward estimator has bias "
        "O(lam*sqrt(delta)): observed order 1/2 in delta under the worst-case (adversarial) errors.",
    ),
    RateClaim(
        "eq14-symmetric",
        SYMMETRIC,
        2.0 / 3.0,
        "delta",
        "bias_vs_delta.png",
        "With delta-inexact solutions (13) and the best nu (~ delta^(1/3)), the symmetric estimator has bias "
        "O(lam*delta^(2/3)): observed order 2/3 in delta under the worst-case (adversarial) errors.",
    ),
)


def _register(rc: RateClaim) -> None:
    def check(ctx: Context) -> ClaimResult:
        return _rate_claim(ctx, rc.id, rc.stencil, rc.stated, rc.statement, rc.which, rc.figure)

    check.__name__ = rc.id.replace("-", "_")
    check.__doc__ = f"{rc.id}: {rc.statement}"
    claim(rc.id, figure=rc.figure)(check)


for _rc in RATE_CLAIMS:
    _register(_rc)


@claim("prop1")
def prop1(ctx: Context) -> ClaimResult:
    r"""Proposition 1: :math:`\nabla F_i(\theta)=-\lambda\,d\phi^*_{i,\nu}/d\nu|_{\nu=0}`.

    The derivative is taken by the complex step on dense complex solves of eq. (9) (no cancellation,
    independent of the eigenbasis code) and compared with eq. (7) by a dense real solve and with the
    library's eigenbasis meta-gradient.  Includes strict=False families (lam = 0.1 Lhat1, convex
    training), since Proposition 1 needs only that grad F_i exists.
    """
    from bmaml_theory._backend import to_numpy

    fams = list(families(ctx))
    for n in (3, 6):
        t, th = random_family("same-psd", 4, n, 1, strict=True)
        Ah = to_numpy(t.A_train)
        Lh = float(np.max(np.abs(np.linalg.eigvalsh(Ah))))
        from bmaml_theory.tasks.quadratic import QuadraticTasks

        t2 = QuadraticTasks(Ah, to_numpy(t.b_train), 0.1 * Lh, strict=False)
        fams.append(("same-psd-small-lam", n, t2, th))
    h = 1e-30
    worst, worst_at, cond_max, n_max, count = 0.0, None, 1.0, 1, 0
    for j, (kind, n, tasks, theta) in enumerate(fams):
        Ah, A = to_numpy(tasks.A_train), to_numpy(tasks.A_test)
        bh, b = to_numpy(tasks.b_train), to_numpy(tasks.b_test)
        lam = tasks.lam
        lib = to_numpy(tasks.meta_gradient(theta, per_task=True))
        cond_max, n_max = max(cond_max, tasks.cond_S), max(n_max, n)
        for i in range(tasks.M):
            S = Ah[i] + lam * np.eye(n)
            phi_c = np.linalg.solve(S + 1j * h * A[i], (lam * theta - bh[i]) - 1j * h * b[i])
            g_cs = -lam * phi_c.imag / h
            phi0 = np.linalg.solve(S, lam * theta - bh[i])
            g7 = np.linalg.solve(np.eye(n) + Ah[i] / lam, A[i] @ phi0 + b[i])
            mu = float(np.linalg.eigvalsh(S)[0])
            scale = lam * (np.linalg.norm(A[i], 2) * np.linalg.norm(phi0) + np.linalg.norm(b[i])) / mu
            err = max(np.linalg.norm(g_cs - g7), np.linalg.norm(g_cs - lib[i])) / scale
            count += 1
            if err > worst:
                worst, worst_at = err, (j, i, kind, n)
    tol = 100 * n_max * EPS * cond_max
    status = "holds" if worst <= tol else "violated"
    counter = None
    if status == "violated":
        _, _, tasks, theta = fams[worst_at[0]]
        counter = instance(tasks, worst_at[1], theta)
    return ClaimResult(
        id="prop1",
        source=f"{SOURCE}, Proposition 1",
        kind="identity",
        status=status,
        statement="grad F_i(theta) = -lam * d phi*_{i,nu}(theta)/d nu at nu = 0.",
        stated=0.0,
        measured=worst,
        tolerance=tol,
        counterexample=counter,
        evidence={
            "instances": count,
            "method": "complex step (h=1e-30) on dense complex solves of eq. (9) vs eq. (7) by dense solve and vs "
            "the eigenbasis meta_gradient; error relative to lam(||A|| ||phi0|| + ||b||)/mu",
            "tolerance_reason": "backward-stable dense solves: 100 * n_max * eps * cond(lam I + Ahat), fixed a priori",
            "worst_instance": {"kind": worst_at[2], "n": worst_at[3], "task": worst_at[1]} if worst_at else None,
            "includes": "strict=False families with lam = 0.1 Lhat1 (Proposition 1 does not need lam >= 2 Lhat1)",
        },
    )


@claim("inexact-term")
def inexact_term(ctx: Context) -> ClaimResult:
    r"""Section 3: with :math:`\|\tilde\phi-\phi^*\|\le\delta`, the estimate moves by at most :math:`2\lambda\delta/\nu`
    (forward); the symmetric counterpart is :math:`\lambda\delta/\nu`.  Both are attained (tight)."""
    fams = families(ctx)
    pick = [f for f in fams if f[1] == fams[0][1]] if ctx.quick else fams  # quick: the smallest n only
    nus_rel = (1e-1, 1e-3)
    deltas = (1e-2, 1e-4, 1e-6)
    worst = {"forward": 0.0, "symmetric": 0.0}
    by_source: dict[str, float] = {}
    eq23 = 0.0
    eq23_at = None
    count = 0
    from bmaml_theory import estimators

    for j, (kind, n, tasks, theta) in enumerate(pick):
        ctx.progress(f"inexact-term {j + 1}/{len(pick)} ({kind}, n={n})")
        r = min(-tasks.nu_interval()[0], tasks.nu_interval()[1])
        r = 1.0 if not np.isfinite(r) else r
        for st in (FORWARD, SYMMETRIC):
            for nr in nus_rel:
                nu = nr * r
                g0 = estimators.estimate(tasks, theta, nu, st).per_task
                for d in deltas:
                    sources = [
                        Adversarial(d),
                        Adversarial(d, align="mean"),
                        RandomDirection(d, seed=j),
                        solvers.GDSolver(d),
                        solvers.NesterovSolver(d),
                        solvers.CGSolver(d),
                    ]
                    for src in sources:
                        g = estimators.estimate(tasks, theta, nu, st, inner=src).per_task
                        dev = np.linalg.norm(np.asarray(g - g0), axis=-1)
                        ratio = float(np.max(dev / (tasks.lam * st.w_l1 * d / nu)))
                        count += tasks.M
                        worst[st.name] = max(worst[st.name], ratio)
                        key = type(src).__name__ + (f"[{src.align}]" if isinstance(src, Adversarial) else "")
                        by_source[key] = max(by_source.get(key, 0.0), ratio)
                        if st is FORWARD and isinstance(src, Adversarial):
                            r23 = float(np.max(dev / (2 * d / nu)))
                            if r23 > eq23:
                                eq23, eq23_at = r23, (j, int(np.argmax(dev)))
    measured = max(worst.values())
    # the ratio's numerator is a difference of two estimates, each off by ~ lam*eps*||phi||/nu; over
    # lam*delta/nu with delta >= 1e-6 and ||phi|| <~ 1e2 that is < 1e-7 relative: tolerance 1e-6.
    tol = 1e-6
    status = "holds" if measured <= 1 + tol else "violated"
    counter = None
    return ClaimResult(
        id="inexact-term",
        source=f"{SOURCE}, Section 3 (after eq. (13))",
        kind="upper_bound",
        status=status,
        statement="If ||phi~ - phi*|| <= delta for each solve, the forward estimate moves by at most "
        "2*lam*delta/nu (the symmetric one by lam*delta/nu).",
        stated="2*lam*delta/nu (forward); lam*delta/nu (symmetric)",
        measured=measured,
        tolerance=tol,
        counterexample=counter,
        evidence={
            "worst_ratio": worst,
            "worst_ratio_by_source": by_source,
            "instances": count,
            "nu": "1e-1 and 1e-3 times the distance to the nearer end of the uniqueness interval",
            "deltas": list(deltas),
            "tight": "yes: the adversarial errors e_k = sign(w_k) delta u attain the bound (ratio 1)",
            "symmetric_note": "the paper's 2*lam*delta/nu also bounds the symmetric estimator, with ratio <= 1/2",
            "eq23_as_printed": {
                "statement": "Appendix A.2 eq. (23) writes the inexact term as 2*delta/nu (no lam)",
                "worst_ratio_actual_over_2delta_over_nu": eq23,
                "verdict": "violated whenever lam > 1 (ratio = lam at the adversarial errors); see docs/errata.md",
                "instance": (
                    instance(pick[eq23_at[0]][2], eq23_at[1], pick[eq23_at[0]][3]) if eq23_at and eq23 > 1 else None
                ),
            },
        },
    )
