"""``python -m verify``: the same command as ``bmaml-verify`` (see ``python -m verify --help``)."""

import sys

from verify.cli import main

if __name__ == "__main__":
    sys.exit(main())
