"""``python -m servingmath``: the command-line calculator in :mod:`servingmath.cli`."""

from servingmath.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
