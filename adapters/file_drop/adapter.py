"""The file-drop adapter: exports dropped in a folder in, received events written as files out."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import structlog
from pydantic_settings import BaseSettings

from adapters.file_drop.errors import FolderError, OutgoingWriteError
from adapters.file_drop.mapping import RecordError, to_event
from adapters.file_drop.reading import Problem, read_records
from adapters.file_drop.settings import FileDropSettings
from adapters.file_drop.sink import OutgoingFolder
from adapters.file_drop.source import DropFolder
from adapters.sdk import Adapter, AdapterContext, InvalidEventError
from schemas import Event, RejectionNotice

__all__ = ["DroppedFile", "FileDropAdapter"]

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DroppedFile:
    """What became of one file: how many records were published, what was wrong, where it went."""

    name: str
    published: int
    problems: tuple[Problem, ...]
    moved_to: Path


class FileDropAdapter(Adapter[FileDropSettings]):
    """For a legacy system that exchanges CSV / JSON exports through a shared folder."""

    name: ClassVar[str] = "file_drop"
    settings_model: ClassVar[type[BaseSettings]] = FileDropSettings

    def __init__(self, settings: FileDropSettings) -> None:
        super().__init__(settings)
        self._drop = DropFolder(settings)
        self._outgoing = OutgoingFolder(settings.outgoing_folder)
        self._zone = ZoneInfo(settings.timezone)
        # The run loop and a caller of scan_once (a test, a demo) must not read one file twice.
        self._scanning = asyncio.Lock()

    async def run(self, context: AdapterContext) -> None:
        """Poll the drop folder until cancelled, the first time one poll interval after start."""
        await asyncio.to_thread(self._prepare_folders)
        while True:
            # Waiting first costs one interval at start and lets a test drive scan_once alone.
            await asyncio.sleep(self.settings.poll_seconds)
            await self.scan_once(context)

    async def scan_once(self, context: AdapterContext) -> list[DroppedFile]:
        """One poll: publish the records of every file that is ready, then move each file."""
        async with self._scanning:
            try:
                ready = await asyncio.to_thread(self._drop.ready_files)
                return [await self._take(path, context) for path in ready]
            except OSError as exc:
                # A file left behind is read again after the restart, with the same event ids.
                raise FolderError(
                    f"cannot read or move files in {self.settings.drop_folder}: {exc}; check "
                    "the folder (or the share it is on), then restart the adapter"
                ) from exc

    async def handle(self, event: Event) -> None:
        """Write the event for the legacy system; a failed write is retried by the SDK."""
        try:
            await asyncio.to_thread(self._outgoing.write_event, event)
        except OSError as exc:
            raise OutgoingWriteError(
                f"cannot write {event.event_code} {event.event_id} into "
                f"{self.settings.outgoing_folder}: {exc}; check that the folder exists and "
                "is writable (SAATTAJA_FILE_DROP_OUTGOING_FOLDER)"
            ) from exc

    async def on_rejection(self, notice: RejectionNotice) -> None:
        """Write the notice beside the events, so the legacy system's users see it."""
        try:
            await asyncio.to_thread(self._outgoing.write_notice, notice)
        except OSError as exc:
            raise OutgoingWriteError(
                f"cannot write rejection notice {notice.notice_id} into "
                f"{self.settings.outgoing_folder}: {exc}"
            ) from exc

    async def check(self) -> list[str]:
        """Each folder the adapter needs that is missing or not writable, in words."""
        folders = {
            "SAATTAJA_FILE_DROP_DROP_FOLDER": self.settings.drop_folder,
            "SAATTAJA_FILE_DROP_OUTGOING_FOLDER": self.settings.outgoing_folder,
        }
        problems = [
            problem
            for variable, folder in folders.items()
            if (problem := await asyncio.to_thread(_folder_problem, variable, folder))
        ]
        if not problems:
            for folder in (self.settings.done_folder, self.settings.failed_folder):
                if folder.exists() and (problem := _folder_problem("", folder)):
                    problems.append(problem)
        return problems

    async def _take(self, path: Path, context: AdapterContext) -> DroppedFile:
        records = await asyncio.to_thread(read_records, path, self.settings.csv_delimiter)
        problems: list[Problem] = []
        published = 0
        for record in records:
            if isinstance(record, Problem):
                problems.append(record)
                continue
            try:
                event = to_event(
                    record, sender=context.organisation.oid, file_name=path.name, zone=self._zone
                )
                await context.publish(event)
            except (RecordError, InvalidEventError) as exc:
                problems.append(Problem(record.where, str(exc)))
            else:
                published += 1
        moved_to = await asyncio.to_thread(self._drop.finish, path, problems, published=published)
        _log.info(
            "file_drop_file_read",
            file=path.name,
            published=published,
            problems=len(problems),
            moved_to=str(moved_to),
        )
        return DroppedFile(path.name, published, tuple(problems), moved_to)

    def _prepare_folders(self) -> None:
        settings = self.settings
        if settings.create_folders:
            for folder in (settings.drop_folder, settings.outgoing_folder):
                folder.mkdir(parents=True, exist_ok=True)
        if not settings.drop_folder.is_dir():
            raise FolderError(
                f"the drop folder {settings.drop_folder} does not exist: create it (or mount "
                "the share) or set SAATTAJA_FILE_DROP_DROP_FOLDER"
            )
        # Without it every event received would be retried and parked, one by one.
        if not settings.outgoing_folder.is_dir():
            raise FolderError(
                f"the outgoing folder {settings.outgoing_folder} does not exist: create it (or "
                "mount the share) or set SAATTAJA_FILE_DROP_OUTGOING_FOLDER"
            )
        for folder in (settings.done_folder, settings.failed_folder):
            folder.mkdir(exist_ok=True)


def _folder_problem(variable: str, folder: Path) -> str | None:
    setting = f" (set {variable})" if variable else ""
    if not folder.exists():
        return f"folder {folder} does not exist: create it or point the setting at it{setting}"
    if not folder.is_dir():
        return f"{folder} is not a folder{setting}"
    try:
        # os.access is unreliable on network shares; writing a file is the real test.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".saattaja-check-"):
            pass
    except OSError as exc:
        return f"folder {folder} is not writable for this process ({exc.strerror}){setting}"
    return None
