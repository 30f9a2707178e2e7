"""What decoding makes of one record, in the router process or in a decoding worker."""

from __future__ import annotations

import structlog

from broker.dead_letters import claimed_identity
from broker.errors import UndecodableRecordError
from schemas import ContractError, Event, EventCodec, KafkaRecord
from schemas.examples import example_events

__all__ = ["Decoded", "decode_record", "warm_up"]

_log = structlog.get_logger(__name__)

Decoded = Event | ContractError
"""What a record decodes to: its event, or the error that refuses it."""


def decode_record(codec: EventCodec, record: KafkaRecord) -> Decoded:
    """The record's event, or the ContractError that refuses it; never raises."""
    try:
        return codec.decode(record)
    except ContractError as exc:
        return exc
    except Exception as exc:  # any failure on one record refuses that record, not the router
        _log.exception("record_undecodable", **claimed_identity(record))
        # Only the failure's type: its text may quote what the record holds, and the reason
        # goes to the sender and into the dead-letter topic.
        return UndecodableRecordError(
            f"the router could not decode this record ({type(exc).__name__}); it is kept in "
            "the dead-letter topic: tell the Saattaja operators, whose router log has the "
            "details"
        )


def warm_up(codec: EventCodec) -> None:
    """Decode an event of every type once."""
    # fhir.resources imports a resource's models when it first validates one: a pause of a
    # few hundred milliseconds that the first events after a start would otherwise wait for.
    for _, event in example_events():
        codec.decode(codec.encode(event, validate=False))
