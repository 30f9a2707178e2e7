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

from broker.pathway import Document, HandoverDue, HintDue
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
    DataCategory,
    DocumentPart,
    Event,
    EventCodec,
    HandoverItem,
    HandoverPackage,
    KafkaRecord,
)

__all__ = ["Disclosed", "PathwayEffects", "Subject", "audit_entry"]

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Subject:
    """What is disclosed, as far as a decision and its audit record need to know."""

    event_id: uuid.UUID
    event_type: str
    sender: str
    category: DataCategory
    document_id: str
    occurred_at: datetime
    parts: tuple[DocumentPart, ...] = ()

    @classmethod
    def of_event(cls, event: Event) -> Subject:
        """An event's subject."""
        return cls(
            event.event_id,
            event.ce_type(),
            event.sender,
            event.category,
            event.document_id,
            event.occurred_at,
            event.parts(),
        )

    @classmethod
    def of_document(cls, document: Document) -> Subject:
        """A kept document's subject, without decoding its record."""
        return cls(
            document.event_id,
            document.event_type,
            document.sender,
            document.category,
            document.document_id,
            document.occurred_at,
            document.parts,
        )


@dataclass(slots=True)
class Disclosed:
    """One event on its way to one recipient, with the decision that lets it go or not."""

    subject: Subject
    recipient: Organisation
    entry: AuditEntry
    event: Event | None = None
    """The event, when the router built it; a kept document is decoded only if minimised."""
    record: KafkaRecord | None = None
    """The record as it arrived, forwarded unchanged when nothing is removed."""
    kept_as: tuple[str, str] | None = None
    """(client, slot) of the kept document whose record is read once it is to be sent."""
    record_of: AuditRecord | None = field(default=None)

    @property
    def permitted(self) -> bool:
        """Whether the decision on record lets it go."""
        return self.record_of is not None and self.record_of.decision == Verdict.PERMIT.value

    @property
    def key(self) -> tuple[uuid.UUID, str]:
        """(event id, recipient OID): the audit log's and the ledger's key."""
        return (self.subject.event_id, self.recipient.oid)


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
        subject: Subject,
        recipient: Organisation,
        pseudonym: str,
        consents: ClientConsents,
        at: datetime,
        *,
        event: Event | None = None,
        record: KafkaRecord | None = None,
        kept_as: tuple[str, str] | None = None,
        handover: str = "",
    ) -> Disclosed | None:
        """``subject`` decided for ``recipient``; None when its sender is not registered.

        ``handover``: the package's event id, for a kept document decided for a handover.
        """
        sender = self._by_oid.get(subject.sender)
        if sender is None:
            return None
        entry = self.decision(
            subject,
            sender=sender,
            recipient=recipient,
            pseudonym=pseudonym,
            consents=consents,
            at=at,
            handover=handover,
        )
        return Disclosed(subject, recipient, entry, event, record, kept_as)

    def decision(
        self,
        subject: Subject,
        *,
        sender: Organisation,
        recipient: Organisation,
        pseudonym: str,
        consents: ClientConsents,
        at: datetime,
        handover: str = "",
    ) -> AuditEntry:
        """The consent decision on ``subject`` going from ``sender`` to ``recipient``."""
        at = consents.decided_at(at)
        decision = decide(
            Disclosure(
                event_id=subject.event_id,
                event_type=subject.event_type,
                client=pseudonym,
                sender=Party(sender.oid, sender.kind),
                recipient=Party(recipient.oid, recipient.kind),
                category=subject.category,
                document_id=subject.document_id,
                parts=tuple(self._part(part, sender) for part in subject.parts),
                at=at,
            ),
            consents,
            self._legal_bases,
        )
        return audit_entry(subject, pseudonym, recipient, decision, at, handover=handover)

    def _part(self, part: DocumentPart, sender: Organisation) -> DisclosurePart:
        """A supporting document with the organisation that recorded it as its custodian."""
        if part.recorded_by is None or part.recorded_by == sender.oid:
            return DisclosurePart.of(part)
        custodian = self._by_oid.get(part.recorded_by)
        # One outside the registry is still named by the client's refusals of its OID; its
        # service task is unknown, and is taken to be the sender's, which holds a copy.
        kind = sender.kind if custodian is None else custodian.kind
        return DisclosurePart.of(part, Party(part.recorded_by, kind))

    def event_decided(
        self,
        event: Event,
        recipient: Organisation,
        pseudonym: str,
        consents: ClientConsents,
        at: datetime,
    ) -> Disclosed | None:
        """An event the router issues, decided for ``recipient``."""
        return self.decided(
            Subject.of_event(event), recipient, pseudonym, consents, at, event=event
        )

    def handover_items(
        self, due: HandoverDue, pseudonym: str, consents: ClientConsents, at: datetime
    ) -> list[Disclosed]:
        """Every item of a handover, decided for its recipient."""
        recipient = self._by_oid.get(due.recipient)
        if recipient is None:
            return []
        decided = (
            self.decided(
                Subject.of_document(document),
                recipient,
                pseudonym,
                consents,
                at,
                record=document.record,
                kept_as=(pseudonym, document.slot),
                handover=str(due.event_id),
            )
            for document in due.items
        )
        return [disclosed for disclosed in decided if disclosed is not None]

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
                    event_id=item.subject.event_id,
                    event_type=item.subject.event_type,
                    sender=item.subject.sender,
                    category=item.subject.category,
                    document_id=item.subject.document_id,
                    occurred_at=item.subject.occurred_at,
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
        subject = Subject.of_event(package)
        entry = audit_entry(subject, pseudonym, recipient, decision, at)
        return Disclosed(subject, recipient, entry, package)

    def hint(
        self,
        due: HintDue,
        client: str,
        pseudonym: str,
        consents: ClientConsents,
        at: datetime,
    ) -> Disclosed | None:
        """The hint, decided like the assessment it points at."""
        recipient = self._by_oid.get(due.recipient)
        if recipient is None:
            return None
        assessment = due.assessment
        hint = AssessmentAvailable(
            event_id=due.event_id,
            occurred_at=due.prompted_at,
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
        return self.event_decided(hint, recipient, pseudonym, consents, at)

    def delivery(self, disclosed: Disclosed) -> KafkaRecord | None:
        """What goes to the recipient's inbox, or None when the decision on record denies."""
        record = disclosed.record_of
        if record is None or not disclosed.permitted:
            return None
        if not record.removed and disclosed.record is not None:
            return disclosed.record
        event = disclosed.event
        if event is None and disclosed.record is not None:
            try:
                event = self._codec.decode(disclosed.record)
            except ContractError as exc:
                # Kept only after it passed the contract; a codec changed since may refuse
                # it, and then it is not sent rather than sent unminimised.
                _log.warning(
                    "kept_record_unreadable",
                    event_id=str(disclosed.subject.event_id),
                    reason=str(exc),
                )
                return None
        if event is None:
            return None
        # Built from typed models whose every shape the contract tests validate.
        return self._codec.encode(event.without_parts(record.removed), validate=False)


def audit_entry(
    subject: Subject,
    pseudonym: str,
    recipient: Organisation,
    decision: Decision,
    at: datetime,
    *,
    handover: str = "",
) -> AuditEntry:
    """The audit entry of one decision; ``handover`` names the package it was made for."""
    return AuditEntry(
        event_id=subject.event_id,
        event_type=subject.event_type,
        category=subject.category,
        client=pseudonym,
        sender=subject.sender,
        recipient=recipient.oid,
        decision=decision.verdict.value,
        reason=decision.reason.value,
        basis=decision.basis,
        removed=decision.removed,
        decided_at=at,
        handover=handover,
    )
