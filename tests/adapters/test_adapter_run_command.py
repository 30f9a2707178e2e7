"""`saattaja adapter run NAME` runs an installed adapter as its own process until a signal."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import uuid
from pathlib import Path
from typing import Final

import pytest

from broker.kafka import KafkaConnection
from broker.registry import Organisation
from broker.topics import outbox_topic
from schemas import OrganisationKind
from schemas.examples import EXAMPLE_ORGANISATIONS
from tests.adapters.kafka import create_organisation_topics
from tests.broker.conditions import eventually
from tests.broker.reading import read_topic
from tests.conftest import write_registry_file

pytestmark = pytest.mark.kafka

_RUN_MAIN: Final = "from broker.cli import main; raise SystemExit(main())"
_EXPORT: Final = Path(__file__).parents[2] / "adapters/file_drop/examples/tyollisyys-export.csv"
_ROWS_IN_EXPORT: Final = 3


async def test_adapter_run_publishes_a_dropped_export_and_stops_cleanly_on_sigterm(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    organisation = Organisation(
        id=f"tyollisyys-{uuid.uuid4().hex[:8]}",
        name="Lappeenrannan työllisyysalue",
        oid=EXAMPLE_ORGANISATIONS[OrganisationKind.TYOLLISYYS],
        kind=OrganisationKind.TYOLLISYYS,
    )
    connection = KafkaConnection(kafka_bootstrap)
    await create_organisation_topics(connection, organisation)
    registry_file = write_registry_file([organisation], tmp_path / "organisations.yaml")
    drop, outgoing = tmp_path / "in", tmp_path / "out"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SAATTAJA_")},
        "SAATTAJA_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SAATTAJA_REGISTRY_FILE": str(registry_file),
        "SAATTAJA_PSEUDONYM_SECRET": "adapter-run-tests-pseudonym-secret-0123456789",
        "SAATTAJA_ADAPTER_ORGANISATION": organisation.id,
        "SAATTAJA_ADAPTER_STATE_FILE": str(tmp_path / "adapter.db"),
        "SAATTAJA_FILE_DROP_DROP_FOLDER": str(drop),
        "SAATTAJA_FILE_DROP_OUTGOING_FOLDER": str(outgoing),
        "SAATTAJA_FILE_DROP_CREATE_FOLDERS": "true",
        "SAATTAJA_FILE_DROP_POLL_SECONDS": "0.2",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RUN_MAIN,
        "adapter",
        "run",
        "file_drop",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await eventually(drop.is_dir, within=30, what="the adapter created its drop folder")
        shutil.copy(_EXPORT, drop / "export.csv.part")
        (drop / "export.csv.part").rename(drop / "export.csv")

        async def published() -> bool:
            topic = outbox_topic(organisation.id)
            return len(await read_topic(connection, topic)) >= _ROWS_IN_EXPORT

        await eventually(published, within=60, what="the export's rows in the outbox topic")
        await eventually(
            (drop / "done" / "export.csv").exists,
            within=30,
            what="the export moved to done/",
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    _, errors = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, errors.decode()
