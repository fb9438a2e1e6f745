"""Claims of Chayti & Jaggi: precision (one module per statement)."""
