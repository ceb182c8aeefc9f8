"""``python -m kmeanskit``: the same as the ``kmeanskit`` command (see :mod:`kmeanskit.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
