r"""prop1: Proposition 1 of Chayti & Jaggi, checked numerically on quadratic tasks.

**As printed** (Section 3): "For any training task T_i, if grad F_i(theta) exists, then nu -> phi*_{i,nu}(theta) is
differentiable at nu = 0 and grad F_i(theta) = -lam d phi*_{i,nu}(theta)/d nu ``|_{nu=0}``."

**Standing assumptions** (the paragraphs before it): Section 2.3 writes grad F_i by eq. (7) "using the implicit
function theorem and assuming that lam I + Hess fhat_i is invertible"; Section 3 assumes (9) well-defined for nu in a
neighbourhood V_0 of 0 and every theta.  On quadratic tasks both hold whenever lam I + Ahat_i is invertible, which
every family here satisfies, including the strict=False families with lam = 0.1 Lhat1 (Proposition 1 does not need
lam >= 2 Lhat1, so those are checked too).  The symbolic proof is claim ``symbolic-prop1``; the question of the
printed hypothesis alone is claim ``prop1-hypothesis``.

**What is measured and why.**  For each task, -lam d phi*_nu/d nu at 0 by the complex step (h = 1e-30) on dense
complex solves of (9) (no subtractive cancellation, and independent of the library's eigenbasis code), compared with
eq. (7) by a dense real solve and with the library's eigenbasis meta-gradient.  The error is taken relative to
lam (||A|| ||phi*_0|| + ||b||) / mu (the size of the terms the solves combine) and expressed in units of
n eps cond(lam I + Ahat_i), the backward-stable error of a dense solve; the worst task decides.

**Tolerance** 100 such units, fixed a priori (a backward-stable dense solve errs by c n eps cond with a modest
constant c; 100 leaves room for the two solves and the products, and is still 1e-10 relative or less here).
"""

from __future__ import annotations

import numpy as np

from bmaml_theory._backend import to_numpy
from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import (
    ClaimResult,
    Context,
    Measurement,
    Replay,
    Statement,
    Threshold,
    Tolerance,
    claim,
)
from bmaml_theory.claims.chayti_jaggi.section3._common import GROUP, SOURCE
from bmaml_theory.studies import section3 as study
from bmaml_theory.tasks.generate import random_family
from bmaml_theory.tasks.quadratic import QuadraticTasks

EPS = float(np.finfo(np.float64).eps)
H_COMPLEX_STEP = 1e-30  # the complex step: Im f(x + ih)/h has no cancellation, so any h far below sqrt(eps) works
SMALL_LAM_FACTOR = 0.1  # lam = 0.1 Lhat1 on PSD training tasks: invertible, but far outside lam >= 2 Lhat1
SMALL_LAM_DIMS = (3, 6)
SMALL_LAM_SEED = 1
ROUNDOFF_UNITS = 100.0

STATEMENT = Statement(
    id="prop1",
    source=f"{SOURCE}, Section 3, Proposition 1",
    statement="For any training task T_i, if grad F_i(theta) exists, then nu -> phi*_{i,nu}(theta) is differentiable "
    "at nu = 0 and grad F_i(theta) = -lam d phi*_{i,nu}(theta)/d nu |_{nu=0}.",
    form="the identity of Proposition 1 on quadratic tasks, numerically (complex-step derivative of (9) against "
    "eq. (7) and the library's meta-gradient)",
    assumptions="Section 2.3: lam I + Hess fhat_i invertible (the setting of eq. (7)); Section 3: (9) well-defined "
    "near nu = 0; quadratic tasks, train != test and indefinite Hessians allowed, lam = 2 Lhat1, 20 Lhat1 and "
    "0.1 Lhat1 (PSD training, strict=False)",
    kind="identity",
    measure="max over tasks of the relative error of -lam dphi*_nu/dnu|_0 (complex step) against eq. (7) and the "
    "library's meta-gradient, in units of n eps cond(lam I + Ahat_i)",
    threshold=Threshold(0.0, "<="),
    tolerance=Tolerance(
        ROUNDOFF_UNITS,
        "fixed a priori: dense solves are backward stable, erring by c n eps cond(lam I + Ahat) with a modest c; "
        "100 units cover two solves and the products",
    ),
    group=GROUP,
)


