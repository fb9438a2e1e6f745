r"""Assertions: call the user's meta-gradient code on a problem and compare with the exact answer.

Every ``assert_*`` helper

1. hands ``fn`` the problem with its arrays in the requested ``backend`` (``"numpy"``, ``"torch"``, ``"jax"``) and
   ``dtype`` (``"float64"`` by default, ``"float32"`` on request), see :mod:`bmaml_theory.testing.adapters`;
2. reads the answer back (any array library, shape (n,): the average over tasks, eq. (5));
3. compares it with the exact value of :mod:`bmaml_theory.testing.exact` in the Euclidean norm, and raises
   :class:`MetaGradientMismatchError` (an ``AssertionError``) when they differ by more than the tolerance, with a message
   that says what differs, by how much, on which instance, what known bug the answer matches, and how to replay it.

A non-finite answer, a wrong shape, or a float32 answer where float64 was promised fails (never passes).

**Tolerance** (fixed before any run; see each reference's docstring for its ``scale``):

.. math::  \mathrm{tol}=C\,(n+K)\,u\,\max_i\mathrm{scale}_i,\qquad C=32,

with u the machine epsilon of ``dtype`` and K the inner steps (0 where there are none).  ``scale_i`` is the size of
the terms a float implementation adds up for task i (norms of the Hessians times the iterates, of the linear terms,
of the Jacobian), multiplied by the condition number :math:`\kappa` of the inner Hessian :math:`\lambda I+\nabla^2\hat f_i`
wherever a linear solve or a contraction enters, and by :math:`P=\sum_{j<K}\beta^j` (:math:`\beta` the GD contraction
factor) for errors carried along K steps.  Rounding errors of a backward-stable computation are bounded by
:math:`\gamma_n=nu/(1-nu)` per inner product and accumulate additively over K steps: hence :math:`(n+K)u`.
C = 32 covers the constants of those bounds: 2 (the user's and the reference's errors add) x 4 (at most four
rounded operations per GD step or solve: matrix-vector product, two additions, scaling) x 4 (the Euclidean norm of an
error vector bounded component-wise, :math:`\sqrt n\le2.5` for the sizes drawn, with headroom).
An FO-B-MAML estimate computed from inexact solutions of (9) (errors :math:`\|e_k\|\le\delta`) moves by up to
:math:`\lambda\delta\|w\|_1/|\nu|` (eq. 13): pass ``inner_tol=delta`` and that amount is added.
Eq. (7) and iMAML computed at an inexact :math:`\tilde\phi` (``inner_tol=delta``: :math:`\|\tilde\phi-\phi\|\le\delta`)
move by at most :math:`\frac\lambda\mu(\|\nabla^2f_i\|+\hat L_2\|v_i\|)\delta` (first order: the gradient moves by
:math:`\|\nabla^2f_i\|\delta`, the Hessian by :math:`\hat L_2\delta`, both through :math:`\|\lambda S^{-1}\|=\lambda/\mu`);
a linear solve of (8) stopped at relative residual :math:`\rho` (``cg_tol=rho``, e.g. torchopt's ``solve_cg(rtol=...)``)
moves v by at most :math:`\frac\lambda\mu\rho\|\nabla f_i\|` (:math:`\|(I+\nabla^2\hat f_i/\lambda)^{-1}\|=\lambda/\mu`).
A logistic loss built on ``torch.nn.functional.softplus`` drops the tail :math:`e^{-|s|}\le2\cdot10^{-9}` of every
margin beyond its threshold 20; where the reference meets such a margin, the answer's exact sensitivity to those
tails is added (:func:`~bmaml_theory.testing.exact.softplus_slack`), so F.softplus, BCE-with-logits and logaddexp all
pass.  ``atol=`` replaces the tolerance outright (say why in your test).

**What the kit refuses to judge.**  A correct implementation may be anywhere within the tolerance of the exact
answer; where the tolerance reaches :data:`JUDGE_FRACTION` = 1/10 of :math:`\|\text{exact}\|_2`, an all-zero (or any
small) answer could pass, so the assertion raises :class:`NotJudgeableError` (a ``ValueError``) before calling ``fn``
and says why (the conditioning, a tiny :math:`\nu`, float32, a zero exact answer) and what to change.  Everywhere
else an all-zero answer misses by :math:`\|\text{exact}\|_2>10\,\mathrm{tol}` and fails, diagnosed as "no gradient
reached theta".
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from bmaml_theory.testing import exact
from bmaml_theory.testing.adapters import _check as _check_backend
from bmaml_theory.testing.adapters import _convert, from_user, to_backend
from bmaml_theory.testing.problems import LogisticProblem, MLPProblem, QuadraticProblem

__all__ = [
    "C_TOL",
    "JUDGE_FRACTION",
    "ImplementationError",
    "MetaGradientMismatchError",
    "NotJudgeableError",
    "assert_fo_bmaml",
    "assert_fo_maml",
    "assert_imaml_gradient",
    "assert_maml_gradient",
    "assert_meta_gradient",
    "assert_meta_sgd_lr_gradient",
    "assert_reptile",
    "tolerance",
]

C_TOL = 32.0
"""The constant C of the tolerance (see the module docstring for its derivation)."""

JUDGE_FRACTION = 0.1
"""The kit judges an answer only where its tolerance is below this fraction of the exact answer's norm."""


class MetaGradientMismatchError(AssertionError):
    """The user's answer differs from the exact one; attributes: quantity, diff, tol, yours, exact, problem."""

    def __init__(self, message: str, *, quantity: str, diff: float, tol: float, yours: Any, exact: Any, problem: Any):
        super().__init__(message)
        self.quantity, self.diff, self.tol = quantity, diff, tol
        self.yours, self.exact, self.problem = yours, exact, problem


class NotJudgeableError(ValueError):
    """The kit cannot tell a correct answer from an all-zero one on this instance (the message says why)."""


class ImplementationError(AssertionError):
    """The user's function raised; the message names the likely cause (the original exception is chained)."""


def tolerance(ref: exact.Reference, *, n: int, K: int = 0, dtype: str = "float64") -> float:
    r""":math:`C(n+K)u\max_i\mathrm{scale}_i` (module docstring), u the machine epsilon of ``dtype``."""
    return float(C_TOL * (n + K) * np.finfo(np.dtype(dtype)).eps * np.max(ref.scale))


def _fmt(v: np.ndarray) -> str:
    return np.array2string(np.asarray(v), precision=17, separator=", ", max_line_width=200)


