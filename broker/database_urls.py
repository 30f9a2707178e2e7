"""Database URLs: the async driver each database is spoken with, and the URL as a person
reads it in a message: as it was written, any password hidden."""

from __future__ import annotations

from typing import Final

from sqlalchemy.engine import make_url

__all__ = [
    "ASYNC_DRIVERS",
    "UnsupportedDatabaseError",
    "printable_database_url",
    "with_async_driver",
]

ASYNC_DRIVERS: Final = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}
"""The one async driver the project installs for each database it speaks."""


class UnsupportedDatabaseError(ValueError):
    """A URL naming a database, or a driver, that Saattaja's async engines do not speak."""

    def __init__(self, backend: str, driver: str | None) -> None:
        self.backend = backend
        self.driver = driver
        """The driver the URL names where the database is spoken, but by another driver."""
        super().__init__(f"{backend}+{driver}" if driver else backend)


def with_async_driver(url: str) -> str:
    """``url`` naming its database's async driver; a URL as a DBA writes it (postgresql://,
    postgres://, sqlite:///) is given it.

    Only the scheme is replaced: SQLAlchemy's rendering would escape a SQLite URI's
    ``file:``, and messages print the URL as its operator wrote it. ArgumentError (from
    SQLAlchemy) when it is no URL; UnsupportedDatabaseError for another database or driver.
    """
    # Read from the URL, not from its dialect: loading an unknown one raises.
    backend, _, driver = make_url(url).drivername.partition("+")
    if backend == "postgres":  # as Heroku and some tools write it
        backend = "postgresql"
    if backend not in ASYNC_DRIVERS:
        raise UnsupportedDatabaseError(backend, None)
    wanted = ASYNC_DRIVERS[backend]
    if driver not in ("", wanted):
        raise UnsupportedDatabaseError(backend, driver)
    if driver == wanted and url.startswith(f"{backend}+"):
        return url
    _, _, rest = url.partition("://")
    return f"{backend}+{wanted}://{rest}"


def printable_database_url(url: str) -> str:
    """``url`` as its operator wrote it; one that holds a password, with ``***`` for it.

    Rendered by SQLAlchemy only when there is a password to hide: its rendering escapes a
    SQLite URI's ``file:`` as ``file%3A``, which is not what the setting says.
    """
    parsed = make_url(url)
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)
