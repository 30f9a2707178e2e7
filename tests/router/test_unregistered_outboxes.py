"""An outbox no organisation of the registry has is named at start: the router does not read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka.admin import NewTopic
from structlog.testing import capture_logs

from broker.embedded import EmbeddedBroker
from broker.kafka import KafkaConnection, open_admin
from broker.registry import OrganisationRegistry
from consent.database import upgrade_database
from tests.router.harness import running_router

pytestmark = pytest.mark.kafka


async def test_an_outbox_of_an_organisation_not_in_the_registry_is_named_at_start(
    own_broker: EmbeddedBroker, tmp_path: Path, registry: OrganisationRegistry
) -> None:
    async with open_admin(KafkaConnection(own_broker.bootstrap)) as admin:
        await admin.create_topics([NewTopic("saattaja.rogue.outbox", 1, 1)])
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'router.db'}"
    await upgrade_database(database_url)

    with capture_logs() as logs:
        async with running_router(own_broker.bootstrap, database_url, registry):
            pass

    [named] = [entry for entry in logs if entry["event"] == "outbox_not_read"]
    assert named["topic"] == "saattaja.rogue.outbox"
    assert "SAATTAJA_REGISTRY_FILE" in named["reason"]