def _code(x: Any) -> str:
    return f"np.array({np.asarray(x).tolist()!r})" if np.ndim(x) > 0 else repr(x)


def _cond(p: Any) -> float:
    if isinstance(p, QuadraticProblem) and p.lam > 0:
        ev = np.linalg.eigvalsh(p.A_train + p.lam * np.eye(p.n))
        return float(np.max(ev[:, -1] / ev[:, 0]))
    return math.nan


def _instance(problem: Any) -> str:
    p = problem
    kind = type(p).__name__
    if p.lam == 0:
        head = f"{kind} with M={p.M} tasks, n={p.n}, lam=0 (standard MAML: no proximal term), Lhat1={p.Lhat1:.6g}"
    else:
        thr = "yes" if p.at_threshold else "no"
        head = f"{kind} with M={p.M} tasks, n={p.n}, lam={p.lam:.6g} (lam >= 2*Lhat1: {thr}, Lhat1={p.Lhat1:.6g})"
    extra = ""
    if isinstance(p, MLPProblem):
        extra = f", a {p.d}-{p.hidden}-1 {p.activation} network (theta = W1 {p.shapes[0]}, b1, W2, b2)"
    if isinstance(p, QuadraticProblem):
        if p.lam > 0:
            extra = f", cond(A_train + lam I) <= {_cond(p):.3g}"
        extra += ", train == test: " + (
            "yes" if np.array_equal(p.A_train, p.A_test) and np.array_equal(p.b_train, p.b_test) else "no"
        )
    return head + extra


# ----------------------------------------------------------------------------- argument checks
def _nonneg(x: Any, name: str, what: str) -> float:
    v = exact._real(x, name, what)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0 ({what}), got {x!r}.")
    return v


def _common(fn: Any, backend: Any, dtype: Any, atol: Any, device: Any) -> float | None:
    if not callable(fn):
        raise TypeError(f"fn must be callable (your implementation), got {type(fn).__name__}.")
    _check_backend(backend, dtype, device)
    if atol is None:
        return None
    a = exact._real(atol, "atol", "an absolute tolerance in the Euclidean norm, or None for the derived one")
    if not (math.isfinite(a) and a > 0):
        raise ValueError(f"atol must be a finite number > 0 (or None for the derived tolerance), got {atol!r}.")
    return a


def _inner(momentum: Any, nesterov: Any) -> exact.Inner:
    mu = exact._real(momentum, "momentum", "the inner loop's heavy-ball momentum, torch.optim.SGD's momentum")
    if not 0.0 <= mu < 1.0:
        raise ValueError(
            f"momentum must lie in [0, 1) (torch.optim.SGD's momentum in the inner loop), got {momentum!r}."
        )
    if not isinstance(nesterov, bool | np.bool_):
        raise TypeError(f"nesterov must be True or False, got {nesterov!r}.")
    if nesterov and mu == 0:
        raise ValueError("nesterov=True needs momentum > 0 (as torch.optim.SGD).")
    return exact.Inner(momentum=mu, nesterov=bool(nesterov))


def _valid(problem: Any) -> Any:
    if not isinstance(problem, QuadraticProblem | LogisticProblem | MLPProblem):
        raise TypeError(
            "problem must be a QuadraticProblem, LogisticProblem or MLPProblem (bmaml_theory.testing), got "
            f"{type(problem).__name__}."
        )
    return problem.validate()


def _steps_lr(problem: Any, steps: Any, lr: Any) -> tuple[int, Any]:
    return exact._check_steps(problem, steps, exact.stable_lr(problem) if lr is None else lr)


# ----------------------------------------------------------------------------- the user's exceptions
_CAUSES = [
    (
        r"does not require grad|does not have a grad_fn",
        "the loss does not depend on a tensor that requires grad: theta was not marked "
        "(problem.theta.clone().requires_grad_(True)), or the inner loop cut the graph (a .detach(), torch.no_grad(), "
        "higher's track_higher_grads=False, torchopt parameters detached each step, an in-place .data update).",
    ),
    (
        r"appears to not have been used in the graph",
        "theta does not reach the loss (allow_unused=True would hide it and give a zero gradient): the inner loop was "
        "detached from theta (higher's copy_initial_weights=True differentiates a copy; .detach() / .data / no_grad).",
    ),
    (
        r"backward through the graph a second time|have already been freed",
        "an earlier backward freed the graph: pass retain_graph=True where you differentiate twice, or rebuild the "
        "inner loop per task (torchopt without torchopt.recover_state_dict reuses the previous task's graph).",
    ),
    (
        r"modified by an inplace operation",
        "an in-place update (phi -= lr * g, p.data.sub_, optimizer.step() on the meta-parameters) of a tensor "
        "autograd saved: a differentiable inner loop is out of place (phi = phi - lr * g, a functional optimiser).",
    ),
    (
        r"expected scalar type|Float and Double|Double and Float|dtype|mat1 and mat2 must have the same dtype",
        "float32 and float64 mixed: build every tensor with problem.theta.dtype (a model's default float32 "
        "parameters meeting the kit's float64 data; dtype='float32' hands float32 data).",
    ),
    (
        r"same device|Expected all tensors to be on",
        "tensors on different devices: create them with device=problem.theta.device (device= sets where the kit's "
        "tensors live).",
    ),
    (
        r"saved tensor hooks|saved_tensors_hooks",
        "the memory meter needs torch.autograd.grad: torch.func transforms refuse saved-tensor hooks.",
    ),
    (
        r"shape|size mismatch|cannot be multiplied|must match the size|dimension",
        "a shape mismatch: the kit hands batched arrays (A_train (M, n, n), b_train (M, n), theta (n,)); loop over "
        "the tasks or vmap over the first axis.",
    ),
]


def _call(fn: Callable, view: Any, args: tuple, fname: str, call: str) -> Any:
    try:
        return fn(view, *args)
    except Exception as exc:  # the user's code failed: say where and what it likely means
        msg = f"{type(exc).__name__}: {exc}"
        cause = next((c for pat, c in _CAUSES if re.search(pat, msg)), "the exception came from your code (above).")
        raise ImplementationError(
            f"{fname} raised while the kit called it ({call}):\n  {msg.splitlines()[0] if msg else msg}\n"
            f"  likely cause: {cause}"
        ) from exc


