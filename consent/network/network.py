"""The client's care network: the organisations working with the client now.

The router adds it to an event's candidate recipients, so that assessments and plans follow
the client to the organisations now responsible. It changes with three events:

- referral.accepted: the accepting organisation (the event's sender) joins, and the
  requester stays or joins (saattaen vaihtaen: the sender stays until the catch is taken);
- casemanager.assigned: the case manager's organisation and every team organisation join;
- episode.closed: the whole network of the client ends.

Being in the network makes an organisation a candidate only: every delivery still needs a
consent or a statutory basis.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import partial
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import insert_unless_present, run_transaction, translate_database_errors
from consent.network.tables import care_network_events, care_network_members
from schemas import CaseManagerAssigned, EpisodeClosed, Event, ReferralAccepted, check_pseudonym

__all__ = ["NETWORK_EVENTS", "CareNetwork", "closes_the_path", "network_after"]

NetworkEvent = ReferralAccepted | CaseManagerAssigned | EpisodeClosed
NETWORK_EVENTS: Final = (ReferralAccepted, CaseManagerAssigned, EpisodeClosed)
"""The event classes that change a care network; ``record`` ignores every other."""


def closes_the_path(members: Collection[str], event: EpisodeClosed) -> bool:
    """Whether an episode's closing ends the client's path: its care network and history.

    Only an organisation working with the client can end it: one of the network, or any
    while the network is empty. An organisation outside it (an NGO's own service period)
    closes its own episode, which ends nobody else's work with the client.
    """
    return not members or event.sender in members


def network_after(members: frozenset[str], event: Event) -> frozenset[str]:
    """The client's network once ``event`` is recorded, from ``members`` before it."""
    if isinstance(event, EpisodeClosed):
        return frozenset() if closes_the_path(members, event) else members
    if isinstance(event, ReferralAccepted | CaseManagerAssigned):
        return members | _joining(event)
    return members


def _joining(event: ReferralAccepted | CaseManagerAssigned) -> frozenset[str]:
    if isinstance(event, ReferralAccepted):
        return frozenset((event.sender, event.requester))
    return frozenset((event.case_manager_organisation, *event.team))


class CareNetwork:
    """Care networks of every client, by pseudonym, kept from the events the router routes."""

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, event: Event, *, pseudonym: str) -> bool:
        """Apply ``event`` to the client's network; False when it was seen or changes nothing."""
        return await self.record_all([(event, pseudonym)]) == 1

    async def record_all(self, events: Sequence[tuple[Event, str]]) -> int:
        """Apply each (event, client pseudonym) in order, in one transaction; how many were new.

        Events that change no network are skipped, and so is an event already recorded
        (the event id is the key), so recording the same events again changes nothing.
        """
        changing = _changing(events)
        if not changing:
            return 0  # no database round trip for the events that change no network
        what = f"recording {len(changing)} event(s) in the care network"
        async with translate_database_errors(what):
            return await run_transaction(self._engine, partial(_record, changing=changing))

    @staticmethod
    def record_all_in(connection: Connection, events: Sequence[tuple[Event, str]]) -> int:
        """``record_all`` as work in the caller's transaction."""
        changing = _changing(events)
        return _record(connection, changing) if changing else 0

    async def members(self, pseudonym: str) -> frozenset[str]:
        """OIDs of the organisations currently in the client's network."""
        return (await self.members_of([pseudonym]))[pseudonym]

    async def members_of(self, pseudonyms: Collection[str]) -> dict[str, frozenset[str]]:
        """The current network of each client, in one query; empty for a client without one."""
        if not pseudonyms:
            return {}
        query = sa.select(care_network_members.c.client, care_network_members.c.organisation).where(
            care_network_members.c.client.in_(sorted(pseudonyms)),
            care_network_members.c.ended_event_id.is_(None),
        )
        async with translate_database_errors("reading clients' care networks"):
            rows = await run_transaction(
                self._engine, lambda connection: connection.execute(query).all()
            )
        found: dict[str, set[str]] = {pseudonym: set() for pseudonym in pseudonyms}
        for client, organisation in rows:
            found[client].add(organisation)
        return {client: frozenset(members) for client, members in found.items()}


