"""Real neural networks for the TMLR revision's MNIST-1D claims (optional extra ``nn``: PyTorch, mnist1d).

The core package never imports this subpackage; it needs ``pip install -e ".[nn]"``.
"""
