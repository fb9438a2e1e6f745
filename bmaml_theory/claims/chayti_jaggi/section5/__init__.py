"""Claims of Chayti & Jaggi: section5 (one module per statement)."""
