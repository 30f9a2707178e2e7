"""The drop folder: which files are ready, and where each goes once read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from adapters.file_drop.files import free_name, write_atomically
from adapters.file_drop.reading import CSV_SUFFIXES, JSON_SUFFIXES, Problem
from adapters.file_drop.settings import FileDropSettings

__all__ = ["DropFolder"]

_SUFFIXES = CSV_SUFFIXES | JSON_SUFFIXES
_Signature = tuple[int, int]
# Seen twice like any other entry before it is taken, and taken before the files.
_UNDESCRIBED: _Signature = (-1, -1)


class DropFolder:
    """Finds the files that are whole and moves each, once read, to done/ or failed/."""

    def __init__(self, settings: FileDropSettings) -> None:
        self._settings = settings
        self._previous: dict[Path, _Signature] = {}

    def ready_files(self) -> list[Path]:
        """Files to read now, oldest first.

        A file is ready when its size and modification time are the same as at the
        previous call: a writer that is still copying changes one of them. With
        ``take_at_first_sight`` every file is ready, because writers rename in whole files.
        """
        current: dict[Path, _Signature] = {}
        for entry in self._settings.drop_folder.iterdir():
            if entry.name.startswith(".") or entry.suffix.lower() not in _SUFFIXES:
                continue  # name.csv.part, editor and temporary files
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue  # renamed away between listing and looking
            except OSError:
                # A link that loops, or an entry the share will not describe: read, it
                # fails alone to failed/ with its reason, rather than stop every poll.
                current[entry] = _UNDESCRIBED
                continue
            if entry.is_file():
                current[entry] = (stat.st_size, stat.st_mtime_ns)
        ready = [
            path
            for path, signature in current.items()
            if self._settings.take_at_first_sight or self._previous.get(path) == signature
        ]
        self._previous = {path: sig for path, sig in current.items() if path not in ready}
        # Oldest first, so that a client's records from two exports keep their order.
        return sorted(ready, key=lambda path: (current[path][1], path.name))

    def finish(self, path: Path, problems: Sequence[Problem], *, published: int) -> Path:
        """Move a read file to done/, or to failed/ with ``<name>.errors.txt``; where it went."""
        if not problems:
            return _move(path, self._settings.done_folder)
        failed = self._settings.failed_folder
        failed.mkdir(exist_ok=True)
        target = free_name(failed, path.name)
        report = [
            f"# {path.name}: {published} records were published, the ones below were not. "
            "Fix them in the file and drop it again under the same name (records already "
            "published keep their event ids, so receivers drop them as duplicates), or drop "
            "only the fixed records in a new file.",
            *(str(problem) for problem in problems),
        ]
        # Report first: if the process dies before the move, the file is simply read again.
        write_atomically(target.with_name(f"{target.name}.errors.txt"), _lines(report))
        return _move(path, failed, target)


def _move(path: Path, folder: Path, target: Path | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    destination = target or free_name(folder, path.name)
    # done/ and failed/ are inside the drop folder: a rename on one volume, never a copy.
    path.rename(destination)
    return destination


def _lines(lines: Sequence[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode()
