"""A database URL as a person reads it in a message: as it was written, any password hidden."""

from __future__ import annotations

from sqlalchemy.engine import make_url

__all__ = ["printable_database_url"]


def printable_database_url(url: str) -> str:
    """``url`` as its operator wrote it; one that holds a password, with ``***`` for it.

    Rendered by SQLAlchemy only when there is a password to hide: its rendering escapes a
    SQLite URI's ``file:`` as ``file%3A``, which is not what the setting says.
    """
    parsed = make_url(url)
    if parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True)
