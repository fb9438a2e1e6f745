"""``python -m verify``: run the claims, draw the figures, write the ledger (see ``python -m verify --help``)."""