def family(kind: str, M: int, n: int, seed: int, small_lam: bool = False) -> tuple[QuadraticTasks, np.ndarray]:
    """The family of the check: ``random_family(kind, M, n, seed)``, or its PSD training tasks at lam = 0.1 Lhat1."""
    tasks, theta = random_family(kind, int(M), int(n), int(seed))
    if not small_lam:
        return tasks, theta
    Ah = to_numpy(tasks.A_train)
    Lh = float(np.max(np.abs(np.linalg.eigvalsh(Ah))))
    return QuadraticTasks(Ah, to_numpy(tasks.b_train), SMALL_LAM_FACTOR * Lh, strict=False), theta


def errors(tasks: QuadraticTasks, theta: np.ndarray) -> np.ndarray:
    r"""Per task: :math:`\max(\|g_{cs}-g_7\|,\|g_{cs}-g_{lib}\|)/(\lambda(\|A\|\|\phi_0\|+\|b\|)/\mu)/(n\,\varepsilon\,\kappa(S))`.

    :math:`g_{cs}=-\lambda\,\mathrm{Im}\,\phi^*_{ih}/h` from a dense complex solve of (9), :math:`g_7` eq. (7) by a dense
    solve, :math:`g_{lib}` the library's eigenbasis meta-gradient; :math:`S=\lambda I+\hat A_i`.
    """
    Ah, A = to_numpy(tasks.A_train), to_numpy(tasks.A_test)
    bh, b = to_numpy(tasks.b_train), to_numpy(tasks.b_test)
    lam, n, h = tasks.lam, tasks.n, H_COMPLEX_STEP
    theta = np.asarray(theta, dtype=float)
    lib = to_numpy(tasks.meta_gradient(theta, per_task=True))
    out = np.empty(tasks.M)
    for i in range(tasks.M):
        S = Ah[i] + lam * np.eye(n)
        phi_c = np.linalg.solve(S + 1j * h * A[i], (lam * theta - bh[i]) - 1j * h * b[i])
        g_cs = -lam * phi_c.imag / h
        phi0 = np.linalg.solve(S, lam * theta - bh[i])
        g7 = np.linalg.solve(np.eye(n) + Ah[i] / lam, A[i] @ phi0 + b[i])
        ev = np.abs(np.linalg.eigvalsh(S))
        mu = float(ev.min())
        scale = lam * (np.linalg.norm(A[i], 2) * np.linalg.norm(phi0) + np.linalg.norm(b[i])) / mu
        err = max(np.linalg.norm(g_cs - g7), np.linalg.norm(g_cs - lib[i])) / scale
        out[i] = err / (n * EPS * float(ev.max() / ev.min()))
    return out


@replayable
def error_units(*, kind: str, M: int, n: int, seed: int, task: int, small_lam: bool = False) -> float:
    """Replay: the measured error of one task (see :func:`errors`), from the family's generator arguments."""
    tasks, theta = family(kind, M, n, seed, small_lam)
    if not 0 <= int(task) < tasks.M:
        raise ValueError(f"task must index a task of the family, 0 <= task < {tasks.M}, got {task!r}.")
    return float(errors(tasks, theta)[int(task)])


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Every task of every family of the Section 3 run, plus PSD training at lam = 0.1 Lhat1."""
    s = study.settings(ctx.quick)
    specs = [(k, s["M"], n, s["seed"], False) for k in s["kinds"] for n in s["dims"]]
    specs += [("same-psd", 4, n, SMALL_LAM_SEED, True) for n in SMALL_LAM_DIMS]
    ms = []
    for kind, M, n, seed, small in specs:
        tasks, theta = family(kind, M, n, seed, small)
        for i, e in enumerate(errors(tasks, theta)):
            kw = {"kind": kind, "M": M, "n": n, "seed": seed, "task": i, "small_lam": small}
            inst = {**kw, "lam": tasks.lam}
            ms.append(Measurement(float(e), inst, Replay(f"{__name__}:error_units", kw)))
    ev = {
        "instances": len(ms),
        "method": "complex step (h = 1e-30) on dense complex solves of (9) vs eq. (7) by a dense solve and vs the "
        "eigenbasis meta_gradient; error relative to lam(||A|| ||phi0|| + ||b||)/mu, in units of n eps cond(S)",
        "includes": "strict=False families with lam = 0.1 Lhat1 (Proposition 1 does not need lam >= 2 Lhat1)",
    }
    return runners.decide(ctx, STATEMENT, ms, evidence=ev)
