"""Claims of Chayti & Jaggi: section6 (one module per statement)."""
