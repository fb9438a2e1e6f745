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
``atol=`` replaces the tolerance outright (say why in your test).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from bmaml_theory.testing import exact
from bmaml_theory.testing.adapters import from_user, to_backend
from bmaml_theory.testing.problems import LogisticProblem, QuadraticProblem

__all__ = [
    "C_TOL",
    "MetaGradientMismatchError",
    "assert_fo_bmaml",
    "assert_fo_maml",
    "assert_imaml_gradient",
    "assert_maml_gradient",
    "assert_meta_gradient",
    "assert_reptile",
    "tolerance",
]

C_TOL = 32.0
"""The constant C of the tolerance (see the module docstring for its derivation)."""


class MetaGradientMismatchError(AssertionError):
    """The user's answer differs from the exact one; attributes: quantity, diff, tol, yours, exact, problem."""

    def __init__(self, message: str, *, quantity: str, diff: float, tol: float, yours: Any, exact: Any, problem: Any):
        super().__init__(message)
        self.quantity, self.diff, self.tol = quantity, diff, tol
        self.yours, self.exact, self.problem = yours, exact, problem


def tolerance(ref: exact.Reference, *, n: int, K: int = 0, dtype: str = "float64") -> float:
    r""":math:`C(n+K)u\max_i\mathrm{scale}_i` (module docstring), u the machine epsilon of ``dtype``."""
    return float(C_TOL * (n + K) * np.finfo(np.dtype(dtype)).eps * np.max(ref.scale))


def _fmt(v: np.ndarray) -> str:
    return np.array2string(np.asarray(v), precision=17, separator=", ", max_line_width=200)


def _instance(problem: Any) -> str:
    p = problem
    kind = type(p).__name__
    thr = "yes" if p.at_threshold else "no"
    extra = ""
    if isinstance(p, QuadraticProblem):
        S = p.A_train + p.lam * np.eye(p.n)
        ev = np.linalg.eigvalsh(S)
        extra = f", cond(A_train + lam I) <= {float(np.max(ev[:, -1] / ev[:, 0])):.3g}, train == test: " + (
            "yes" if np.array_equal(p.A_train, p.A_test) and np.array_equal(p.b_train, p.b_test) else "no"
        )
    return f"{kind} with M={p.M} tasks, n={p.n}, lam={p.lam:.6g} (lam >= 2*Lhat1: {thr}, Lhat1={p.Lhat1:.6g}){extra}"


def _compare(
    quantity: str,
    call: str,
    ref: exact.Reference,
    fn: Callable,
    args: tuple,
    problem: Any,
    *,
    K: int,
    backend: str,
    dtype: str,
    atol: float | None,
    extra_tol: float = 0.0,
    variants: Callable[[], list[tuple[str, np.ndarray]]] | None = None,
    note: str = "",
) -> None:
    if not callable(fn):
        raise TypeError(f"fn must be callable (your implementation), got {type(fn).__name__}.")
    if atol is not None and not (math.isfinite(float(atol)) and atol > 0):
        raise ValueError(f"atol must be a finite number > 0 (or None for the derived tolerance), got {atol!r}.")
    fname = getattr(fn, "__qualname__", repr(fn))
    view = to_backend(problem, backend, dtype)
    ans = from_user(fn(view, *args), n=problem.n, what=fname)
    tol = float(atol) if atol is not None else tolerance(ref, n=problem.n, K=K, dtype=dtype) + extra_tol
    yours, want = ans.value, ref.value
    finite = bool(np.all(np.isfinite(yours)))
    diff = float(np.linalg.norm(yours - want)) if finite else math.inf
    wrong_dtype = dtype == "float64" and ans.dtype in ("float32", "float16", "bfloat16")
    if finite and diff <= tol and not wrong_dtype:
        return
    lines = [f"{quantity} of {fname} differs from the exact value ({call})."]
    if not finite:
        lines.append("  your answer is not finite (NaN or inf): never a pass.")
    else:
        rel = diff / max(float(np.linalg.norm(want)), 1e-300)
        lines.append(
            f"  |yours - exact|_2 = {diff:.3e}, tolerance {tol:.3e} ({diff / tol:.3g} x the tolerance); "
            f"relative to |exact|_2 = {float(np.linalg.norm(want)):.3e}: {rel:.3e}"
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
            + (f", + {extra_tol:.3e} for inexact inner solutions" if extra_tol else "")
            + " (bmaml_theory.testing.assertions explains the derivation)"
        )
    if note:
        lines.append("  " + note)
    lines.append("  instance: " + _instance(problem))
    if finite:
        tol32 = tolerance(ref, n=problem.n, K=K, dtype="float32") + extra_tol
        lines.extend(_diagnose(yours, want, tol, tol32, dtype, variants))
    lines.append("  replay:")
    lines.extend("    " + ln for ln in problem.replay().splitlines())
    lines.append("    " + call.replace("(fn,", f"({fname},", 1))
    lines.append(
        "  (under Hypothesis the falsifying example is printed with this problem's repr; "
        "settings(print_blob=True) adds a @reproduce_failure line)"
    )
    raise MetaGradientMismatchError(
        "\n".join(lines), quantity=quantity, diff=diff, tol=tol, yours=yours, exact=want, problem=problem
    )