# ----------------------------------------------------------------------------- the comparison
def _refuse(quantity: str, call: str, tol: float, want: np.ndarray, p: Any, dtype: str, why: list[str], user_atol):
    nw = float(np.linalg.norm(want))
    lines = [f"The kit cannot judge {quantity[0].lower() + quantity[1:]} on this instance ({call})."]
    if user_atol:
        lines.append(
            f"  atol={tol:.3e} is {tol / max(nw, 1e-300):.3g} x |exact|_2 = {nw:.3e}: an all-zero answer would pass "
            f"(the kit requires atol < {JUDGE_FRACTION:g} |exact|_2)."
        )
    elif nw == 0.0:
        lines.append(
            "  the exact answer is 0: a correct implementation and one where no gradient reaches theta give the same "
            "answer. Move theta (or b) so that theta is not a stationary point."
        )
    else:
        lines.append(
            f"  a correct {dtype} implementation may miss the exact value by up to {tol:.3e} (the tolerance), "
            f"{tol / nw:.3g} x |exact|_2 = {nw:.3e}: an all-zero answer could not be told from a correct one "
            f"(the kit judges only where the tolerance is below {JUDGE_FRACTION:g} |exact|_2)."
        )
    lines.extend("  why: " + w for w in why)
    lines.append("  instance: " + _instance(p))
    lines.append("  replay:")
    lines.extend("    " + ln for ln in p.replay().splitlines())
    raise NotJudgeableError("\n".join(lines))


def _compare(
    quantity: str,
    call: str,
    core: Callable[[list], tuple[list, list]],
    fn: Callable,
    args: tuple,
    problem: Any,
    *,
    K: int,
    backend: str,
    dtype: str,
    atol: float | None,
    device: Any = None,
    extra_tol: float = 0.0,
    extra_why: str = "",
    variants: Callable[[np.ndarray], list[tuple[str, np.ndarray]]] | None = None,
    note: str = "",
    why: tuple[str, ...] = (),
) -> exact.Reference:
    """Evaluate the reference ``core(tasks)``, refuse what cannot be judged, call ``fn``, compare, diagnose."""
    ts = exact._tasks(problem)
    ref = exact._finish(*core(ts), quantity)
    slack = exact.softplus_slack(problem, lambda t2: np.mean(core(t2)[0], axis=0), ts)
    derived = tolerance(ref, n=problem.n, K=K, dtype=dtype) + extra_tol + slack
    tol = float(atol) if atol is not None else derived
    want = ref.value
    nw = float(np.linalg.norm(want))
    if not tol < JUDGE_FRACTION * nw:
        reasons = list(why)
        c = _cond(problem)
        if math.isfinite(c) and c > 1e2:
            reasons.append(
                f"cond(A_train + lam I) = {c:.3g}: the tolerance grows with the conditioning (lam close to "
                "-min eig(A_train)); raise lam."
            )
        if dtype == "float32":
            reasons.append("dtype='float32': its round-off is 5e8 x that of float64; check in float64.")
        if slack > JUDGE_FRACTION * nw:
            reasons.append(f"{slack:.3e} of it is F.softplus's threshold (margins beyond 20): scale the data down.")
        if extra_tol > JUDGE_FRACTION * nw:
            reasons.append(f"{extra_tol:.3e} of it is {extra_why}.")
        if not reasons and atol is None:
            reasons.append("the terms a float computation adds up are much larger than their result (cancellation).")
        _refuse(quantity, call, tol, want, problem, dtype, reasons, atol is not None)
    fname = getattr(fn, "__qualname__", repr(fn))
    view = to_backend(problem, backend, dtype, device)
    args = tuple(_convert(a, backend, dtype, device) if isinstance(a, np.ndarray) else a for a in args)
    ans = from_user(_call(fn, view, args, fname, call), n=problem.n, what=fname)
    yours = ans.value
    finite = bool(np.all(np.isfinite(yours)))
    diff = float(np.linalg.norm(yours - want)) if finite else math.inf
    wrong_dtype = dtype == "float64" and ans.dtype in ("float32", "float16", "bfloat16")
    if finite and diff <= tol and not wrong_dtype:
        return ref
    lines = [f"{quantity} of {fname} differs from the exact value ({call})."]
    if not finite:
        lines.append("  your answer is not finite (NaN or inf): never a pass.")
    else:
        rel = diff / max(nw, 1e-300)
        lines.append(
            f"  |yours - exact|_2 = {diff:.3e}, tolerance {tol:.3e} ({diff / tol:.3g} x the tolerance); "
            f"relative to |exact|_2 = {nw:.3e}: {rel:.3e}"
        )
        j = int(np.argmax(np.abs(yours - want)))
        lines.append(f"  worst component [{j}]: yours {float(yours[j])!r}, exact {float(want[j])!r}")
    if wrong_dtype:
        lines.append(f"  your answer is {ans.dtype} ({ans.library}) but float64 was promised (dtype='float64').")
    lines.append(f"  yours: {_fmt(yours)}")
    lines.append(f"  exact: {_fmt(want)}")
    if atol is None:
        lines.append(
            f"  tolerance = {C_TOL:g} * (n + K) * eps({dtype}) * scale with n={problem.n}, K={K}, "
            f"scale={float(np.max(ref.scale)):.3e}"
            + (f", + {extra_tol:.3e} for {extra_why}" if extra_tol else "")
            + (f", + {slack:.3e} for F.softplus's threshold (margins beyond 20 on this instance)" if slack else "")
            + " (bmaml_theory.testing.assertions explains the derivation)"
        )
    if note:
        lines.append("  " + note)
    lines.append("  instance: " + _instance(problem))
    if finite:
        tol32 = tolerance(ref, n=problem.n, K=K, dtype="float32") + extra_tol + slack
        lines.extend(_diagnose(yours, want, tol, tol32, dtype, variants, problem))
    lines.append("  replay:")
    lines.extend("    " + ln for ln in problem.replay().splitlines())
    lines.append("    " + call.replace("(fn,", f"({fname},", 1))
    lines.append(
        "  (under Hypothesis the falsifying example is printed with 8 significant digits; the problem = ... line "
        "above is the exact replay; settings(print_blob=True) adds a @reproduce_failure line)"
    )
    raise MetaGradientMismatchError(
        "\n".join(lines), quantity=quantity, diff=diff, tol=tol, yours=yours, exact=want, problem=problem
    )


