"""Shared criteria of the Section 5 claims (Figure 1, Table 1), fixed before the runs with their reasons."""

from __future__ import annotations

import math

import numpy as np

SOURCE = "Chayti & Jaggi (arXiv 2409.03682)"
# The regimes whose sentences decide Figure 1's rows, fixed before their first run: the caption's "kappa [...] chosen
# big" with kappa = kappa^ = Lhat1/mu (Section 4.3) and lambda a separate setting; for convex fhat_i, mu ~ lam, so
# kappa^ is big exactly when lam << Lhat1: lam = Lhat1/kappa^ with kappa^ in {10, 100}, spread 1e4, the safe inner
# step 1/(Lhat1 + lam).  Every sentence is scored in both; a sentence contradicted in either is contradicted (both are
# "big").  The lam = 2 Lhat1 regimes (kappa^ <= 1/2, not the caption's regime) and the slow-inner regime (a small
# inner learning rate, which the caption does not describe) are evidence, not a verdict.
VERDICT_REGIMES = ("big-kappa-10", "big-kappa-100")
EVIDENCE_WHY = {
    "assumption": "lam = 2 Lhat1: kappa^ = Lhat1/mu <= 1/2, not the caption's regime ('kappa chosen big')",
    "slow-inner": "lam = 2 Lhat1: kappa^ <= 1/2, not the caption's regime; slow only through an inner learning rate "
    "20 times below the safe step, which the caption does not describe",
}
UPTICK = 1.05  # an increase of < 5% between consecutive K is finite-difference round-off, not a trend
PLATEAU = 1e-2  # "not the case" for FO-MAML / Reptile: their relative error stays >= 1e-2 at the largest K
COMPETITIVE = 2.0  # "compares favorably" / "competitive": not worse than a factor 2 (errors, iterations, losses)
# float64 limit of a forward difference: truncation nu vs round-off eps/nu balance at ~sqrt(eps) = 1.5e-8; errors
# within a decade of it are at the arithmetic's floor, where no method can be asked to improve or to win
FD_FLOOR = 10 * math.sqrt(float(np.finfo(np.float64).eps))


def sentence(text: str, regime: str, contradicted: bool, **numbers) -> dict:
    """One sentence of the paper scored in one regime, with the numbers that decide it."""
    return {"sentence": text, "regime": regime, "contradicted": bool(contradicted), **numbers}
