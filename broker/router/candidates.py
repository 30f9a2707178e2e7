"""Who might receive an event: the organisations it names, and the client's care network."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from broker.registry import Organisation
from schemas import ConsentGranted, ConsentRevoked, Event

__all__ = ["candidate_recipients"]


def candidate_recipients(
    event: Event, registered: Mapping[str, Organisation], care_network: Collection[str]
) -> tuple[Organisation, ...]:
    """Registered organisations (by OID) that are candidates, in a stable order; not the sender.

    Consents are the client's business with the organisation that recorded them: they
    change the consent store, and are not passed on.
    """
    if isinstance(event, ConsentGranted | ConsentRevoked):
        return ()
    named = dict.fromkeys((*event.destinations(), *sorted(care_network)))
    named.pop(event.sender, None)
    return tuple(registered[oid] for oid in named if oid in registered)
