"""Claims of Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), one module per statement."""