def _diagnose(yours, want, tol, tol32, dtype, variants, problem) -> list[str]:
    """Which known bugs the answer matches (within 10 x the tolerance, and only where they differ from the truth)."""
    out: list[str] = []
    if float(np.linalg.norm(yours)) <= tol:
        out.append(
            "  diagnosis: no gradient reached theta (your answer is zero): higher's copy_initial_weights=True "
            "(the gradient goes to a copy: pass copy_initial_weights=False) or track_higher_grads=False; theta "
            "detached or the inner loop under torch.no_grad(); .grad read from another tensor or zeroed before reading."
        )
        return out
    matches: list[str] = []
    if variants is not None:
        try:
            cands = variants(yours)
        except Exception:  # a variant that cannot be evaluated on this instance is simply not offered
            cands = []
        for label, v in cands:
            if not np.all(np.isfinite(v)) or float(np.linalg.norm(v - want)) <= 10 * tol:
                continue  # indistinguishable from the truth on this instance: no evidence either way
            d = float(np.linalg.norm(yours - v))
            if d <= 10 * tol:
                matches.append(f"{label} (|yours - that|_2 = {d:.3e})")
    if len(matches) == 1:
        out.append(f"  diagnosis: your answer matches {matches[0]}")
    elif matches:
        out.append(
            f"  diagnosis: your answer matches {len(matches)} known bugs, which coincide on this instance "
            "(it cannot tell them apart; try another instance):"
        )
        out.extend(f"    - {m}" for m in matches)
    if not matches and dtype == "float64":
        diff = float(np.linalg.norm(yours - want))
        if diff <= tol32:
            lines = [
                f"  diagnosis: the discrepancy is within the float32 tolerance ({tol32:.3e}, the same bound with "
                "eps(float32)): an error of float32's size. It can be: part of the computation in float32 (a float32 "
                "tensor, constant or model parameter; torch.get_default_dtype()); an approximation in the loss "
                "(log(1 + exp(x)) instead of logaddexp/softplus, a clamp or an eps); or an iterative solver stopped at "
                "a tolerance (CG, an inner argmin: pass cg_tol= / inner_tol=)."
            ]
            if isinstance(problem, LogisticProblem):
                lines.append(
                    "    (F.softplus's threshold is already accounted for in the tolerance: torch's softplus, "
                    "BCE-with-logits and logaddexp all pass.)"
                )
            out.extend(lines)
            matches.append("float32")
    if not matches and not out:
        out.append("  diagnosis: the answer matches none of the known bugs the kit checks for.")
    return out


_MLP_NAMES = ("W1", "b1", "W2", "b2")


def _mlp_variants(p: MLPProblem, value: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """A network's parameter tensors misaligned: one tensor's gradient missing, the tensors in another order."""
    import itertools

    sizes = [int(np.prod(s)) for s in p.shapes]
    cuts = np.cumsum([0, *sizes])
    blocks = [value[cuts[k] : cuts[k + 1]] for k in range(4)]
    vs: list[tuple[str, np.ndarray]] = []
    for k, name in enumerate(_MLP_NAMES):
        v = value.copy()
        v[cuts[k] : cuts[k + 1]] = 0.0
        vs.append(
            (
                f"no gradient reached {name} (that tensor detached, built without requires_grad, or missing from the "
                "parameters differentiated)",
                v,
            )
        )
    for perm in itertools.permutations(range(4)):
        if perm != (0, 1, 2, 3):
            order = ", ".join(_MLP_NAMES[k] for k in perm)
            vs.append(
                (
                    f"the tensors' gradients concatenated in the order ({order}), not theta's (W1, b1, W2, b2) "
                    "(return them as a list in problem.shapes' order, or flatten(...) of the same)",
                    np.concatenate([blocks[k] for k in perm]),
                )
            )
    if p.hidden > 1 and p.d > 1:
        v = value.copy()
        v[: sizes[0]] = blocks[0].reshape(p.shapes[0]).T.reshape(-1)
        vs.append(("W1's gradient transposed ((d, h) where theta holds W1 as (h, d), row-major)", v))
    return vs


def _tasks_variants(per_task: np.ndarray) -> list[tuple[str, np.ndarray]]:
    M = per_task.shape[0]
    if M < 2:
        return []
    return [
        ("the sum over tasks instead of the mean (tasks averaged wrongly)", per_task.sum(0)),
        ("the last task only (tasks averaged wrongly)", per_task[-1]),
        ("the mean divided by M again (tasks averaged wrongly)", per_task.mean(0) / M),
    ]


def _add(vs: list, label: str, thunk: Callable[[], np.ndarray]) -> None:
    """Append a bug's exact answer, unless it cannot be evaluated on this instance (then it is not offered)."""
    with contextlib.suppress(ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError):
        vs.append((label, thunk()))


def _mean(out: tuple) -> np.ndarray:
    return np.mean(np.stack(out[0]), axis=0)


def _fit_lr(p: Any, K: int, a: float, core: Callable, inner: exact.Inner, yours: np.ndarray) -> tuple[float, float]:
    """The scalar inner step whose exact answer is closest to ``yours`` (grid, hard-coded values, then refined)."""
    from scipy.optimize import minimize_scalar

    L = p.lam + p.Lhat1
    top = 2.0 / L if L > 0 else 100.0 * a
    ts = exact._tasks(p)

    def dist(lr: float) -> float:
        try:
            return float(np.linalg.norm(_mean(core(ts, p.theta, p.lam, K, lr, inner=inner)) - yours))
        except (FloatingPointError, np.linalg.LinAlgError, ValueError):
            return math.inf

    grid = np.geomspace(a * 1e-3, top * (1 - 1e-9), 80)
    grid = np.concatenate([grid, [x for x in (1e-3, 1e-2, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0) if x < top]])
    grid.sort()
    d = np.array([dist(x) for x in grid])
    j = int(np.argmin(d))
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]
    best, bd = float(grid[j]), float(d[j])
    if hi > lo:
        res = minimize_scalar(dist, bounds=(lo, hi), method="bounded", options={"xatol": 1e-15 * hi, "maxiter": 200})
        if res.fun < bd:
            best, bd = float(res.x), float(res.fun)
    # Brent stops at sqrt(eps) relative in lr; Gauss-Newton on |v(lr) - yours|^2 (v smooth in lr) reaches round-off
    for _ in range(4):
        h = 1e-6 * best
        try:
            v0 = _mean(core(ts, p.theta, p.lam, K, best, inner=inner))
            dv = (_mean(core(ts, p.theta, p.lam, K, best + h, inner=inner))
                  - _mean(core(ts, p.theta, p.lam, K, best - h, inner=inner))) / (2 * h)  # fmt: skip
        except (FloatingPointError, np.linalg.LinAlgError, ValueError):
            break
        den = float(dv @ dv)
        if den == 0:
            break
        nxt = best - float(dv @ (v0 - yours)) / den
        if not 0 < nxt < top:
            break
        dn = dist(nxt)
        if dn >= bd:
            break
        best, bd = nxt, dn
    return best, bd


