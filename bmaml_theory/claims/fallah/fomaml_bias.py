r"""Fallah, Mokhtari & Ozdaglar: FO-MAML does not converge to stationary points of the MAML objective in general.

**As printed** (the reading note on arXiv 1908.10400): "They concluded that MAML converge, however, its first
order approximation doesn't in general cases unless some condition applies."  The FO-MAML theorem of the note
makes the condition explicit: its accuracy floor contains sigma^2 (1/B + 20 alpha^2 L^2), which does not vanish
with the batch size B when the tasks differ (sigma > 0, Assumption 4).  The mechanism is the dropped term:
FO-MAML's direction g_FO(w) = E_i grad f_i(w - alpha grad f_i(w)) differs from grad F(w) by
alpha E_i grad^2 f_i(w) grad f_i(w - alpha grad f_i(w)).

**What is checked**: at stationary points w* of F (exact gradients, all M tasks: B = M, no sampling noise), the
FO-MAML direction does not vanish.  With one task the statement is void: g_FO(w) = (I - alpha H(w))^{-1} grad F(w)
and I - alpha H is invertible for alpha < 1/L, so g_FO(w*) = 0 exactly (the old check measured only this case and
divided round-off by round-off); the check therefore uses M >= 2 tasks with different Hessians.

**Standing assumptions** (the note's Assumptions 1-4, deterministic gradients): F bounded below, f_i
L-smooth with rho-Lipschitz Hessian, bounded gradient variance sigma^2.  The class: n-dimensional tasks
f_i(w) = 1/2 w^T A w + b_i^T w + sum_j s_ij softplus(w_j), A symmetric with eigenvalues in [1, 2], b_i, s_ij in
[-1, 1] and [-2, 2]: grad f_i - grad f = (b_i - b) + (s_i - s) * sigmoid(w) is bounded (Assumption 4 holds with
finite sigma), softplus''' is bounded (rho finite), F is bounded below (A >= I dominates).  alpha = 1/(10 L) (the
FO-MAML theorem's range) and alpha = 1/L (the MAML theorem's range), L = 2 + max|s|/4.

**Certified stationary points**: Newton's method on grad F with its exact Hessian (softplus' third derivative is
diagonal), from w = -A^{-1} mean(b_i), until ||grad F|| stops decreasing; then grad F(w*) and g_FO(w*) are
re-evaluated in 40-digit arithmetic (mpmath).  An instance is certified when ||grad F(w*)|| <= CERT times the task
gradient scale mean_i ||grad f_i(0)|| (an uncertified instance is a failure: the claim cannot hold).

**Measured**: the smallest, over certified instances, of ||g_FO(w*)|| / mean_i ||grad f_i(0)|| (dimensionless);
the statement holds when it is >= 1e-6, i.e. at least 1e6 times the certificate CERT = 1e-12: a direction that
vanished at stationary points would be of the certificate's size there, as it is with one task (evidence:
``one_task_control``).  Tolerance 0: the margin of 1e6 over the certificate is already in the threshold.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim

CERT = 1e-12  # a certified stationary point: ||grad F|| <= CERT * mean_i ||grad f_i|| in 40-digit arithmetic
MARGIN = 1e6  # the FO-MAML direction must exceed the certificate by this factor to count as not vanishing
MP_DIGITS = 40
NEWTON_MAX = 50
# (seed, M, n, alpha_factor): alpha = alpha_factor / L.  Quick runs the same instances (they cost ~0.1 s).
INSTANCES = [
    (s, M, n, af) for s, (M, n) in enumerate([(2, 2), (3, 3), (5, 4), (2, 5), (4, 2), (3, 6)]) for af in (0.1, 1.0)
]
ONE_TASK = [(100 + s, 1, n, 0.1) for s, n in enumerate((2, 3, 4))]

STATEMENT = Statement(
    id="fallah-fomaml-bias",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), FO-MAML (reading note: Results and FO-MAML theorem)",
    statement="They concluded that MAML converge, however, its first order approximation doesn't in general cases "
    "unless some condition applies.",
    form="FO-MAML's direction does not vanish at certified stationary points of F when the tasks differ (M >= 2)",
    assumptions="Assumptions 1-4 of the note with exact gradients over all M tasks (B = M); M >= 2 tasks "
    "1/2 w^T A w + b_i^T w + sum_j s_ij softplus(w_j) with bounded gradient variance; alpha in {1/(10L), 1/L}",
    kind="empirical",
    measure="min over certified stationary points w* of ||g_FO(w*)|| / mean_i ||grad f_i(0)|| (dimensionless)",
    threshold=Threshold(CERT * MARGIN, ">="),
    tolerance=Tolerance(0.0, "the threshold is already 1e6 times the stationarity certificate 1e-12"),
    group="fallah",
)


def task_family(seed: int, M: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A, b, s) of the instance: A (n, n) eigenvalues in [1, 2]; b (M, n) in [-1, 1]; s (M, n) in [-2, 2]."""
    if M < 1 or n < 1:
        raise ValueError(f"M and n must be >= 1, got M={M}, n={n}")
    rng = np.random.default_rng([seed, M, n])
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * rng.uniform(1.0, 2.0, n)) @ Q.T
    A = (A + A.T) / 2
    return A, rng.uniform(-1, 1, (M, n)), rng.uniform(-2, 2, (M, n))


def _parts(A, b, s, w, exp):
    """Per task: gradient (M, n), Hessian diagonal correction (M, n), third-derivative diagonal (M, n)."""
    sg = 1 / (1 + exp(-w))  # softplus' = sigmoid
    d2 = sg * (1 - sg)
    d3 = d2 * (1 - 2 * sg)
    g = (A @ w)[None, :] + b + s * sg[None, :]
    return g, s * d2[None, :], s * d3[None, :]


