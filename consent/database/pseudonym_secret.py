"""Which pseudonym secret a database was filled under, so that another one is refused.

Every client in the database is known only by a pseudonym derived from the region's
pseudonym secret. A process given another secret derives other pseudonyms: a router would
reject every event as carrying a foreign pseudonym and find no consent, and `consent show`
or `audit report` would find nothing about a client. The database keeps the secret's
fingerprint (``Pseudonymiser.fingerprint``), never the secret.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from consent.database.failures import translate_database_errors
from consent.database.metadata import metadata
from consent.database.statements import insert_unless_present
from consent.database.types import UtcDateTime
from consent.errors import PseudonymSecretMismatchError

__all__ = ["check_pseudonym_secret", "pseudonym_secret"]

_ONLY_ROW: Final = 1
_SHOWN: Final = 12

pseudonym_secret = sa.Table(
    "pseudonym_secret",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)


async def check_pseudonym_secret(
    engine: AsyncEngine, fingerprint: str, *, record_at: datetime | None = None
) -> None:
    """Raise PseudonymSecretMismatchError if the database was filled under another secret.

    ``record_at``: a database that has no fingerprint yet gets this one, recorded at that
    time (a router, which fills the database); None only reads (a command that queries it).
    """
    async with translate_database_errors("reading the pseudonym secret's fingerprint"):
        if record_at is None:
            async with engine.connect() as connection:
                recorded = await _recorded(connection)
        else:
            async with engine.begin() as connection:
                await connection.execute(
                    insert_unless_present(pseudonym_secret, connection.dialect.name).values(
                        id=_ONLY_ROW, fingerprint=fingerprint, recorded_at=record_at
                    )
                )
                recorded = await _recorded(connection)
    if recorded is not None and recorded != fingerprint:
        raise PseudonymSecretMismatchError(
            f"the database (SAATTAJA_DATABASE_URL) was filled under another pseudonym secret "
            f"(fingerprint {recorded[:_SHOWN]}…) than SAATTAJA_PSEUDONYM_SECRET gives this "
            f"process (fingerprint {fingerprint[:_SHOWN]}…): every client's pseudonym would "
            "differ, and their consents, care network and audit records would not be found. "
            "Set SAATTAJA_PSEUDONYM_SECRET to the region's secret, the one every router and "
            "adapter shares"
        )


async def _recorded(connection: AsyncConnection) -> str | None:
    query = sa.select(pseudonym_secret.c.fingerprint).where(pseudonym_secret.c.id == _ONLY_ROW)
    return (await connection.execute(query)).scalar_one_or_none()
