"""Sending the audit log's records to the audit topic, in order, each checked before it goes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import aclosing

from broker.audit_stream.messages import StreamFormat, audit_message
from broker.kafka import Outbound
from broker.topics import AUDIT_TOPIC
from consent.audit import AuditLog, AuditRecord, ChainAnchor
from consent.errors import AuditChainBrokenError

__all__ = ["AuditShipper"]

# What an operator does after a database restore, which is the likeliest cause of a log that
# does not go on from the topic: the router routes again what the backup lacked, and decides
# it again under the sequence numbers the topic's records already carry.
_AFTER_A_RESTORE = (
    "If the database was restored from a backup, the audit topic's records after the "
    "backup's last are the only evidence of the decisions made before the restore (the "
    "router has decided those events again; its log says outbox_routed_again): run "
    "`saattaja audit check-topic`, copy the topic's records elsewhere and keep them, then "
    "delete the topic, create it again with `saattaja topics create`, and start the stream, "
    "which ships the restored log from its first record. Otherwise the log was changed after "
    "the topic's records were shipped: run `saattaja audit verify --anchor-from-topic`"
)


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
                f"another). {_AFTER_A_RESTORE}"
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
                f"to it and hashed anew. {_AFTER_A_RESTORE}"
            )
        if shipped is not None and head is not None and head.sequence > shipped.sequence:
            await self._check_goes_on_from(shipped)
        self._position = shipped

    async def _check_goes_on_from(self, shipped: ChainAnchor) -> None:
        """AuditChainBrokenError unless the record after ``shipped`` links to it."""
        try:
            async with aclosing(self._log.follow(shipped, batch_size=1)) as records:
                await anext(records, None)
        except AuditChainBrokenError as exc:
            raise AuditChainBrokenError(
                f"the audit log does not go on from record {shipped.sequence}, the one the "
                f"audit topic ends with ({exc}): the log was written again from before it. "
                f"{_AFTER_A_RESTORE}"
            ) from exc

    async def ship_next(self) -> int:
        """Ship the next records after the last one shipped, a batch at most; how many.

        Each record is checked against the one before it (see ``AuditLog.follow``) before
        it is sent; the batch is acknowledged by Kafka before this returns. Fewer than a
        batch: the log has no more for now.
        """
        batch: list[AuditRecord] = []
        async with aclosing(
            self._log.follow(self._position, batch_size=self._batch_size)
        ) as records:
            async for record in records:
                batch.append(record)
                if len(batch) == self._batch_size:
                    break
        if batch:
            await self._outbound.send_all(
                [
                    (AUDIT_TOPIC, audit_message(record, self._format, self._organisations))
                    for record in batch
                ]
            )
            last = batch[-1]
            self._position = ChainAnchor(last.sequence, last.hash)
            self._on_shipped(batch)
        return len(batch)

    @property
    def batch_size(self) -> int:
        """The most records one ``ship_next`` sends."""
        return self._batch_size
