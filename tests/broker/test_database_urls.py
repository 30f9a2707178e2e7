"""Database URLs: the async driver each database gets, and a URL in a message as its
operator wrote it, any password hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.sdk import AdapterConfigurationError
from adapters.sql_outbox.database import create_source_engine
from broker.cli import main
from broker.database_urls import (
    UnsupportedDatabaseError,
    printable_database_url,
    with_async_driver,
)


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


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        (
            "postgresql://saattaja@db.example/saattaja",
            "postgresql+asyncpg://saattaja@db.example/saattaja",
        ),
        (
            "postgres://saattaja@db.example/saattaja",
            "postgresql+asyncpg://saattaja@db.example/saattaja",
        ),
        ("sqlite:///file:/var/x.db?uri=true", "sqlite+aiosqlite:///file:/var/x.db?uri=true"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_a_url_is_given_its_databases_async_driver_and_keeps_the_rest_as_written(
    written: str, spoken: str
) -> None:
    assert with_async_driver(written) == spoken


def test_another_driver_of_a_database_spoken_is_refused_naming_it() -> None:
    with pytest.raises(UnsupportedDatabaseError) as raised:
        with_async_driver("postgresql+psycopg://saattaja@db.example/saattaja")
    assert (raised.value.backend, raised.value.driver) == ("postgresql", "psycopg")


def test_the_sql_outbox_adapter_refuses_another_driver_naming_its_setting() -> None:
    # The same rule as SAATTAJA_DATABASE_URL's, from the one function that holds it.
    with pytest.raises(AdapterConfigurationError, match="with the driver psycopg"):
        create_source_engine("postgresql+psycopg://saattaja@db.example/asiakas")
