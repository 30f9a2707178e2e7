"""The SQL outbox adapter: a transactional outbox table in the organisation's own database.

For a client-records system that can add two tables in a day (the sote organisation's).
The system writes a row into the outbox table in the same transaction as its own change;
the adapter publishes it and marks it sent; received events appear in the inbox table.

Outbox table (default ``saattaja_outbox``), written by the organisation's system:

- ``id`` BIGSERIAL (SQLite: INTEGER PRIMARY KEY): rows are published in id order.
- ``event_type``: ``referral.requested``, ``assessment.recorded``, ``plan.created``,
  ``consent.granted``, ... or the full CloudEvents type ``fi.saattaja.referral.requested.v1``.
- ``payload`` JSON(B): the domain record, the fields of that event's model in ``schemas``
  (e.g. ReferralRequested: client, referral_id, receiver, service, reason, note).
  ``sender`` is filled with this organisation's OID; ``event_id`` when absent is
  uuid5(EVENT_ID_NAMESPACE, "<oid>/<table>/<id>"), so a row read twice keeps its id;
  ``occurred_at`` when absent is the row's ``created_at``.
- ``created_at`` (default now()), ``sent_at`` (NULL until the SDK accepted the event),
  ``error`` (set when the row cannot become a valid event; such a row is not retried, it
  is logged and reported by ``saattaja adapter check``; clear it to retry the row).

Inbox table (default ``saattaja_inbox``), written by the adapter, read by the system in id
order: ``id``, ``event_id`` (unique: a redelivery writes nothing), ``event_type`` (the full
CloudEvents type), ``client`` (identity code), ``sender`` (OID), ``received_at``, ``payload``
(the event's ``model_dump(mode="json")``). Rejection notices go into the same table with
type ``fi.saattaja.event.rejected.v1``, sender ``urn:saattaja:router``, no client, and the
notice as payload (``rejected_event_id``, ``reason``).

``create_tables(url)`` creates both; ``ddl("postgresql")`` prints the DDL for a DBA. Without
them (or a column of them) the adapter does not start, and says which (exit status 78).
Delivery is at least once: a row is marked sent in the transaction that read it, after the
SDK durably accepted its event. On PostgreSQL rows are read FOR UPDATE SKIP LOCKED, so two
adapter instances never send the same row; on SQLite (the one-machine demo) run one instance.
"""

from adapters.sql_outbox.adapter import SqlOutboxAdapter
from adapters.sql_outbox.errors import (
    InvalidRowError,
    SourceRefusedError,
    SourceUnavailableError,
    SqlOutboxError,
)
from adapters.sql_outbox.mapping import EVENT_ID_NAMESPACE, event_from_row, row_event_id
from adapters.sql_outbox.settings import SqlOutboxSettings
from adapters.sql_outbox.system import add_outbox_row, inbox_rows, outbox_rows
from adapters.sql_outbox.tables import (
    DEFAULT_INBOX_TABLE,
    DEFAULT_OUTBOX_TABLE,
    SourceTables,
    create_tables,
    ddl,
)

__all__ = [
    "DEFAULT_INBOX_TABLE",
    "DEFAULT_OUTBOX_TABLE",
    "EVENT_ID_NAMESPACE",
    "InvalidRowError",
    "SourceRefusedError",
    "SourceTables",
    "SourceUnavailableError",
    "SqlOutboxAdapter",
    "SqlOutboxError",
    "SqlOutboxSettings",
    "add_outbox_row",
    "create_tables",
    "ddl",
    "event_from_row",
    "inbox_rows",
    "outbox_rows",
    "row_event_id",
]
