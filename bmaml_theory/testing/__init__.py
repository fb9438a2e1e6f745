"""Testing kit: reusable strategies and the fuzz catalogue (:mod:`bmaml_theory.testing.fuzz`)."""
