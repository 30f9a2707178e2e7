"""The router's work for a batch of outbox records: validate, decide per recipient, audit, deliver.

Order matters for the guarantees ARCHITECTURE.md gives: the decisions are durably in the
audit log before anything is delivered, deliveries are acknowledged by Kafka before the
caller commits the offsets, and a record routed again after a crash reuses the decisions
on record and skips the deliveries the ledger has seen.

A batch is routed in waves, so that the stores are read and written once per wave instead
of once per event, with the result an event-by-event router would give. A decision depends
only on the client's own consents and care network, so each client's events are cut into
steps where they depend on each other (a consent applies to the events after it; an event
that changes the care network changes it for the events after it), and wave n routes
every client's n-th step together.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.registry import Organisation, OrganisationRegistry
from broker.router.candidates import candidate_recipients
from broker.router.dead_letter import dead_letter_record, rejection_notice
from broker.router.decoding import Decoded, DecodingPool
from broker.router.incoming import IncomingRecord
from broker.router.ledger import DeliveryLedger
from broker.topics import DLQ_TOPIC, inbox_topic, outbox_topic
from consent.audit import AuditEntry, AuditLog, AuditRecord
from consent.database import translate_database_errors
from consent.decisions import ClientConsents, Decision, Disclosure, DisclosurePart, Party, decide
from consent.legal_bases import LegalBases
from consent.network import NETWORK_EVENTS, CareNetwork
from consent.store import ConsentStore
from schemas import (
    ConsentGranted,
    ConsentRevoked,
    ContractError,
    Event,
    EventCodec,
    KafkaRecord,
)

__all__ = ["Outbound", "Router", "RoutingOutcome"]

_log = structlog.get_logger(__name__)


class Outbound(Protocol):
    """Sends records and returns once Kafka has acknowledged every one of them."""

    async def send_all(self, deliveries: Sequence[tuple[str, KafkaRecord]]) -> None:
        """Produce each ``(topic, record)``, in order, and wait for the acknowledgements."""


class RoutingOutcome(StrEnum):
    """What became of one outbox record."""

    ROUTED = "routed"
    APPLIED = "applied"  # a consent or revocation, applied to the consent store
    REJECTED = "rejected"  # sent to the dead-letter topic


@dataclass(frozen=True, slots=True)
class _Routable:
    """A valid event on its way to the inboxes, with the record it came in."""

    incoming: IncomingRecord
    event: Event
    sender: Organisation

    @property
    def pseudonym(self) -> str:
        return self.incoming.record.key.decode()


@dataclass(slots=True)
class _Step:
    """A client's consents to apply, then the events decided on the state they leave."""

    consents: list[tuple[ConsentGranted | ConsentRevoked, str]] = field(default_factory=list)
    events: list[_Routable] = field(default_factory=list)


