"""Deliberately wrong, right and broken bounds for the can-fail tests of the runners (replay targets)."""

from __future__ import annotations

import numpy as np

from bmaml_theory.claims import replayable


@replayable
def ratio_wrong_bound(p: list[float] | np.ndarray) -> float:
    r"""actual/bound with a bound too small by 2x: :math:`2\|p\|^2/(1+\|p\|^2)`, sup 2 (approached as |p| grows)."""
    s = float(np.sum(np.asarray(p, dtype=float) ** 2))
    return 2.0 * s / (1.0 + s)


@replayable
def ratio_right_bound(p: list[float] | np.ndarray) -> float:
    r""":math:`\|p\|^2/(1+\|p\|^2) < 1`: the bound holds everywhere."""
    s = float(np.sum(np.asarray(p, dtype=float) ** 2))
    return s / (1.0 + s)


@replayable
def ratio_raises(p: list[float] | np.ndarray) -> float:
    """A bound whose evaluation raises (a bug, a failed solve): must never read as holds."""
    raise RuntimeError("the bound could not be evaluated")


@replayable
def ratio_sometimes_nan(p: list[float] | np.ndarray) -> float:
    """Correct where finite, NaN on half the space: the failures must block 'holds'."""
    q = np.asarray(p, dtype=float)
    return float("nan") if q[0] > 0 else ratio_right_bound(q)


@replayable
def exponent_of(slope: float) -> float:
    """A rate measurement's replay: returns the fitted exponent it was given (stands in for a refit)."""
    return float(slope)


# --- targets over a LogisticSpace (runners.adversarial_upper_bound) ---------------------------------------------
def _space():
    from bmaml_theory.search import LogisticSpace

    return LogisticSpace(M=(1, 3), n=(2, 3), mh=(1, 2), m=(1, 2))


@replayable
def space_ratio_wrong(p: list[float] | np.ndarray) -> float:
    r"""A bound too small by 2x over the space: :math:`2\|\theta\|^2/(1+\|\theta\|^2)`, sup :math:`2\cdot100n/(1+100n)`
    at the box's corner (theta decoded from p)."""
    th = _space().decode(p).theta
    s = float(th @ th)
    return 2.0 * s / (1.0 + s)


@replayable
def space_ratio_right(p: list[float] | np.ndarray) -> float:
    r""":math:`\|\theta\|^2/(1+\|\theta\|^2)<1` over the space: the bound holds."""
    th = _space().decode(p).theta
    s = float(th @ th)
    return s / (1.0 + s)


@replayable
def space_ratio_nan(p: list[float] | np.ndarray) -> float:
    """Correct where finite, NaN where theta_1 > 0: the failures must block 'holds'."""
    th = _space().decode(p).theta
    return float("nan") if th[0] > 0 else space_ratio_right(p)
