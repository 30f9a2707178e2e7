"""Running ``saattaja`` as a process whose standard output nobody reads, as under ``| head``."""

from __future__ import annotations

import os
import subprocess
import sys


def run_with_output_closed(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``saattaja ARGUMENTS`` with its stdout a pipe already closed at the reading end.

    Closed before the command starts, so that its first write fails whatever its size,
    as it would for a reader like ``head -1`` that has already taken its line.
    """
    reading, writing = os.pipe()
    os.close(reading)
    try:
        return subprocess.run(  # noqa: S603 - this interpreter, the command under test
            [sys.executable, "-m", "broker.cli", *arguments],
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writing)