def _k_variants(
    p: Any, K: int, a: Any, core: Callable, ref: exact.Reference, inner: exact.Inner
) -> list[tuple[str, np.ndarray]]:
    """The K-step bugs: off-by-one, sign of the proximal term, grad fhat for grad f, averaging, the inner optimiser."""
    ts = exact._tasks(p)
    vs: list[tuple[str, np.ndarray]] = []

    def run(lam=p.lam, k=K, inn=inner, tasks=ts, closed=True):
        return lambda: _mean(core(tasks, p.theta, lam, k, a, closed=closed, inner=inn))

    if K > 1:
        _add(vs, f"K-1 = {K - 1} inner steps (off-by-one in K)", run(k=K - 1))
    _add(vs, f"K+1 = {K + 1} inner steps (off-by-one in K)", run(k=K + 1))
    if p.lam > 0:
        _add(
            vs, "the proximal term's sign flipped (GD on fhat - lam/2||phi - theta||^2)", run(lam=-p.lam, closed=False)
        )
        _add(vs, "standard MAML (the proximal term lam/2||phi - theta||^2 left out of the inner loss)", run(lam=0.0))
    _add(vs, "grad fhat (training) used for grad f (test)", run(tasks=exact._swap(ts)))
    vs.extend(_tasks_variants(ref.per_task))
    if inner.plain:
        for mu, nest in ((0.9, False), (0.9, True), (0.5, False)):
            label = (
                f"an inner loop with momentum {mu}"
                + (" (Nesterov)" if nest else "")
                + (" (torch.optim.SGD(momentum=...) in the inner loop; pass momentum= if intended)")
            )
            _add(vs, label, run(inn=exact.Inner(mu, nest)))
        _add(vs, "an inner loop with Adam (default betas; the kit checks GD and momentum inner loops)",
             run(inn=exact.Inner(adam=True)))  # fmt: skip
    else:
        _add(vs, "plain GD: the momentum you declared is not in your inner loop", run(inn=exact.GD))
    if p.M >= 2 and core is not exact._reptile:
        _add(
            vs,
            "tasks chained: each task's inner loop starts where the previous one ended (torchopt without "
            "torchopt.recover_state_dict / extract_state_dict after each task; a model adapted in place)",
            lambda: _chained(ts, p, K, a, inner, core),
        )
    return vs


def _chained(ts: list, p: Any, K: int, a: Any, inner: exact.Inner, core: Callable) -> np.ndarray:
    n = p.n
    start = (p.theta.copy(), np.eye(n))
    vals = []
    for t in ts:
        tr = exact._trajectory(t, p.theta, p.lam, K, a, inner=inner, start=start)
        g = t.grad_te(tr.phi_K)
        vals.append(g if core is exact._fo_maml else tr.J.T @ g)
        start = (tr.phi_K, tr.J)
    return np.mean(vals, axis=0)


def _lr_variant(p, K, a, core, inner, yours, tol) -> list[tuple[str, np.ndarray]]:
    """A hard-coded inner lr (common values, any n) or a fitted one (n >= 2 only: with n = 1 one scalar fits anything)."""
    if np.ndim(a) > 0:
        return []
    L = p.lam + p.Lhat1
    top = 2.0 / L if L > 0 else math.inf
    ts = exact._tasks(p)
    out = []
    for x in (1e-3, 1e-2, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0):
        if x < top and abs(x - a) > 1e-6 * a:
            out.append(
                (f"inner lr = {x:g} instead of lr = {a:.6g} (a hard-coded inner learning rate: use the lr the kit passes)",
                 _mean(core(ts, p.theta, p.lam, K, x, inner=inner)))
            )  # fmt: skip
    if p.n >= 2:
        lr2, _ = _fit_lr(p, K, a, core, inner, yours)
        hard = any(abs(lr2 - x) <= 1e-6 * x for x in (1e-3, 1e-2, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 1.0))
        if abs(lr2 - a) > 1e-6 * a and not hard:
            out.append(
                (f"inner lr = {lr2:.6g} (fitted) instead of lr = {a:.6g} (a wrong inner learning rate: use the lr the "
                 "kit passes)", _mean(core(ts, p.theta, p.lam, K, lr2, inner=inner)))
            )  # fmt: skip
    return out


def _imaml_variants(p: Any, K: int | None, a: Any, inner: exact.Inner, per_task: np.ndarray):
    """iMAML's solve of (8): the lam factor, a short CG budget."""
    ts = exact._tasks(p)
    n = p.n
    pts = []
    for t in ts:
        phi = (
            exact._solution(t, p.theta, p.lam, 0.0)[0]
            if K is None
            else exact._trajectory(t, p.theta, p.lam, K, a, inner=inner).phi_K
        )
        pts.append((t.hess_tr(phi), t.grad_te(phi)))
    vs: list = []
    _add(vs, "(lam I + grad^2 fhat)^-1 grad f: the lam factor of eq. (8) dropped",
         lambda: np.mean([np.linalg.solve(H + p.lam * np.eye(n), g) for H, g in pts], 0))  # fmt: skip
    _add(vs, "(I + grad^2 fhat)^-1 grad f: lam taken as 1 in eq. (8)",
         lambda: np.mean([np.linalg.solve(H + np.eye(n), g) for H, g in pts], 0))  # fmt: skip
    cg: dict[int, list] = {j: [] for j in range(1, min(n, 12))}
    for H, g in pts:
        Sm = np.eye(n) + H / p.lam
        x, r = np.zeros(n), g.copy()
        d, rr = r.copy(), float(r @ r)
        for j in cg:
            if rr > 0:
                Ad = Sm @ d
                al = rr / float(d @ Ad)
                x, r = x + al * d, r - al * Ad
                rr2 = float(r @ r)
                d, rr = r + rr2 / rr * d, rr2
            cg[j].append(x.copy())
    vs += [
        (f"CG stopped after {j} iteration{'s' * (j > 1)} (a short CG budget: raise it, or pass cg_tol= with your "
         "solver's relative residual)", np.mean(cg[j], 0))
        for j in cg
    ]  # fmt: skip
    return vs


