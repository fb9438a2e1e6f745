"""The fuzz catalogue: every public constructor, function and method, each argument replaced in turn by a bad or
edge value (:mod:`api_fuzz.values`), with what a correct library does with it.

The cases are grouped by what they exercise (``Case.item``): 1 validation of inputs, 2 non-finite results,
3 warnings on untrustworthy results, 4 the task protocol, 5 names (entry points that must exist or must not be
confusable). :func:`entry_points` builds them fresh, one builder per part of the library, in a fixed order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from api_fuzz.outcome import TIME_LIMIT_S, Case, classify
from api_fuzz.values import array_values as _array_values
from api_fuzz.values import bool_values as _bool_values
from api_fuzz.values import cases_for as _cases_for
from api_fuzz.values import int_values as _int_values
from api_fuzz.values import pos_values as _pos_values
from bmaml_theory import (
    LogisticTasks,
    QuadraticTasks,
    baselines,
    estimators,
    inexact,
    outer,
    precision,
    rates,
    solvers,
    stencils,
    sweeps,
    theory,
)
from bmaml_theory.tasks import Constants
from bmaml_theory.tasks.generate import random_family


def _solver_cls(name: str) -> Any:

    new = {"GD": "GDSolver", "Nesterov": "NesterovSolver", "CG": "CGSolver"}[name]
    return getattr(solvers, new, None) or getattr(solvers, name)


@dataclass(frozen=True)
class _Fixture:
    """The small problems every builder shares: a 2-task, 3-dimensional quadratic family ``qt`` at ``th``, its
    arrays, a logistic family ``lt`` at its threshold, and inner points ``phi`` and directions ``v``."""

    qt: Any
    th: np.ndarray
    M: int
    n: int
    Ah: np.ndarray
    bh: np.ndarray
    At: np.ndarray
    bt: np.ndarray
    lam: float
    Xh: np.ndarray
    Xt: np.ndarray
    yh: np.ndarray
    lt: Any
    phi: np.ndarray
    v: np.ndarray


def _fixture() -> _Fixture:
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
    return _Fixture(qt, th, M, n, Ah, bh, At, bt, lam, Xh, Xt, yh, lt, phi, v)


def entry_points() -> list[Case]:
    """The whole catalogue (built fresh: every case holds its own small problem)."""
    fx = _fixture()
    builders = (
        _constructors,
        _task_protocol,
        _non_finite,
        _estimators,
        _inexact_and_solvers,
        _stencils,
        _theory,
        _rates,
        _outer,
        _baselines,
        _sweeps,
        _precision,
        _symbolic,
        _names,
    )
    return [case for build in builders for case in build(fx)]


def _constructors(fx: _Fixture) -> list[Case]:
    """Item 1: constructors."""
    th, M, n, Ah, bh, At, bt, lam, Xh, Xt, yh, lt = (
        fx.th,
        fx.M,
        fx.n,
        fx.Ah,
        fx.bh,
        fx.At,
        fx.bt,
        fx.lam,
        fx.Xh,
        fx.Xt,
        fx.yh,
        fx.lt,
    )
    cases: list[Case] = []
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
    return cases


def _task_protocol(fx: _Fixture) -> list[Case]:
    """Item 4: the task protocol, both families."""
    qt, th, M, n, lt, phi, v = fx.qt, fx.th, fx.M, fx.n, fx.lt, fx.phi, fx.v
    cases: list[Case] = []
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
    return cases


def _non_finite(fx: _Fixture) -> list[Case]:
    """Item 2: non-finite results at legal extreme inputs."""
    qt, th, Ah, bh, At, bt, lam, Xh, Xt, yh, lt = (
        fx.qt,
        fx.th,
        fx.Ah,
        fx.bh,
        fx.At,
        fx.bt,
        fx.lam,
        fx.Xh,
        fx.Xt,
        fx.yh,
        fx.lt,
    )
    cases: list[Case] = []
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
    return cases


def _estimators(fx: _Fixture) -> list[Case]:
    """Estimators."""
    qt, th, n = fx.qt, fx.th, fx.n
    cases: list[Case] = []
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
    return cases


def _inexact_and_solvers(fx: _Fixture) -> list[Case]:
    """Inexact models, solvers."""
    qt, th, M, n, lt = fx.qt, fx.th, fx.M, fx.n, fx.lt
    cases: list[Case] = []
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
    return cases


def _stencils(fx: _Fixture) -> list[Case]:
    """Stencils."""
    cases: list[Case] = []
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
    return cases


def _theory(fx: _Fixture) -> list[Case]:
    """Theory."""
    cases: list[Case] = []
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
    return cases


def _rates(fx: _Fixture) -> list[Case]:
    """Rates."""
    cases: list[Case] = []
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
    return cases


def _outer(fx: _Fixture) -> list[Case]:
    """Outer."""
    cases: list[Case] = []
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
    return cases


def _baselines(fx: _Fixture) -> list[Case]:
    """Baselines."""
    qt, th, n = fx.qt, fx.th, fx.n
    lo, hi = qt.nu_interval()
    r = min(-lo, hi)
    cases: list[Case] = []
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
    return cases


def _sweeps(fx: _Fixture) -> list[Case]:
    """Sweeps."""
    qt, th = fx.qt, fx.th
    cases: list[Case] = []
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
    return cases


def _precision(fx: _Fixture) -> list[Case]:
    """Precision."""
    qt, th, lt = fx.qt, fx.th, fx.lt
    cases: list[Case] = []
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
    return cases


def _symbolic(fx: _Fixture) -> list[Case]:
    """Symbolic (bounded sizes)."""
    cases: list[Case] = []
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
    return cases


def _names(fx: _Fixture) -> list[Case]:
    """Item 5: names that cannot be confused; dead code gone."""
    from bmaml_theory import symbolic  # sympy: imported only where the symbolic entry points are exercised

    cases: list[Case] = []

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
