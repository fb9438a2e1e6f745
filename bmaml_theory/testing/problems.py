r"""Meta-learning problems with exact answers: plain NumPy float64 arrays, no library objects.

Two families, both batched over M tasks and sharing the proximal weight :math:`\lambda` of eq. (6) and a
meta-parameter :math:`\theta\in\mathbb R^n`:

* :class:`QuadraticProblem`: :math:`\hat f_i(\phi)=\tfrac12\phi^\top\hat A_i\phi+\hat b_i^\top\phi` (training,
  ``A_train[i]``, ``b_train[i]``) and :math:`f_i(\phi)=\tfrac12\phi^\top A_i\phi+b_i^\top\phi` (test, ``A_test[i]``,
  ``b_test[i]``); :math:`\hat A_i` may be indefinite (Assumption 1 asks smoothness only).
* :class:`LogisticProblem`: :math:`\hat f_i(\phi)=\frac1{\hat m}\sum_j\ell(\hat y_{ij}\hat x_{ij}^\top\phi)+\tfrac12\phi^\top
  Q_i\phi+q_i^\top\phi` and :math:`f_i(\phi)=\frac1m\sum_j\ell(y_{ij}x_{ij}^\top\phi)+r_i^\top\phi`,
  :math:`\ell(s)=\log(1+e^{-s})`, labels in :math:`\{\pm1\}`.

In both, the inner problem of task i is :math:`\min_\phi\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2` (eq. 6), its
solution :math:`\phi^*_i(\theta)`, and the meta-objective :math:`F(\theta)=\frac1M\sum_if_i(\phi^*_i(\theta))` (eq. 5).

* :class:`MLPProblem`: a non-convex network, one hidden layer
  :math:`u(x;\theta)=W_2^\top\sigma(W_1x+b_1)+b_2` (``tanh`` or ``softplus``), squared loss
  :math:`\hat f_i(\phi)=\frac1{2\hat m}\sum_j(u(\hat x_{ij};\phi)-\hat y_{ij})^2`, :math:`f_i` likewise on the test
  points; theta is the flat vector of :math:`(W_1,b_1,W_2,b_2)` (:attr:`MLPProblem.shapes`).  Only the K-step
  quantities (MAML, FO-MAML, Reptile) are defined: the inner problem need not have a unique solution.

``lam = 0`` is **standard MAML** (Finn et al.; Fallah et al.'s one-step MAML at K = 1): no proximal term, the inner
loop is GD on :math:`\hat f_i` alone, and only the K-step quantities (MAML, FO-MAML, Reptile) are defined; eq. (7),
iMAML and FO-B-MAML need ``lam > 0``.  :meth:`QuadraticProblem.standard` and :func:`maml_problems` build such problems.

The ``repr`` of a problem is Python code that rebuilds it bit for bit (floats are written by ``repr``, which
round-trips), so a failing Hypothesis example can be pasted into a regression test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from bmaml_theory.testing._network import ELL2_MAX, ELL3_MAX, _MLPSide

__all__ = ["ACTIVATIONS", "ELL2_MAX", "ELL3_MAX", "LogisticProblem", "MLPProblem", "QuadraticProblem"]


def _arr(x: Any, name: str, ndim: int) -> np.ndarray:
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor handed back in: read it, never its graph
        x = x.detach().cpu().numpy()
    raw = np.asarray(x)
    if raw.dtype.kind not in "fiu":
        what = {"c": "complex", "b": "boolean", "O": "object", "U": "string", "S": "bytes"}.get(raw.dtype.kind, "")
        raise TypeError(
            f"{name} must hold real numbers, got a {what or raw.dtype.name} array (dtype {raw.dtype}); "
            "pass a real floating-point array (complex data is never made real silently)."
        )
    a = np.asarray(raw, dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} has non-finite entries; pass finite values.")
    return a


def _code(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"np.array({x.tolist()!r})"
    if isinstance(x, str | int) and not isinstance(x, bool):
        return repr(x)
    return repr(float(x))


def _sym_check(A: np.ndarray, name: str) -> None:
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name} must have shape (M, n, n), got {A.shape}.")
    scale = max(float(np.max(np.abs(A))), 1e-300)
    if float(np.max(np.abs(A - np.swapaxes(A, -1, -2)))) > 1e3 * np.finfo(float).eps * scale:
        raise ValueError(f"{name} is not symmetric; a Hessian is symmetric: pass (A + A^T)/2.")


def _lam(x: Any) -> float:
    """The proximal weight: a real number >= 0 (0: standard MAML, no proximal term)."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | float | np.integer | np.floating):
        raise TypeError(f"lam must be a real number >= 0 (the proximal weight of eq. (6)), got {x!r}.")
    lam = float(x)
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(
            f"lam must be a finite number >= 0 (the proximal weight of eq. (6); 0 is standard MAML, no proximal "
            f"term), got {x!r}."
        )
    return lam