def _diagnose(yours, want, tol, tol32, dtype, variants) -> list[str]:
    """Which known bug the answer matches (within the tolerance, and only where it differs from the truth)."""
    out = []
    found = False
    if variants is not None:
        try:
            cands = variants()
        except Exception:  # a variant that cannot be evaluated on this instance is simply not offered
            cands = []
        for label, v in cands:
            if not np.all(np.isfinite(v)) or float(np.linalg.norm(v - want)) <= 10 * tol:
                continue  # indistinguishable from the truth on this instance: no evidence either way
            d = float(np.linalg.norm(yours - v))
            if d <= 10 * tol:
                out.append(f"  diagnosis: your answer matches {label} (|yours - that|_2 = {d:.3e})")
                found = True
    if not found and dtype == "float64":
        diff = float(np.linalg.norm(yours - want))
        if diff <= tol32:
            out.append(
                f"  diagnosis: the discrepancy is within the float32 tolerance ({tol32:.3e}, the same bound with "
                "eps(float32)): the round-off of float32, not of float64. Was part of the computation done in float32 "
                "(or an iterative solver stopped early)?"
            )
            found = True
    if not found:
        out.append("  diagnosis: the answer matches none of the known bugs the kit checks for.")
    return out


def _tasks_variants(per_task: np.ndarray) -> list[tuple[str, np.ndarray]]:
    M = per_task.shape[0]
    if M < 2:
        return []
    return [
        ("the sum over tasks instead of the mean (tasks averaged wrongly)", per_task.sum(0)),
        ("the last task only (tasks averaged wrongly)", per_task[-1]),
        ("the mean divided by M again (tasks averaged wrongly)", per_task.mean(0) / M),
    ]


def _k_variants(p: Any, K: int, a: float, core: Callable, ref: exact.Reference) -> list[tuple[str, np.ndarray]]:
    ts = exact._tasks(p)
    vs: list[tuple[str, np.ndarray]] = []

    def mean(fn_out):
        return np.mean(np.stack(fn_out[0]), axis=0)

    if K > 1:
        vs.append((f"K-1 = {K - 1} inner steps (off-by-one in K)", mean(core(ts, p.theta, p.lam, K - 1, a))))
    vs.append((f"K+1 = {K + 1} inner steps (off-by-one in K)", mean(core(ts, p.theta, p.lam, K + 1, a))))
    vs.append(
        (
            "the proximal term's sign flipped (GD on fhat - lam/2||phi - theta||^2)",
            mean(core(ts, p.theta, -p.lam, K, a, closed=False)),
        )
    )
    vs.append(("grad fhat (training) used for grad f (test)", mean(core(exact._swap(ts), p.theta, p.lam, K, a))))
    vs.extend(_tasks_variants(ref.per_task))
    return vs


def _steps_lr(problem: Any, steps: Any, lr: Any) -> tuple[int, float]:
    return exact._check_steps(problem, steps, exact.stable_lr(problem) if lr is None else lr)


def _valid(problem: Any) -> Any:
    if not isinstance(problem, QuadraticProblem | LogisticProblem):
        raise TypeError(
            f"problem must be a QuadraticProblem or LogisticProblem (bmaml_theory.testing), got {type(problem).__name__}."
        )
    return problem.validate()


