"""Run every benchmark: ``python -m bench``."""

from __future__ import annotations

import sys

from bench.codec import run

if __name__ == "__main__":
    sys.exit(run())
