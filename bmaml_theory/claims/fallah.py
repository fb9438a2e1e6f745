r"""Claims of Fallah, Mokhtari & Ozdaglar (one-step MAML), on non-quadratic tasks where rho > 0 matters.

Task functions f_i are the training objectives of :class:`~bmaml_theory.tasks.logistic.LogisticTasks`
(logistic loss plus an indefinite quadratic: L = Lhat1, rho = Lhat2).  One-step MAML:
:math:`F(w)=f(w-\alpha\nabla f(w))`, :math:`\nabla F(w)=(I-\alpha\nabla^2f(w))\nabla f(w-\alpha\nabla f(w))`.
Searches reuse :mod:`bmaml_theory.search` (same encoding, same a-priori tolerance 1e-6).
"""

from __future__ import annotations

import math

import numpy as np

from bmaml_theory import search
from bmaml_theory.claims._core import ClaimResult, Context, claim

SOURCE = "Fallah, Mokhtari & Ozdaglar (2019)"
TOL = 1e-6


def _settings(quick: bool) -> dict:
    return {"starts": 2 if quick else 5, "maxfev": 100 if quick else 250, "seed": 7}


def _sig(v):
    return 1.0 / (1.0 + math.exp(-float(np.clip(v, -50, 50))))


def maml_grad(t, w, alpha):
    """Exact one-step MAML gradient of task 0 at w (n,)."""
    W = w[None]
    g = t.train_grad(W)
    u = W - alpha * g
    gu = t.train_grad(u)
    return (gu - alpha * t.train_hvp(W, gu))[0]


def _result(cid, source, statement, kind, res, evidence, counter_fn):
    status = "holds" if res.worst <= 1 + TOL else "violated"
    return ClaimResult(
        id=cid,
        source=f"{SOURCE}, {source}",
        statement=statement,
        kind=kind,
        status=status,
        stated=1.0,
        measured=res.worst,
        tolerance=TOL,
        evidence={
            "worst_ratio_searched": res.worst,
            "worst_ratio_random_draws": res.worst_random,
            "evaluations": res.evaluations,
            "search": "Nelder-Mead over one logistic task (bmaml_theory.search encoding), seeded starts",
            **evidence,
        },
        counterexample=counter_fn(res.p) if status == "violated" else None,
    )


@claim("fallah-smoothness", group="fallah")
def fallah_smoothness(ctx: Context) -> ClaimResult:
    r"""Lemma: for :math:`\alpha\in[0,1/L]`, :math:`\|\nabla F(w)-\nabla F(u)\|\le(4L+2\rho\alpha\min_{w,u}\|\nabla f(\cdot)\|)\|w-u\|`."""

    def ratio(p):
        t, w = search.decode(p[:12])
        c = t.constants()
        alpha = _sig(p[12]) / c.Lhat1
        d = 10 ** (-4 + 5 * _sig(p[13]))
        u = w + d * np.array([math.cos(p[14]), math.sin(p[14])])
        dG = np.linalg.norm(maml_grad(t, w, alpha) - maml_grad(t, u, alpha))
        gw, gu = (np.linalg.norm(t.train_grad(x[None])) for x in (w, u))
        return dG / ((4 * c.Lhat1 + 2 * c.Lhat2 * alpha * min(gw, gu)) * d)

    s = _settings(ctx.quick)
    res = search.maximize(ratio, 15, starts=s["starts"], seed=s["seed"], maxfev=s["maxfev"])
    return _result(
        "fallah-smoothness",
        "Lemma (smoothness of one-step MAML)",
        "||grad F(w) - grad F(u)|| <= (4L + 2 rho alpha min(||grad f(w)||, ||grad f(u)||))||w - u|| for alpha <= 1/L.",
        "upper_bound",
        res,
        {"alpha": "(0, 1/L) via a sigmoid", "note": "the constant 4L is loose: (1 + alpha L)^2 <= 4 is its origin"},
        lambda p: search.instance_dict(p[:12]) | {"extra": np.asarray(p[12:]).tolist()},
    )


