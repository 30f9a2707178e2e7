"""A database URL in a message: as its operator wrote it, any password hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.cli import main
from broker.database_urls import printable_database_url


def test_a_sqlite_uri_url_is_printed_as_written() -> None:
    url = "sqlite+aiosqlite:///file:/var/lib/saattaja/saattaja.db?mode=rwc&uri=true"

    assert printable_database_url(url) == url


def test_a_server_url_is_printed_without_its_password() -> None:
    url = "postgresql+asyncpg://saattaja:s3cret-pw@db.example:5432/saattaja"

    assert printable_database_url(url) == (
        "postgresql+asyncpg://saattaja:***@db.example:5432/saattaja"
    )


def test_a_server_url_without_a_password_is_printed_as_written() -> None:
    url = "postgresql+asyncpg://saattaja@db.example/saattaja?ssl=require"

    assert printable_database_url(url) == url


def test_db_upgrade_names_a_sqlite_uri_database_as_the_setting_says_it(
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    registry_file: Path,
    tmp_path: Path,
) -> None:
    url = f"sqlite:///file:{tmp_path}/saattaja.db?mode=rwc&uri=true"
    clean_environment.setenv("SAATTAJA_REGISTRY_FILE", str(registry_file))
    clean_environment.setenv("SAATTAJA_DATABASE_URL", url)

    assert main(["db", "upgrade"]) == 0

    assert capsys.readouterr().out == (
        "database at this version's schema: "
        f"sqlite+aiosqlite:///file:{tmp_path}/saattaja.db?mode=rwc&uri=true\n"
    )
