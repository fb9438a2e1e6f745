r"""Fuzzing the public API: a catalogue of bad and edge inputs, and Hypothesis strategies.

Two tools share one list of entry points (:func:`entry_points`):

* :func:`run_catalogue` calls every public constructor, function and method with each argument replaced, one
  at a time, by a bad or edge value (wrong shape, wrong dtype, NaN/inf, empty, None, strings, extreme magnitudes,
  values at and past the edges of the assumptions), under a per-call time limit, and classifies each outcome;
* :func:`garbage` (Hypothesis) draws arbitrary arrays, scalars, None and strings for the suite's fuzz test.

Every case carries what a correct library does with it (``expect``):

* ``"error"``: the input is invalid; the only good outcome is a *clean error*: ``ValueError`` / ``TypeError``
  (or a library ``ArithmeticError`` / ``RuntimeError``) whose message names the argument;
* ``"ok"``: the input is legal; the good outcome is a *finite result* (of the documented shape where one is given);
* ``"either"``: legal but extreme; a clean error or a finite result are both good;
* ``"warn"``: legal but the result is untrustworthy; good is a finite result with an
  :class:`~bmaml_theory.AccuracyWarning` (or a clean error).

Anything else - an error from NumPy/SciPy internals that names no argument, a NaN/inf result, an invalid input
accepted, a result of the wrong shape, an untrustworthy result with no warning, or a call over the time limit -
is counted as ``other`` with its reason.  The counts are grouped by the item of issue 16 the case exercises:
1 validation of inputs, 2 non-finite results, 3 warnings on untrustworthy results, 4 the task protocol,
5 names (entry points that must exist or must not be confusable).
"""

from __future__ import annotations

import math
import re
import signal
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Case",
    "Target",
    "check_call",
    "classify",
    "entry_points",
    "garbage",
    "run_catalogue",
    "summarise",
    "targets",
]

TIME_LIMIT_S = 5.0  # a call slower than this on a 3-dimensional problem is a hang for the catalogue's purpose


@dataclass
class Case:
    """One call: ``entry`` (its public name), ``arg`` (the argument replaced), ``label``, ``expect``, ``item``."""

    entry: str
    arg: str
    label: str
    expect: str
    item: int
    call: Callable[[], Any] = field(repr=False)
    shape: tuple | None = None  # documented result shape for "ok" cases
    finite: bool = True  # whether every number of the result must be finite


class _TimeoutError(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _TimeoutError


def _all_finite(x: Any) -> bool:
    """Every number in x (arrays, floats, tuples, dicts, NamedTuples) finite; None and strings ignored."""
    if x is None or isinstance(x, (str, bytes, bool)):
        return True
    if isinstance(x, dict):
        return all(_all_finite(v) for v in x.values())
    if isinstance(x, (tuple, list)):
        return all(_all_finite(v) for v in x)
    if isinstance(x, (int, float, complex, np.number)):
        return bool(np.isfinite(x))
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        from bmaml_theory._backend import to_numpy

        a = to_numpy(x)
        if a.dtype.kind in "fciu":
            return bool(np.all(np.isfinite(a)))
        return True
    return True


def _names_arg(msg: str, arg: str) -> bool:
    names = [a for a in re.split(r"[,/ ]+", arg) if a]
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(a)}(?![A-Za-z0-9_])", msg) for a in names)


