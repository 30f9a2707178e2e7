"""Publishing: validate an event through the contract, then keep it in the local outbox."""

from __future__ import annotations

import structlog

from adapters.sdk.errors import InvalidEventError
from adapters.sdk.outbox import LocalOutbox
from schemas import ContractError, Event, EventCodec, KafkaRecord

__all__ = ["Publisher"]

_log = structlog.get_logger(__name__)


class Publisher:
    """Accepts the organisation's events; the relay takes them on to Kafka.

    ``publish`` returns once the record is durably in the local outbox, not when Kafka has
    it: the organisation's system may mark its own row done at that moment, and a Kafka
    outage never blocks it.
    """

    def __init__(self, outbox: LocalOutbox, codec: EventCodec, *, sender_oid: str | None) -> None:
        self._outbox = outbox
        self._codec = codec
        self._sender_oid = sender_oid

    async def publish(self, event: Event) -> KafkaRecord:
        """Encode and validate ``event``, store it, and return the record as it will travel.

        InvalidEventError (nothing stored) when it breaks the contract, names another
        organisation as its sender or is one the router alone issues; LocalStoreError when
        the state file cannot be written.
        """
        if event.issued_by_router:
            # The router dead-letters it: refused here, the record fails in the organisation's
            # system (a failed/ file, an error column) instead of being marked done.
            raise InvalidEventError(
                f"{event.ce_type()} {event.event_id} is issued by the Saattaja router itself; "
                "an organisation cannot publish it (the router would reject it)"
            )
        if self._sender_oid is not None and event.sender != self._sender_oid:
            raise InvalidEventError(
                f"{event.ce_type()} {event.event_id} names {event.sender} as its sender, but "
                f"this adapter publishes for {self._sender_oid}: set the event's sender to "
                "this organisation's OID (the router would reject it)"
            )
        try:
            record = self._codec.encode(event)
        except ContractError as exc:
            raise InvalidEventError(
                f"{event.ce_type()} {event.event_id} breaks the event contract: {exc}"
            ) from exc
        seq = await self._outbox.append(str(event.event_id), record)
        _log.debug("event_accepted", event_id=str(event.event_id), type=event.ce_type(), seq=seq)
        return record
