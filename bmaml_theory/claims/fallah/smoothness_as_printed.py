r"""Fallah, Mokhtari & Ozdaglar: the smoothness lemma with the note's literal range alpha in [0, 1] -- violated.

**Which row is which.**  The note prints "alpha in [0, 1]" in this lemma and "alpha in [0, 1/L]" (or a fraction of
it) in every other lemma and theorem, with other evident slips in the same line (the left side's second ``w``); the
evident intended statement, alpha in [0, 1/L], is the row ``fallah-smoothness`` (the evident
intended statement is checked where the note is garbled).  This row records what the literal range would assert, and that it is
false: a reader who takes the note at its word would be misled.  It is a **slip** row (``category="slip"``): the
printed range is a typo beside another slip, not what the authors state; its failure is not a refutation.

**As printed** (the reading note on arXiv 1908.10400, section "Unbounded smooth parameter"):

    Lemma: Consider the objective function F and alpha in [0, 1] we have
    ||grad F(w) - grad F(w)|| <= (4L + 2 rho alpha min{ E_i[||grad f_i(w)||], E_i[||grad f_i(w)||] }) ||w - u||

**Why as printed it admits alpha > 1/L.**  The lemma's own range is "alpha in [0, 1]", an absolute range: nothing in
it or in the standing assumptions (Assumptions 1-5 of the note: F bounded below, f_i L-smooth with rho-Lipschitz
Hessians, bounded variances) ties alpha to 1/L.  Every other lemma and theorem of the note states alpha in
[0, 1/L] (or a fraction of it) explicitly, so the note itself distinguishes the two ranges; [0, 1] contains
alpha > 1/L whenever L > 1.  (The paper's lemma has alpha in [0, 1/L]; that reading is the separate row
``fallah-smoothness``.)  The only other slips, the left side's and the min's second ``w`` (read ``u``), do not
affect the verdict: the counterexample has w and u symmetric about 0, where both arguments of the min agree.

**Counterexample** (inside every standing assumption): one task, n = 1,
:math:`f(w)=\frac a2w^2+c\log\cosh w` with :math:`a=L/2`, :math:`c=-\frac32L` (the stochastic family with c < 0):
:math:`f''(w)=a+c\,\mathrm{sech}^2w\in[-L,L/2)`, so f is L-smooth with :math:`f''(0)=-L`, rho =
:math:`\frac32L\cdot\frac4{3\sqrt3}` exactly, and :math:`f\ge\frac a2w^2-|c||w|` is bounded below (so is F, Assumption 1).
At w = 0, :math:`f'(0)=f'''(0)=0`, so :math:`(\nabla F)'(0)=(1-\alpha f''(0))^2f''(0)=-(1+\alpha L)^2L` while the
bound tends to 4L as w, u -> 0 (the gradients vanish there): the ratio tends to :math:`(1+\alpha L)^2/4`, 2.25 at
L = 2, alpha = 1, and grows without bound in L at alpha = 1.  Measured (:func:`printed_ratio`) at w = -h, u = h,
h = 1e-4: 2.24974 (the O(h) deficit comes from the bound's rho term, 2 rho alpha ``|f'(h)|``, and the tanh's curvature).

**Tightest correct version**: the paper's range alpha in [0, 1/L], where the quadratic part of the proof's bound,
:math:`(1+\alpha L)^2L`, is at most the printed 4L -- checked by the search of ``fallah-smoothness`` (worst
0.99995 of the bound, the extremal (1 + sig(10))^2/4).  For alpha > 1/L the 4L must become at least
:math:`(1+\alpha L)^2L` (this counterexample attains it); the rho term's factor for alpha > 1/L is not derived here.

**Tolerance** 1e-6 on the ratio (as the search row): the measured ratio exceeds 1 by 1.25.
"""

from __future__ import annotations

import numpy as np

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim
from bmaml_theory.claims.fallah.smoothness import ROUNDOFF_MARGIN
from bmaml_theory.tasks.stochastic import StochasticTasks

EPS = float(np.finfo(np.float64).eps)
L_CE, ALPHA_CE, H_CE = 2.0, 1.0, 1e-4  # the reviewer's instance: L = 2, alpha = 1 in [0, 1]; w, u = -+h