@claim("fallah-hfmaml-error", group="fallah")
def fallah_hfmaml_error(ctx: Context) -> ClaimResult:
    r"""HF-MAML: :math:`\|(\nabla f(w+\delta v)-\nabla f(w-\delta v))/(2\delta)-\nabla^2f(w)v\|\le\rho\delta\|v\|^2`."""

    def ratio(p):
        t, w = search.decode(p[:12])
        c = t.constants()
        v = p[12:14]
        delta = 10 ** (-3 + 3 * _sig(p[14]))
        W, V = w[None], v[None]
        d = (t.train_grad(W + delta * V) - t.train_grad(W - delta * V)) / (2 * delta)
        err = np.linalg.norm(d - t.train_hvp(W, V))
        nv = np.linalg.norm(v)
        if c.Lhat2 * delta * nv**2 < 1e6 * 2.2e-16 * (1 + np.linalg.norm(t.train_grad(W))) / delta:
            return 0.0  # round-off dominates the difference: not a measurement
        return err / (c.Lhat2 * delta * nv**2)

    s = _settings(ctx.quick)
    res = search.maximize(ratio, 15, starts=s["starts"], seed=s["seed"], maxfev=s["maxfev"])
    return _result(
        "fallah-hfmaml-error",
        "Hessian-free MAML (finite-difference Hessian-vector product)",
        "The central-difference Hessian-vector product errs by at most rho delta ||v||^2.",
        "upper_bound",
        res,
        {"tighter": "the integral form of Taylor's theorem gives rho delta ||v||^2 / 2, so ratios stay <= 1/2"},
        lambda p: search.instance_dict(p[:12]) | {"extra": np.asarray(p[12:]).tolist()},
    )


@claim("fallah-fomaml-bias", group="fallah")
def fallah_fomaml_bias(ctx: Context) -> ClaimResult:
    r"""FO-MAML is biased: its direction :math:`\nabla f(w-\alpha\nabla f(w))` misses :math:`\alpha\nabla^2f(w)\nabla f(\cdot)`,
    which does not vanish at stationary points of F.  Measured: at a stationary point w* of one-step MAML
    (Newton-refined), ||g_FO(w*)|| relative to ||grad f|| there; the claim holds when it is bounded away from 0."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(1)
    rows = []
    for _j in range(3 if ctx.quick else 8):
        p = rng.standard_normal(12)
        p[5:7] = 0.0  # the test set is unused here
        p[7:9] = 0.0
        t, w0 = search.decode(p)
        c = t.constants()
        alpha = 0.5 / c.Lhat1

        def F(w, t=t, alpha=alpha):
            W = w[None]
            return float(t._train_parts(W - alpha * t.train_grad(W))[0][0])

        r = minimize(
            F, w0, jac=lambda w, t=t, alpha=alpha: maml_grad(t, w, alpha), method="BFGS", options={"gtol": 1e-12}
        )
        w = r.x
        gF = np.linalg.norm(maml_grad(t, w, alpha))
        W = w[None]
        gfo = np.linalg.norm(t.train_grad(W - alpha * t.train_grad(W)))
        scale = max(np.linalg.norm(t.train_grad(W)), 1e-300)
        rows.append({"grad_F_at_w_star": float(gF), "fo_maml_at_w_star": float(gfo), "relative": float(gfo / scale)})
    rel = [r["relative"] for r in rows if r["grad_F_at_w_star"] < 1e-8]
    status = "inconclusive" if not rel else ("holds" if min(rel) > 1e-6 else "violated")
    return ClaimResult(
        id="fallah-fomaml-bias",
        source=f"{SOURCE}, FO-MAML bias",
        statement="FO-MAML's update direction is biased: it does not vanish at stationary points of the MAML objective.",
        kind="empirical",
        status=status,
        stated="bias > 0 at stationary points",
        measured=min(rel) if rel else None,
        tolerance=1e-6,
        evidence={"instances": rows, "note": "instances where BFGS reached ||grad F|| < 1e-8 are measured"},
        counterexample=None if status != "violated" else rows,
    )
