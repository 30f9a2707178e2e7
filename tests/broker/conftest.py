"""Fixtures of the broker tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cli_environment(
    clean_environment: pytest.MonkeyPatch, registry_file: Path, tmp_path: Path
) -> pytest.MonkeyPatch:
    """Settings for main(): the shipped registry, and a database and secret of the test's own."""
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv(
        "SAATTAJA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    )
    clean_environment.setenv("SAATTAJA_PSEUDONYM_SECRET", "cli-tests-pseudonym-secret-0123456789ab")
    return clean_environment
