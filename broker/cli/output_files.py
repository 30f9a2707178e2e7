"""Files and folders a command writes: a bad path named in one sentence, a file replaced whole."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from broker.errors import OutputFileError

__all__ = ["replaced_on_success", "unwritable"]


@contextmanager
def replaced_on_success(path: Path) -> Iterator[TextIO]:
    """A text file that takes the place of ``path`` only when the block ends without error.

    Written beside ``path`` and renamed over it, so that a command failing half-way (or
    before it wrote anything) leaves an earlier file there as it was.
    """
    if path.is_dir():
        raise OutputFileError(f"cannot write to {path}: it is a folder; give a file's path")
    # Through a symbolic link, its target is the file replaced, as writing to it would.
    target = path.resolve()
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        # 0o666 as open() gives: the umask applies, as it did when the file was written in place.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise unwritable(path, exc) from exc
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            yield out
            try:
                _put_in_place(out, temporary, target)
            except OSError as exc:
                raise unwritable(path, exc) from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _put_in_place(out: TextIO, temporary: Path, target: Path) -> None:
    # On disk before the rename, so that a crash leaves the old file or the whole new one.
    out.flush()
    os.fsync(out.fileno())
    if target.is_file():
        shutil.copymode(target, temporary)
    temporary.replace(target)


def unwritable(path: Path, exc: OSError) -> OutputFileError:
    """The error that says why ``path`` cannot be written, and what to give instead."""
    missing = (
        # A folder that makes no new files (/proc, /sys) says so as one that is not there.
        f"the folder {path.parent} exists, but no file can be made in it; give a path in "
        "another folder"
        if path.parent.is_dir()
        else f"the folder {path.parent} does not exist; create it or give another"
    )
    reasons = {
        errno.ENOENT: missing,
        errno.ENOTDIR: "a folder on its way is a file; give a path through folders",
        errno.EEXIST: "it is a file; give a folder",
        errno.EISDIR: "it is a folder; give a file's path",
        errno.EACCES: "permission denied; give a path this user may write to",
        errno.EPERM: "permission denied; give a path this user may write to",
        errno.EROFS: "the file system is read-only; give a path on another",
        errno.ENOSPC: "no space is left on its device; free some or give a path on another",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return OutputFileError(f"cannot write to {path}: {reason}")
