"""What the TMLR statements share as statements: their source, group and the extra they need.

The study itself (settings fixed before the runs, the power gate, the seed-level bounds, the cached runs) is library
code: :mod:`bmaml_theory.nn.tmlr_study`.  Importing this module never imports torch.
"""

from __future__ import annotations

REQUIRES = ("torch", "mnist1d")
GROUP = "tmlr-mnist1d"
SOURCE = "Chayti & Jaggi (TMLR 2026 revision), abstract"
