"""Claims of Chayti & Jaggi: section4 (one module per statement)."""
