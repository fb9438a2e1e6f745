r"""A 1-D CNN for MNIST-1D, used functionally: :math:`\text{logits}=h(\phi; x)` with parameters passed in.

``depth`` convolutions of ``width`` channels (kernel 3, 'same' padding, ReLU), then a linear head from the
flattened ``width x 40`` activations to ``ways`` logits.  Activations grow as ``width * 40`` per signal and per
layer: the "activation-heavy" regime of the TMLR abstract.  Parameters live in a ``dict[str, Tensor]`` so that
the inner loops of :mod:`bmaml_theory.nn.methods` can replace them (``torch.func.functional_call``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

__all__ = ["CNN1d", "Params", "n_bytes", "n_params"]

Params = dict[str, torch.Tensor]
SIGNAL_LENGTH = 40


class CNN1d(nn.Module):
    """``depth`` x [Conv1d(width, kernel 3, padding 1) + ReLU] + Linear(width*40 -> ways)."""

    def __init__(self, width: int = 32, depth: int = 2, ways: int = 5, length: int = SIGNAL_LENGTH) -> None:
        super().__init__()
        for name, v in (("width", width), ("depth", depth), ("ways", ways), ("length", length)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name} must be a positive int, got {v!r}.")
        if ways < 2:
            raise ValueError(f"ways must be >= 2 (a classification task), got {ways}.")
        self.width, self.depth, self.ways, self.length = width, depth, ways, length
        layers: list[nn.Module] = []
        cin = 1
        for _ in range(depth):
            layers += [nn.Conv1d(cin, width, kernel_size=3, padding=1), nn.ReLU()]
            cin = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width * length, ways)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).flatten(1))

    def init_params(self, seed: int, dtype: torch.dtype = torch.float32) -> Params:
        """Fresh parameters (PyTorch's default initialisation) from a private generator seeded with ``seed``."""
        g = torch.Generator().manual_seed(int(seed))
        out: Params = {}
        for name, p in self.named_parameters():
            fan_in = p.shape[1] * (p.shape[2] if p.dim() == 3 else 1) if p.dim() > 1 else None
            if fan_in is None:  # bias: fan_in of its layer
                w = dict(self.named_parameters())[name.replace("bias", "weight")]
                fan_in = w.shape[1] * (w.shape[2] if w.dim() == 3 else 1)
            bound = 1.0 / fan_in**0.5
            out[name] = ((torch.rand(p.shape, generator=g, dtype=torch.float64) * 2 - 1) * bound).to(dtype)
        return out

    def logits(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        r""":math:`h(\phi; x)`: the logits of signals ``x`` (n, 1, 40) under parameters ``params``."""
        return functional_call(self, params, (x,))


def n_params(params: Params) -> int:
    """Number of scalars in ``params``."""
    return sum(int(p.numel()) for p in params.values())


def n_bytes(params: Params) -> int:
    """Bytes of ``params`` (numel x element size)."""
    return sum(int(p.numel()) * p.element_size() for p in params.values())