class _Problem:
    """Shared behaviour: ``repr`` as rebuilding code, conversion of the arrays, summary."""

    def __repr__(self) -> str:
        args = ", ".join(f"{f.name}={_code(getattr(self, f.name))}" for f in fields(self))  # type: ignore[arg-type]
        return f"{type(self).__name__}({args})"

    def replay(self) -> str:
        """Python code that rebuilds this problem exactly (imports included)."""
        return f"import numpy as np\nfrom bmaml_theory.testing import {type(self).__name__}\nproblem = {self!r}"

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (arrays of any backend are kept as given: see ``adapters``)."""
        return replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True, eq=False, repr=False)
class QuadraticProblem(_Problem):
    r"""M quadratic tasks (a frozen record of NumPy float64 arrays).

    Convention: :math:`\hat f_i(\phi)=\tfrac12\phi^\top\hat A_i\phi+\hat b_i^\top\phi` with ``A_train[i]`` (n, n)
    symmetric, ``b_train[i]`` (n,); :math:`f_i` likewise with ``A_test[i]``, ``b_test[i]``; the inner problem is
    :math:`\hat f_i(\phi)+\frac\lambda2\|\phi-\theta\|^2` with ``lam`` :math:`=\lambda`, from ``theta`` (n,).
    Its Hessian :math:`S_i=\hat A_i+\lambda I` must be positive definite (Assumption 3); the paper's standing
    assumption :math:`\lambda\ge2\hat L_1` (:math:`\hat L_1=\max_i\|\hat A_i\|_2`) is what :func:`quadratic_problems`
    draws, and :attr:`at_threshold` says whether it holds.
    """

    A_train: np.ndarray
    b_train: np.ndarray
    A_test: np.ndarray
    b_test: np.ndarray
    lam: float
    theta: np.ndarray

    @property
    def M(self) -> int:
        """Number of tasks."""
        return int(np.shape(self.b_train)[0])

    @property
    def n(self) -> int:
        """Dimension of theta."""
        return int(np.shape(self.b_train)[1])

    def validate(self) -> QuadraticProblem:
        """This problem with float64 NumPy arrays, or a ValueError naming the field that is wrong."""
        A = _arr(self.A_train, "A_train", 3)
        _sym_check(A, "A_train")
        M, n = A.shape[0], A.shape[1]
        b = _arr(self.b_train, "b_train", 2)
        At = _arr(self.A_test, "A_test", 3)
        _sym_check(At, "A_test")
        bt = _arr(self.b_test, "b_test", 2)
        th = _arr(self.theta, "theta", 1)
        for name, a, shape in (("b_train", b, (M, n)), ("A_test", At, (M, n, n)), ("b_test", bt, (M, n))):
            if a.shape != shape:
                raise ValueError(f"{name} must have shape {shape} to match A_train {A.shape}, got {a.shape}.")
        if th.shape != (n,):
            raise ValueError(f"theta must have shape ({n},), got {th.shape}.")
        lam = _lam(self.lam)
        mu = lam + float(np.min(np.linalg.eigvalsh(A)))
        if lam > 0 and mu <= 0:
            raise ValueError(
                f"lam + min eig(A_train) = {mu:g} <= 0: the inner problem has no unique solution; raise lam."
            )
        return QuadraticProblem(A, b, At, bt, lam, th)

    @classmethod
    def standard(cls, A_train: Any, b_train: Any, A_test: Any, b_test: Any, theta: Any) -> QuadraticProblem:
        r"""Standard MAML (no proximal term, ``lam = 0``): the inner loop is GD on :math:`\hat f_i` alone."""
        return cls(A_train, b_train, A_test, b_test, 0.0, theta).validate()

    @property
    def standard_maml(self) -> bool:
        """Whether this is a standard-MAML problem (``lam == 0``: no proximal term)."""
        return float(self.lam) == 0.0

    @property
    def Lhat1(self) -> float:
        r""":math:`\hat L_1=\max_i\|\hat A_i\|_2` (Assumption 1)."""
        return float(np.max(np.abs(np.linalg.eigvalsh(np.asarray(self.A_train, dtype=float)))))

    @property
    def at_threshold(self) -> bool:
        r"""Whether :math:`\lambda\ge2\hat L_1` (Propositions 2 and 3), up to 1e-12 relative."""
        return float(self.lam) >= 2 * self.Lhat1 * (1 - 1e-12)

    def tasks(self, *, strict: bool = True) -> Any:
        """The same family as a :class:`bmaml_theory.QuadraticTasks` (for the library's own estimators)."""
        from bmaml_theory.tasks.quadratic import QuadraticTasks

        return QuadraticTasks(self.A_train, self.b_train, self.lam, self.A_test, self.b_test, strict=strict)


@dataclass(frozen=True, eq=False, repr=False)
class LogisticProblem(_Problem):
    r"""M logistic-regression tasks (a frozen record of NumPy float64 arrays).

    Convention (that of :class:`bmaml_theory.LogisticTasks`): with :math:`\ell(s)=\log(1+e^{-s})`,

    .. math::  \hat f_i(\phi)=\frac1{\hat m}\sum_j\ell(\hat y_{ij}\hat x_{ij}^\top\phi)+\tfrac12\phi^\top Q_i\phi+q_i^\top\phi,
               \qquad f_i(\phi)=\frac1m\sum_j\ell(y_{ij}x_{ij}^\top\phi)+r_i^\top\phi,

    ``X_train`` (M, mh, n), ``y_train`` (M, mh) in {-1, +1}, ``X_test`` (M, m, n), ``y_test`` (M, m), ``Q``
    (M, n, n) symmetric and possibly indefinite, ``q``, ``r`` (M, n), ``lam``, ``theta`` (n,).
    :attr:`Lhat1` is the bound :math:`\max_i\max(\lambda_{\max}(Q_i+\hat X_i^\top\hat X_i/(4\hat m)),-\lambda_{\min}(Q_i))`.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    Q: np.ndarray
    q: np.ndarray
    r: np.ndarray
    lam: float
    theta: np.ndarray

    @property
    def M(self) -> int:
        """Number of tasks."""
        return int(np.shape(self.X_train)[0])

    @property
    def n(self) -> int:
        """Dimension of theta."""
        return int(np.shape(self.X_train)[2])

    def validate(self) -> LogisticProblem:
        """This problem with float64 NumPy arrays, or a ValueError naming the field that is wrong."""
        Xh = _arr(self.X_train, "X_train", 3)
        M, mh, n = Xh.shape
        X = _arr(self.X_test, "X_test", 3)
        yh = _arr(self.y_train, "y_train", 2)
        y = _arr(self.y_test, "y_test", 2)
        Q = _arr(self.Q, "Q", 3)
        q = _arr(self.q, "q", 2)
        r = _arr(self.r, "r", 2)
        th = _arr(self.theta, "theta", 1)
        if X.shape[0] != M or X.shape[2] != n:
            raise ValueError(f"X_test must have shape ({M}, m, {n}) to match X_train {Xh.shape}, got {X.shape}.")
        for name, a, shape in (
            ("y_train", yh, (M, mh)),
            ("y_test", y, X.shape[:2]),
            ("Q", Q, (M, n, n)),
            ("q", q, (M, n)),
            ("r", r, (M, n)),
            ("theta", th, (n,)),
        ):
            if a.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {a.shape}.")
        for name, a in (("y_train", yh), ("y_test", y)):
            if not np.all(np.isin(a, (-1.0, 1.0))):
                raise ValueError(f"{name} must hold labels -1 or +1.")
        _sym_check(Q, "Q")
        lam = _lam(self.lam)
        mu = lam + float(np.min(np.linalg.eigvalsh(Q)))
        if lam > 0 and mu <= 0:
            raise ValueError(f"lam + min eig(Q) = {mu:g} <= 0: the inner problem is not strongly convex; raise lam.")
        return LogisticProblem(Xh, yh, X, y, Q, q, r, lam, th)

    @classmethod
    def standard(
        cls, X_train: Any, y_train: Any, X_test: Any, y_test: Any, theta: Any, **linear: Any
    ) -> LogisticProblem:
        r"""Standard MAML logistic regression (``lam = 0``; ``Q``, ``q``, ``r`` zero unless given): plain
        :math:`\frac1m\sum_j\ell(y_jx_j^\top\phi)` losses, the inner loop GD on :math:`\hat f_i` alone."""
        M, n = np.shape(X_train)[0], np.shape(X_train)[2]
        Q = linear.pop("Q", np.zeros((M, n, n)))
        q = linear.pop("q", np.zeros((M, n)))
        r = linear.pop("r", np.zeros((M, n)))
        if linear:
            raise TypeError(f"LogisticProblem.standard takes Q, q, r as keywords, got {sorted(linear)}.")
        return cls(X_train, y_train, X_test, y_test, Q, q, r, 0.0, theta).validate()

    @property
    def standard_maml(self) -> bool:
        """Whether this is a standard-MAML problem (``lam == 0``: no proximal term)."""
        return float(self.lam) == 0.0

    @property
    def Lhat1(self) -> float:
        r"""Bound :math:`\hat L_1\ge\sup_\phi\|\nabla^2\hat f_i(\phi)\|` (see the class docstring)."""
        Xh = np.asarray(self.X_train, dtype=float)
        P = np.swapaxes(Xh, -1, -2) @ Xh / Xh.shape[1]
        evQ = np.linalg.eigvalsh(np.asarray(self.Q, dtype=float))
        top = np.linalg.eigvalsh(np.asarray(self.Q, dtype=float) + ELL2_MAX * P)[:, -1]
        return float(np.max(np.maximum(top, -evQ[:, 0])))

    @property
    def at_threshold(self) -> bool:
        r"""Whether :math:`\lambda\ge2\hat L_1` (Propositions 2 and 3), up to 1e-12 relative."""
        return float(self.lam) >= 2 * self.Lhat1 * (1 - 1e-12)

    def tasks(self, *, strict: bool = True) -> Any:
        """The same family as a :class:`bmaml_theory.LogisticTasks`."""
        from bmaml_theory.tasks.logistic import LogisticTasks

        return LogisticTasks(
            self.X_train, self.y_train, self.lam, self.X_test, self.y_test, Q=self.Q, q=self.q, r=self.r, strict=strict
        )


ACTIVATIONS = ("tanh", "softplus")
r"""The hidden activations of :class:`MLPProblem`: :math:`\tanh` and :math:`\log(1+e^z)`."""


@dataclass(frozen=True, eq=False, repr=False)
class MLPProblem(_Problem):
    r"""M regression tasks on a one-hidden-layer network (a frozen record of NumPy float64 arrays): non-convex.

    With :math:`\theta=(W_1,b_1,W_2,b_2)`, :math:`W_1` (h, d), :math:`b_1` (h,), :math:`W_2` (h,), :math:`b_2` a
    scalar, flattened in that order (``W1`` row-major) into ``theta`` of length :math:`n=hd+2h+1`,

    .. math::  u(x;\theta)=W_2^\top\sigma(W_1x+b_1)+b_2,\qquad
               \hat f_i(\phi)=\frac1{2\hat m}\sum_j\big(u(\hat x_{ij};\phi)-\hat y_{ij}\big)^2,

    :math:`f_i` likewise on ``X_test[i]``, ``y_test[i]``; :math:`\sigma` is ``activation`` (:data:`ACTIVATIONS`).
    ``X_train`` (M, mh, d), ``y_train`` (M, mh), ``X_test`` (M, m, d), ``y_test`` (M, m), ``hidden`` = h,
    ``lam`` >= 0 (0: standard MAML; > 0: GD on :math:`\hat f_i+\frac\lambda2\|\phi-\theta\|^2`).  The inner problem is
    non-convex, so only K-step quantities are defined (MAML, FO-MAML, Reptile).  :attr:`Lhat1` is
    :math:`\max_i\|\nabla^2\hat f_i(\theta)\|_2` at theta (a local value: no global bound exists), which sets
    the default inner step.  ``problem.params`` cuts ``theta`` (of any backend) into the four tensors.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    hidden: int
    activation: str
    lam: float
    theta: np.ndarray

    @property
    def M(self) -> int:
        """Number of tasks."""
        return int(np.shape(self.X_train)[0])

    @property
    def d(self) -> int:
        """Input dimension."""
        return int(np.shape(self.X_train)[2])

    @property
    def n(self) -> int:
        """Dimension of theta, h d + 2 h + 1."""
        return int(np.shape(self.theta)[0])

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """The shapes of ``W1``, ``b1``, ``W2``, ``b2`` in theta's order: ``[(h, d), (h,), (h,), ()]``."""
        h = int(self.hidden)
        return [(h, self.d), (h,), (h,), ()]

    @property
    def params(self) -> dict[str, Any]:
        """``{"W1", "b1", "W2", "b2"}``: views of ``theta`` (NumPy, torch or JAX, as handed to your function)."""
        from bmaml_theory.testing.adapters import unflatten

        return dict(zip(("W1", "b1", "W2", "b2"), unflatten(self.theta, self.shapes), strict=True))

    def validate(self) -> MLPProblem:
        """This problem with float64 NumPy arrays, or a ValueError naming the field that is wrong."""
        Xh = _arr(self.X_train, "X_train", 3)
        M, mh, d = Xh.shape
        X = _arr(self.X_test, "X_test", 3)
        yh = _arr(self.y_train, "y_train", 2)
        y = _arr(self.y_test, "y_test", 2)
        th = _arr(self.theta, "theta", 1)
        h = self.hidden
        if isinstance(h, bool | np.bool_) or not isinstance(h, int | np.integer) or h < 1:
            raise TypeError(f"hidden must be an integer >= 1 (the number of hidden units), got {h!r}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}.")
        if X.shape[0] != M or X.shape[2] != d:
            raise ValueError(f"X_test must have shape ({M}, m, {d}) to match X_train {Xh.shape}, got {X.shape}.")
        n = int(h) * d + 2 * int(h) + 1
        for name, a, shape in (("y_train", yh, (M, mh)), ("y_test", y, X.shape[:2]), ("theta", th, (n,))):
            if a.shape != shape:
                raise ValueError(
                    f"{name} must have shape {shape}, got {a.shape}"
                    + (
                        " (theta holds W1 (h, d), b1 (h,), W2 (h,), b2: h d + 2 h + 1 numbers)."
                        if name == "theta"
                        else "."
                    )
                )
        return MLPProblem(Xh, yh, X, y, int(h), str(self.activation), _lam(self.lam), th)

    @property
    def standard_maml(self) -> bool:
        """Whether this is a standard-MAML problem (``lam == 0``: no proximal term)."""
        return float(self.lam) == 0.0

    @property
    def Lhat1(self) -> float:
        r""":math:`\max_i\|\nabla^2\hat f_i(\theta)\|_2` at theta (local: a network has no global smoothness bound)."""
        p = self.validate()
        th = np.asarray(p.theta)
        sides = (_MLPSide(p.X_train[i], p.y_train[i], p.hidden, p.activation) for i in range(p.M))
        return float(max(np.linalg.norm(side.hess(th), 2) for side in sides))

    @property
    def at_threshold(self) -> bool:
        r"""Whether :math:`\lambda\ge2\hat L_1` with the local :math:`\hat L_1` at theta."""
        return float(self.lam) >= 2 * self.Lhat1 * (1 - 1e-12)