STATEMENT = Statement(
    id="fallah-smoothness-as-printed",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), Lemma on the smoothness of F (reading note)",
    statement="Lemma: Consider the objective function F and alpha in [0, 1] we have ||grad F(w) - grad F(w)|| <= "
    "(4L + 2 rho alpha min{E_i[||grad f_i(w)||], E_i[||grad f_i(w)||]}) ||w - u||",
    form="the lemma as printed: alpha in [0, 1] (absolute, so alpha > 1/L is admitted when L > 1); u for the second "
    "w (does not affect the verdict); the alpha <= 1/L reading (the evident intended statement) is the row "
    "fallah-smoothness. The slip is the reading note's (its transcription of the lemma), not Fallah et al.'s",
    assumptions="Assumptions 1-5 of the note (F bounded below; f_i twice differentiable, L-smooth, rho-Lipschitz "
    "Hessian); alpha in [0, 1] as printed; the counterexample: one task, n = 1, f = (L/4) w^2 - (3L/2) log cosh w, "
    "L = 2, alpha = 1",
    kind="upper_bound",
    measure="||grad F(w) - grad F(u)|| / ((4L + 2 rho alpha min(E_i||grad f_i(w)||, E_i||grad f_i(u)||)) ||w - u||) "
    "at the counterexample (dimensionless)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(1e-6, "a gradient difference is measured only above 1e6 x its round-off"),
    group="fallah",
    category="slip",
    intended="fallah-smoothness",
)


def counterexample_tasks(L: float) -> StochasticTasks:
    """One task, n = 1: A = L/2, c = -3L/2, b = 0 (f'' in [-L, L/2): L-smooth, f''(0) = -L, bounded below)."""
    return StochasticTasks(np.array([[[L / 2]]]), np.zeros((1, 1)), c=-1.5 * L)


@replayable
def printed_ratio(L: float = L_CE, alpha: float = ALPHA_CE, h: float = H_CE) -> float:
    r""":math:`\|\nabla F(w)-\nabla F(u)\|/((4L+2\rho\alpha\min(\|\nabla f(w)\|,\|\nabla f(u)\|))\|w-u\|)` at w = -h,
    u = h on :func:`counterexample_tasks` (-> (1 + alpha L)^2/4 as h -> 0)."""
    t = counterexample_tasks(L)
    k = t.constants()
    w, u = np.array([-h]), np.array([h])
    Gw, Gu = t.grad_F(w, alpha), t.grad_F(u, alpha)
    dG = float(np.linalg.norm(Gw - Gu))
    if dG < ROUNDOFF_MARGIN * EPS * (1 + max(float(np.linalg.norm(Gw)), float(np.linalg.norm(Gu)))):
        raise FloatingPointError(f"gradient difference {dG:.3g} within round-off: take a larger h (got h = {h}).")
    m = min(float(t.p @ np.linalg.norm(t.task_grad(x), axis=1)) for x in (w, u))
    return dG / ((4 * k.L + 2 * k.rho * alpha * m) * 2 * h)


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """The counterexample at L = 2, alpha = 1 (violated: ratio 2.2499 > 1), with its replay."""
    kw = {"L": L_CE, "alpha": ALPHA_CE, "h": H_CE}
    v = printed_ratio(**kw)
    k = counterexample_tasks(L_CE).constants()
    ms = [
        Measurement(
            v,
            {
                "M": 1,
                "n": 1,
                "A": [[L_CE / 2]],
                "c": -1.5 * L_CE,
                "b": [0.0],
                "w": [-H_CE],
                "u": [H_CE],
                **kw,
                "L_exact": k.L,
                "rho_exact": k.rho,
                "alpha_times_L": ALPHA_CE * k.L,
            },
            Replay(f"{__name__}:printed_ratio", kw),
        )
    ]
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        evidence={
            "limit_h_to_0": (1 + ALPHA_CE * L_CE) ** 2 / 4,
            "why": "(grad F)'(0) = -(1 + alpha L)^2 L while the bound -> 4L as w, u -> 0: ratio -> (1 + alpha L)^2/4",
            "corrected_row": "fallah-smoothness (alpha in [0, 1/L]) holds",
            "tightest_correct": "alpha in [0, 1/L] (fallah-smoothness); for alpha > 1/L, 4L must be at least "
            "(1 + alpha L)^2 L (attained here); the rho term for alpha > 1/L is not derived",
        },
    )
