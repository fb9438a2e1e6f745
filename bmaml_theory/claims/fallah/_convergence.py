r"""Shared machinery of the three convergence theorems of Fallah, Mokhtari & Ozdaglar (MAML, FO-MAML, HF-MAML).

Each theorem says: with the prescribed batch sizes and the step :math:`\beta_k=1/(C\tilde L(w_k))`, for every
eps > 0 the method finds :math:`w_\varepsilon` with :math:`\mathbb E\|\nabla F(w_\varepsilon)\|\le\max\{\text{floor},\varepsilon\}`
after at most :math:`O(1)\Delta\min\{\frac{L+\rho\alpha(\sigma+\varepsilon)}{\varepsilon^2},\text{second}\}` iterations.

**What is measured.**  :math:`w_\varepsilon` is a uniformly random iterate among :math:`w_0..w_{K-1}` (the usual output
of a non-convex stochastic method, and the reading under which "a random variable :math:`w_\varepsilon`" of the note's
definition is meant), so :math:`\mathbb E\|\nabla F(w_\varepsilon)\|` is the mean over i.i.d. runs of
:math:`\frac1K\sum_{k<K}\|\nabla F(w_k)\|` (exact :math:`\nabla F`); its 99% CI comes from
:func:`~bmaml_theory.tasks.stochastic.mc_mean`.  For each eps of a fixed ladder, :math:`K(\varepsilon)` is the first K
whose CI lies wholly below :math:`\max\{\text{floor},\varepsilon\}` (the printed bound), and the implied O(1)
constant is :math:`K(\varepsilon)/(\Delta\min\{\dots\})`.  A K that is not reached within the run's steps is a
failure (fail closed: the claim cannot hold).

**Instances** (:data:`INSTANCES`, fixed before the run, not searched: a convergence run costs ~1 s; the first with
little noise so that the whole eps ladder lies above the floor, the second with M = 8 tasks, alpha at the top of
the theorem's range and more noise, so that MAML's printed floor binds): a shared positive-definite mean
Hessian (F bounded below, Assumption 1; sigma uniform and exact, Assumption 4), no Hessian noise (sigma~ uniform
and exact, Assumption 5), c > 0 (rho > 0, needed by HF-MAML's delta), tasks spread by their linear terms, a
starting point far from the minimiser.  With one shared mean Hessian FO-MAML's first-order bias vanishes at its
fixed points (the tasks' Hessians agree), so FO-MAML's floor term in :math:`20\alpha^2L^2\sigma^2` is not exercised
here (``fallah-fomaml-bias`` checks that bias with task-dependent Hessians).  :math:`\Delta=F(w_0)-\min F`
with :math:`\min F` the best of BFGS runs from several starts: an upper bound on the true minimum, so Delta is
never over-estimated and the implied constant never under-estimated.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize

from bmaml_theory.studies.fallah import simulate
from bmaml_theory.tasks.stochastic import FallahConstants, StochasticTasks, batch_sizes, mc_mean, step_constant

LEVEL = 0.99  # the 99% CI of E||grad F(w_eps)||, fixed before the run
EPS_LADDER = (2**-0.5, 2**-1.0, 2**-1.5, 2**-2.0)  # eps / ||grad F(w_0)||: 4 points for runners.big_o's growth fit
ALPHA_MAX = {"maml": 1.0, "fo_maml": 0.1, "hf_maml": 1 / 6}  # the theorems' alpha ranges in units of 1/L
B_TASKS = 20  # B >= 20 in every theorem: the smallest admissible


def reference_constant(method: str) -> float:
    r"""The reference O(1) constant :math:`\frac{4C}{0.8(1-3.125/(1.6C))}`, C of :func:`step_constant`.

    Heuristic derivation, not a proof (small-gradient regime, :math:`L(w)\le4(L+\rho\alpha(\sigma+\varepsilon))`, and
    :math:`\mathbb E\|g\|^2\approx\|\nabla F\|^2`, i.e. the noise and bias terms neglected): the Corollary gives
    :math:`\mathbb E F(w_{k+1})\le F(w_k)-\mathbb E[\beta_k]\|\nabla F\|^2+\frac{L(w_k)}2\mathbb E[\beta_k^2]\mathbb E\|g_k\|^2`,
    the step-size lemma :math:`\mathbb E\beta\ge0.8/(CL(w))`, :math:`\mathbb E\beta^2\le3.125/(CL(w))^2`; with
    :math:`\mathbb E\|g\|^2\approx\|\nabla F\|^2` the decrease is at least
    :math:`0.8(1-3.125/(1.6C))\|\nabla F\|^2/(CL(w))`, so :math:`K\varepsilon^2\le\frac{C}{0.8(1-3.125/(1.6C))}L(w)\Delta`.
    MAML 71.7, FO-MAML 101, HF-MAML 135.6.  It is a reference for ``holds``, not the paper's (unprinted) constant:
    a larger implied constant without unbounded growth reads inconclusive (:func:`runners.big_o`)."""
    C = step_constant(method)
    return 4 * C / (0.8 * (1 - 3.125 / (1.6 * C)))


def floor(method: str, k: FallahConstants, alpha: float, B: int, D_in: int, D_o: int) -> float:
    r"""The printed accuracy floor (the max{...} without eps).  FO-MAML as intended: the note's
    :math:`\sigma^2/(BD_o)` in the first entry and :math:`\sigma^2/D_{in}` in the second read :math:`\tilde\sigma^2`
    (as in the other two theorems and in the same theorem's other entry)."""
    L, rho, s, st = k.L, k.rho, k.sigma, k.sigma_tilde
    if method == "fo_maml":
        V = s**2 * (1 / B + 20 * alpha**2 * L**2) + st**2 / (B * D_o) + st**2 / D_in
        return max(math.sqrt(14 * (1 + rho * alpha / L * s) * V), 14 * rho * alpha / L * V)
    V = s**2 / B + st**2 / (B * D_o) + st**2 / D_in
    if method == "maml":
        return max(math.sqrt(61 * (1 + rho * alpha / L * s) * V), 61 * rho * alpha / L * V)
    if method == "hf_maml":
        return max(6 * math.sqrt((1 + rho * alpha / L * s) * V), 36 * rho * alpha / L * V)
    raise ValueError(f"method must be 'maml', 'fo_maml' or 'hf_maml', got {method!r}.")


def rate(method: str, k: FallahConstants, alpha: float, eps: float, B: int, D_in: int, D_o: int) -> float:
    r""":math:`\min\{\frac{L+\rho\alpha(\sigma+\varepsilon)}{\varepsilon^2},\text{second}\}` (without Delta); FO-MAML's
    second term as intended: :math:`L/(\sigma^2(1/B+20\alpha^2L^2))+L(BD_o+D_{in})/\tilde\sigma^2` (printed
    :math:`20\sigma^2L^2`, a slip for the :math:`20\alpha^2L^2` of its floor)."""
    L, rho, s, st = k.L, k.rho, k.sigma, k.sigma_tilde
    first = (L + rho * alpha * (s + eps)) / eps**2
    if method == "fo_maml":
        a = L / (s**2 * (1 / B + 20 * alpha**2 * L**2)) if s > 0 else math.inf
    else:
        a = L * B / s**2 if s > 0 else math.inf
    b = L * (B * D_o + D_in) / st**2 if st > 0 else math.inf
    return min(first, a + b)


# (seed, M, n, alpha in units of the theorem's alpha_max/L, c, sg, spread of b, D_in, D_o): fixed before the run
INSTANCES = [
    {"seed": 1, "M": 4, "n": 3, "alpha_frac": 0.5, "c": 0.5, "sg": 0.05, "spread": 0.02, "D_in": 4, "D_o": 4},
    {"seed": 2, "M": 8, "n": 2, "alpha_frac": 1.0, "c": 1.0, "sg": 0.2, "spread": 0.1, "D_in": 8, "D_o": 2},
]
RUNS = {"default": 24, "quick": 12}  # the CIs are already narrow (half-width ~1e-4 of the mean at 32 runs)
# enough steps for every eps of the ladder on these instances; fixed before the claims ran
STEPS = {"default": 2400, "quick": 1000}
SIM_SEED = 4242


def build(inst: dict[str, Any]) -> tuple[StochasticTasks, np.ndarray]:
    """The instance's tasks and starting point: A = Q diag(U[1, 2]) Q^T shared, b_i = b + spread N(0, I), w0 = 4 u."""
    g = np.random.default_rng(int(inst["seed"]))
    n, M = int(inst["n"]), int(inst["M"])
    Q, _ = np.linalg.qr(g.standard_normal((n, n)))
    A = (Q * g.uniform(1.0, 2.0, n)) @ Q.T
    A = (A + A.T) / 2
    b0 = g.standard_normal(n)
    b = b0 + float(inst["spread"]) * g.standard_normal((M, n))
    t = StochasticTasks(np.broadcast_to(A, (M, n, n)).copy(), b, c=float(inst["c"]), sg=float(inst["sg"]))
    u = g.standard_normal(n)
    return t, 4 * u / np.linalg.norm(u)


def min_F(t: StochasticTasks, alpha: float, w0: np.ndarray) -> float:
    """Best value of BFGS on F (exact gradient) from w0, 0 and the mean task's minimiser of the quadratic part."""
    starts = [w0, np.zeros(t.n), -np.linalg.solve(t.A[0], t.p @ t.b)]
    best = math.inf
    for s in starts:
        r = optimize.minimize(
            lambda x: t.F(x, alpha),
            s,
            jac=lambda x: t.grad_F(x, alpha),
            method="BFGS",
            options={"gtol": 1e-12, "maxiter": 2000},
        )
        best = min(best, float(r.fun))
    return best


def study(method: str, inst: dict[str, Any], runs: int, steps: int, seed: int = SIM_SEED) -> dict[str, Any]:
    """Run the method on the instance and measure K(eps) and the implied constant for each eps of the ladder."""
    t, w0 = build(inst)
    k = t.constants()
    alpha = float(inst["alpha_frac"]) * ALPHA_MAX[method] / k.L
    sizes = batch_sizes(method, alpha, k)
    B, D_in, D_o = max(B_TASKS, sizes["B"]), int(inst["D_in"]), int(inst["D_o"])
    G = simulate(
        t,
        method,
        w0,
        alpha,
        steps=steps,
        runs=runs,
        B=B,
        D_in=D_in,
        D_o=D_o,
        D_h=sizes["D_h"],
        B_prime=sizes["B_prime"],
        D_beta=sizes["D_beta"],
        seed=seed,
    )
    # per run: (1/K) sum_{k<K} ||grad F(w_k)||, K = 1..steps+1; CI across runs for every K
    X = np.cumsum(G, axis=0) / np.arange(1, G.shape[0] + 1)[:, None]
    est = mc_mean(X.T, LEVEL)
    high = np.asarray(est.high)
    g0 = float(G[0, 0])
    Delta = t.F(w0, alpha) - min_F(t, alpha, w0)
    fl = floor(method, k, alpha, B, D_in, D_o)
    rows = []
    for frac in EPS_LADDER:
        eps = frac * g0
        target = max(fl, eps)
        hit = np.nonzero(high <= target)[0]
        K = int(hit[0]) + 1 if hit.size else None
        denom = Delta * rate(method, k, alpha, eps, B, D_in, D_o)
        rows.append(
            {
                "eps": eps,
                "bound": target,
                "K": K,
                "E_grad_norm_at_K": float(np.asarray(est.mean)[K - 1]) if K else None,
                "ci_high_at_K": float(high[K - 1]) if K else None,
                "implied_constant": K / denom if K else None,
            }
        )
    return {
        "instance": inst,
        "alpha": alpha,
        "alpha_times_L": alpha * k.L,
        "constants": k._asdict(),
        "batch": {"B": B, "D_in": D_in, "D_o": D_o, **{x: sizes[x] for x in ("D_h", "B_prime", "D_beta")}},
        "grad_F_w0": g0,
        "Delta": Delta,
        "floor": fl,
        "eps_rows": rows,
        "final_E_grad_norm": float(np.asarray(est.mean)[-1]),
        "last_iterate_E_grad_norm": float(G[-1].mean()),
    }


def implied_constant(method: str, inst: dict, eps_index: int, runs: int, steps: int, seed: int = SIM_SEED) -> float:
    """K(eps)/(Delta min{...}) for the ladder's ``eps_index``-th eps (the replay of a measurement); NaN if not reached."""
    v = study(method, inst, runs, steps, seed)["eps_rows"][eps_index]["implied_constant"]
    return math.nan if v is None else float(v)


def decide(ctx, st, method: str):
    """Run every instance, hand the implied constants to runners.big_o (growth in 1/eps on the worst instance)."""
    from bmaml_theory.claims import runners
    from bmaml_theory.claims._core import Measurement, Replay

    size = "quick" if ctx.quick else "default"
    runs, steps = RUNS[size], STEPS[size]
    insts = INSTANCES[:1] if ctx.quick else INSTANCES
    ms, failures, examples, studies, families = [], 0, [], [], []
    for inst in insts:
        ctx.progress(f"{st.id} {inst}")
        s = study(method, inst, runs, steps)
        studies.append(s)
        fam = []
        for j, row in enumerate(s["eps_rows"]):
            kw = {"method": method, "inst": inst, "eps_index": j, "runs": runs, "steps": steps}
            if row["implied_constant"] is None:
                failures += 1
                examples.append(f"eps = {row['eps']:.3g} not reached within {steps} steps at {inst}")
                continue
            m = Measurement(
                row["implied_constant"],
                {"method": method, **inst, "eps": row["eps"]},
                Replay("bmaml_theory.claims.fallah._convergence:implied_constant", kw),
            )
            ms.append(m)
            fam.append((s["grad_F_w0"] / row["eps"], m))
        families.append(fam)
    worst_fam = max(families, key=lambda f: max((m.value for _, m in f), default=-math.inf)) if families else []
    return runners.big_o(
        ctx,
        st,
        ms,
        growth=worst_fam,
        growth_parameter="||grad F(w_0)||/eps",
        failures=failures,
        failure_examples=examples,
        evidence={
            "studies": studies,
            "reference_constant": reference_constant(method),
            "runs": runs,
            "steps": steps,
            "ci_level": LEVEL,
            "closest": "the instance and eps of evidence.worst_instance (largest implied constant)",
        },
    )
