r"""Section 6's extension, eq. (16): the meta-gradient with respect to :math:`\theta`, :math:`\theta_d` and
:math:`\lambda` is the :math:`\nu`-derivative of :math:`\partial_{\mathbf h}g` at the perturbed solution.

**As printed** (Chayti & Jaggi, Section 6, Extension): "we can assume the following general inner problem
:math:`\phi_i^*(\mathbf h:=\{\theta,\theta_d,\lambda\})=\arg\min_\phi[g(\phi,\mathbf h):=\hat f_i(\theta_d,\phi)+
\lambda\mathcal Reg(\phi;\theta)]` (15), where :math:`\theta_d` can denote other shared parameters like a common
decoder.  To get the perturbed problem, we simply add the term :math:`\nu f(\phi)` to the function g.  Then we can
prove that: :math:`\nabla F_i(\mathbf h)=\frac{d\,\partial_{\mathbf h}g(\phi^*_{i,\nu}(\mathbf h),\mathbf h)}{d\nu}\big|_{\nu=0}`
(16) and use finite differences to approximate the derivative in (16)."

**Standing assumptions.** Those of Section 3 carried over: (15) and its perturbation have unique, differentiable
solutions near :math:`\nu=0` (strong convexity of g in :math:`\phi`), :math:`F_i(\mathbf h)=f_i(\phi^*_i(\mathbf h))`.
Checked on the family of :mod:`bmaml_theory.studies.section6`, where all three meta-gradients are exact in closed
form: quadratic :math:`\hat f_i` (indefinite allowed) coupled to a decoder :math:`\theta_d` through
:math:`\phi^\top C_i\theta_d`, a diagonally weighted regulariser :math:`\frac12(\phi-\theta)^\top W(\phi-\theta)`,
:math:`\lambda\ge2\hat L_1/\min w` (so :math:`g` is strongly convex in :math:`\phi`), quadratic tests; n in [2, 10],
dim :math:`\theta_d` in [1, 4], M in [1, 4], scales over three decades; a seeded sample of instances.

**What is measured and why.**  Eq. (16) is an identity about a derivative; the real finite differences the paper
suggests approximate it with a truncation error :math:`O(\nu^p)`, so they cannot test an identity to round-off.  The
derivative is taken from perturbed solutions by a *complex step*: the perturbed problem solved at
:math:`\nu=i\epsilon`, :math:`\psi'(0)=\mathrm{Im}\,\partial_{\mathbf h}g(\phi^*_{i\epsilon})/\epsilon`, whose truncation
(:math:`(\epsilon\rho)^2\approx10^{-40}`) is nil and whose round-off is that of one linear solve (no subtraction).  It is
compared with the closed-form meta-gradients (the chain rule on :math:`\phi^*(\mathbf h)`, derived in the study and
cross-checked by central differences of :math:`F` in the tests).  ``measured`` is the largest error over instances,
tasks and the three blocks, in units of its a-priori round-off scale :math:`\varepsilon\,\mathrm{cond}(H)\,S` with S the
product of the norms the block's formula multiplies (:func:`bmaml_theory.studies.section6.scales`).  The real
forward and symmetric stencils' errors (fitted orders 1 and 2 in :math:`\nu`) are reported in the evidence.

**Tolerance** 1e3 units, fixed a priori from the round-off analysis: a backward-stable solve in dimension n <= 10 and
the products that follow (<= 10 terms each) give errors of ~n x (a few) units; 1e3 leaves a margin of 10 over
10 x 10.  A wrong identity (a sign, a factor, a missing term) is off by a relative O(1), ~1e15 units; the symmetric
stencil at :math:`\nu\rho=10^{-4}` would be ~1e8 units off.
"""

from __future__ import annotations

import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.rates import fit_power_law
from bmaml_theory.stencils import FORWARD, SYMMETRIC
from bmaml_theory.studies import section6 as s6

EPS = float(np.finfo(np.float64).eps)
BLOCKS = ("theta", "theta_d", "lam")
INSTANCES = {"default": 300, "quick": 60}  # seeded sample size, from the budget (~3 ms each), not from any outcome
FD_INSTANCES = 20  # instances whose real-stencil errors are fitted for the evidence
FD_NU_RHO = (1e-1, 1e-2, 1e-3)  # nu rho for the real stencils' fit (truncation >> round-off on all three)
ROUNDOFF_UNITS_TOL = 1e3

