"""A PostgreSQL login role of a test's own: superusers pass every connection limit.

The grants README.md suggests for the routers' and the auditors' roles are here, so that
the tests run the router and the audit commands as those roles.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Final

import asyncpg
from sqlalchemy.engine import make_url

EVERY_TABLE: Final = (
    'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"',
    'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
)
"""Read and write every table."""

ROUTER: Final = (
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
    'REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM "{role}"',
    'REVOKE UPDATE, DELETE ON audit_records, consent_versions FROM "{role}"',
    'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
)
"""The routers' role as README.md gives it: audit records and consent versions appended only."""

AUDITOR: Final = (
    'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"',
    'ALTER ROLE "{role}" SET default_transaction_read_only = on',
)
"""The auditors' role as README.md gives it: reading only."""


@dataclass(frozen=True, slots=True)
class LoginRole:
    """A role, the test database's URL as that role, and its administrator's connection."""

    name: str
    url: str
    admin: asyncpg.Connection

    async def limit_connections(self, limit: int) -> None:
        """Allow the role ``limit`` connections (-1: any number)."""
        await self.admin.execute(f'ALTER ROLE "{self.name}" CONNECTION LIMIT {limit}')

    async def turn_away(self) -> None:
        """Allow the role no connection, and end the ones it has."""
        await self.limit_connections(0)
        await self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
            self.name,
        )


@asynccontextmanager
async def login_role(
    database_url: str, grants: Sequence[str] = EVERY_TABLE
) -> AsyncIterator[LoginRole]:
    """A new login role with ``grants`` on the tables of ``database_url``'s database.

    ``database_url``: a superuser's, as the test fixtures give; ``grants``: statements
    naming the role as ``{role}``, run once the role may use the schema.
    """
    url = make_url(database_url)
    name = f"saattaja_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False), timeout=5
    )
    try:
        await admin.execute(f'CREATE ROLE "{name}" LOGIN')
        await admin.execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
        for grant in grants:
            await admin.execute(grant.format(role=name))
        yield LoginRole(name, url.set(username=name).render_as_string(hide_password=False), admin)
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name
        )
        # In the database itself: its grants would keep the role from being dropped.
        await admin.execute(f'DROP OWNED BY "{name}" CASCADE')
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        await admin.close()