class Router:
    """Routes outbox records; every store or Kafka failure propagates so the caller can retry."""

    def __init__(
        self,
        *,
        database: AsyncEngine,
        codec: EventCodec,
        registry: OrganisationRegistry,
        consents: ConsentStore,
        network: CareNetwork,
        audit: AuditLog,
        ledger: DeliveryLedger,
        legal_bases: LegalBases,
        outbound: Outbound,
        decoding: DecodingPool | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._database = database  # the stores' own, for reads and writes they share
        self._codec = codec
        self._consents = consents
        self._network = network
        self._audit = audit
        self._ledger = ledger
        self._legal_bases = legal_bases
        self._outbound = outbound
        self._decoding = decoding or DecodingPool(0, codec)
        self._clock = clock
        self._outboxes = {outbox_topic(org.id): org for org in registry}
        self._by_oid = {org.oid: org for org in registry}

    async def route_batch(self, batch: Sequence[IncomingRecord]) -> list[RoutingOutcome]:
        """Route records in the order consumed; the outcome of each, in the same order.

        Raises StoreUnavailableError or a Kafka error; routing the same batch again is
        safe, because every step is idempotent by event id.
        """
        outcomes: list[RoutingOutcome] = []
        rejected: list[tuple[str, KafkaRecord]] = []
        steps = await self._steps(batch, outcomes, rejected)
        for wave in range(max((len(s) for s in steps.values()), default=0)):
            now_due = [s[wave] for s in steps.values() if wave < len(s)]
            consents = [consent for step in now_due for consent in step.consents]
            if consents:
                await self._consents.apply_all(consents, applied_at=self._clock())
                for event, _ in consents:
                    _log.info("consent_applied", event_id=str(event.event_id), type=event.ce_type())
            await self._route_run([routable for step in now_due for routable in step.events])
        await self._outbound.send_all(rejected)
        return outcomes

    async def _steps(
        self,
        batch: Sequence[IncomingRecord],
        outcomes: list[RoutingOutcome],
        rejected: list[tuple[str, KafkaRecord]],
    ) -> dict[str, list[_Step]]:
        """Validate the batch and cut each client's events where they depend on each other."""
        steps: dict[str, list[_Step]] = {}
        async with aclosing(
            self._decoding.decoded([incoming.record for incoming in batch])
        ) as decoded:
            for incoming in batch:
                routable = self._validate(incoming, await anext(decoded), rejected)
                if routable is None:
                    outcomes.append(RoutingOutcome.REJECTED)
                    continue
                event = routable.event
                client_steps = steps.setdefault(routable.pseudonym, [_Step()])
                if isinstance(event, ConsentGranted | ConsentRevoked):
                    if client_steps[-1].events:  # it applies to what comes after it
                        client_steps.append(_Step())
                    client_steps[-1].consents.append((event, routable.pseudonym))
                    outcomes.append(RoutingOutcome.APPLIED)
                    continue
                client_steps[-1].events.append(routable)
                outcomes.append(RoutingOutcome.ROUTED)
                if isinstance(event, NETWORK_EVENTS):  # the network changes once it is routed
                    client_steps.append(_Step())
        return steps

    def _validate(
        self,
        incoming: IncomingRecord,
        decoded: Decoded,
        rejected: list[tuple[str, KafkaRecord]],
    ) -> _Routable | None:
        """The event of a record, or None once its dead letter and notice are in ``rejected``."""
        sender = self._outboxes.get(incoming.topic)
        if sender is None:
            reason = f"{incoming.topic} is not the outbox of a registered organisation"
            self._reject(incoming, reason, None, rejected)
            return None
        if isinstance(decoded, ContractError):
            self._reject(incoming, str(decoded), sender, rejected)
            return None
        event = decoded
        if event.sender != sender.oid:
            reason = (
                f"ce_source names {event.sender}, but the event came from the outbox of "
                f"{sender.id} ({sender.oid}): an organisation publishes only as itself"
            )
            self._reject(incoming, reason, sender, rejected)
            return None
        return _Routable(incoming, event, sender)

    async def _route_run(self, run: Sequence[_Routable]) -> None:
        """Decide, audit and deliver a run of events, reading and writing each store once."""
        if not run:
            return
        clients = {routable.pseudonym for routable in run}
        event_ids = [routable.event.event_id for routable in run]
        # Three connections at once: the reads wait on the database, not on each other.
        networks, consents, delivered = await asyncio.gather(
            self._network.members_of(clients),
            self._consents.consents_of(clients),
            self._ledger.delivered(event_ids),
        )
        now = self._clock()
        entries: list[AuditEntry] = []
        for routable in run:
            entries.extend(self._decisions(routable, networks[routable.pseudonym], consents, now))
        # Durable before anything leaves: a record routed again gets the decisions on record.
        records = await self._audit.append(entries)
        by_event: dict[uuid.UUID, list[AuditRecord]] = {}
        for record in records:
            by_event.setdefault(record.event_id, []).append(record)
        deliveries: list[tuple[str, KafkaRecord]] = []
        pairs: list[tuple[uuid.UUID, str]] = []
        for routable in run:
            decided = by_event.get(routable.event.event_id, [])
            for recipient, delivery in self._deliveries(routable, decided, delivered):
                deliveries.append((inbox_topic(recipient.id), delivery))
                pairs.append((routable.event.event_id, recipient.oid))
            _log.info(
                "event_routed",
                event_id=str(routable.event.event_id),
                type=routable.event.ce_type(),
                permitted=sorted(_recipients(decided, "permit")),
                denied=sorted(_recipients(decided, "deny")),
            )
        await self._outbound.send_all(deliveries)
        async with (
            translate_database_errors("recording deliveries and care-network changes"),
            self._database.begin() as writing,
        ):
            await self._ledger.record(pairs, self._clock(), shared=writing)
            await self._network.record_all([(r.event, r.pseudonym) for r in run], shared=writing)

    def _decisions(
        self,
        routable: _Routable,
        network: frozenset[str],
        consents: Mapping[str, ClientConsents],
        now: datetime,
    ) -> list[AuditEntry]:
        event, sender, pseudonym = routable.event, routable.sender, routable.pseudonym
        unknown = set(event.destinations()) - self._by_oid.keys()
        if unknown:
            _log.warning(
                "unregistered_destination",
                event_id=str(event.event_id),
                destinations=sorted(unknown),
            )
        parts = tuple(DisclosurePart(part.document_id, part.category) for part in event.parts())
        entries = []
        for recipient in candidate_recipients(event, self._by_oid, network):
            decision = decide(
                Disclosure(
                    event_id=event.event_id,
                    event_type=event.ce_type(),
                    client=pseudonym,
                    sender=Party(sender.oid, sender.kind),
                    recipient=Party(recipient.oid, recipient.kind),
                    category=event.category,
                    document_id=event.document_id,
                    parts=parts,
                    at=now,
                ),
                consents[pseudonym],
                self._legal_bases,
            )
            entries.append(_audit_entry(event, pseudonym, recipient, decision, now))
        return entries

    def _deliveries(
        self,
        routable: _Routable,
        decided: Sequence[AuditRecord],
        delivered: frozenset[tuple[uuid.UUID, str]],
    ) -> list[tuple[Organisation, KafkaRecord]]:
        """What each permitted recipient still waits for: the record as it came, or minimised."""
        event = routable.event
        encoded: dict[tuple[str, ...], KafkaRecord] = {(): routable.incoming.record}
        deliveries = []
        for record in decided:
            if record.decision != "permit" or (event.event_id, record.recipient) in delivered:
                continue
            removed = tuple(sorted(record.removed))
            if removed not in encoded:  # serialise once per distinct redaction
                encoded[removed] = self._codec.encode(event.without_parts(removed))
            deliveries.append((self._by_oid[record.recipient], encoded[removed]))
        return deliveries

    def _reject(
        self,
        incoming: IncomingRecord,
        reason: str,
        notify: Organisation | None,
        rejected: list[tuple[str, KafkaRecord]],
    ) -> None:
        now = self._clock()
        rejected.append((DLQ_TOPIC, dead_letter_record(incoming, reason, now)))
        if notify is not None:
            notice = rejection_notice(incoming, reason, now, notify.oid)
            rejected.append((inbox_topic(notify.id), notice))
        _log.warning(
            "event_rejected",
            topic=incoming.topic,
            partition=incoming.partition,
            offset=incoming.offset,
            reason=reason,
        )


def _audit_entry(
    event: Event, pseudonym: str, recipient: Organisation, decision: Decision, at: datetime
) -> AuditEntry:
    return AuditEntry(
        event_id=event.event_id,
        event_type=event.ce_type(),
        category=event.category,
        client=pseudonym,
        sender=event.sender,
        recipient=recipient.oid,
        decision=decision.verdict.value,
        reason=decision.reason.value,
        basis=decision.basis,
        removed=decision.removed,
        decided_at=at,
    )


def _recipients(records: Sequence[AuditRecord], decision: str) -> set[str]:
    return {record.recipient for record in records if record.decision == decision}