def classify(case: Case, time_limit: float = TIME_LIMIT_S) -> tuple[str, str]:
    """Run one case: ``("clean_error" | "finite_result" | "other", reason)``."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit)
    try:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                out = case.call()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimeoutError:
        return "other", "hang"
    except (ValueError, TypeError, ArithmeticError, RuntimeError) as exc:
        msg = str(exc)
        if not _names_arg(msg, case.arg) and not (case.expect in ("either", "warn") and "finite" in msg):
            return "other", f"unclear_error:{type(exc).__name__}"
        if case.expect == "ok":
            return "other", f"rejected_legal:{type(exc).__name__}"
        return "clean_error", type(exc).__name__
    except Exception as exc:
        return "other", f"unclear_error:{type(exc).__name__}"
    finally:
        signal.signal(signal.SIGALRM, old)
    if case.expect == "error":
        return "other", "accepted_invalid"
    if case.finite and not _all_finite(out):
        return "other", "non_finite"
    if case.shape is not None and tuple(getattr(out, "shape", ())) != case.shape:
        return "other", f"wrong_shape:{tuple(getattr(out, 'shape', ()))}"
    if case.expect == "warn" and not any(type(w.message).__name__ == "AccuracyWarning" for w in rec):
        return "other", "silent_untrustworthy"
    return "finite_result", "ok"


# --------------------------------------------------------------------------------------------- values
def _array_values(x: np.ndarray) -> list[tuple[str, Any, str]]:
    """(label, value, expect) replacing an array argument ``x``."""
    x = np.asarray(x, dtype=float)
    nan = x.copy()
    nan.flat[0] = np.nan
    inf = x.copy()
    inf.flat[-1] = np.inf
    return [
        ("extra axis", x[..., None] * np.ones(2), "error"),
        ("missing axis", x[..., 0] if x.ndim > 1 else x[0], "error"),
        ("empty", np.empty((0, *x.shape[1:])), "error"),
        ("nan entry", nan, "error"),
        ("inf entry", inf, "error"),
        ("complex", x + 1j, "error"),
        ("complex, zero imaginary part", x.astype(complex), "error"),
        ("None", None, "error"),
        ("string", "abc", "error"),
        ("array of strings", np.full(x.shape, "a"), "error"),
        ("object array", np.array(x.tolist() if x.ndim else float(x), dtype=object), "either"),
        ("bool array", np.ones(x.shape, dtype=bool), "either"),
        ("int array", np.round(x).astype(np.int64), "ok"),
        ("nested list", x.tolist(), "ok"),
        ("float32", x.astype(np.float32), "ok"),
        ("scaled 1e155", x * 1e155, "either"),
        ("scaled 1e-300", x * 1e-300, "either"),
    ]


def _pos_values(v: float) -> list[tuple[str, Any, str]]:
    """(label, value, expect) replacing a scalar that must be finite and > 0."""
    return [
        ("zero", 0.0, "error"),
        ("negative", -abs(v), "error"),
        ("nan", math.nan, "error"),
        ("inf", math.inf, "error"),
        ("None", None, "error"),
        ("string", "1", "error"),
        ("complex", complex(v, 1.0), "error"),
        ("array of two", np.array([v, v]), "error"),
        ("bool", True, "error"),
        ("numpy 0-d array", np.array(v), "ok"),
        ("numpy float32", np.float32(v), "either"),  # float32 rounding may cross a threshold (lam = 2 Lhat1)
    ]


def _int_values(v: int, *, huge: str = "error", huge_value: int = 10**9) -> list[tuple[str, Any, str]]:
    """(label, value, expect) replacing an integer count ``v``."""
    return [
        ("zero", 0, "error"),
        ("negative", -1, "error"),
        ("fractional", v + 0.5, "error"),
        ("string", str(v), "error"),
        ("None", None, "error"),
        ("bool", True, "error"),
        ("huge", huge_value, huge),
        ("numpy int", np.int64(v), "ok"),
    ]


def _bool_values() -> list[tuple[str, Any, str]]:
    return [("None", None, "error"), ("string", "yes", "error"), ("int 2", 2, "error"), ("numpy bool", np.True_, "ok")]


def _cases_for(
    entry: str,
    fn: Callable[..., Any],
    base: dict,
    args: dict[str, list[tuple[str, Any, str]]],
    item: int = 1,
    *,
    shape: tuple | None = None,
    finite: bool = True,
) -> list[Case]:
    out = []
    for arg, vals in args.items():
        for label, value, expect in vals:
            kw = dict(base)
            kw[arg] = value
            out.append(
                Case(
                    entry, arg, label, expect, item, (lambda kw=kw: fn(**kw)), shape if expect == "ok" else None, finite
                )
            )
    return out


# --------------------------------------------------------------------------------------------- catalogue
def _solver_cls(name: str) -> Any:
    from bmaml_theory import solvers

    new = {"GD": "GDSolver", "Nesterov": "NesterovSolver", "CG": "CGSolver"}[name]
    return getattr(solvers, new, None) or getattr(solvers, name)


def entry_points() -> list[Case]:
    """The whole catalogue (built fresh: every case holds its own small problem)."""
    from bmaml_theory import (
        LogisticTasks,
        QuadraticTasks,
        baselines,
        estimators,
        inexact,
        outer,
        precision,
        rates,
        stencils,
        sweeps,
        theory,
    )
    from bmaml_theory.tasks import Constants
    from bmaml_theory.tasks.generate import random_family

    qt, th = random_family("indefinite-both", 2, 3, 0)
    M, n = qt.M, qt.n
    Ah, bh, At, bt = (np.asarray(a) for a in (qt.A_train, qt.b_train, qt.A_test, qt.b_test))
    lam = float(qt.lam)
    rng = np.random.default_rng(1)
    Xh, Xt = rng.standard_normal((M, 3, n)), rng.standard_normal((M, 2, n))
    yh = np.sign(rng.standard_normal((M, 3))) + (rng.standard_normal((M, 3)) == 0)
    lt = LogisticTasks.at_threshold(Xh, yh, Xt)
    phi = rng.standard_normal((M, n))
    v = rng.standard_normal((M, n))
    cases: list[Case] = []

    # --- item 1: constructors
    qbase = {"A_train": Ah, "b_train": bh, "lam": lam, "A_test": At, "b_test": bt}
    qargs = {k: _array_values(vv) for k, vv in qbase.items() if k != "lam"}
    qargs["lam"] = _pos_values(lam)
    qargs["strict"] = _bool_values()
    qargs["dtype"] = [("numpy int64", np.int64, "error"), ("string", "float64", "error"), ("float32", np.float32, "ok")]
    # int/list/float32 arrays of a matrix argument must keep it symmetric & legal; rounding may break lam>=2Lhat1
    for a in ("A_train", "A_test"):
        qargs[a] = [(lb, val, "either" if lb in ("int array",) else ex) for lb, val, ex in qargs[a]]
    cases += _cases_for("QuadraticTasks", lambda **k: QuadraticTasks(**k).meta_gradient(th), qbase, qargs, shape=(n,))
    lbase = {"X_train": Xh, "y_train": yh, "lam": float(lt.lam), "X_test": Xt}
    largs = {"X_train": _array_values(Xh), "X_test": _array_values(Xt), "lam": _pos_values(float(lt.lam))}
    largs["y_train"] = [
        ("labels 0/1", (yh > 0).astype(float), "error"),
        ("nan", np.full(yh.shape, np.nan), "error"),
        ("string", "abc", "error"),
        ("complex", yh + 0j, "error"),
        ("int", yh.astype(int), "ok"),
    ]
    largs["Q"] = [(lb, val, "ok" if lb == "None" else ex) for lb, val, ex in _array_values(np.zeros((M, n, n)))]
    largs["strict"] = _bool_values()
    for a in ("X_train", "X_test"):  # any finite data is legal with lam at the threshold; scaling moves the threshold
        largs[a] = [(lb, val, "either" if lb in ("int array", "scaled 1e155") else ex) for lb, val, ex in largs[a]]
    cases += _cases_for("LogisticTasks", lambda **k: LogisticTasks(**k).meta_gradient(th), lbase, largs, shape=(n,))
    cases += _cases_for(
        "random_family",
        lambda **k: random_family(**k)[0].M,
        {"kind": "same-psd", "M": 2, "n": 3, "seed": 0},
        {
            "kind": [("unknown", "psd", "error"), ("None", None, "error")],
            "M": _int_values(2, huge_value=10**6),
            "n": _int_values(3, huge_value=4000),
            "seed": [("negative", -1, "error"), ("string", "0", "error")],
        },
    )

    # --- item 4: the task protocol, both families
    for fam, t in (("QuadraticTasks", qt), ("LogisticTasks", lt)):
        for meth in ("test_grad", "train_grad"):
            cases += _cases_for(
                f"{fam}.{meth}", getattr(t, meth), {"phi": phi}, {"phi": _array_values(phi)}, 4, shape=(M, n)
            )
        for meth in ("train_hvp", "test_hvp"):
            cases += _cases_for(
                f"{fam}.{meth}",
                getattr(t, meth),
                {"phi": phi, "v": v},
                {"phi": _array_values(phi)[:10], "v": _array_values(v)[:10]},
                4,
                shape=(M, n),
            )
        cases += _cases_for(
            f"{fam}.inner_grad",
            t.inner_grad,
            {"phi": phi, "theta": th, "nu": 1e-3},
            {
                "phi": _array_values(phi)[:10],
                "theta": _array_values(th)[:10],
                "nu": [
                    ("nan", math.nan, "error"),
                    ("None", None, "error"),
                    ("string", "a", "error"),
                    ("outside interval", -1e6, "error"),
                    ("array for 2-D phi", np.ones(3), "error"),
                ],
            },
            4,
            shape=(M, n),
        )
        cases += _cases_for(
            f"{fam}.inner_hvp",
            t.inner_hvp,
            {"phi": phi, "v": v, "nu": 1e-3},
            {
                "v": _array_values(v)[:10],
                "nu": [
                    ("nan", math.nan, "error"),
                    ("None", None, "error"),
                    ("string", "a", "error"),
                    ("outside interval", -1e6, "error"),
                ],
            },
            4,
            shape=(M, n),
        )
        for meth in ("mu_nu", "L_nu"):
            cases += _cases_for(
                f"{fam}.{meth}",
                getattr(t, meth),
                {"nu": 1e-3},
                {
                    "nu": [
                        ("None", None, "error"),
                        ("nan", math.nan, "error"),
                        ("string", "a", "error"),
                        ("complex", 1j, "error"),
                        ("empty", np.array([]), "error"),
                        ("2-D", np.ones((2, 2)), "error"),
                        ("outside interval", -1e6, "error"),
                        ("list", [1e-3, 2e-3], "ok"),
                    ]
                },
                4,
            )
        for meth in ("meta_gradient", "meta_objective", "meta_hessian"):
            cases += _cases_for(
                f"{fam}.{meth}",
                getattr(t, meth),
                {"theta": th},
                {"theta": _array_values(th), "per_task": _bool_values()[:3]},
                4,
            )
        cases += _cases_for(
            f"{fam}.inner_solution",
            t.inner_solution,
            {"theta": th, "nu": 1e-3},
            {
                "theta": _array_values(th)[:10],
                "nu": [
                    ("None", None, "error"),
                    ("string", "a", "error"),
                    ("complex", 1j, "error"),
                    ("2-D", np.full((2, 2), 1e-3), "error"),
                    ("list", [0.0, 1e-3], "ok"),
                ],
            },
            4,
        )
    cases.append(
        Case(
            "TaskFamily protocol",
            "tasks",
            "LogisticTasks is a TaskFamily",
            "ok",
            4,
            lambda: _assert(isinstance(lt, __import__("bmaml_theory").TaskFamily)),
        )
    )
    cases.append(
        Case(
            "TaskFamily protocol",
            "tasks",
            "protocol lists cond_S and check_theta",
            "ok",
            4,
            lambda: _assert(
                all(
                    hasattr(__import__("bmaml_theory").TaskFamily, a)
                    for a in ("cond_S", "check_theta", "test_grad", "train_grad")
                )
            ),
        )
    )

    # --- item 2: non-finite results at legal extreme inputs
    big = 1e155
    cases.append(
        Case(
            "LogisticTasks",
            "X_train, lam",
            "data 1e155, lam 1e305",
            "either",
            2,
            lambda: LogisticTasks(Xh * big, yh, 1e305, Xt * big).constants(),
        )
    )
    s = 1e-160
    cases.append(
        Case(
            "QuadraticTasks",
            "A_train, lam",
            "matrices and lam scaled 1e-160",
            "either",
            2,
            lambda: QuadraticTasks(Ah * s, bh, lam * s, At * s, bt).meta_gradient(th),
        )
    )
    cases.append(
        Case(
            "QuadraticTasks.meta_objective", "theta", "theta 1e155", "either", 2, lambda: qt.meta_objective(th * 1e155)
        )
    )
    cases.append(
        Case("QuadraticTasks.meta_gradient", "theta", "theta 1e300", "either", 2, lambda: qt.meta_gradient(th * 1e300))
    )
    cases.append(
        Case("LogisticTasks.meta_objective", "theta", "theta 1e155", "either", 2, lambda: lt.meta_objective(th * 1e155))
    )
    cases.append(
        Case(
            "estimators.forward", "theta", "theta 1e300", "either", 2, lambda: estimators.forward(qt, th * 1e300, 1e-3)
        )
    )
    cases.append(Case("baselines.maml", "lr", "lr diverging 1e3", "either", 2, lambda: baselines.maml(qt, th, 50, 1e3)))
    cases.append(
        Case(
            "theory.prop2_bound_stated",
            "c",
            "constants 1e200",
            "either",
            2,
            lambda: theory.prop2_bound_stated(Constants(1e200, 1e200, 1e200, 1e200, 1e200, 1e200), 1e200),
        )
    )

    # --- estimators
    est = {"forward": estimators.forward, "symmetric": estimators.symmetric}
    lo, hi = qt.nu_interval()
    r = min(-lo, hi)
    for name, f in est.items():
        cases += _cases_for(
            f"estimators.{name}",
            f,
            {"tasks": qt, "theta": th, "nu": 1e-3},
            {
                "theta": _array_values(th),
                "nu": _pos_values(1e-3)[:9],
                "tasks": [("None", None, "error"), ("string", "tasks", "error")],
                "inner": [("string", "gd", "error"), ("int", 3, "error")],
                "per_task": _bool_values()[:3],
            },
            shape=(n,),
        )
        cases.append(Case(f"estimators.{name}", "nu", "nu outside interval", "error", 1, lambda f=f: f(qt, th, 2 * r)))
        cases.append(
            Case(f"estimators.{name}", "nu", "nu 1e-300 (round-off floor)", "warn", 3, lambda f=f: f(qt, th, 1e-300))
        )
        cases.append(
            Case(f"estimators.{name}", "nu", "nu 1e-13 (below floor)", "warn", 3, lambda f=f: f(qt, th, 1e-13))
        )
        cases.append(
            Case(
                f"estimators.{name}",
                "nu",
                "nu 1e-9 from the interval edge",
                "warn",
                3,
                lambda f=f, e=(hi if name == "forward" else r): f(qt, th, e * (1 - 1e-9)),
            )
        )
        cases.append(
            Case(f"estimators.{name}", "nu", "nu 1e-3 (well inside)", "ok", 3, lambda f=f: f(qt, th, 1e-3), (n,))
        )
    cases += _cases_for(
        "estimators.order_n",
        estimators.order_n,
        {"tasks": qt, "theta": th, "nu": 1e-2, "order": 3},
        {"order": _int_values(3, huge_value=10**4), "nu": _pos_values(1e-2)[:9]},
        shape=(n,),
    )
    cases += _cases_for(
        "estimators.estimate",
        lambda **k: estimators.estimate(**k).value,
        {"tasks": qt, "theta": th, "nu": 1e-3},
        {"st": [("tuple", (0, 1), "error"), ("None", None, "error")]},
        shape=(n,),
    )

    # --- inexact models, solvers
    for name, cls in (
        ("inexact.Adversarial", inexact.Adversarial),
        ("inexact.RandomDirection", inexact.RandomDirection),
    ):
        cases += _cases_for(
            name,
            lambda cls=cls, **k: estimators.forward(qt, th, 1e-2, inner=cls(**k)),
            {"delta": 1e-6},
            {"delta": _pos_values(1e-6)[:9]},
            shape=(n,),
        )
    cases += _cases_for(
        "inexact.Adversarial",
        lambda **k: inexact.Adversarial(**k),
        {"delta": 1e-6},
        {"align": [("unknown", "x", "error"), ("None", None, "error")]},
    )
    cases += _cases_for(
        "inexact.RandomDirection",
        lambda **k: inexact.RandomDirection(**k),
        {"delta": 1e-6},
        {"seed": [("string", "0", "error"), ("float", 0.5, "error"), ("negative", -1, "error")]},
    )
    for sname in ("GD", "Nesterov", "CG"):
        cls = _solver_cls(sname)
        cases += _cases_for(
            f"solvers.{sname}",
            lambda cls=cls, **k: cls(**k),
            {"delta": 1e-6},
            {"delta": _pos_values(1e-6)[:9], "max_iter": _int_values(100, huge="ok")[:6]},
        )
        sol = cls(1e-8)
        cases += _cases_for(
            f"solvers.{sname}.solve",
            sol.solve,
            {"tasks": qt, "theta": th, "nu": 1e-3},
            {
                "theta": _array_values(th)[:10],
                "nu": [
                    ("None", None, "error"),
                    ("string", "a", "error"),
                    ("nan", math.nan, "error"),
                    ("outside interval", -1e6, "error"),
                    ("empty", np.array([]), "error"),
                    ("2-D", np.full((2, 2), 1e-3), "error"),
                ],
            },
            shape=(M, n),
        )
        cases.append(
            Case(
                f"solvers.{sname}.solve",
                "nu",
                "list of three nus",
                "ok",
                1,
                lambda sol=sol: sol.solve(qt, th, [0.0, 1e-3, -1e-3]),
                (M, 3, n),
            )
        )
        cases.append(
            Case(
                f"solvers.{sname}.solve",
                "delta",
                "unreachable delta 1e-300",
                "error",
                3,
                lambda cls=cls: cls(1e-300).solve(qt, th, 1e-3),
            )
        )
        cases.append(
            Case(
                f"solvers.{sname}.solve_path",
                "deltas",
                "empty deltas",
                "error",
                1,
                lambda sol=sol: sol.solve_path(qt, th, np.array([1e-3]), ()),
            )
        )
    cases.append(
        Case(
            "solvers.CG.solve",
            "tasks",
            "logistic family",
            "error",
            1,
            lambda: _solver_cls("CG")(1e-6).solve(lt, th, 1e-3),
        )
    )

    # --- stencils
    cases += _cases_for("stencils.stencil", stencils.stencil, {"order": 2}, {"order": _int_values(2, huge_value=10**4)})
    cases.append(Case("stencils.stencil", "order", "order 200", "error", 1, lambda: stencils.stencil(200)))
    cases.append(Case("stencils.stencil", "order", "order 12 (legal)", "ok", 1, lambda: stencils.stencil(12).order))
    cases += _cases_for(
        "stencils.make_stencil",
        stencils.make_stencil,
        {"nodes": (0, 1)},
        {
            "nodes": [
                ("non-integer", (0.5, 1), "error"),
                ("one node", (1,), "error"),
                ("repeated", (1, 1), "error"),
                ("None", None, "error"),
                ("string", "01", "error"),
                ("huge", tuple(range(200)), "error"),
                ("nan", (0, math.nan), "error"),
                ("numpy ints", np.array([0, 1]), "ok"),
            ]
        },
    )

    # --- theory
    c = Constants(lam=2.0, Lhat1=1.0, Lhat2=0.5, L0=1.0, L1=1.0, mu=1.0)
    bad_c = [
        ("None", None, "error"),
        ("tuple of strings", ("a",) * 6, "error"),
        ("mu <= 0", c._replace(mu=0.0), "error"),
        ("nan L1", c._replace(L1=math.nan), "error"),
        ("negative L0", c._replace(L0=-1.0), "error"),
        ("lam <= 0", c._replace(lam=-1.0), "error"),
    ]
    for fname, extra in (
        ("prop2_bound_stated", {"nu": 0.1}),
        ("prop2_bound_corrected", {"nu": 0.1}),
        ("cor1_nu_stated", {"delta": 1e-4}),
        ("cor1_nu_corrected", {"delta": 1e-4}),
        ("cor1_bias_stated", {"delta": 1e-4, "nu": 0.1}),
        ("cor1_bias_corrected", {"delta": 1e-4, "nu": 0.1}),
        ("prop3_L_stated", {"grad_norm": 1.0}),
        ("prop3_L_corrected", {"grad_norm": 1.0}),
        ("cor2_constants_stated", {"zeta": 1.0}),
        ("cor2_constants_corrected", {"zeta": 1.0}),
        ("cor3_G", {}),
        ("cor3_L_stated", {"zeta": 1.0}),
        ("cor3_L_corrected", {"zeta": 1.0}),
        ("assumption3_interval", {}),
    ):
        f = getattr(theory, fname)
        a = {"c": bad_c}
        for k in extra:
            a[k] = [("nan", math.nan, "error"), ("string", "x", "error"), ("None", None, "error")] + (
                [("zero", 0.0, "error"), ("negative", -1.0, "error")] if k in ("delta",) else []
            )
        cases += _cases_for(
            f"theory.{fname}", lambda f=f, **k: f(**k), {"c": c, **extra}, a, finite=fname != "assumption3_interval"
        )
    for fname, base in (
        ("thm1_parameters", {"calL0": 1.0, "calL1": 1.0}),
        ("a4_steps", {"calL0": 1.0, "calL1": 1.0, "Delta": 1.0, "eps": 0.1}),
        ("thm2_step", {"calL0": 1.0, "calL1": 1.0, "G": 1.0}),
        ("gd_steps", {"calL": 1.0, "Delta": 1.0, "eps": 0.1}),
    ):
        f = getattr(theory, fname)
        a = {
            k: [
                ("nan", math.nan, "error"),
                ("string", "x", "error"),
                ("None", None, "error"),
                ("negative", -1.0, "error"),
            ]
            + ([("zero", 0.0, "error")] if k in ("calL0", "eps") else [])
            for k in base
        }
        cases += _cases_for(f"theory.{fname}", lambda f=f, **k: f(**k), base, a)

    # --- rates
    x = np.logspace(-1, -6, 11)
    cases += _cases_for(
        "rates.fit_order",
        lambda **k: rates.fit_order(**k).order,
        {"x": x, "err": x**2},
        {
            "x": [
                ("unsorted", np.concatenate([x[::2], x[1::2]]), "error"),
                ("string", "abc", "error"),
                ("None", None, "error"),
                ("complex", x + 1j, "error"),
                ("2-D", x[None], "error"),
                ("negative", -x, "error"),
            ],
            "err": [
                ("string", "abc", "error"),
                ("None", None, "error"),
                ("complex", x + 1j, "error"),
                ("length mismatch", x[:-1] ** 2, "error"),
            ],
            "min_points": [("string", "5", "error"), ("zero", 0, "error"), ("one", 1, "error")],
            "floor_factor": [("nan", math.nan, "error"), ("negative", -1.0, "error")],
        },
    )
    cases.append(
        Case(
            "rates.fit_order",
            "x",
            "sorted, order 2",
            "ok",
            1,
            lambda: _assert(abs(rates.fit_order(x, x**2).order - 2) < 1e-9),
        )
    )

    # --- outer
    for name, cls, base in (
        ("outer.GD", outer.GD, {"eta": 0.1}),
        ("outer.ClippedGD", outer.ClippedGD, {"eta": 0.1, "c": 1.0}),
        ("outer.NormalizedGD", outer.NormalizedGD, {"eta": 0.1, "beta": 1.0}),
        ("outer.Adam", outer.Adam, {"eta": 0.1}),
    ):
        cases += _cases_for(
            name, lambda cls=cls, **k: cls(**k), base, {k: _pos_values(vv)[:9] for k, vv in base.items()}
        )
    cases += _cases_for(
        "outer.Adam",
        lambda **k: outer.Adam(**k),
        {"eta": 0.1},
        {
            "b1": [("1.5", 1.5, "error"), ("negative", -0.1, "error"), ("one", 1.0, "error")],
            "b2": [("1.5", 1.5, "error"), ("nan", math.nan, "error")],
            "eps_adam": [("negative", -1.0, "error"), ("nan", math.nan, "error")],
        },
    )
    ogd = outer.GD(0.5)
    cases += _cases_for(
        "outer.run",
        lambda **k: outer.run(**k).grad_norms,
        {"opt": ogd, "grad": lambda t: t, "theta0": np.ones(2), "eps": [1e-3], "max_iter": 20},
        {
            "opt": [("None", None, "error"), ("string", "GD", "error")],
            "grad": [
                ("None", None, "error"),
                ("wrong shape", lambda t: np.ones(3), "error"),
                ("nan", lambda t: t * np.nan, "error"),
            ],
            "theta0": _array_values(np.ones(2))[:10],
            "eps": [("scalar", 1e-3, "either"), ("empty", [], "error"), ("string", "x", "error")],
            "max_iter": _int_values(20)[2:6],
        },
    )

    # --- baselines
    for name in ("maml", "fo_maml", "reptile"):
        f = getattr(baselines, name)
        cases += _cases_for(
            f"baselines.{name}",
            f,
            {"tasks": qt, "theta": th, "steps": 3, "lr": 0.05},
            {
                "theta": _array_values(th)[:10],
                "steps": _int_values(3)[:6],
                "lr": _pos_values(0.05)[:9],
                "per_task": _bool_values()[:3],
            },
            shape=(n,),
        )
    cases += _cases_for(
        "baselines.imaml",
        baselines.imaml,
        {"tasks": qt, "theta": th, "steps": 3, "lr": 0.05, "cg": 3},
        {"cg": _int_values(3)[1:6], "theta": _array_values(th)[:10]},
        shape=(n,),
    )
    cases += _cases_for(
        "baselines.hf_maml",
        baselines.hf_maml,
        {"tasks": qt, "theta": th, "steps": 3, "lr": 0.05, "cg": 3, "delta": 1e-5},
        {"delta": _pos_values(1e-5)[:9]},
        shape=(n,),
    )
    cases.append(
        Case(
            "baselines.hf_maml",
            "delta",
            "delta 1e-300 (round-off)",
            "warn",
            3,
            lambda: baselines.hf_maml(qt, th, 3, 0.05, 3, 1e-300),
        )
    )
    cases += _cases_for(
        "baselines.fo_bmaml",
        baselines.fo_bmaml,
        {"tasks": qt, "theta": th, "steps": 3, "lr": 0.05, "nu": 1e-3},
        {
            "nu": [*_pos_values(1e-3)[:9], ("outside interval", 2 * r, "error")],
            "st": [("tuple", (0, 1), "error"), ("None", None, "error")],
        },
        shape=(n,),
    )
    cases.append(
        Case(
            "baselines.fo_bmaml",
            "nu",
            "nu 1e-300 (round-off floor)",
            "warn",
            3,
            lambda: baselines.fo_bmaml(qt, th, 3, 0.05, 1e-300),
        )
    )

    # --- sweeps
    nus = sweeps.nu_grid(qt, stencils.FORWARD, decades=4, per_decade=2)
    cases += _cases_for(
        "sweeps.nu_grid",
        sweeps.nu_grid,
        {"tasks": qt, "st": stencils.FORWARD},
        {
            "decades": [
                ("nan", math.nan, "error"),
                ("string", "4", "error"),
                ("zero", 0.0, "error"),
                ("huge", 1e6, "error"),
            ],
            "per_decade": [("fraction", 2.5, "error"), ("string", "2", "error"), ("zero", 0, "error")],
            "st": [("None", None, "error"), ("tuple", (0, 1), "error")],
        },
    )
    cases += _cases_for(
        "sweeps.bias_grid",
        lambda **k: sweeps.bias_grid(**k).total,
        {"tasks": qt, "theta": th, "nus": nus, "st": stencils.FORWARD, "deltas": [1e-6]},
        {
            "nus": [
                ("unsorted ascending", nus[::-1], "either"),
                ("outside", nus * 1e6, "error"),
                ("nan", np.append(nus, np.nan), "error"),
                ("string", "a", "error"),
                ("2-D", nus[None], "error"),
            ],
            "deltas": [("nan", [np.nan], "error"), ("string", "a", "error"), ("2-D", [[1e-6]], "error")],
            "theta": _array_values(th)[:10],
            "model": [("unknown", "x", "error"), ("None", None, "error")],
            "st": [("None", None, "error")],
        },
    )
    grid = sweeps.bias_grid(qt, th, nus, stencils.FORWARD, [1e-6])
    cases += _cases_for(
        "sweeps.fit_nu_order",
        lambda **k: sweeps.fit_nu_order(**k).ok,
        {"grid": grid, "i": 0},
        {
            "i": [
                ("out of range", 5, "error"),
                ("negative", -1, "error"),
                ("string", "0", "error"),
                ("float", 0.5, "error"),
            ],
            "grid": [("None", None, "error")],
        },
    )
    cases += _cases_for(
        "sweeps.best_nu",
        sweeps.best_nu,
        {"grid": grid},
        {
            "grid": [("None", None, "error"), ("string", "g", "error")],
            "floor_factor": [("nan", math.nan, "error"), ("negative", -1.0, "error")],
        },
        finite=False,
    )
    cases += _cases_for(
        "sweeps.solver_bias_grid",
        lambda **k: sweeps.solver_bias_grid(**k).total,
        {
            "tasks": qt,
            "theta": th,
            "nus": nus[:3],
            "st": stencils.FORWARD,
            "deltas": [1e-4],
            "solver": _solver_cls("GD")(1.0),
        },
        {
            "solver": [
                ("None", None, "error"),
                ("string", "gd", "error"),
                ("inexactness model", inexact.Adversarial(1e-3), "error"),
            ],
            "deltas": [("nan", [np.nan], "error"), ("negative", [-1.0], "error")],
        },
    )

    # --- precision
    cases += _cases_for(
        "precision.MPQuadraticTask",
        lambda **k: precision.MPQuadraticTask(**k).grad_norm,
        {"tasks": qt, "i": 0, "theta": th, "dps": 30},
        {
            "i": [
                ("out of range", 5, "error"),
                ("string", "0", "error"),
                ("float", 0.5, "error"),
                ("None", None, "error"),
            ],
            "dps": [
                ("float", 30.0, "error"),
                ("small", 5, "error"),
                ("huge", 10**6, "error"),
                ("string", "30", "error"),
            ],
            "theta": _array_values(th)[:10],
            "tasks": [("None", None, "error"), ("logistic family", lt, "error")],
        },
    )
    cases += _cases_for(
        "precision.dps_for",
        precision.dps_for,
        {"smallest": 1e-20},
        {
            "smallest": [
                ("zero", 0.0, "error"),
                ("one", 1.0, "error"),
                ("nan", math.nan, "error"),
                ("string", "x", "error"),
                ("numpy float", np.float64(1e-20), "ok"),
                ("numpy 0-d", np.array(1e-20), "ok"),
            ]
        },
    )
    mp = precision.MPQuadraticTask(qt, 0, th, dps=30)
    cases += _cases_for(
        "precision.MPQuadraticTask.bias",
        mp.bias,
        {"st": stencils.FORWARD, "nu": 1e-3},
        {
            "nu": [
                ("zero", 0.0, "error"),
                ("nan", math.nan, "error"),
                ("string", "x", "error"),
                ("outside interval", 1e6, "error"),
                ("negative", -1e-3, "either"),
            ],
            "delta": [("negative", -1.0, "error"), ("nan", math.nan, "error")],
            "st": [("None", None, "error")],
        },
    )
    cases += _cases_for(
        "precision.MPQuadraticTask.best_nu",
        lambda **k: mp.best_nu(**k).nu,
        {"st": stencils.FORWARD, "delta": 1e-8},
        {
            "delta": [
                ("zero", 0.0, "error"),
                ("nan", math.nan, "error"),
                ("string", "x", "error"),
                ("above one", 10.0, "either"),
            ]
        },
    )
    cases += _cases_for(
        "precision.delta_study",
        lambda **k: precision.delta_study(**k).fit.ok,
        {"task": mp, "st": stencils.FORWARD, "deltas": [1e-6, 1e-8], "min_decades": 1.0},
        {
            "deltas": [
                ("empty", [], "error"),
                ("nan", [np.nan], "error"),
                ("negative", [-1.0], "error"),
                ("string", "a", "error"),
            ],
            "task": [("None", None, "error")],
        },
    )
    cases += _cases_for(
        "precision.nu_study",
        lambda **k: precision.nu_study(**k).fit.ok,
        {"task": mp, "st": stencils.FORWARD, "decades": 4.0},
        {
            "decades": [("nan", math.nan, "error"), ("zero", 0.0, "error"), ("string", "x", "error")],
            "per_decade": [("zero", 0, "error"), ("fraction", 1.5, "error")],
        },
    )

    # --- symbolic (bounded sizes)
    from bmaml_theory import symbolic

    for fname in ("prop1_general", "prop1_quadratic", "prop1_eigenbasis", "appendix_b"):
        f = getattr(symbolic, fname)
        cases += _cases_for(
            f"symbolic.{fname}",
            lambda f=f, **k: f(**k).proved,
            {"n": 1},
            {
                "n": [
                    ("zero", 0, "error"),
                    ("negative", -1, "error"),
                    ("string", "2", "error"),
                    ("float", 1.5, "error"),
                    ("None", None, "error"),
                    ("huge", 50, "error"),
                ]
            },
        )
    cases += _cases_for(
        "symbolic.decide_zero",
        lambda **k: symbolic.decide_zero(**k)[0],
        {"residual": 0},
        {
            "residual": [("string", "x", "error"), ("None", None, "error")],
            "trials": [("negative", -1, "error"), ("string", "4", "error")],
        },
    )
    cases += _cases_for(
        "symbolic.bias_series",
        lambda **k: symbolic.bias_series(**k).proved,
        {"stencils": (stencils.FORWARD,), "n_matrix": 1},
        {
            "stencils": [("empty", (), "error"), ("None", None, "error"), ("strings", ("a",), "error")],
            "n_matrix": [("zero", 0, "error"), ("huge", 50, "error")],
        },
    )

    # --- item 5: names that cannot be confused; dead code gone
    from bmaml_theory import solvers

    cases.append(
        Case(
            "names",
            "solvers",
            "inner solvers named *Solver",
            "ok",
            5,
            lambda: _assert(
                all(hasattr(solvers, s) for s in ("GDSolver", "NesterovSolver", "CGSolver"))
                and not hasattr(solvers, "GD")
            ),
        )
    )
    cases.append(
        Case(
            "names",
            "BestNu",
            "one BestNu type",
            "ok",
            5,
            lambda: _assert(getattr(precision, "BestNu", None) in (None, sweeps.BestNu)),
        )
    )
    cases.append(
        Case(
            "names",
            "Oracle",
            "dead Oracle.vectors removed",
            "ok",
            5,
            lambda: _assert(not hasattr(baselines.Oracle(), "vectors")),
        )
    )
    cases.append(
        Case(
            "names",
            "symbolic",
            "symbolic split into a package",
            "ok",
            5,
            lambda: _assert(hasattr(symbolic, "__path__")),
        )
    )
    return cases


def _assert(cond: bool) -> bool:
    if not cond:
        raise AssertionError("structural check failed")
    return True


def run_catalogue(time_limit: float = TIME_LIMIT_S, *, verbose: bool = False) -> list[dict]:
    """Classify every case of :func:`entry_points`; one dict per case."""
    rows = []
    for case in entry_points():
        outcome, reason = classify(case, time_limit)
        rows.append(
            {
                "entry": case.entry,
                "arg": case.arg,
                "label": case.label,
                "expect": case.expect,
                "item": case.item,
                "outcome": outcome,
                "reason": reason,
            }
        )
        if verbose and outcome == "other":
            print(f"[{case.item}] {case.entry}({case.arg}={case.label}): {reason}")
    return rows


def summarise(rows: list[dict]) -> dict:
    """Counts of outcome per item, and of the reasons behind ``other``."""
    out: dict = {"total": dict(Counter(r["outcome"] for r in rows)), "n_cases": len(rows), "by_item": {}}
    for item in sorted({r["item"] for r in rows}):
        sub = [r for r in rows if r["item"] == item]
        out["by_item"][str(item)] = {
            "cases": len(sub),
            **{k: sum(r["outcome"] == k for r in sub) for k in ("clean_error", "finite_result", "other")},
            "other_reasons": dict(Counter(r["reason"].split(":")[0] for r in sub if r["outcome"] == "other")),
        }
    out["other_reasons"] = dict(Counter(r["reason"].split(":")[0] for r in rows if r["outcome"] == "other"))
    return out


# --------------------------------------------------------------------------------------------- Hypothesis
def garbage(*, shape: tuple[int, ...] | None = None) -> Any:
    """A Hypothesis strategy of arbitrary argument values: arrays (any shape, dtype, NaN/inf, extremes),
    scalars, None, strings, lists.  ``shape``: also draw float arrays of exactly that shape (legal and not)."""
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.complex128, np.bool_])
    arrays = hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4), elements=None)
    parts = [
        arrays,
        floats,
        st.integers(-(10**12), 10**12),
        st.none(),
        st.text(max_size=5),
        st.complex_numbers(max_magnitude=1e3),
        st.booleans(),
        st.lists(floats, max_size=4),
    ]
    if shape is not None:
        parts.append(hnp.arrays(np.float64, shape, elements=floats))
        parts.append(hnp.arrays(np.float64, shape, elements=st.floats(-1e3, 1e3)))
    return st.one_of(*parts)


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    rows = run_catalogue(verbose="-v" in sys.argv)
    print(json.dumps(summarise(rows), indent=1))


# --------------------------------------------------------------------------------------------- targets
@dataclass
class Target:
    """An entry point for the Hypothesis fuzz test: ``fn(**kwargs)`` with ``base`` legal keyword arguments.

    ``shapes``: the documented result shapes (``"G"`` stands for the length of a nu array argument); None: not
    an array result.  ``finite``: every number of the result must be finite.
    """

    name: str
    fn: Callable[..., Any]
    base: dict
    shapes: tuple | None = None
    finite: bool = True
    fuzz: tuple[str, ...] = ()  # the arguments to replace (default: every key of base)

    @property
    def args(self) -> tuple[str, ...]:
        return self.fuzz or tuple(self.base)


def targets() -> list[Target]:
    """Cheap entry points (3-dimensional problems) covering every public module for the fuzz test."""
    from bmaml_theory import (
        LogisticTasks,
        QuadraticTasks,
        baselines,
        estimators,
        inexact,
        outer,
        rates,
        solvers,
        stencils,
        sweeps,
        theory,
    )
    from bmaml_theory.tasks import Constants
    from bmaml_theory.tasks.generate import random_family

    qt, th = random_family("indefinite-both", 2, 3, 0)
    M, n = qt.M, qt.n
    rng = np.random.default_rng(1)
    Xh, Xt = rng.standard_normal((M, 3, n)), rng.standard_normal((M, 2, n))
    lt = LogisticTasks.at_threshold(Xh, None, Xt)
    phi = rng.standard_normal((M, n))
    mn, mgn = (M, n), (M, "G", n)
    out: list[Target] = [
        Target(
            "QuadraticTasks",
            lambda **k: QuadraticTasks(**k).meta_gradient(th),
            {
                "A_train": np.asarray(qt.A_train),
                "b_train": np.asarray(qt.b_train),
                "lam": qt.lam,
                "A_test": np.asarray(qt.A_test),
                "b_test": np.asarray(qt.b_test),
                "strict": True,
            },
            ((n,),),
        ),
        Target(
            "LogisticTasks",
            lambda **k: LogisticTasks(**k).meta_gradient(th),
            {"X_train": Xh, "y_train": None, "lam": lt.lam, "X_test": Xt, "strict": True},
            ((n,),),
        ),
        Target(
            "random_family",
            lambda **k: random_family(**k)[0].M,
            {"kind": "same-psd", "M": 2, "n": 3, "seed": 0},
            None,
            fuzz=("kind", "seed"),
        ),
        Target("stencils.stencil", lambda **k: stencils.stencil(**k).order, {"order": 2}),
        Target("stencils.make_stencil", lambda **k: stencils.make_stencil(**k).order, {"nodes": (0, 1)}),
        Target(
            "rates.fit_power_law",
            lambda **k: rates.fit_power_law(**k).exponent,
            {"x": np.logspace(0, -3, 5), "y": np.logspace(0, -6, 5)},
        ),
        Target(
            "rates.fit_order",
            lambda **k: rates.fit_order(**k).n_points,
            {"x": np.logspace(0, -3, 7), "err": np.logspace(0, -6, 7)},
        ),
        Target(
            "estimators.forward",
            estimators.forward,
            {"tasks": qt, "theta": th, "nu": 1e-3, "per_task": False},
            ((n,), mn),
        ),
        Target("estimators.symmetric", estimators.symmetric, {"tasks": lt, "theta": th, "nu": 1e-3}, ((n,),)),
        Target("estimators.order_n", estimators.order_n, {"tasks": qt, "theta": th, "nu": 1e-2, "order": 3}, ((n,),)),
        Target(
            "inexact.Adversarial",
            lambda **k: estimators.forward(qt, th, 1e-2, inner=inexact.Adversarial(**k)),
            {"delta": 1e-6, "align": "task"},
            ((n,),),
        ),
        Target(
            "inexact.RandomDirection",
            lambda **k: estimators.forward(qt, th, 1e-2, inner=inexact.RandomDirection(**k)),
            {"delta": 1e-6, "seed": 0},
            ((n,),),
        ),
        Target(
            "solvers.CGSolver.solve",
            lambda delta, max_iter, **k: solvers.CGSolver(delta, max_iter).solve(**k),
            {"delta": 1e-8, "max_iter": 50, "tasks": qt, "theta": th, "nu": 1e-3},
            (mn, mgn),
        ),
        Target(
            "solvers.NesterovSolver.solve",
            lambda delta, **k: solvers.NesterovSolver(delta, 2000).solve(**k),
            {"delta": 1e-6, "tasks": lt, "theta": th, "nu": 1e-3},
            (mn, mgn),
        ),
        Target(
            "theory.cor1_bias_corrected",
            theory.cor1_bias_corrected,
            {"c": Constants(2.0, 1.0, 0.5, 1.0, 1.0, 1.0), "delta": 1e-4, "nu": 0.1},
        ),
        Target("theory.a4_steps", theory.a4_steps, {"calL0": 1.0, "calL1": 1.0, "Delta": 1.0, "eps": 0.1}),
        Target(
            "outer.Adam",
            lambda **k: outer.run(outer.Adam(**k), lambda t: t, np.ones(2), eps=[1e-2], max_iter=5).grad_norms.shape,
            {"eta": 0.1, "b1": 0.9, "b2": 0.999, "eps_adam": 1e-8},
        ),
        Target(
            "outer.run",
            lambda **k: outer.run(**k).grad_norms,
            {
                "opt": outer.NormalizedGD(0.5, 1.0),
                "grad": lambda t: t,
                "theta0": np.ones(2),
                "eps": [1e-3],
                "max_iter": 10,
            },
            ((None,),),
            fuzz=("opt", "theta0", "eps", "max_iter"),
        ),
        Target("baselines.maml", baselines.maml, {"tasks": qt, "theta": th, "steps": 3, "lr": 0.05}, ((n,),)),
        Target(
            "baselines.hf_maml",
            baselines.hf_maml,
            {"tasks": lt, "theta": th, "steps": 2, "lr": 0.05, "cg": 2, "delta": 1e-5},
            ((n,),),
        ),
        Target(
            "baselines.fo_bmaml",
            baselines.fo_bmaml,
            {"tasks": qt, "theta": th, "steps": 3, "lr": 0.05, "nu": 1e-3},
            ((n,),),
        ),
        Target(
            "sweeps.bias_grid",
            lambda **k: sweeps.bias_grid(**k).total,
            {"tasks": qt, "theta": th, "nus": np.array([1e-2, 1e-3]), "st": stencils.FORWARD, "deltas": [1e-6]},
            ((M, 2, 1), (M, 2, "G"), (M, "G", 1), (M, "G", "G"), (M, 2, 0), (M, "G", 0)),
        ),
    ]
    for fam, t in (("QuadraticTasks", qt), ("LogisticTasks", lt)):
        out += [
            Target(f"{fam}.inner_solution", t.inner_solution, {"theta": th, "nu": 1e-3}, (mn, mgn)),
            Target(f"{fam}.meta_objective", t.meta_objective, {"theta": th, "per_task": False}, None),
            Target(f"{fam}.meta_hessian", t.meta_hessian, {"theta": th}, ((n, n),)),
            Target(f"{fam}.test_grad", t.test_grad, {"phi": phi}, (mn, mgn)),
            Target(f"{fam}.train_value", t.train_value, {"phi": phi}, ((M,), (M, "G"))),
            Target(f"{fam}.train_hvp", t.train_hvp, {"phi": phi, "v": phi}, (mn, mgn)),
            Target(f"{fam}.inner_grad", t.inner_grad, {"phi": phi, "theta": th, "nu": 1e-3}, (mn, mgn)),
            Target(f"{fam}.inner_hvp", t.inner_hvp, {"phi": phi, "v": phi, "nu": 1e-3}, (mn, mgn)),
            Target(f"{fam}.mu_nu", t.mu_nu, {"nu": 1e-3}, ((M,), (M, "G"))),
            Target(f"{fam}.L_nu", t.L_nu, {"nu": 1e-3}, ((M,), (M, "G"))),
        ]
    return out


def _shape_ok(out: Any, shapes: tuple | None) -> bool:
    if shapes is None:
        return True
    got = tuple(getattr(out, "shape", ()))
    for pattern in shapes:
        if len(pattern) == len(got) and all(p in (None, "G") or p == g for p, g in zip(pattern, got, strict=True)):
            return True
    return False


def check_call(target: Target, kwargs: dict) -> str:
    """Call ``target.fn(**kwargs)``: return ``"error"`` for a library error naming an argument, ``"result"`` for a
    finite result of a documented shape; raise ``AssertionError`` for anything else (the fuzz test's oracle)."""
    with warnings.catch_warnings(record=True) as rec:
        from bmaml_theory import AccuracyWarning

        warnings.simplefilter("ignore", AccuracyWarning)
        warnings.simplefilter("always", RuntimeWarning)
        try:
            out = target.fn(**kwargs)
        except (ValueError, TypeError, ArithmeticError, RuntimeError) as exc:
            msg = str(exc)
            if not any(_names_arg(msg, a) for a in (*target.base, "delta", "nu", "theta")):
                raise AssertionError(f"{target.name}: {type(exc).__name__} names no argument: {msg}") from exc
            return "error"
    numpy_warned = [str(w.message) for w in rec if issubclass(w.category, RuntimeWarning)]
    if numpy_warned:  # overflow/invalid inside NumPy, and a result was returned anyway
        raise AssertionError(f"{target.name}: a result was returned after NumPy warned: {numpy_warned[0]}")
    if target.finite and not _all_finite(out):
        raise AssertionError(f"{target.name}: non-finite result {out!r:.200}")
    if not _shape_ok(out, target.shapes):
        raise AssertionError(f"{target.name}: result of undocumented shape {getattr(out, 'shape', None)}")
    return "result"
