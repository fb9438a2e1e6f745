"""The Hypothesis side of the fuzz: :func:`garbage` draws arbitrary argument values, :func:`targets` lists cheap
entry points, and :func:`check_call` is the oracle of ``tests/test_fuzz.py``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from api_fuzz.outcome import _all_finite, _names_arg


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