# ----------------------------------------------------------------------------- public assertions
def assert_meta_gradient(
    fn: Callable, problem: Any, *, backend: str = "numpy", dtype: str = "float64", atol: float | None = None
) -> None:
    r"""``fn(problem)`` must return eq. (7)'s meta-gradient averaged over tasks, shape (n,):

    .. math::  \nabla F(\theta)=\frac1M\sum_i\lambda(\lambda I+\nabla^2\hat f_i(\phi^*_i))^{-1}\nabla f_i(\phi^*_i),
               \quad\phi^*_i=\arg\min_\phi\hat f_i(\phi)+\tfrac\lambda2\|\phi-\theta\|^2

    (Chayti & Jaggi, eqs. (5)-(7)).  Tolerance: module docstring with K = 0.
    """
    p = _valid(problem)
    ref = exact.meta_gradient(p)

    def variants():
        ts = exact._tasks(p)
        vs = [
            ("grad fhat (training) used for grad f (test)", np.mean(exact._meta(exact._swap(ts), p.theta, p.lam)[0], 0))
        ]
        fo = [t.grad_te(exact._solution(t, p.theta, p.lam, 0.0)[0]) for t in ts]
        vs.append(("grad f_i(phi*_i) without the factor lam (lam I + grad^2 fhat_i)^-1", np.mean(fo, 0)))
        return vs + _tasks_variants(ref.per_task)

    _compare(
        "The meta-gradient (eq. 7)", "assert_meta_gradient(fn, problem)", ref, fn, (), p,
        K=0, backend=backend, dtype=dtype, atol=atol, variants=variants,
    )  # fmt: skip


