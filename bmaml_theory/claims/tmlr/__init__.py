"""Claims of the TMLR revision and of the arXiv text about neural networks, checked on MNIST-1D (needs the nn extra).

One module per statement: ``tmlr_mnist1d_accuracy``, ``tmlr_flat_memory``, ``tmlr_sngdm``, ``hvp_cost``,
``limitations_autodiff``.  Their statements declare ``requires=("torch", "mnist1d")``; importing them never imports
torch (the checks import :mod:`bmaml_theory.nn` when they run), so without the extra they are listed and skipped.
The claims registry discovers them (``bmaml_theory.claims.SUBPACKAGES``).
"""
