"""Why the router rejected a record, as far as sending it again can change anything.

Most rejections go away once the operators fix something on their side, and the same
record sent again is routed: a type or a schema this release does not know (the router
is upgraded), a value over SAATTAJA_MAX_EVENT_BYTES, an organisation whose OID the
registry had wrong, a partition count changed under the outboxes. A record that breaks the
contract (malformed Bundle) is rejected again as it was, with its reason: nothing lost.

A few stay with the record whatever anyone changes, and sent again would only bring its
sender another notice: the router builds those reasons here, so that ``lasting_cause``
knows them by the words the router wrote.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "issued_by_router",
    "lasting_cause",
    "reserved_header",
    "reused_consent_id",
    "reused_event_id",
]

_RESERVED: Final = "which is the router's own: it adds it to the records it keeps in saattaja.dlq"
_ISSUED: Final = "is issued by the Saattaja router itself; an organisation cannot publish it"
_REUSED_EVENT: Final = "was already used for another event; an event id names one event"
_REUSED_CONSENT: Final = "recorded for this client; a consent id names one consent of the client"


def reserved_header(name: str) -> str:
    """The reason for a record that carries one of the router's ``saattaja_dlq_*`` headers."""
    return f"the record carries the header {name}, {_RESERVED}; an event may not carry it"


def issued_by_router(event_type: str) -> str:
    """The reason for an event of a type only the router issues."""
    return f"{event_type} {_ISSUED}"


def reused_event_id(event_id: str, event_type: str) -> str:
    """The reason for an event sent under the id of another event, which stands."""
    return (
        f"event id {event_id} {_REUSED_EVENT}: send this {event_type} again under an id of "
        "its own (the event first sent under this id stands)"
    )


def reused_consent_id(consent_id: str, recorded_by: str) -> str:
    """The reason for a grant under a consent id another organisation recorded first."""
    return (
        f"consent id {consent_id} is already the id of a consent or refusal that "
        f"{recorded_by} {_REUSED_CONSENT}: send this one again under an id of its own, e.g. "
        "one your organisation's prefix makes unique (the consent recorded first under this "
        "id stands)"
    )


_LASTING: Final = (
    (
        _RESERVED,
        "it arrived carrying one of the router's own headers, which its dead letter leaves "
        "out: sent back, it would not be the record that arrived",
    ),
    (
        _ISSUED,
        "only the router issues events of its type: no organisation may publish one",
    ),
    (
        _REUSED_EVENT,
        "another event was applied under its event id first, and stands: the sender sends "
        "this one under an id of its own",
    ),
    (
        _REUSED_CONSENT,
        "another organisation recorded a consent under its consent id first, and it "
        "stands: the sender sends this one under a consent id of its own",
    ),
)


def lasting_cause(reason: str) -> str | None:
    """Why a record rejected for ``reason`` would be rejected again whatever is fixed; None
    when a fix on the operators' side may let it through."""
    return next((why for words, why in _LASTING if words in reason), None)
