"""Fixtures of the adapter tests: a state file of each test's own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.sdk import AdapterStore


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
