"""Fixtures of the adapter tests: a state file of each test's own, and clean global state."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

from adapters.sdk import AdapterStore


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() configures structlog and the root logger; undo it so tests stay independent."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SAATTAJA_* variable from the caller's shell leaks into the settings under test."""
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    return monkeypatch


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