def _changing(events: Sequence[tuple[Event, str]]) -> dict[str, tuple[NetworkEvent, str]]:
    """The events that change a network, by event id, each once."""
    changing: dict[str, tuple[NetworkEvent, str]] = {}
    for event, pseudonym in events:
        if isinstance(event, NETWORK_EVENTS):
            changing.setdefault(str(event.event_id), (event, check_pseudonym(pseudonym)))
    return changing


def _record(connection: Connection, changing: dict[str, tuple[NetworkEvent, str]]) -> int:
    """Record the events not recorded before, and change the networks by them."""
    seen = set(
        connection.execute(
            sa.select(care_network_events.c.event_id).where(
                care_network_events.c.event_id.in_(sorted(changing))
            )
        ).scalars()
    )
    new = [pair for event_id, pair in changing.items() if event_id not in seen]
    if not new:
        return 0
    # Unless-present: a second router process racing on the same event after a rebalance
    # must not fail the batch; the joins it repeats are read as a set.
    connection.execute(
        insert_unless_present(care_network_events, connection.dialect.name),
        [
            {
                "event_id": str(event.event_id),
                "client": pseudonym,
                "event_type": event.ce_type(),
                "occurred_at": event.occurred_at,
            }
            for event, pseudonym in new
        ],
    )
    _change(connection, new)
    return len(new)


def _change(connection: Connection, events: Sequence[tuple[NetworkEvent, str]]) -> None:
    """Apply the events in order: joins gathered into one insert, a closing episode at once."""
    members = care_network_members.c
    clients = sorted({pseudonym for _, pseudonym in events})
    current: dict[str, set[str]] = {client: set() for client in clients}
    rows = connection.execute(
        sa.select(members.client, members.organisation).where(
            members.client.in_(clients), members.ended_event_id.is_(None)
        )
    )
    for client, organisation in rows:
        current[client].add(organisation)
    # Gathered into one statement each, flushed in turn so that the order holds: a closing
    # ends the memberships joined before it, never one joined after it.
    joins: list[dict[str, Any]] = []
    closings: list[dict[str, Any]] = []
    for event, pseudonym in events:
        if isinstance(event, EpisodeClosed):
            if not closes_the_path(current[pseudonym], event):
                continue
            _insert_joins(connection, joins)
            closings.append(
                {
                    "closing_client": pseudonym,
                    "closing_event_id": str(event.event_id),
                    "closing_at": event.occurred_at,
                }
            )
            current[pseudonym].clear()
            continue
        _end_memberships(connection, closings)
        for oid in sorted(_joining(event)):
            if oid not in current[pseudonym]:
                current[pseudonym].add(oid)
                joins.append(
                    {
                        "client": pseudonym,
                        "organisation": oid,
                        "joined_event_id": str(event.event_id),
                        "joined_at": event.occurred_at,
                    }
                )
    _insert_joins(connection, joins)
    _end_memberships(connection, closings)


def _insert_joins(connection: Connection, joins: list[dict[str, Any]]) -> None:
    """Insert the joins gathered so far, and forget them."""
    if joins:
        connection.execute(care_network_members.insert(), joins)
        joins.clear()


def _end_memberships(connection: Connection, closings: list[dict[str, Any]]) -> None:
    """End the current memberships of each closing's client, and forget the closings."""
    if not closings:
        return
    members = care_network_members.c
    statement = (
        care_network_members.update()
        .where(
            members.client == sa.bindparam("closing_client"),
            members.ended_event_id.is_(None),
        )
        .values(
            ended_event_id=sa.bindparam("closing_event_id"), ended_at=sa.bindparam("closing_at")
        )
    )
    connection.execute(statement, closings)
    closings.clear()
