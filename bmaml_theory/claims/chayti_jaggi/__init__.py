"""Claims of Chayti & Jaggi (arXiv 2409.03682), one subpackage per section, one module per statement."""
