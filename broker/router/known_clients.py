"""What a router process knows of the clients it routes, kept from one batch to the next.

All of a client's events reach one router process (the outboxes have one partition count
and the group uses the range assignor), and while it holds the client's partition that
process is the only one to change the client's consents, care network and pathway. What a
wave leaves in memory is then what the store holds, and the client's next events need not
read it again. It is forgotten wherever that may stop being true: when partitions move,
when a batch fails (its writes may be half done), for a client whose consents a wave
changes (read again rather than worked out a second way) and for a client whose referral
the overdue watch escalates. A care network is the exception: the router works it out
with the store's own rule (``consent.network.network_after``).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from broker.pathway import ClientPathway
from consent.decisions import ClientConsents

__all__ = ["ClientState", "KnownClients"]


@dataclass(frozen=True, slots=True)
class ClientState:
    """One client as routing reads them: pathway, care network and consents."""

    pathway: ClientPathway
    network: frozenset[str]
    consents: ClientConsents


class KnownClients:
    """The states of the clients routed most recently, at most ``capacity`` of them."""

    __slots__ = ("_capacity", "_states")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._states: OrderedDict[str, ClientState] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def recall(self, clients: Iterable[str]) -> dict[str, ClientState]:
        """The states known of these clients; a client not known is left out."""
        states = self._states
        found = {}
        for client in clients:
            state = states.get(client)
            if state is not None:
                states.move_to_end(client)
                found[client] = state
        return found

    def remember(self, states: Mapping[str, ClientState]) -> None:
        """Keep these states, as the store holds them now; the least recently routed go."""
        if self._capacity <= 0:
            return
        kept = self._states
        for client, state in states.items():
            _drop_records(state.pathway)
            kept[client] = state
            kept.move_to_end(client)
        while len(kept) > self._capacity:
            kept.popitem(last=False)

    def forget(self, clients: Iterable[str]) -> None:
        """Read these clients from the store the next time they are routed."""
        for client in clients:
            self._states.pop(client, None)

    def clear(self) -> None:
        """Forget every client."""
        self._states.clear()


def _drop_records(pathway: ClientPathway) -> None:
    # A kept record is a whole event: held for every known client it would cost megabytes.
    # A handover reads the few it sends from the store, as it does after a restart.
    documents = pathway.documents
    for slot, document in documents.items():
        if document.record is not None:
            documents[slot] = dataclasses.replace(document, record=None)