STATEMENT = Statement(
    id="sec6-eq16",
    source="Chayti & Jaggi, Section 6 (General Discussion, Extension), eqs. (15)-(16)",
    statement="phi_i^*(h := {theta, theta_d, lam}) = argmin_phi [g(phi, h) := fhat_i(theta_d, phi) + lam Reg(phi; "
    "theta)] (15) ... To get the perturbed problem, we simply add the term nu f(phi) to the function g. Then we can "
    "prove that: grad F_i(h) = d(partial_h g(phi*_{i,nu}(h), h))/dnu at nu = 0 (16) and use finite differences to "
    "approximate the derivative in (16).",
    form="eq. (16) as an identity for all three blocks (theta, theta_d, lam), the nu-derivative taken from perturbed "
    "solutions by a complex step (no truncation), against closed-form meta-gradients",
    assumptions="(15) strongly convex in phi with unique perturbed solutions near nu = 0; family of "
    "bmaml_theory.studies.section6 (quadratic fhat_i with decoder coupling phi^T C_i theta_d, regulariser "
    "(phi - theta)^T W (phi - theta)/2 with diagonal W, lam >= 2 Lhat1/min w, quadratic f_i; n in [2, 10], "
    "dim theta_d in [1, 4], M in [1, 4])",
    kind="identity",
    measure="max over instances, tasks and blocks of ||eq. (16) by complex step - closed-form grad F_i|| / (eps "
    "cond(H) S_block), S_block the product of the norms the block multiplies (round-off units)",
    threshold=Threshold(0.0, "within"),
    tolerance=Tolerance(
        ROUNDOFF_UNITS_TOL,
        "fixed a priori from round-off analysis: a backward-stable solve in n <= 10 and products of <= 10 terms "
        "give ~n x (a few) units; a wrong identity is ~1e15 units off",
    ),
    group="cj-memory-bias",
)


def _units(inst: s6.Sec6Instance) -> dict[str, float]:
    ex, cs, sc = s6.exact_meta_gradient(inst), s6.eq16_complex_step(inst), s6.scales(inst)
    M = inst.A.shape[0]
    out = {}
    for b in BLOCKS:
        e = np.linalg.norm(np.reshape(cs[b] - ex[b], (M, -1)), axis=-1)
        out[b] = float(np.max(e / (EPS * sc["cond"] * np.maximum(sc[b], np.finfo(float).tiny))))
    return out


@replayable
def error_units(seed: int, index: int) -> float:
    """Replay: the largest block error of instance ``index`` (base ``seed``) in round-off units."""
    return max(_units(s6.instance(seed, index)).values())


def fd_orders(seed: int, index: int) -> dict[str, float]:
    """Fitted order in nu of the real forward and symmetric stencils' largest error (evidence)."""
    inst = s6.instance(seed, index)
    ex, rho = s6.exact_meta_gradient(inst), s6.scales(inst)["rho"]
    out = {}
    for name, st in (("forward", FORWARD), ("symmetric", SYMMETRIC)):
        nus = [t / max(rho, 1e-12) for t in FD_NU_RHO]
        errs = []
        for nu in nus:
            fd = s6.eq16_finite_difference(inst, nu, st)
            errs.append(max(float(np.max(np.abs(fd[b] - ex[b]))) for b in BLOCKS))
        out[name] = fit_power_law(nus[::-1], errs[::-1]).exponent if min(errs) > 0 else float("nan")
    return out


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Every instance of the seeded sample: the complex-step derivative of (16) against the closed form."""
    N = INSTANCES["quick" if ctx.quick else "default"]
    ms, failures, examples, per_block = [], 0, [], {b: 0.0 for b in BLOCKS}
    for k in range(N):
        if k % 50 == 0:
            ctx.check_time()
        try:
            inst = s6.instance(ctx.seed, k)
            u = _units(inst)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
            failures += 1
            examples.append(f"instance {k}: {type(exc).__name__}: {exc}")
            continue
        for b in BLOCKS:
            per_block[b] = max(per_block[b], u[b])
        desc = {"seed": ctx.seed, "index": k, "n": inst.theta.size, "p": inst.theta_d.size, "M": inst.A.shape[0]}
        ms.append(Measurement(max(u.values()), desc, Replay(f"{__name__}:error_units", {"seed": ctx.seed, "index": k})))
    fd = [fd_orders(ctx.seed, k) for k in range(min(FD_INSTANCES, N))]
    closest = sorted(ms, key=lambda m: -m.value)[:3]
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=failures,
        failure_examples=examples,
        evidence={
            "instances": N,
            "worst_units_per_block": per_block,
            "closest_instances": [{"units": m.value, **m.instance} for m in closest],
            "finite_differences": {
                "note": "the paper's real stencils at nu rho in {1e-1, 1e-2, 1e-3}: fitted order of the largest error "
                "(1 forward, 2 symmetric expected): they converge to (16)'s derivative at their truncation rate",
                "forward_orders": [min(r["forward"] for r in fd), max(r["forward"] for r in fd)] if fd else None,
                "symmetric_orders": [min(r["symmetric"] for r in fd), max(r["symmetric"] for r in fd)] if fd else None,
            },
        },
    )