def assert_maml_gradient(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: float | None = None,
    backend: str = "numpy",
    dtype: str = "float64",
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return the MAML gradient through K = ``steps`` GD steps, averaged over tasks:

    .. math::  \frac1M\sum_i\nabla_\theta f_i(\phi_{i,K}(\theta)),\qquad
               \phi_{k+1}=\phi_k-\alpha\big(\nabla\hat f_i(\phi_k)+\lambda(\phi_k-\theta)\big),\ \phi_0=\theta,

    i.e. GD with step :math:`\alpha` = ``lr`` on the proximal inner problem (6) started at theta, differentiated
    through all K steps (second-order terms included; the convention of ``bmaml_theory.baselines.maml``).
    ``lr=None`` uses :func:`~bmaml_theory.testing.exact.stable_lr` :math:`=1/(\lambda+\hat L_1)`; any lr must lie in
    :math:`(0,2/(\lambda+\hat L_1))` (GD contracts).
    """
    p = _valid(problem)
    K, a = _steps_lr(p, steps, lr)
    ref = exact.maml_gradient(p, K, a)

    def variants():
        ts = exact._tasks(p)
        fo = (
            "FO-MAML: the second-order term dropped (grad f_i(phi_K) alone)",
            np.mean(exact._fo_maml(ts, p.theta, p.lam, K, a)[0], 0),
        )
        return [fo, *_k_variants(p, K, a, exact._maml, ref)]

    _compare(
        "The MAML gradient", f"assert_maml_gradient(fn, problem, steps={K}, lr={a!r})", ref, fn, (K, a), p,
        K=K, backend=backend, dtype=dtype, atol=atol, variants=variants,
    )  # fmt: skip


def assert_fo_maml(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: float | None = None,
    backend: str = "numpy",
    dtype: str = "float64",
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return FO-MAML, eq. (3): :math:`\frac1M\sum_i\nabla f_i(\phi_{i,K}(\theta))`.

    :math:`\phi_{i,K}`: K GD steps of ``lr`` on the proximal inner problem from theta (as :func:`assert_maml_gradient`).
    """
    p = _valid(problem)
    K, a = _steps_lr(p, steps, lr)
    ref = exact.fo_maml_gradient(p, K, a)
    _compare(
        "The FO-MAML gradient (eq. 3)", f"assert_fo_maml(fn, problem, steps={K}, lr={a!r})", ref, fn, (K, a), p,
        K=K, backend=backend, dtype=dtype, atol=atol, variants=lambda: _k_variants(p, K, a, exact._fo_maml, ref),
    )  # fmt: skip


def assert_reptile(
    fn: Callable,
    problem: Any,
    *,
    steps: int = 5,
    lr: float | None = None,
    backend: str = "numpy",
    dtype: str = "float64",
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return Reptile's direction, eq. (4): :math:`\frac1M\sum_i(\theta-\phi_{i,K})/(K\alpha)`.

    :math:`\phi_{i,K}`: K GD steps of ``lr`` on the proximal inner problem from theta.
    """
    p = _valid(problem)
    K, a = _steps_lr(p, steps, lr)
    ref = exact.reptile_direction(p, K, a)

    def variants():
        vs = _k_variants(p, K, a, exact._reptile, ref)
        vs.append(("the direction's sign flipped ((phi_K - theta)/(K lr))", -ref.value))
        vs.append(("(theta - phi_K)/lr, without 1/K", K * ref.value))
        vs.append(("(theta - phi_K)/K, without 1/lr", a * ref.value))
        return vs

    _compare(
        "The Reptile direction (eq. 4)", f"assert_reptile(fn, problem, steps={K}, lr={a!r})", ref, fn, (K, a), p,
        K=K, backend=backend, dtype=dtype, atol=atol, variants=variants,
    )  # fmt: skip


def assert_imaml_gradient(
    fn: Callable,
    problem: Any,
    *,
    steps: int | None = 5,
    lr: float | None = None,
    backend: str = "numpy",
    dtype: str = "float64",
    atol: float | None = None,
) -> None:
    r"""``fn(problem, steps, lr)`` must return iMAML's gradient: the exact solution of eq. (8), averaged over tasks,

    .. math::  v_i=(I+\nabla^2\hat f_i(\phi)/\lambda)^{-1}\nabla f_i(\phi)=\lambda(\lambda I+\nabla^2\hat f_i(\phi))^{-1}\nabla f_i(\phi),

    at :math:`\phi=\phi_{i,K}` (K GD steps of ``lr`` from theta, as :func:`assert_maml_gradient`), or at the exact
    :math:`\phi^*_i` with ``steps=None`` (``fn(problem, None, None)``; then v is eq. (7)'s meta-gradient).  A
    conjugate-gradient solver must be run to convergence (the kit judges the solution of (8), not a CG budget).
    """
    p = _valid(problem)
    if steps is None:
        ref, K, a = exact.meta_gradient(p), 0, None
    else:
        K, a = _steps_lr(p, steps, lr)
        ref = exact.imaml_gradient(p, K, a)

    def variants():
        ts = exact._tasks(p)
        if steps is None:
            return _tasks_variants(ref.per_task)
        fo = (
            "FO-MAML: the second-order term dropped (grad f_i(phi_K) without the inverse of eq. (8))",
            np.mean(exact._fo_maml(ts, p.theta, p.lam, K, a)[0], 0),
        )
        return [fo, *_k_variants(p, K, a, exact._imaml, ref)]

    _compare(
        "The iMAML gradient (eq. 8)", f"assert_imaml_gradient(fn, problem, steps={steps!r}, lr={a!r})", ref, fn,
        (K if steps is not None else None, a), p, K=K, backend=backend, dtype=dtype, atol=atol, variants=variants,
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
    :math:`\lambda\delta\|w\|_1/|\nu|` to the tolerance (eq. 13).
    """
    p = _valid(problem)
    st = exact.as_stencil(stencil)
    nu = exact.default_nu(p, st) if nu is None else float(nu)
    if not (math.isfinite(float(inner_tol)) and inner_tol >= 0):
        raise ValueError(f"inner_tol must be a finite number >= 0 (a bound on your inner error), got {inner_tol!r}.")
    ref = exact.fo_bmaml_estimate(p, nu, st)
    mg = exact.meta_gradient(p)
    extra = p.lam * float(inner_tol) * st.w_l1 / abs(nu)
    stname = repr(st.name) if st.name in ("forward", "symmetric") else str(st.order)
    note = f"stencil {st.name}: nodes {st.nodes}, weights {st.weights}, order {st.order}; nu = {nu!r}. "
    note += f"exact bias |g_nu - grad F|_2 = {float(np.linalg.norm(ref.value - mg.value)):.3e}"
    if isinstance(p, QuadraticProblem):
        lead = exact.fo_bmaml_leading_bias(p, nu, st)
        note += f", its leading term s_p (-nu)^p (S^-1 A)^p grad F has norm {float(np.linalg.norm(lead)):.3e}"

    def variants():
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

    _compare(
        f"The FO-B-MAML {st.name} estimate", f"assert_fo_bmaml(fn, problem, nu={nu!r}, stencil={stname})", ref, fn,
        (nu,), p, K=0, backend=backend, dtype=dtype, atol=atol, extra_tol=extra, variants=variants, note=note,
    )  # fmt: skip