def _solve_tols(p: Any, inner_tol: float, cg_tol: float, K: int | None, a: Any, inner: exact.Inner) -> float:
    r"""Eq. (7)/(8) at an inexact phi (``inner_tol``) or with a solve stopped at relative residual ``cg_tol``."""
    if inner_tol == 0 and cg_tol == 0:
        return 0.0
    worst = 0.0
    for t in exact._tasks(p):
        phi = (
            exact._solution(t, p.theta, p.lam, 0.0)[0]
            if K is None
            else exact._trajectory(t, p.theta, p.lam, K, a, inner=inner).phi_K
        )
        S = t.hess_tr(phi) + p.lam * np.eye(p.n)
        mu = float(np.linalg.eigvalsh(S)[0])
        g = t.grad_te(phi)
        v = p.lam * np.linalg.solve(S, g)
        lm = p.lam / mu
        worst = max(
            worst,
            lm * (exact._norm2(t.hess_te(phi)) + t.L2 * exact._norm2(v)) * inner_tol + lm * cg_tol * exact._norm2(g),
        )
    return worst


# ----------------------------------------------------------------------------- public assertions
def assert_meta_gradient(
    fn: Callable,
    problem: Any,
    *,
    inner_tol: float = 0.0,
    cg_tol: float = 0.0,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem)`` must return eq. (7)'s meta-gradient averaged over tasks, shape (n,):

    .. math::  \nabla F(\theta)=\frac1M\sum_i\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i),
               \quad\phi^*_i=\arg\min_\phi\hat f_i(\phi)+\tfrac\lambda2\|\phi-\theta\|^2

    (Chayti & Jaggi, eqs. (5)-(7)).  Tolerance: module docstring with K = 0; ``inner_tol`` (a bound on
    :math:`\|\tilde\phi-\phi^*\|`) and ``cg_tol`` (the relative residual of your solve) widen it by what they allow.
    """
    atol = _common(fn, backend, dtype, atol, device)
    p = _valid(problem)
    exact._need_prox(p, "The meta-gradient of eq. (7)")
    it = _nonneg(inner_tol, "inner_tol", "a bound on your inner solution's error |phi~ - phi*|")
    ct = _nonneg(cg_tol, "cg_tol", "the relative residual at which your linear solve stops")
    extra = _solve_tols(p, it, ct, None, None, exact.GD)

    def core(ts):
        return exact._meta(ts, p.theta, p.lam)

    def variants(yours):
        ts = exact._tasks(p)
        ref = exact._finish(*core(ts), "meta-gradient")
        vs = [
            ("grad fhat (training) used for grad f (test)", np.mean(exact._meta(exact._swap(ts), p.theta, p.lam)[0], 0))
        ]
        fo = [t.grad_te(exact._solution(t, p.theta, p.lam, 0.0)[0]) for t in ts]
        vs.append(("grad f_i(phi*_i) without the factor lam (lam I + grad^2 fhat_i)^-1", np.mean(fo, 0)))
        return vs + _imaml_variants(p, None, None, exact.GD, ref.per_task) + _tasks_variants(ref.per_task)

    _compare(
        "The meta-gradient (eq. 7)", "assert_meta_gradient(fn, problem)", core, fn, (), p,
        K=0, backend=backend, dtype=dtype, atol=atol, device=device, variants=variants,
        extra_tol=extra, extra_why="inexact solutions (inner_tol / cg_tol)",
    )  # fmt: skip


def _kstep(
    name: str,
    quantity: str,
    core: Callable,
    fn: Callable,
    problem: Any,
    steps: Any,
    lr: Any,
    momentum: Any,
    nesterov: Any,
    backend: str,
    dtype: str,
    device: Any,
    atol: Any,
    more: Callable[..., list] | None = None,
) -> None:
    atol = _common(fn, backend, dtype, atol, device)
    p = _valid(problem)
    K, a = _steps_lr(p, steps, lr)
    inner = _inner(momentum, nesterov)

    def cr(ts):
        return core(ts, p.theta, p.lam, K, a, inner=inner)

    def variants(yours):
        ref = exact._finish(*cr(exact._tasks(p)), quantity)
        vs = list(more(p, K, a, inner, ref) if more else [])
        vs += _k_variants(p, K, a, core, ref, inner)
        if isinstance(p, MLPProblem):
            vs += _mlp_variants(p, ref.value)
        return vs + _lr_variant(p, K, a, core, inner, yours, 0.0)

    opt = "" if inner.plain else f", momentum={inner.momentum!r}" + (", nesterov=True" if inner.nesterov else "")
    _compare(
        quantity, f"{name}(fn, problem, steps={K}, lr={_code(a)}{opt})", cr, fn, (K, a), p,
        K=K, backend=backend, dtype=dtype, atol=atol, device=device, variants=variants,
    )  # fmt: skip


def assert_maml_gradient(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: Any = None,
    momentum: float = 0.0,
    nesterov: bool = False,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return the MAML gradient through K = ``steps`` inner steps, averaged over tasks:

    .. math::  \frac1M\sum_i\nabla_\theta f_i(\phi_{i,K}(\theta)),\qquad
               \phi_{k+1}=\phi_k-\alpha\big(\nabla\hat f_i(\phi_k)+\lambda(\phi_k-\theta)\big),\ \phi_0=\theta,

    i.e. GD with step :math:`\alpha` = ``lr`` on the proximal inner problem (6) started at theta, differentiated
    through all K steps (second-order terms included; the convention of ``bmaml_theory.baselines.maml``).  With
    ``lam = 0`` (:func:`~bmaml_theory.testing.maml_problems`) this is standard MAML (Finn et al.; Fallah et al.'s
    one-step MAML at K = 1): GD on :math:`\hat f_i` alone.
    ``lr=None`` uses :func:`~bmaml_theory.testing.exact.stable_lr` (:math:`1/(\lambda+\hat L_1)`; at lam = 0 half of it); lr must lie in
    :math:`(0,2/(\lambda+\hat L_1))`; a vector lr of shape (n,) is Meta-SGD's per-coordinate step (handed to ``fn`` as
    a ``backend`` array).  ``momentum`` / ``nesterov``: the inner loop is ``torch.optim.SGD(lr, momentum, nesterov)``.
    """
    _kstep(
        "assert_maml_gradient", "The MAML gradient", exact._maml, fn, problem, steps, lr, momentum, nesterov,
        backend, dtype, device, atol, more=_maml_more,
    )  # fmt: skip


def _maml_more(p, K, a, inner, ref):
    ts = exact._tasks(p)
    vs = [
        (
            "FO-MAML: the second-order term dropped (grad f_i(phi_K) alone; create_graph=False, first_order=True)",
            _mean(exact._fo_maml(ts, p.theta, p.lam, K, a, inner=inner)),
        )
    ]
    if p.lam > 0:
        vs.append(
            (
                "the proximal centre detached (lam/2||phi - theta.detach()||^2: the lam term's path to theta cut)",
                _mean(exact._maml(ts, p.theta, p.lam, K, a, inner=inner._replace(detach_centre=True))),
            )
        )
    return vs


