#!/usr/bin/env python3
"""Entry point: `python build.py [build|serve|import] ...` (see README.md)."""

import sys

from digest.cli import main

if __name__ == "__main__":
    sys.exit(main())
