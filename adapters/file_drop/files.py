"""Writing a file whole or not at all, and finding a free name for it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["free_name", "write_atomically"]


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a hidden temporary file beside ``path``, then rename it into place.

    A reader never sees half a file: the rename is atomic within one folder, and the
    temporary name starts with a dot and ends in .tmp, so no *.json / *.csv pattern takes it.
    """
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or with a timestamp suffix when that name is taken."""
    candidate = folder / name
    if not candidate.exists():
        return candidate
    stem, dot, suffix = name.partition(".")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    counter = 0
    while True:
        extra = f"-{counter}" if counter else ""
        candidate = folder / f"{stem}-{stamp}{extra}{dot}{suffix}"
        if not candidate.exists():
            return candidate
        counter += 1
