"""What tells an event applied again (a replay) from another event sent under its id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["content_digests_in"]


def content_digests_in(
    connection: Connection, table: sa.Table, event_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The content digests ``table`` keeps of the events among ``event_ids``, where it keeps one.

    ``table`` has the columns ``event_id`` and ``content_digest``; rows written before it
    had the digest hold NULL and are left out.
    """
    columns = table.c
    query = sa.select(columns.event_id, columns.content_digest).where(
        columns.event_id.in_(sorted({str(event_id) for event_id in event_ids})),
        columns.content_digest.is_not(None),
    )
    return {uuid.UUID(event_id): digest for event_id, digest in connection.execute(query)}
