"""The SQL outbox adapter: the organisation's outbox table to Kafka, Kafka to its inbox table."""

from __future__ import annotations

import asyncio
from typing import ClassVar

import structlog
from pydantic_settings import BaseSettings

from adapters.sdk import Adapter, AdapterConfigurationError, AdapterContext, InvalidEventError
from adapters.sql_outbox.database import create_source_engine, missing_sqlite_file, unavailable
from adapters.sql_outbox.errors import InvalidRowError, SourceRefusedError, SourceUnavailableError
from adapters.sql_outbox.mapping import InboxRow, event_from_row
from adapters.sql_outbox.settings import SqlOutboxSettings
from adapters.sql_outbox.sink import InboxSink
from adapters.sql_outbox.source import OutboxSource
from adapters.sql_outbox.tables import SourceTables, table_problems
from schemas import Event, RejectionNotice

__all__ = ["SqlOutboxAdapter"]

_log = structlog.get_logger(__name__)


class SqlOutboxAdapter(Adapter[SqlOutboxSettings]):
    """Publishes the rows of an outbox table and writes received events into an inbox table."""

    name: ClassVar[str] = "sql_outbox"
    settings_model: ClassVar[type[BaseSettings]] = SqlOutboxSettings

    def __init__(self, settings: SqlOutboxSettings) -> None:
        super().__init__(settings)
        self._tables = SourceTables.named(settings.outbox_table, settings.inbox_table)
        url = settings.database_url
        # No I/O here: the engine connects on first use.
        self._engine = create_source_engine(url)
        self._outbox = OutboxSource(self._engine, self._tables.outbox, url)
        self._inbox = InboxSink(self._engine, self._tables.inbox, url)

    async def run(self, context: AdapterContext) -> None:
        await self._require_tables()
        while True:
            try:
                read = await self.publish_pending(context)
            except SourceUnavailableError as exc:
                # A database restart must not stop the adapter: the rows wait for it.
                _log.warning("sql_outbox_unavailable", error=str(exc))
                read = 0
            if read < self.settings.batch_size:
                await asyncio.sleep(self.settings.poll_interval_seconds)

    async def _require_tables(self) -> None:
        """Stop at start when the tables are not the contract's: no poll would mend that.

        So does a database that turns away the URL's user, password or database. One that
        does not answer yet is waited for by the loop, as at any time.
        """
        try:
            problems = await self._table_problems()
        except SourceRefusedError as exc:
            raise AdapterConfigurationError(str(exc)) from exc
        except SourceUnavailableError as exc:
            _log.warning("sql_outbox_unavailable", error=str(exc))
            return
        if problems:
            raise AdapterConfigurationError(
                f"the database SAATTAJA_SQL_OUTBOX_DATABASE_URL names lacks what the adapter "
                f"needs: {'; '.join(problems)}"
            )

    async def _table_problems(self) -> list[str]:
        missing = missing_sqlite_file(self._engine)
        if missing is not None:
            return [missing]
        async with (
            unavailable("checking the tables", self.settings.database_url),
            self._engine.connect() as connection,
        ):
            return await connection.run_sync(table_problems, self._tables)

    async def publish_pending(self, context: AdapterContext) -> int:
        """Publish one batch of pending rows in id order; the number of rows read.

        A row is marked sent in the same transaction, after publish returned: publish is
        durable, so a crash before the commit only sends the row again, with the same
        event id, and the receivers drop the duplicate.
        """
        table = self._tables.outbox.name
        async with self._outbox.pending(self.settings.batch_size) as batch:
            for row in batch.rows:
                try:
                    event = event_from_row(row, sender_oid=context.organisation.oid, table=table)
                    await context.publish(event)
                except (InvalidRowError, InvalidEventError) as exc:
                    _log.warning("sql_outbox_row_failed", table=table, row=row.id, error=str(exc))
                    await batch.mark_failed(row.id, str(exc))
                else:
                    await batch.mark_sent(row.id)
        return len(batch.rows)

    async def close(self) -> None:
        """Close the database connections; a later call opens new ones."""
        await self._engine.dispose()

    async def handle(self, event: Event) -> None:
        await self._inbox.write(InboxRow.of_event(event))

    async def on_rejection(self, notice: RejectionNotice) -> None:
        await self._inbox.write(InboxRow.of_notice(notice))

    async def check(self) -> list[str]:
        try:
            problems = await self._table_problems()
            if problems:
                return problems
            failed = await self._outbox.failed()
        except SourceUnavailableError as exc:
            return [str(exc)]
        finally:
            await self.close()
        if failed.count == 0:
            return []
        return [
            f"{failed.count} row(s) of {self._tables.outbox.name} could not become events and "
            f"are not retried (first: id {failed.first_id}: {failed.first_error}); correct the "
            "row and set its error to NULL to send it"
        ]
