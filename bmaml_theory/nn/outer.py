r"""Outer optimisers on parameter dicts (Algorithm 1, line 10), with their state's size for the memory meter.

* ``GD``           :math:`\theta\leftarrow\theta-\eta g`
* ``ClippedGD``    :math:`\theta\leftarrow\theta-\eta\min(1,c/\|g\|)g`
* ``NormalizedGD`` :math:`\theta\leftarrow\theta-\eta g/(\beta+\|g\|)` (Theorem 1)
* ``SNGDM``        normalized GD with momentum (the TMLR abstract's SNGDM; Cutkosky & Mehta 2020):
                   :math:`m\leftarrow\mu m+(1-\mu)g`, :math:`\theta\leftarrow\theta-\eta m/\|m\|`
* ``Adam``         Kingma & Ba with bias correction.

Norms are over all parameters together.  ``state_bytes`` is the optimiser's memory (0, 1 or 2 copies of
:math:`\theta`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from bmaml_theory.nn.model import Params, n_bytes

__all__ = ["OUTER", "SNGDM", "Adam", "ClippedGD", "NormalizedGD", "Optimizer", "make_outer"]


def _norm(g: Params) -> float:
    return math.sqrt(sum(float((v.double() ** 2).sum()) for v in g.values()))


@dataclass
class Optimizer:
    """Base: ``step(theta, g)`` returns the new parameters; ``state_bytes(theta)`` the state's size."""

    eta: float
    name: str = "GD"
    copies: int = 0  # parameter-sized buffers of state

    def __post_init__(self) -> None:
        if not (isinstance(self.eta, (int, float)) and math.isfinite(self.eta) and self.eta > 0):
            raise ValueError(f"eta (outer step size) must be a finite number > 0, got {self.eta!r}.")

    def direction(self, g: Params) -> Params:
        return g

    def step(self, theta: Params, g: Params) -> Params:
        d = self.direction(g)
        return {k: (theta[k] - self.eta * d[k]).detach() for k in theta}

    def state_bytes(self, theta: Params) -> int:
        return self.copies * n_bytes(theta)


@dataclass
class ClippedGD(Optimizer):
    c: float = 1.0
    name: str = "ClippedGD"

    def direction(self, g: Params) -> Params:
        n = _norm(g)
        s = min(1.0, self.c / n) if n > 0 else 1.0
        return {k: s * v for k, v in g.items()}


@dataclass
class NormalizedGD(Optimizer):
    beta: float = 1e-8
    name: str = "NormalizedGD"

    def direction(self, g: Params) -> Params:
        n = _norm(g)
        return {k: v / (self.beta + n) for k, v in g.items()}


@dataclass
class SNGDM(Optimizer):
    mu: float = 0.9
    name: str = "SNGDM"
    copies: int = 1
    m: Params | None = field(default=None, repr=False)

    def direction(self, g: Params) -> Params:
        if self.m is None:
            self.m = {k: torch.zeros_like(v) for k, v in g.items()}
        self.m = {k: self.mu * self.m[k] + (1 - self.mu) * g[k] for k in g}
        n = _norm(self.m)
        return {k: v / n if n > 0 else v for k, v in self.m.items()}


@dataclass
class Adam(Optimizer):
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8
    name: str = "Adam"
    copies: int = 2
    t: int = 0
    m: Params | None = field(default=None, repr=False)
    v: Params | None = field(default=None, repr=False)

    def direction(self, g: Params) -> Params:
        if self.m is None or self.v is None:
            self.m = {k: torch.zeros_like(x) for k, x in g.items()}
            self.v = {k: torch.zeros_like(x) for k, x in g.items()}
        self.t += 1
        self.m = {k: self.b1 * self.m[k] + (1 - self.b1) * g[k] for k in g}
        self.v = {k: self.b2 * self.v[k] + (1 - self.b2) * g[k] ** 2 for k in g}
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        return {k: (self.m[k] / c1) / ((self.v[k] / c2).sqrt() + self.eps) for k in g}


OUTER = ("Adam", "GD", "NormalizedGD", "ClippedGD", "SNGDM")


def make_outer(name: str, eta: float) -> Optimizer:
    """A fresh outer optimiser ``name`` (one of :data:`OUTER`) with step size ``eta``."""
    table = {"Adam": Adam, "GD": Optimizer, "NormalizedGD": NormalizedGD, "ClippedGD": ClippedGD, "SNGDM": SNGDM}
    if name not in table:
        raise ValueError(f"outer must be one of {OUTER}, got {name!r}.")
    return table[name](eta=eta)
