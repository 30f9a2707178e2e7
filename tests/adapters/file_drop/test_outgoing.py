"""Received events and rejection notices become files for the legacy system to pick up."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from adapters.file_drop import FileDropAdapter, FileDropSettings, FolderError, OutgoingFolder
from adapters.sdk import AdapterContext
from broker.topics import outbox_topic
from schemas import ReferralRequested, RejectionNotice
from tests.adapters.events import CODEC, client_code, referral
from tests.adapters.file_drop.conftest import TYOLLISYYS_OID, Running
from tests.adapters.kafka import deliver_to_inbox
from tests.broker.conditions import eventually

_WITHIN: Final = 60.0


def _files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


def _finished(folder: Path) -> bool:
    """Whether a file the legacy system would take (not a hidden temporary one) is there."""
    return any(not path.name.startswith(".") for path in folder.iterdir())


@pytest.mark.kafka
async def test_a_received_event_is_written_to_the_outgoing_folder_as_one_json_file(
    running: Running,
) -> None:
    event = referral(client_code(30))
    await deliver_to_inbox(running.connection, running.organisation, CODEC.encode(event))

    outgoing = running.settings.outgoing_folder
    await eventually(lambda: _finished(outgoing), within=_WITHIN, what="a file written")

    [written] = _files(outgoing)  # no temporary file left beside it
    assert written.name == f"20260302T090000Z_referral.requested_{event.event_id}.json"
    content = json.loads(written.read_text())
    assert content == {"type": "referral.requested", **event.model_dump(mode="json")}
    del content["type"]
    assert ReferralRequested.model_validate(content) == event  # the legacy side can read it back


@pytest.mark.kafka
async def test_a_rejection_notice_is_written_as_a_file_of_its_own_type(running: Running) -> None:
    notice = RejectionNotice(
        rejected_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        recipient=TYOLLISYYS_OID,
        rejected_event_id="7d5e1c2a-0000-4000-8000-000000000001",
        reason="the client's identity code is not valid",
        source_topic=outbox_topic(running.organisation.id),
        source_partition=0,
        source_offset=4,
    )
    await deliver_to_inbox(running.connection, running.organisation, notice.encode(b"key"))

    outgoing = running.settings.outgoing_folder
    await eventually(lambda: _finished(outgoing), within=_WITHIN, what="a notice written")

    [written] = _files(outgoing)
    assert written.name == f"20260302T093000Z_event.rejected_{notice.notice_id}.json"
    content = json.loads(written.read_text())
    assert content["type"] == "event.rejected"
    assert content["rejected_event_id"] == notice.rejected_event_id
    assert content["reason"] == notice.reason


def test_a_write_that_fails_leaves_neither_the_file_nor_a_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        OutgoingFolder(tmp_path).write_event(referral(client_code(31)))
    assert _files(tmp_path) == []


async def test_the_adapter_does_not_start_without_its_outgoing_folder(
    settings: FileDropSettings, local_context: AdapterContext, tmp_path: Path
) -> None:
    missing = tmp_path / "not-mounted"
    settings = settings.model_copy(update={"outgoing_folder": missing})

    with pytest.raises(FolderError, match="set SAATTAJA_FILE_DROP_OUTGOING_FOLDER"):
        async with asyncio.timeout(_WITHIN):
            await FileDropAdapter(settings).run(local_context)
