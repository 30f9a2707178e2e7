"""Sending the audit log's records to the audit topic, in order, each checked before it goes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from broker.audit_stream.messages import StreamFormat, audit_message
from broker.kafka import Outbound
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, AuditRecord, ChainAnchor
from consent.errors import AuditChainBrokenError

__all__ = ["AuditShipper"]


class AuditShipper:
    """Ships every audit record after the last one shipped, oldest first.

    The audit topic is its own bookmark: ``resume`` is given the record the topic ends
    with, and that record is an anchor kept outside the database. The log must go on from
    it: a log that ends before it, or that goes on from another record, was changed after
    it was shipped, and nothing more is shipped (AuditChainBrokenError).
    """

    def __init__(
        self,
        log: AuditLog,
        outbound: Outbound,
        *,
        stream_format: StreamFormat,
        organisations: Mapping[str, str],
        batch_size: int,
        on_shipped: Callable[[Sequence[AuditRecord]], None] = lambda _records: None,
    ) -> None:
        self._log = log
        self._outbound = outbound
        self._format: StreamFormat = stream_format
        self._organisations = organisations
        self._batch_size = batch_size
        self._on_shipped = on_shipped
        self._position: ChainAnchor | None = None

    @property
    def position(self) -> ChainAnchor | None:
        """The record shipped last; None before the first."""
        return self._position

    async def resume(self, shipped: ChainAnchor | None) -> None:
        """Go on after ``shipped``, the record the audit topic ends with (None: it is empty)."""
        head = await self._log.head()
        if shipped is not None and (head is None or head.sequence < shipped.sequence):
            ends = "is empty" if head is None else f"ends at record {head.sequence}"
            raise AuditChainBrokenError(
                f"the audit topic holds record {shipped.sequence} of the audit log, but the "
                f"log {ends}: records were removed from the end of the log, or this database "
                "is not the one the topic was filled from (restored from an older backup, or "
                "another). If the database was replaced on purpose, keep the audit topic's "
                "records elsewhere and recreate the topic before streaming again"
            )
        if (
            shipped is not None
            and head is not None
            and head.sequence == shipped.sequence
            and head.hash != shipped.hash
        ):
            raise AuditChainBrokenError(
                f"audit record {shipped.sequence} is not the one shipped to the audit topic "
                f"({shipped}): its hash is now {head.hash}, so the log was written again up "
                "to it and hashed anew"
            )
        self._position = shipped

    async def ship_available(self) -> int:
        """Ship the records appended since the last one shipped; how many were shipped.

        Each record is checked against the one before it (see ``AuditLog.follow``) before
        it is sent; a batch is acknowledged by Kafka before the next is read.
        """
        shipped = 0
        batch: list[AuditRecord] = []
        async for record in self._log.follow(self._position, batch_size=self._batch_size):
            batch.append(record)
            if len(batch) == self._batch_size:
                shipped += await self._ship(batch)
                batch = []
        if batch:
            shipped += await self._ship(batch)
        return shipped

    async def _ship(self, records: Sequence[AuditRecord]) -> int:
        await self._outbound.send_all(
            [
                (AUDIT_TOPIC, audit_message(record, self._format, self._organisations))
                for record in records
            ]
        )
        last = records[-1]
        self._position = ChainAnchor(last.sequence, last.hash)
        self._on_shipped(records)
        return len(records)
