"""Claims of Chayti & Jaggi: symbolic (one module per statement)."""
