"""The table contract: the outbox the organisation's system writes, the inbox it reads.

One SQLAlchemy definition serves three purposes: the adapter's statements, ``create_tables``
for the demo and for teams that let the adapter create them, and ``ddl`` for teams whose
database administrators run the DDL themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from adapters.sql_outbox.database import create_source_engine, unavailable

__all__ = [
    "DEFAULT_INBOX_TABLE",
    "DEFAULT_OUTBOX_TABLE",
    "SourceTables",
    "create_tables",
    "ddl",
    "table_problems",
]

DEFAULT_OUTBOX_TABLE: Final = "saattaja_outbox"
DEFAULT_INBOX_TABLE: Final = "saattaja_inbox"


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A moment read back time-zone aware; SQLite keeps no offset, so naive means UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a stored time must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# BIGSERIAL on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


@dataclass(frozen=True, slots=True)
class SourceTables:
    """The two tables under the names the settings give them."""

    outbox: sa.Table
    inbox: sa.Table

    @classmethod
    def named(
        cls, outbox: str = DEFAULT_OUTBOX_TABLE, inbox: str = DEFAULT_INBOX_TABLE
    ) -> SourceTables:
        """The contract's tables called ``outbox`` and ``inbox``."""
        metadata = sa.MetaData()
        outbox_table = sa.Table(
            outbox,
            metadata,
            sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
            sa.Column("event_type", sa.String(200), nullable=False),
            sa.Column("payload", _JSON, nullable=False),
            sa.Column("created_at", UtcDateTime(), nullable=False, server_default=sa.func.now()),
            sa.Column("sent_at", UtcDateTime(), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
        )
        pending = sa.and_(outbox_table.c.sent_at.is_(None), outbox_table.c.error.is_(None))
        # The adapter's poll reads only pending rows: a partial index keeps it cheap however
        # many sent rows the table keeps.
        sa.Index(
            f"ix_{outbox}_pending",
            outbox_table.c.id,
            postgresql_where=pending,
            sqlite_where=pending,
        )
        inbox_table = sa.Table(
            inbox,
            metadata,
            sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
            sa.Column("event_id", sa.String(64), nullable=False, unique=True),
            sa.Column("event_type", sa.String(200), nullable=False),
            sa.Column("client", sa.String(11), nullable=True),
            sa.Column("sender", sa.String(200), nullable=False),
            sa.Column("received_at", UtcDateTime(), nullable=False),
            sa.Column("payload", _JSON, nullable=False),
        )
        return cls(outbox_table, inbox_table)

    @property
    def metadata(self) -> sa.MetaData:
        """Both tables and the outbox's index."""
        return self.outbox.metadata


async def create_tables(
    url: str, outbox: str = DEFAULT_OUTBOX_TABLE, inbox: str = DEFAULT_INBOX_TABLE
) -> None:
    """Create both tables (and the outbox's pending-row index) where they do not exist yet."""
    engine = create_source_engine(url)
    try:
        async with (
            unavailable(f"creating tables {outbox} and {inbox}", url),
            engine.begin() as connection,
        ):
            await connection.run_sync(SourceTables.named(outbox, inbox).metadata.create_all)
    finally:
        await engine.dispose()


def ddl(
    dialect: str = "postgresql",
    outbox: str = DEFAULT_OUTBOX_TABLE,
    inbox: str = DEFAULT_INBOX_TABLE,
) -> str:
    """The CREATE statements for ``postgresql`` or ``sqlite``, for a DBA to review and run."""
    dialects: dict[str, Dialect] = {
        "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
        "sqlite": sqlite.dialect(),
    }
    if dialect not in dialects:
        raise ValueError(f"no DDL for dialect {dialect!r}: use postgresql or sqlite")
    tables = SourceTables.named(outbox, inbox)
    statements: list[str] = []
    for table in (tables.outbox, tables.inbox):
        statements.append(str(CreateTable(table).compile(dialect=dialects[dialect])).strip())
        statements.extend(
            str(CreateIndex(index).compile(dialect=dialects[dialect])).strip()
            for index in sorted(table.indexes, key=lambda index: str(index.name))
        )
    return "".join(f"{statement};\n\n" for statement in statements)


def table_problems(connection: Connection, tables: SourceTables) -> list[str]:
    """What keeps the database's tables from serving as the contract's, in words."""
    inspector = sa.inspect(connection)
    fix = "run adapters.sql_outbox.create_tables(url) or the DDL of adapters.sql_outbox.ddl()"
    problems: list[str] = []
    for table in (tables.outbox, tables.inbox):
        if not inspector.has_table(table.name):
            problems.append(f"table {table.name} is missing: {fix}")
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in present]
        if missing:
            problems.append(
                f"table {table.name} lacks column(s) {', '.join(missing)}: add them as the "
                f"DDL of adapters.sql_outbox.ddl() defines them"
            )
    if not problems and not _has_unique(inspector, tables.inbox.name, "event_id"):
        problems.append(
            f"{tables.inbox.name}.event_id is not unique, so a redelivered event would be "
            f"written twice: add a unique constraint on it"
        )
    return problems


def _has_unique(inspector: sa.Inspector, table: str, column: str) -> bool:
    unique_sets: list[list[str]] = [
        *(
            list(constraint["column_names"])
            for constraint in inspector.get_unique_constraints(table)
        ),
        *(
            [str(name) for name in index["column_names"]]
            for index in inspector.get_indexes(table)
            if index["unique"]
        ),
        list(inspector.get_pk_constraint(table)["constrained_columns"]),
    ]
    return [column] in unique_sets
