"""The router's work for one outbox record: validate, decide per recipient, audit, deliver.

Order matters for the guarantees ARCHITECTURE.md gives: the decisions are durably in the
audit log before anything is delivered, deliveries are acknowledged by Kafka before the
caller commits the offset, and a record routed again after a crash reuses the decisions
on record and skips the deliveries the ledger has seen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

import structlog

from broker.registry import Organisation, OrganisationRegistry
from broker.router.candidates import candidate_recipients
from broker.router.dead_letter import dead_letter_record, rejection_notice
from broker.router.incoming import IncomingRecord
from broker.router.ledger import DeliveryLedger
from broker.topics import DLQ_TOPIC, inbox_topic, outbox_topic
from consent.audit import AuditEntry, AuditLog, AuditRecord
from consent.decisions import Decision, Disclosure, DisclosurePart, Party, decide
from consent.legal_bases import LegalBases
from consent.network import CareNetwork
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
    """Sends a record and returns once Kafka has acknowledged it."""

    async def send(self, topic: str, record: KafkaRecord) -> None:
        """Produce ``record`` to ``topic`` and wait for the acknowledgement."""


class RoutingOutcome(StrEnum):
    """What became of one outbox record."""

    ROUTED = "routed"
    APPLIED = "applied"  # a consent or revocation, applied to the consent store
    REJECTED = "rejected"  # sent to the dead-letter topic


class Router:
    """Routes outbox records; every store or Kafka failure propagates so the caller can retry."""

    def __init__(
        self,
        *,
        codec: EventCodec,
        registry: OrganisationRegistry,
        consents: ConsentStore,
        network: CareNetwork,
        audit: AuditLog,
        ledger: DeliveryLedger,
        legal_bases: LegalBases,
        outbound: Outbound,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._codec = codec
        self._consents = consents
        self._network = network
        self._audit = audit
        self._ledger = ledger
        self._legal_bases = legal_bases
        self._outbound = outbound
        self._clock = clock
        self._outboxes = {outbox_topic(org.id): org for org in registry}
        self._by_oid = {org.oid: org for org in registry}

    async def route(self, incoming: IncomingRecord) -> RoutingOutcome:
        """Route one record; raises StoreUnavailableError or a Kafka error to be retried."""
        sender = self._outboxes.get(incoming.topic)
        if sender is None:
            reason = f"{incoming.topic} is not the outbox of a registered organisation"
            return await self._reject(incoming, reason, notify=None)
        try:
            event = self._codec.decode(incoming.record)
        except ContractError as exc:
            return await self._reject(incoming, str(exc), notify=sender)
        if event.sender != sender.oid:
            reason = (
                f"ce_source names {event.sender}, but the event came from the outbox of "
                f"{sender.id} ({sender.oid}): an organisation publishes only as itself"
            )
            return await self._reject(incoming, reason, notify=sender)
        pseudonym = incoming.record.key.decode()
        if isinstance(event, ConsentGranted | ConsentRevoked):
            await self._consents.apply(event, pseudonym=pseudonym, applied_at=self._clock())
            _log.info("consent_applied", event_id=str(event.event_id), type=event.ce_type())
            return RoutingOutcome.APPLIED
        await self._deliver(event, sender, pseudonym)
        await self._network.record(event, pseudonym=pseudonym)
        return RoutingOutcome.ROUTED

    async def _deliver(self, event: Event, sender: Organisation, pseudonym: str) -> None:
        members = await self._network.members(pseudonym)
        recipients = candidate_recipients(event, self._by_oid, members)
        unknown = set(event.destinations()) - self._by_oid.keys()
        if unknown:
            _log.warning(
                "unregistered_destination",
                event_id=str(event.event_id),
                destinations=sorted(unknown),
            )
        if not recipients:
            return
        consents = await self._consents.consents_for(pseudonym)
        now = self._clock()
        parts = tuple(DisclosurePart(part.document_id, part.category) for part in event.parts())
        entries = []
        for recipient in recipients:
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
                consents,
                self._legal_bases,
            )
            entries.append(_audit_entry(event, pseudonym, recipient, decision, now))
        # Durable before anything leaves: a record routed again gets the decisions on record.
        records = await self._audit.append(entries)
        delivered = await self._ledger.delivered_to(event.event_id)
        encoded: dict[tuple[str, ...], KafkaRecord] = {}
        for record in records:
            if record.decision != "permit" or record.recipient in delivered:
                continue
            removed = tuple(sorted(record.removed))
            if removed not in encoded:  # serialise once per distinct redaction
                encoded[removed] = self._codec.encode(event.without_parts(removed))
            recipient = self._by_oid[record.recipient]
            await self._outbound.send(inbox_topic(recipient.id), encoded[removed])
            await self._ledger.record(event.event_id, record.recipient, self._clock())
        _log.info(
            "event_routed",
            event_id=str(event.event_id),
            type=event.ce_type(),
            permitted=sorted(_recipients(records, "permit")),
            denied=sorted(_recipients(records, "deny")),
        )

    async def _reject(
        self, incoming: IncomingRecord, reason: str, notify: Organisation | None
    ) -> RoutingOutcome:
        now = self._clock()
        await self._outbound.send(DLQ_TOPIC, dead_letter_record(incoming, reason, now))
        if notify is not None:
            notice = rejection_notice(incoming, reason, now, notify.oid)
            await self._outbound.send(inbox_topic(notify.id), notice)
        _log.warning(
            "event_rejected",
            topic=incoming.topic,
            partition=incoming.partition,
            offset=incoming.offset,
            reason=reason,
        )
        return RoutingOutcome.REJECTED


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


def _recipients(records: list[AuditRecord], decision: str) -> set[str]:
    return {record.recipient for record in records if record.decision == decision}