def maml_pieces(A, b, s, w, alpha, exp=np.exp):
    r"""grad F(w), g_FO(w) and grad^2 F(w) for F(w) = mean_i f_i(w - alpha grad f_i(w)).

    ``exp`` is the exponential of the arithmetic (``np.exp`` for floats, elementwise mpmath for object arrays);
    the Hessian (float only) is :math:`\mathrm{mean}_i[(I-\alpha H_i(w))H_i(u_i)(I-\alpha H_i(w))
    -\alpha\,\mathrm{diag}(s_i\odot\mathrm{softplus}'''(w)\odot\nabla f_i(u_i))]`.
    """
    M, n = b.shape
    g, c2, c3 = _parts(A, b, s, w, exp)
    gradF = 0 * w
    gFO = 0 * w
    HF = np.zeros((n, n)) if exp is np.exp else None
    for i in range(M):
        u = w - alpha * g[i]
        gu, c2u, _ = _parts(A, b[i : i + 1], s[i : i + 1], u, exp)
        gu = gu[0]
        Hw_gu = A @ gu + c2[i] * gu
        gradF = gradF + (gu - alpha * Hw_gu) / M
        gFO = gFO + gu / M
        if HF is not None:
            P = np.eye(n) - alpha * (A + np.diag(c2[i]))
            HF += (P @ (A + np.diag(c2u[0])) @ P - alpha * np.diag(c3[i] * gu)) / M
    return gradF, gFO, HF


def gradient_scale(A: np.ndarray, b: np.ndarray, s: np.ndarray) -> float:
    """The instance's gradient scale mean_i ||grad f_i(0)|| = mean_i ||b_i + s_i/2|| (fixed, independent of w*)."""
    return float(np.linalg.norm(b + s / 2, axis=1).mean())


def _norm(v) -> float:
    return float(math.sqrt(float(sum(x * x for x in v))))


def stationary_point(A, b, s, alpha) -> np.ndarray:
    """Newton's method on grad F with its exact Hessian, from -A^{-1} mean(b), until ||grad F|| stops decreasing."""
    w = -np.linalg.solve(A, b.mean(0))
    best_w, best = w, _norm(maml_pieces(A, b, s, w, alpha)[0])
    for _ in range(NEWTON_MAX):
        gF, _, HF = maml_pieces(A, b, s, w, alpha)
        step = np.linalg.solve(HF, gF)
        t = 1.0
        while t > 1e-8:  # backtrack on ||grad F|| (Newton for a stationary point, any index)
            cand = w - t * step
            v = _norm(maml_pieces(A, b, s, cand, alpha)[0])
            if v < _norm(gF) or t < 1e-6:
                break
            t /= 2
        if not v < best:
            break
        best_w, best, w = cand, v, cand
    return best_w


def certified(seed: int, M: int, n: int, alpha_factor: float) -> dict:
    """The instance's Newton stationary point with grad F and g_FO there in 40-digit arithmetic."""
    A, b, s = task_family(seed, M, n)
    L = 2.0 + float(np.abs(s).max()) / 4  # ||A|| <= 2, softplus'' <= 1/4
    alpha = alpha_factor / L
    w = stationary_point(A, b, s, alpha)
    with mpmath.workdps(MP_DIGITS):
        mp = lambda x: np.vectorize(mpmath.mpf, otypes=[object])(np.asarray(x, dtype=np.float64))  # noqa: E731
        gF, gFO, _ = maml_pieces(mp(A), mp(b), mp(s), mp(w), mpmath.mpf(alpha), np.vectorize(mpmath.exp))
        nF, nFO = _norm(gF), _norm(gFO)
    scale = gradient_scale(A, b, s)
    return {
        "seed": seed,
        "M": M,
        "n": n,
        "alpha_times_L": alpha_factor,
        "grad_F_rel": nF / scale,
        "fo_maml_rel": nFO / scale,
        "fo_over_grad_F": nFO / nF if nF > 0 else math.inf,
        "certified": nF <= CERT * scale,
    }


@replayable
def relative_fo_direction(seed: int, M: int, n: int, alpha_factor: float) -> float:
    """||g_FO(w*)|| / mean_i ||grad f_i(0)|| at the instance's certified stationary point (NaN if uncertified)."""
    r = certified(seed, M, n, alpha_factor)
    return r["fo_maml_rel"] if r["certified"] else math.nan


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Every instance of :data:`INSTANCES`; an uncertified stationary point is a failure."""
    rows, ms, failures, examples = [], [], 0, []
    for inst in INSTANCES:
        ctx.progress(f"fallah-fomaml-bias {inst}")
        r = certified(*inst)
        rows.append(r)
        if not r["certified"]:
            failures += 1
            examples.append(f"stationary point not certified at {inst}: ||grad F||/scale = {r['grad_F_rel']:.3g}")
            continue
        keys = dict(zip(("seed", "M", "n", "alpha_factor"), inst, strict=True))
        ms.append(Measurement(r["fo_maml_rel"], keys, Replay(f"{__name__}:relative_fo_direction", keys)))
    control = [certified(*inst) for inst in ONE_TASK]
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=failures,
        failure_examples=examples,
        evidence={
            "instances": rows,
            "one_task_control": control,
            "certificate": f"||grad F(w*)|| <= {CERT:g} mean_i ||grad f_i(0)|| in {MP_DIGITS}-digit arithmetic",
        },
    )
