"""Shared studies: the computations that several claims and figures read (sweeps, convergence runs, experiments).

The library (everything outside :mod:`bmaml_theory.claims`) never imports the claims; the claims import the
studies; the figures draw only from what a claim returned (``ClaimResult.data``).
"""
