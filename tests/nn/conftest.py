"""One intra-op thread for the nn tests: two threads per op oversubscribe a shared 2-core CI machine."""

from __future__ import annotations

try:
    import torch
except ImportError:  # the nn extra is absent: every test file here skips itself
    torch = None

if torch is not None:
    torch.set_num_threads(1)
