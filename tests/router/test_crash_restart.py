"""A router killed in the middle of a stream loses nothing and records nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest

from broker.registry import OrganisationRegistry
from consent.audit import AuditLog
from consent.database import create_database_engine
from schemas import DataCategory, OrganisationKind, Recipient
from tests.broker.conditions import eventually
from tests.conftest import write_registry_file
from tests.router.events import consent, referral
from tests.router.harness import SECRET, Harness, running_router

pytestmark = pytest.mark.kafka

_EVENTS: Final = 500
# Small batches, so that the kill lands in the middle of the stream and of a batch.
_BATCH_SIZE: Final = "7"
_OTHER_CLIENT: Final = "240795-934S"  # no consent: every referral of theirs is denied


@contextmanager
def _router_process(harness: Harness, registry_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    environment = {
        **os.environ,
        "SAATTAJA_KAFKA_BOOTSTRAP": harness.settings.kafka_bootstrap,
        "SAATTAJA_DATABASE_URL": harness.settings.database_url,
        "SAATTAJA_PSEUDONYM_SECRET": SECRET.decode(),
        "SAATTAJA_REGISTRY_FILE": str(registry_file),
        "SAATTAJA_ROUTER_GROUP_ID": harness.settings.router_group_id,
        # Short: the killed process holds its partitions until its session times out.
        "SAATTAJA_ROUTER_SESSION_TIMEOUT_MS": "2000",
        "SAATTAJA_ROUTER_BATCH_SIZE": _BATCH_SIZE,
        "SAATTAJA_LOG_FORMAT": "json",
        # The referrals are old: an overdue watch would expire them and notify kela.
        "SAATTAJA_OVERDUE_SCAN_SECONDS": "86400",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "broker.cli", "router"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_router_killed_mid_stream_and_restarted_delivers_everything_once_on_record(
    kafka_bootstrap: str,
    sqlite_database_url: str,
    registry: OrganisationRegistry,
    tmp_path: Path,
) -> None:
    async with running_router(
        kafka_bootstrap, sqlite_database_url, registry, start_router=False
    ) as (harness, _):
        registry_file = write_registry_file(harness.registry, tmp_path / "organisations.yaml")
        await harness.publish(
            consent("C-1", (Recipient(kind=OrganisationKind.KELA),), (DataCategory.REFERRAL,))
        )
        permitted = [referral(f"R-{n}") for n in range(_EVENTS)]
        denied = [referral(f"D-{n}", client=_OTHER_CLIENT) for n in range(_EVENTS // 10)]
        for event in [*permitted, *denied]:
            await harness.publish(event)

        with _router_process(harness, registry_file) as first:
            await harness.wait_for_inbox("kela", 20)
            first.kill()
            first.wait()
        delivered_before_restart = len(set(await harness.inbox_event_ids("kela")))
        assert delivered_before_restart < _EVENTS, "the router finished before it was killed"

        expected = {str(event.event_id) for event in permitted}
        with _router_process(harness, registry_file):

            async def all_routed() -> bool:
                delivered = set(await harness.inbox_event_ids("kela"))
                return delivered >= expected and len(await harness.audit_records()) >= len(
                    permitted
                ) + len(denied)

            await eventually(all_routed, within=120, what="every referral routed and on record")

        delivered = await harness.inbox_event_ids("kela")
        assert set(delivered) == expected
        records = await harness.audit_records()
        keys = Counter((record.event_id, record.recipient) for record in records)
        assert all(count == 1 for count in keys.values())
        assert len(records) == _EVENTS + len(denied)
        engine = create_database_engine(sqlite_database_url)
        try:
            assert (await AuditLog(engine).verify()).ok
        finally:
            await engine.dispose()
