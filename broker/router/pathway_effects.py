"""What the pathway makes the router send: handover packages, hints, overdue notices, refusals.

Every item that follows the client is decided for its new recipient like any event, and
audited; a handover package lists only what its recipient was permitted, so the list itself
discloses nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from broker.pathway import HandoverDue, HintDue
from broker.registry import Organisation
from consent.audit import AuditEntry, AuditRecord
from consent.decisions import (
    ClientConsents,
    Decision,
    Disclosure,
    DisclosurePart,
    Party,
    ReasonCode,
    Verdict,
    decide,
)
from consent.legal_bases import LegalBases
from schemas import (
    AssessmentAvailable,
    ContractError,
    Event,
    EventCodec,
    HandoverItem,
    HandoverPackage,
    KafkaRecord,
)

__all__ = ["Disclosed", "PathwayEffects", "audit_entry"]

_log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Disclosed:
    """One event on its way to one recipient, with the decision that lets it go or not."""

    event: Event
    recipient: Organisation
    entry: AuditEntry
    record: KafkaRecord | None = None
    """The record as it arrived, forwarded unchanged when nothing is removed."""
    record_of: AuditRecord | None = field(default=None)

    @property
    def key(self) -> tuple[uuid.UUID, str]:
        """(event id, recipient OID): the audit log's and the ledger's key."""
        return (self.event.event_id, self.recipient.oid)


class PathwayEffects:
    """Turns what the pathway asks for into decided, auditable disclosures."""

    def __init__(
        self,
        codec: EventCodec,
        by_oid: Mapping[str, Organisation],
        legal_bases: LegalBases,
    ) -> None:
        self._codec = codec
        self._by_oid = by_oid
        self._legal_bases = legal_bases

    def decided(
        self,
        event: Event,
        recipient: Organisation,
        pseudonym: str,
        consents: ClientConsents,
        at: datetime,
        *,
        record: KafkaRecord | None = None,
    ) -> Disclosed | None:
        """``event`` decided for ``recipient``; None when its sender is not registered."""
        sender = self._by_oid.get(event.sender)
        if sender is None:
            return None
        parts = tuple(DisclosurePart(p.document_id, p.category) for p in event.parts())
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
                at=at,
            ),
            consents,
            self._legal_bases,
        )
        entry = audit_entry(event, pseudonym, recipient, decision, at)
        return Disclosed(event, recipient, entry, record)

    def handover_items(
        self, due: HandoverDue, pseudonym: str, consents: ClientConsents, at: datetime
    ) -> list[Disclosed]:
        """Every item of a handover, decided for its recipient."""
        recipient = self._by_oid.get(due.recipient)
        if recipient is None:
            return []
        decided = []
        for document in due.items:
            try:
                item = self._codec.decode(document.record)
            except ContractError as exc:
                # Kept only after it passed the contract; a codec that changed since may
                # refuse it, and the handover goes on without it.
                _log.warning(
                    "handover_item_unreadable", event_id=str(document.event_id), reason=str(exc)
                )
                continue
            disclosed = self.decided(
                item, recipient, pseudonym, consents, at, record=document.record
            )
            if disclosed is not None:
                decided.append(disclosed)
        return decided

    def package(
        self,
        due: HandoverDue,
        client: str,
        pseudonym: str,
        items: Sequence[tuple[Disclosed, bool]],
        at: datetime,
    ) -> Disclosed | None:
        """The package listing the permitted items (included: they follow it); None if none."""
        recipient = self._by_oid.get(due.recipient)
        if recipient is None or not items:
            return None
        package = HandoverPackage(
            event_id=due.event_id,
            occurred_at=at,
            sender=due.handed_over_by,
            client=client,
            recipient=due.recipient,
            trigger=due.trigger,
            trigger_document_id=due.trigger_document_id,
            items=tuple(
                HandoverItem(
                    event_id=item.event.event_id,
                    event_type=item.event.ce_type(),
                    sender=item.event.sender,
                    category=item.event.category,
                    document_id=item.event.document_id,
                    occurred_at=item.event.occurred_at,
                    included=included,
                )
                for item, included in items
            ),
        )
        decision = Decision(
            Verdict.PERMIT,
            ReasonCode.HANDOVER,
            f"A handover package for {recipient.oid} listing only items permitted to it.",
        )
        return Disclosed(
            package, recipient, audit_entry(package, pseudonym, recipient, decision, at)
        )

    def hint(
        self,
        due: HintDue,
        client: str,
        pseudonym: str,
        consents: ClientConsents,
        at: datetime,
    ) -> Disclosed | None:
        """The hint, decided like the assessment it points at; None if that is unreadable."""
        recipient = self._by_oid.get(due.recipient)
        if recipient is None:
            return None
        try:
            assessment = self._codec.decode(due.assessment.record)
        except ContractError as exc:
            _log.warning(
                "hint_assessment_unreadable",
                event_id=str(due.assessment.event_id),
                reason=str(exc),
            )
            return None
        hint = AssessmentAvailable(
            event_id=due.event_id,
            occurred_at=at,
            sender=assessment.sender,
            client=client,
            recipient=due.recipient,
            assessment_event_id=assessment.event_id,
            assessment_id=assessment.document_id,
            assessment_kind=due.kind,
            assessment_category=assessment.category,
            recorded_at=assessment.occurred_at,
            moment=due.moment,
            duplicate_assessment_id=due.duplicate_assessment_id,
        )
        return self.decided(hint, recipient, pseudonym, consents, at)

    def delivery(self, disclosed: Disclosed) -> KafkaRecord | None:
        """What goes to the recipient's inbox, or None when the decision on record denies."""
        record = disclosed.record_of
        if record is None or record.decision != Verdict.PERMIT.value:
            return None
        if not record.removed and disclosed.record is not None:
            return disclosed.record
        return self._codec.encode(disclosed.event.without_parts(record.removed))


def audit_entry(
    event: Event, pseudonym: str, recipient: Organisation, decision: Decision, at: datetime
) -> AuditEntry:
    """The audit entry of one decision."""
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
