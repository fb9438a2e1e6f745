r"""The studies behind Figure 1 and Table 1 of Chayti & Jaggi (Section 5, Appendix B): plain settings in, plain results out.

**Figure 1** (:func:`left`, :func:`right`).  The paper gives none of kappa, lam, n or the inner learning rate (the
caption names them; Appendix B gives only the task form).  Our settings: Appendix B's tasks
:math:`f_i=\hat f_i=\frac12\theta^\top A_i\theta+b_i^\top\theta`, :math:`A_i` PSD with eigenvalues log-uniform in
:math:`[1/\kappa,1]` (Haar basis), M = 10 tasks, n = 20, :math:`\theta_0\sim N(0,I)`, seed 0, GD as the inner
solver of every method (Section 5) with step ``lr_factor / (Lhat1 + lam)``, in four regimes.  The caption: "kappa
is kappa^ the condition number of the problem; it has been chosen big to assimilate a difficult problem. lambda is
the regularization parameter": kappa and lambda are separate settings.  For convex :math:`\hat f_i`,
:math:`\hat\kappa=\hat L_1/\mu` with :math:`\mu=\lambda+\lambda_{\min}\approx\lambda`, big exactly when
:math:`\lambda\ll\hat L_1`, so the caption's regime lies outside :math:`\lambda\ge2\hat L_1` (which Section 5
never requires; Table 1 too varies :math:`\hat\kappa=1/\lambda` up to 1e4):

* ``big-kappa-10`` and ``big-kappa-100`` (the caption's regime; they decide): lam = Lhat1 / kappa^ with
  kappa^ in {10, 100} (``lam_factor`` 0.1, 0.01), eigenvalue spread 1e4, lr = 1/(Lhat1 + lam) (the largest safe GD
  step), ``QuadraticTasks(strict=False)`` since lam < 2 Lhat1;
* ``assumption``: lam = 2 Lhat1, eigenvalue spread 1e2, lr = 1/(Lhat1 + lam): kappa^ <= 1/2, not the caption's
  regime (evidence);
* ``slow-inner``: lam = 2 Lhat1, eigenvalue spread 1e4, lr = 0.05/(Lhat1 + lam): kappa^ <= 1/2 too; the inner
  problem is slow only through a small inner learning rate (q = 1 - lr mu ~ 0.967 per step, K in [1, 200] spans the
  whole transition), a regime the caption does not describe (evidence).

``Regime.spread`` is the spread of each A_i's eigenvalues, never called kappa; it bounds cond(A_i), one of the
three candidate readings of kappa in docs/notation.md.

FO-B-MAML uses :math:`\nu_K=\delta_K^{1/2}` (forward) and :math:`\delta_K^{1/3}` (symmetric) as eq. (14)
prescribes, :math:`\delta_K=q^K\|\nabla h(\theta)\|/\mu` the GD certificate after K steps, clipped to
:math:`[10^{-7},\ \mu/(2L_1)]`.  Outer loop (right panel): GD for T iterations at K = 20 inner steps, the outer
learning rate tuned per method on {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 1.9}/L_F (L_F = ||grad^2 F||; the
grid reaches two decades below 0.1/L_F, where a probe at small lam found rates tuned to the old lowest value), the
best by iterations to
F - F* <= 1e-6 (F(theta_0) - F*), then by final suboptimality.

**Table 1** (:func:`table1`).  The table's rows are complexity statements "when using Nesterov's AGD as the inner
optimizer and M = 1"; its kappa is :math:`\hat\kappa=\hat L_1/\mu` (Section 4.3).  Under lam >= 2 Lhat1,
:math:`\hat\kappa\le1`, so kappa can only be varied over decades below that threshold (Assumption 3 alone,
mu = lam + lambda_min(A) > 0): one task, n = 20, A with eigenvalues spread over [0, 1] (0 and 1 included, so
Lhat1 = 1 and mu = lam exactly), lam = 1/kappa.  Every method runs Nesterov's AGD exactly as
:class:`bmaml_theory.solvers.NesterovSolver` (constant momentum, step 1/L, certificate ||grad h||/mu <= delta, from theta):

* FO-MAML: one solve, then grad f at the certified point;
* FO-B-MAML (forward): the nu- and 0-problems, nu = min(sqrt(delta), mu/(2 L1)) (eq. (14)'s nu ~ sqrt(delta),
  kept inside Assumption 3's interval; rows where the clip binds are marked ``nu_clipped``);
* MAML: one solve storing the gradient points y_k, then reverse mode through the AGD recursion (one HVP per step);
* iMAML: one solve, then CG on eq. (8) until the residual is <= delta (``|v - v*| <= |r|`` since I + A/lam >= I).

delta is relative: the certified distance is delta * ||phi*(theta) - theta|| (the log(1/delta) of the table needs a
dimensionless delta; the unit is a constant of the instance).  Compute = gradient calls + HVPs; memory = the peak
number of n-vectors a method holds at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bmaml_theory import baselines
from bmaml_theory.stencils import FORWARD, SYMMETRIC
from bmaml_theory.tasks.generate import random_symmetric
from bmaml_theory.tasks.quadratic import QuadraticTasks

__all__ = [
    "CG_STEPS",
    "K_GRID",
    "METHODS",
    "REGIMES",
    "Regime",
    "agd_meta_gradients",
    "left",
    "problem",
    "right",
    "table1",
    "table1_problem",
]


@dataclass(frozen=True)
class Regime:
    """lam = lam_factor * Lhat1; eigenvalues of A_i log-uniform in [1/spread, 1]; inner lr = lr_factor/(Lhat1 + lam).

    ``strict``: whether the tasks enforce lam >= 2 Lhat1 (:class:`~bmaml_theory.tasks.quadratic.QuadraticTasks`).
    """

    lam_factor: float
    spread: float
    lr_factor: float
    strict: bool = True


REGIMES = {
    "big-kappa-10": Regime(0.1, 1e4, 1.0, strict=False),
    "big-kappa-100": Regime(0.01, 1e4, 1.0, strict=False),
    "assumption": Regime(2.0, 1e2, 1.0),
    "slow-inner": Regime(2.0, 1e4, 0.05),
}
M_TASKS, N_DIM = 10, 20
CG_STEPS = (2, 5, 10)
K_GRID = (1, 2, 5, 10, 20, 50, 100, 200)
NU_MIN = 1e-7  # below this the forward difference is round-off (eps / nu ~ 1e-9)
METHODS = (
    "FO-B-MAML forward",
    "FO-B-MAML symmetric",
    "MAML",
    *(f"iMAML cg={c}" for c in CG_STEPS),
    "FO-MAML",
    "Reptile",
)
OUTER_LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 1.9)  # in units of 1/L_F
OUTER_TARGET = 1e-6  # F - F* <= 1e-6 (F(theta_0) - F*)


def problem(regime: str, seed: int = 0) -> tuple[QuadraticTasks, np.ndarray, float]:
    """(tasks, theta_0, inner lr) of a Figure 1 regime (Appendix B's quadratic tasks)."""
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {sorted(REGIMES)}, got {regime!r}")
    r = REGIMES[regime]
    rng = np.random.default_rng([seed, N_DIM, M_TASKS])
    A = random_symmetric(rng, 10.0 ** rng.uniform(-math.log10(r.spread), 0, (M_TASKS, N_DIM)))
    b = rng.standard_normal((M_TASKS, N_DIM))
    Lhat1 = float(np.abs(np.linalg.eigvalsh(A)).max())
    tasks = QuadraticTasks(A, b, r.lam_factor * Lhat1, strict=r.strict)
    theta = rng.standard_normal(N_DIM)
    return tasks, theta, r.lr_factor / (Lhat1 + tasks.lam)


def _delta_K(tasks: QuadraticTasks, theta: np.ndarray, lr: float, K: int) -> float:
    """GD certificate after K steps: q^K max_i ||grad h_i(theta)|| / mu, q = 1 - lr mu."""
    c = tasks.constants()
    g0 = tasks.train_grad(np.broadcast_to(theta, (tasks.M, tasks.n)))
    return float((1 - lr * c.mu) ** K * np.linalg.norm(g0, axis=-1).max() / c.mu)


def oracles(tasks: QuadraticTasks, lr: float, K: int) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Method name -> estimate(theta) of the meta-gradient with K inner GD steps."""
    c = tasks.constants()
    nmax = 0.5 * c.mu / c.L1

    def fob(st, power):
        def f(th):
            nu = min(nmax, max(_delta_K(tasks, th, lr, K) ** power, NU_MIN))
            return baselines.fo_bmaml(tasks, th, K, lr, nu, st)

        return f

    out = {
        "FO-B-MAML forward": fob(FORWARD, 0.5),
        "FO-B-MAML symmetric": fob(SYMMETRIC, 1 / 3),
        "MAML": lambda th: baselines.maml(tasks, th, K, lr),
    }
    for cg in CG_STEPS:
        out[f"iMAML cg={cg}"] = lambda th, cg=cg: baselines.imaml(tasks, th, K, lr, cg)
    out["FO-MAML"] = lambda th: baselines.fo_maml(tasks, th, K, lr)
    out["Reptile"] = lambda th: baselines.reptile(tasks, th, K, lr)
    return out


def left(regime: str, Ks: Sequence[int] = K_GRID) -> dict:
    """Relative meta-gradient error ||g - grad F|| / ||grad F|| of every method at theta_0, per K.

    Also iMAML at K - 4 cg inner steps (the paper's compute-matched comparison, ``imaml_shifted``).
    """
    tasks, theta, lr = problem(regime)
    G = tasks.meta_gradient(theta)
    nG = float(np.linalg.norm(G))

    def err(name: str, K: int) -> float:
        return float(np.linalg.norm(oracles(tasks, lr, K)[name](theta) - G) / nG)

    errors = {name: [err(name, K) for K in Ks] for name in METHODS}
    shifted = {
        f"iMAML cg={cg}": [err(f"iMAML cg={cg}", K - 4 * cg) if K - 4 * cg >= 1 else math.nan for K in Ks]
        for cg in CG_STEPS
    }
    r = REGIMES[regime]
    return {
        "K": list(Ks),
        "errors": errors,
        "imaml_shifted": shifted,
        "deltas": [_delta_K(tasks, theta, lr, K) for K in Ks],
        "settings": {
            "lam": tasks.lam,
            "Lhat1": tasks.constants().Lhat1,
            "spread": r.spread,
            "kappa_hat": tasks.constants().Lhat1 / tasks.constants().mu,
            "inner_lr": lr,
            "lr_factor": r.lr_factor,
            "lam_factor": r.lam_factor,
            "n": N_DIM,
            "M": M_TASKS,
            "inner_cond": tasks.cond_S,
        },
    }


def right(regime: str, T: int = 100, K: int = 20) -> dict:
    """Outer GD for T iterations with every method's estimate at K inner steps, outer lr tuned per method.

    Returns per method the suboptimality curve F(theta_t) - F* (None if every lr diverged), the chosen lr (in units
    of 1/L_F), the iterations to F - F* <= OUTER_TARGET (F(theta_0) - F*) (inf if never) and the final value.
    """
    tasks, theta0, lr = problem(regime)
    H = tasks.meta_hessian(theta0)
    LF = float(np.linalg.eigvalsh(H)[-1])
    theta_star = theta0 - np.linalg.solve(H, tasks.meta_gradient(theta0))
    Fstar = tasks.meta_objective(theta_star)
    curves, chosen, iters, final = {}, {}, {}, {}
    for name, f in oracles(tasks, lr, K).items():
        if name in AFFINE:
            f = affine_oracle(f, theta0)
        best = None
        for c in OUTER_LRS:
            th, sub = theta0.copy(), []
            try:
                with np.errstate(over="raise", invalid="raise"):
                    for _ in range(T + 1):
                        sub.append(tasks.meta_objective(th) - Fstar)
                        th = th - c / LF * f(th)
            except FloatingPointError:  # this outer lr diverged: not a candidate
                continue
            key = (_iters_to(sub, OUTER_TARGET * sub[0]), sub[-1])
            if best is None or key < best[0]:
                best = (key, c, sub)
        if best is None:
            curves[name], chosen[name], iters[name], final[name] = None, None, math.inf, math.inf
        else:
            (iters[name], final[name]), chosen[name], curves[name] = best[0], best[1], best[2]
    return {
        "curves": curves,
        "lr_over_1_LF": chosen,
        "iterations": iters,
        "final": final,
        "T": T,
        "K": K,
        "LF": LF,
        "initial": float(tasks.meta_objective(theta0) - Fstar),
    }


AFFINE = ("MAML", "FO-MAML", "Reptile")  # iMAML is not: a fixed number of CG steps is nonlinear in its right side


def affine_oracle(f: Callable[[np.ndarray], np.ndarray], theta0: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    r"""The same estimate as ``f`` for an estimator that is affine in theta (on quadratic tasks with fixed K and lr:
    MAML, FO-MAML, Reptile; not iMAML, whose truncated CG is nonlinear, nor FO-B-MAML, whose nu depends on theta): :math:`g(\theta)=g(\theta_0)+J(\theta-\theta_0)`
    with J's columns :math:`g(\theta_0+e_j)-g(\theta_0)` (exact for an affine map up to round-off), so the outer loop
    costs a matrix-vector product per step."""
    g0 = f(theta0)
    J = np.stack([f(theta0 + e) - g0 for e in np.eye(theta0.size)], axis=1)
    return lambda th: g0 + J @ (th - theta0)


def _iters_to(curve: Sequence[float], level: float) -> float:
    """First outer iteration with F - F* <= level (inf if never)."""
    for k, v in enumerate(curve):
        if v <= level:
            return k
    return math.inf


# ---------------------------------------------------------------------------------------------------- Table 1
TABLE1_KAPPAS = (1e1, 1e2, 1e3, 1e4)
TABLE1_DELTAS = tuple(10.0**-k for k in range(2, 13))  # relative: delta / ||phi*(theta) - theta||
TABLE1_N = 20
TABLE1_METHODS = ("MAML", "iMAML", "FO-MAML", "FO-B-MAML")
AGD_VECTORS = 5  # x, x_prev, y, grad, theta
NU_CLIP = 0.5  # nu <= mu/(2 L1): inside Assumption 3's interval |nu| < mu/L1 with a factor 2 of room


def table1_problem(kappa: float, n: int = TABLE1_N, seed: int = 0) -> tuple[QuadraticTasks, np.ndarray]:
    """One quadratic task (f = fhat), eigenvalues of A spread over [0, 1] with 0 and 1 included, lam = 1/kappa,
    so Lhat1 = 1, mu = lam and kappa_hat = Lhat1/mu = kappa exactly."""
    if not (kappa >= 1 and math.isfinite(kappa)):
        raise ValueError(f"kappa must be finite and >= 1, got {kappa!r}")
    rng = np.random.default_rng([seed, n])
    eigs = np.concatenate([[0.0, 1.0], rng.uniform(0, 1, n - 2)])
    A = random_symmetric(rng, eigs[None])
    b = rng.standard_normal((1, n))
    return QuadraticTasks(A, b, 1.0 / kappa, strict=False), rng.standard_normal(n)


def _agd(
    grad_h: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    L: float,
    mu: float,
    deltas: Sequence[float],
    store: bool,
) -> tuple[dict, list[np.ndarray]]:
    """Nesterov's AGD exactly as :class:`bmaml_theory.solvers.NesterovSolver`; for each delta (decreasing) the index k of
    the first gradient point y_k with ||grad h(y_k)||/mu <= delta and y_k itself; the y's if ``store``."""
    beta = (math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)
    x_prev = y = theta.copy()
    ys, hit, todo = [], {}, sorted(deltas, reverse=True)
    for k in range(10**6):
        g = grad_h(y)
        if store:
            ys.append(y)
        cert = float(np.linalg.norm(g)) / mu
        while todo and cert <= todo[0]:
            hit[todo.pop(0)] = (k, y.copy())
        if not todo:
            return hit, ys
        x = y - g / L
        y = x + beta * (x - x_prev)
        x_prev = x
    raise RuntimeError("AGD did not certify every delta within 1e6 iterations")  # pragma: no cover


def agd_meta_gradients(
    kappa: float, deltas: Sequence[float] = TABLE1_DELTAS, n: int = TABLE1_N, seed: int = 0
) -> list[dict]:
    """One row per (method, delta) at kappa: grads, hvps, peak vectors, compute, and the bias ||g - grad F||/||grad F||."""
    tasks, theta = table1_problem(kappa, n, seed)
    lam, A = tasks.lam, tasks.A_train[0]
    c = tasks.constants()
    G = tasks.meta_gradient(theta)
    nG = float(np.linalg.norm(G))
    fhat = lambda phi: A @ phi + tasks.b_train[0]  # noqa: E731  (f = fhat: Appendix B)
    L0, mu0 = lam + c.Lhat1, c.mu
    D0 = float(np.linalg.norm(tasks.inner_solution(theta)[0] - theta))  # the unit of delta
    absd = {d: d * D0 for d in deltas}
    hit0, ys = _agd(lambda phi: fhat(phi) + lam * (phi - theta), theta, L0, mu0, list(absd.values()), store=True)
    rows = []
    for d in deltas:
        K, phi = hit0[absd[d]]
        base = K + 1  # gradient evaluations of the solve, the certified one included
        # FO-MAML: grad f at the certified point
        rows.append(_row("FO-MAML", kappa, d, base + 1, 0, AGD_VECTORS, fhat(phi), G, nG))
        # iMAML: CG on (I + A/lam) v = grad f(phi) to relative residual <= delta
        b = fhat(phi)
        v, r = np.zeros(n), b.copy()
        p, rs, hv = r.copy(), float(r @ r), 0
        while math.sqrt(rs) > d * float(np.linalg.norm(b)):
            Ap = p + A @ p / lam
            hv += 1
            a = rs / float(p @ Ap)
            v, r = v + a * p, r - a * Ap
            rs_new = float(r @ r)
            p, rs = r + rs_new / rs * p, rs_new
        rows.append(_row("iMAML", kappa, d, base + 1, hv, AGD_VECTORS + 4, v, G, nG))
        # MAML: reverse mode through y_{k+1} = (1+beta) x_{k+1} - beta x_k, x_{k+1} = y_k - (grad fhat(y_k) + lam(y_k - theta))/L
        beta = (math.sqrt(L0 / mu0) - 1) / (math.sqrt(L0 / mu0) + 1)
        ybar = fhat(phi)  # adjoint of y_K: grad f(y_K)
        xbar = np.zeros((K + 1, n))
        tbar = np.zeros(n)
        for k in range(K - 1, -1, -1):
            xbar[k + 1] += (1 + beta) * ybar
            xbar[k] -= beta * ybar
            ybar = xbar[k + 1] - (A @ xbar[k + 1] + lam * xbar[k + 1]) / L0  # one HVP
            tbar += lam / L0 * xbar[k + 1]
        tbar += xbar[0] + ybar
        rows.append(_row("MAML", kappa, d, base + 1, K, len(ys[: K + 1]) + 4, tbar, G, nG))
        # FO-B-MAML forward: the nu-problem (2 gradient calls per step: fhat and f) and the 0-problem
        nu = min(math.sqrt(d), NU_CLIP * c.mu / c.L1)
        Ln, mun = float(tasks.L_nu(nu)[0]), float(tasks.mu_nu(nu)[0])
        hitn, _ = _agd(
            lambda phi, nu=nu: (1 + nu) * fhat(phi) + lam * (phi - theta), theta, Ln, mun, [absd[d]], store=False
        )
        Kn, phin = hitn[absd[d]]
        g = -lam * (phin - phi) / nu
        rows.append(
            _row(
                "FO-B-MAML",
                kappa,
                d,
                2 * (Kn + 1) + base,
                0,
                AGD_VECTORS + 2,
                g,
                G,
                nG,
                nu=nu,
                nu_clipped=bool(nu < math.sqrt(d)),
            )
        )
    return rows


def _row(method, kappa, delta, grads, hvps, peak, g, G, nG, **extra) -> dict:
    return {
        "method": method,
        "kappa": kappa,
        "delta": delta,
        "grads": int(grads),
        "hvps": int(hvps),
        "compute": int(grads + hvps),
        "peak_vectors": int(peak),
        "bias": float(np.linalg.norm(np.asarray(g) - G) / nG),
        **extra,
    }


def table1(
    kappas: Sequence[float] = TABLE1_KAPPAS, deltas: Sequence[float] = TABLE1_DELTAS, n: int = TABLE1_N, seed: int = 0
) -> list[dict]:
    """All rows of :func:`agd_meta_gradients` over the kappa grid."""
    return [row for k in kappas for row in agd_meta_gradients(k, deltas, n, seed)]