def assert_fo_maml(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: Any = None,
    momentum: float = 0.0,
    nesterov: bool = False,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return FO-MAML, eq. (3): :math:`\frac1M\sum_i\nabla f_i(\phi_{i,K}(\theta))`.

    :math:`\phi_{i,K}`: K inner steps of ``lr`` from theta, as :func:`assert_maml_gradient` (``lam = 0``: standard).
    """
    _kstep(
        "assert_fo_maml", "The FO-MAML gradient (eq. 3)", exact._fo_maml, fn, problem, steps, lr, momentum, nesterov,
        backend, dtype, device, atol,
    )  # fmt: skip


def _reptile_more(p, K, a, inner, ref):
    ts = exact._tasks(p)
    vs = [
        ("the direction's sign flipped ((phi_K - theta)/(K lr))", -ref.value),
        ("(theta - phi_K)/lr, without 1/K", K * ref.value),
        ("(theta - phi_K)/K, without 1/lr", a * ref.value if np.ndim(a) == 0 else ref.value * a),
        (
            f"K+1 = {K + 1} steps taken but 1/(K lr) with K = {K} (a loop-only off-by-one)",
            _mean(exact._reptile(ts, p.theta, p.lam, K + 1, a, inner=inner, norm_steps=K)),
        ),
    ]
    if K > 1:
        vs.append(
            (
                f"K-1 = {K - 1} steps taken but 1/(K lr) with K = {K} (a loop-only off-by-one)",
                _mean(exact._reptile(ts, p.theta, p.lam, K - 1, a, inner=inner, norm_steps=K)),
            )
        )
    return vs


def assert_reptile(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: Any = None,
    momentum: float = 0.0,
    nesterov: bool = False,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return Reptile's direction, eq. (4): :math:`\frac1M\sum_i(\theta-\phi_{i,K})/(K\alpha)`.

    :math:`\phi_{i,K}`: K inner steps of ``lr`` from theta (``lam = 0``: GD on :math:`\hat f_i` alone).
    """
    _kstep(
        "assert_reptile", "The Reptile direction (eq. 4)", exact._reptile, fn, problem, steps, lr, momentum, nesterov,
        backend, dtype, device, atol, more=_reptile_more,
    )  # fmt: skip


def assert_imaml_gradient(
    fn: Callable,
    problem: Any,
    *,
    steps: int | None = 5,
    lr: Any = None,
    momentum: float = 0.0,
    nesterov: bool = False,
    inner_tol: float = 0.0,
    cg_tol: float = 0.0,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return iMAML's gradient: the exact solution of eq. (8), averaged over tasks,

    .. math::  v_i=(I+\nabla^2\hat f_i(\phi)/\lambda)^{-1}\nabla f_i(\phi)=\lambda(\lambda I+\nabla^2\hat f_i(\phi))^{-1}\nabla f_i(\phi),

    at :math:`\phi=\phi_{i,K}` (K inner steps of ``lr`` from theta, as :func:`assert_maml_gradient`), or at the exact
    :math:`\phi^*_i` with ``steps=None`` (``fn(problem, None, None)``; then v is eq. (7)'s meta-gradient).
    ``cg_tol``: the relative residual :math:`\rho` at which your solve of (8) stops (torchopt's
    ``solve_cg(rtol=...)``; the tolerance grows by :math:`\frac\lambda\mu\rho\|\nabla f_i\|`); ``inner_tol``: a bound on
    :math:`\|\tilde\phi-\phi\|` for an inexact inner solution (module docstring).
    """
    atol = _common(fn, backend, dtype, atol, device)
    p = _valid(problem)
    exact._need_prox(p, "iMAML")
    it = _nonneg(inner_tol, "inner_tol", "a bound on your inner solution's error |phi~ - phi|")
    ct = _nonneg(cg_tol, "cg_tol", "the relative residual at which your solve of (8) stops")
    inner = _inner(momentum, nesterov)
    if steps is None:
        K, a = None, None

        def cr(ts):
            return exact._meta(ts, p.theta, p.lam)

    else:
        K, a = _steps_lr(p, steps, lr)

        def cr(ts):
            return exact._imaml(ts, p.theta, p.lam, K, a, inner=inner)

    extra = _solve_tols(p, it, ct, K, a, inner)

    def variants(yours):
        ts = exact._tasks(p)
        ref = exact._finish(*cr(ts), "iMAML gradient")
        vs = _imaml_variants(p, K, a, inner, ref.per_task)
        if steps is None:
            return vs + _tasks_variants(ref.per_task)
        fo = (
            "FO-MAML: the second-order term dropped (grad f_i(phi_K) without the inverse of eq. (8))",
            _mean(exact._fo_maml(ts, p.theta, p.lam, K, a, inner=inner)),
        )
        return [fo, *vs, *_k_variants(p, K, a, exact._imaml, ref, inner)]

    opt = "" if inner.plain else f", momentum={inner.momentum!r}" + (", nesterov=True" if inner.nesterov else "")
    _compare(
        "The iMAML gradient (eq. 8)", f"assert_imaml_gradient(fn, problem, steps={steps!r}, lr={_code(a)}{opt})", cr,
        fn, (K, a), p, K=K or 0, backend=backend, dtype=dtype, atol=atol, device=device, variants=variants,
        extra_tol=extra, extra_why="inexact solutions (inner_tol / cg_tol)",
    )  # fmt: skip


def assert_fo_bmaml(
    fn: Callable,
    problem: Any,
    *,
    nu: float | None = None,
    stencil: Any = "forward",
    inner_tol: float = 0.0,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem, nu)`` must return the FO-B-MAML estimate at exact solutions of (9), averaged over tasks:

    .. math::  g_\nu=-\frac\lambda\nu\sum_kw_k\,\phi^*_{i,t_k\nu}(\theta),\qquad
               \phi^*_{i,\nu}=\arg\min_\phi\hat f_i(\phi)+\nu f_i(\phi)+\tfrac\lambda2\|\phi-\theta\|^2,

    forward (eq. 10: nodes 0, 1, weights -1, 1) or symmetric (eq. 11: nodes -1, 1, weights -1/2, 1/2), or any
    stencil of :mod:`bmaml_theory.stencils`.  The exact :math:`g_\nu` carries the whole bias series, so matching it
    matches the bias :math:`g_\nu-\nabla F=s_p(-\nu)^p(S^{-1}A)^p\nabla F+O(\nu^{p+1})` to leading order and beyond
    (eq. 12; the message reports both).  ``nu=None``: :func:`~bmaml_theory.testing.exact.default_nu`.
    ``inner_tol``: a bound :math:`\delta` on your solver's error :math:`\|\tilde\phi-\phi^*\|`, adding
    :math:`\lambda\delta\|w\|_1/|\nu|` to the tolerance (eq. 13).  A :math:`\nu` so small that the differences of
    float solutions lose the answer to cancellation is refused (:class:`NotJudgeableError`).
    """
    atol = _common(fn, backend, dtype, atol, device)
    p = _valid(problem)
    exact._need_prox(p, "FO-B-MAML")
    st = exact.as_stencil(stencil)
    if nu is None:
        nu = exact.default_nu(p, st)
    else:
        nu = exact._real(nu, "nu", "the perturbation of eqs. (9)-(11)")
        if not math.isfinite(nu) or nu == 0:
            raise ValueError(f"nu must be a finite non-zero perturbation, got {nu!r}.")
    it = _nonneg(inner_tol, "inner_tol", "a bound on your inner solutions' error |phi~ - phi*|")
    extra = p.lam * it * st.w_l1 / abs(nu)
    ref = exact.fo_bmaml_estimate(p, nu, st)
    mg = exact.meta_gradient(p)
    stname = repr(st.name) if st.name in ("forward", "symmetric") else str(st.order)
    note = f"stencil {st.name}: nodes {st.nodes}, weights {st.weights}, order {st.order}; nu = {nu!r}. "
    note += f"exact bias |g_nu - grad F|_2 = {float(np.linalg.norm(ref.value - mg.value)):.3e}"
    if isinstance(p, QuadraticProblem):
        lead = exact.fo_bmaml_leading_bias(p, nu, st)
        note += f", its leading term s_p (-nu)^p (S^-1 A)^p grad F has norm {float(np.linalg.norm(lead)):.3e}"

    def cr(ts):
        return exact._fo_bmaml(ts, p.theta, p.lam, nu, st)

    def variants(yours):
        vs = [
            ("the exact meta-gradient (eq. 7), not the estimate at this nu", mg.value),
            ("the estimate with its sign flipped (+lam/nu)", -ref.value),
        ]
        if st.order == 1:
            vs.append(("the forward estimate divided by 2 nu (symmetric normalisation)", ref.value / 2))
        if st.order == 2:
            vs.append(("the symmetric estimate without its 1/2 ((phi_nu - phi_-nu)/nu)", 2 * ref.value))
        other = exact.SYMMETRIC if st.order == 1 else exact.FORWARD
        vs.append((f"the {other.name} stencil instead of {st.name}", exact.fo_bmaml_estimate(p, nu, other).value))
        return vs + _tasks_variants(ref.per_task)

    small_nu = abs(nu) < 1e-3 * exact.default_nu(p, st)
    why = (
        f"nu = {nu:.3g}: the estimate divides differences of solutions by nu, so a correct float implementation loses "
        f"about eps/|nu| of |phi*| to cancellation (eq. 13); use nu=None (default_nu) or a larger |nu|.",
    )[: int(small_nu)]
    _compare(
        f"The FO-B-MAML {st.name} estimate", f"assert_fo_bmaml(fn, problem, nu={nu!r}, stencil={stname})", cr, fn,
        (nu,), p, K=0, backend=backend, dtype=dtype, atol=atol, device=device, extra_tol=extra,
        extra_why="inexact inner solutions (inner_tol, eq. 13)", variants=variants, note=note, why=why,
    )  # fmt: skip


def assert_meta_sgd_lr_gradient(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: Any = None,
    backend: str = "numpy",
    dtype: str = "float64",
    device: Any = None,
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return Meta-SGD's gradient with respect to its learned inner steps
    :math:`\alpha\in\mathbb R^n` (Li et al. 2017), averaged over tasks, shape (n,):

    .. math::  \partial_\alpha\frac1M\sum_if_i(\phi_{i,K}(\theta,\alpha)),\qquad
               \phi_{k+1}=\phi_k-\alpha\odot\big(\nabla\hat f_i(\phi_k)+\lambda(\phi_k-\theta)\big),\ \phi_0=\theta.

    ``lr`` (a vector of shape (n,), or a number for :math:`\alpha=\mathrm{lr}\cdot\mathbf 1`; default
    :func:`~bmaml_theory.testing.exact.stable_lr`) is handed to ``fn`` as a ``backend`` vector of shape (n,): make it a
    leaf that requires grad and differentiate the query loss with respect to it.  The gradient with respect to
    theta is :func:`assert_maml_gradient` with the same vector ``lr``.  Plain GD inner loops only.
    Tolerance: module docstring, with the scale of :func:`~bmaml_theory.testing.exact.meta_sgd_lr_gradient`.
    """
    atol = _common(fn, backend, dtype, atol, device)
    p = _valid(problem)
    K, a = _steps_lr(p, steps, lr)
    a = np.broadcast_to(np.asarray(a, dtype=float), (p.n,)).copy()

    def cr(ts):
        return exact._maml_lr(ts, p.theta, p.lam, K, a)

    def variants(yours):
        ts = exact._tasks(p)
        ref = exact._finish(*cr(ts), "Meta-SGD learned-step gradient")
        vs: list = [
            ("the gradient with respect to theta, not to the learned steps alpha",
             _mean(exact._maml(ts, p.theta, p.lam, K, a))),
            ("the Hessian term dropped (the steps differentiated first-order: create_graph=False in the inner loop)",
             _mean(exact._maml_lr(ts, p.theta, p.lam, K, a, first_order=True))),
            ("the sign flipped", -ref.value),
        ]  # fmt: skip
        if K > 1:
            _add(vs, f"K-1 = {K - 1} inner steps (off-by-one in K)", lambda: _mean(cr_k(ts, K - 1)))
        _add(vs, f"K+1 = {K + 1} inner steps (off-by-one in K)", lambda: _mean(cr_k(ts, K + 1)))
        return vs + _tasks_variants(ref.per_task)

    def cr_k(ts, k):
        return exact._maml_lr(ts, p.theta, p.lam, k, a)

    _compare(
        "Meta-SGD's learned-step gradient", f"assert_meta_sgd_lr_gradient(fn, problem, steps={K}, lr={_code(a)})", cr,
        fn, (K, a), p, K=K, backend=backend, dtype=dtype, atol=atol, device=device, variants=variants,
    )  # fmt: skip
