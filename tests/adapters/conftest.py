"""Fixtures of the adapter tests: a state file of each test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sdk import (
    AdapterContext,
    AdapterHealth,
    AdapterSettings,
    AdapterStore,
    LocalOutbox,
    Publisher,
)
from schemas import Pseudonymiser
from tests.adapters.events import CODEC, SECRET
from tests.adapters.kafka import fresh_organisation


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    """Where this test's adapter keeps its outbox, seen events and parked events."""
    return tmp_path / "adapter" / "state.db"


@pytest.fixture
async def store(state_file: Path) -> AsyncIterator[AdapterStore]:
    """The test's state file, opened."""
    opened = await AdapterStore.open(state_file)
    try:
        yield opened
    finally:
        await opened.close()


async def _healthy() -> AdapterHealth:
    return AdapterHealth(outbox_unsent=0, outbox_oldest_age_seconds=0.0, parked=0)


@pytest.fixture
def local_context(store: AdapterStore) -> AdapterContext:
    """What an adapter's run() gets, publishing into the test's state file only (no Kafka)."""
    organisation = fresh_organisation()
    return AdapterContext(
        organisation=organisation,
        settings=AdapterSettings(organisation=organisation.id, state_file=store.path),
        publisher=Publisher(LocalOutbox(store), CODEC, sender_oid=organisation.oid),
        pseudonymiser=Pseudonymiser(SECRET),
        health=_healthy,
    )
