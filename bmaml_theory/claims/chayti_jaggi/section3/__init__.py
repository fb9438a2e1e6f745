"""Claims of Chayti & Jaggi: section3 (one module per statement)."""
