"""Broker tests: global state that the code under test sets is put back after each test."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
import structlog


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
