"""The client's pathway as the router sees it, and what each event does to it.

Pure over the state given: applying an event changes the in-memory pathway, records what
the store must write, and says what the router must send as a result (a handover, a
hint), or why the event is refused. The router makes every consent decision itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from broker.pathway.referrals import (
    Referral,
    ReferralClaim,
    ReferralClock,
    ReferralState,
    TransitionRefused,
    answer_referral,
    request_referral,
)
from consent.network import closes_the_path
from schemas import (
    AssessmentRecorded,
    CaseManagerAssigned,
    DataCategory,
    DocumentPart,
    EpisodeClosed,
    Event,
    HandoverTrigger,
    HintMoment,
    KafkaRecord,
    PlanCreated,
    PlanUpdated,
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
    assessment_kind_of,
)

__all__ = [
    "AppliedEvent",
    "AssessmentFact",
    "CaseManager",
    "ClientPathway",
    "Document",
    "DuplicateWindows",
    "EpisodeFact",
    "HandoverDue",
    "HintDue",
    "PathwayChanges",
    "PathwayRules",
    "StepOutcome",
    "apply_event",
    "derived_id",
    "referral_of_slot",
    "referral_slot",
]

_ASSESSMENT: Final = "assessment"
_PLAN: Final = "plan"
_REFERRAL: Final = "referral"
_CLOSED_PLAN_STATUSES: Final = frozenset({"completed", "revoked"})
_NO_REFERRALS: Final[Mapping[tuple[str, str], Referral]] = MappingProxyType({})
_NO_CLAIMS: Final[Mapping[tuple[str, str], ReferralClaim]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Document:
    """One of the client's relevant events, kept as it arrived so that it can follow them."""

    slot: str
    """``assessment/<kind>/<org>``, ``plan/<org>/<plan id>`` or ``referral/<org>/<id>``."""
    event_id: uuid.UUID
    event_type: str
    sender: str
    occurred_at: datetime
    category: DataCategory
    document_id: str
    parts: tuple[DocumentPart, ...]
    """The supporting documents minimisation may remove, as the event lists them."""
    record: KafkaRecord | None = None
    """The record as it arrived; None as routing loads a document (records are read only
    for the documents a handover sends)."""

    @property
    def kind(self) -> str:
        """``assessment``, ``plan`` or ``referral``."""
        return self.slot.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class CaseManager:
    """The client's named case manager (asiakasvastaava, työkykykoordinaattori)."""

    episode_id: str
    name: str
    role: str
    organisation: str
    assigned_by: str
    assigned_at: datetime


@dataclass(slots=True)
class ClientPathway:
    """What the pathway knows about one client."""

    pseudonym: str
    referrals: dict[tuple[str, str], Referral] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    case_manager: CaseManager | None = None


@dataclass(frozen=True, slots=True)
class DuplicateWindows:
    """How recent an assessment of the same kind must be for a new one to count as a duplicate."""

    default: timedelta
    by_kind: Mapping[str, timedelta] = field(default_factory=dict)

    def of(self, kind: str) -> timedelta:
        """The window for ``kind`` (``kykyviisari`` or an assessment kind)."""
        return self.by_kind.get(kind, self.default)


@dataclass(frozen=True, slots=True)
class PathwayRules:
    """The configurable parts of the pathway."""

    clock: ReferralClock
    duplicates: DuplicateWindows
    document_retention: timedelta
    """How long a document is kept for handovers, from its own time."""


@dataclass(frozen=True, slots=True)
class HandoverDue:
    """The client's history, to be decided item by item for an organisation that takes over."""

    event_id: uuid.UUID
    """The package's id: derived, so that routing the trigger again gives the same package."""
    recipient: str
    handed_over_by: str
    trigger: HandoverTrigger
    trigger_document_id: str
    items: tuple[Document, ...]


@dataclass(frozen=True, slots=True)
class HintDue:
    """An earlier assessment of the same kind that an organisation should know about."""

    event_id: uuid.UUID
    recipient: str
    assessment: Document
    kind: str
    moment: HintMoment
    prompted_at: datetime
    """When the event that prompted it happened: the hint's own time, so that indicators
    compare it with assessments on the senders' clocks, not on the router's."""
    duplicate_assessment_id: str | None = None


@dataclass(frozen=True, slots=True)
class AssessmentFact:
    """An assessment, kept for the indicators after its document is gone."""

    event_id: uuid.UUID
    client: str
    organisation: str
    kind: str
    recorded_at: datetime
    duplicate_of: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class EpisodeFact:
    """How a client's episode ended."""

    event_id: uuid.UUID
    client: str
    organisation: str
    episode_id: str
    outcome: str
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class AppliedEvent:
    """An event the pathway applied: why it was refused, if it was, and what it carried."""

    refused: str | None
    content_digest: str | None
    """``Event.content_digest``: another event under its id is not a replay of it. None:
    applied before the digests were kept (migration 0009)."""

    def carried_other_than(self, event: Event) -> bool:
        """Whether ``event``, under this one's id, is another event rather than it again."""
        return self.content_digest is not None and self.content_digest != event.content_digest()


@dataclass(slots=True)
class PathwayChanges:
    """What the store writes after a wave: every field is keyed so that the last change wins."""

    events: dict[uuid.UUID, AppliedEvent] = field(default_factory=dict)
    """The applied events, by id."""
    referrals: dict[tuple[str, str], Referral] = field(default_factory=dict)
    documents: dict[tuple[str, str], Document | None] = field(default_factory=dict)
    """(client, slot) -> the document now in the slot, or None when it was emptied."""
    case_managers: dict[str, CaseManager | None] = field(default_factory=dict)
    assessments: list[AssessmentFact] = field(default_factory=list)
    episodes: list[EpisodeFact] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What the router must do because of one event."""

    refused: str | None = None
    handovers: tuple[HandoverDue, ...] = ()
    hints: tuple[HintDue, ...] = ()


def derived_id(*parts: object) -> uuid.UUID:
    """A stable id for something the router issues, from what caused it."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "urn:saattaja:" + ":".join(str(p) for p in parts))


def apply_event(
    event: Event,
    record: KafkaRecord,
    pathway: ClientPathway,
    network: frozenset[str],
    *,
    rules: PathwayRules,
    changes: PathwayChanges,
    registered: Container[str],
    requested: Mapping[tuple[str, str], Referral] = _NO_REFERRALS,
    claimed: Mapping[tuple[str, str], ReferralClaim] = _NO_CLAIMS,
) -> StepOutcome:
    """Apply ``event`` to ``pathway``, recording the writes in ``changes``.

    ``network`` is the client's care network before the event: organisations joining it
    through a care team receive the client's history. ``registered``: the OIDs of the
    registry's organisations, the only receivers a referral can have. ``requested``: the
    referrals of any client stored under the keys a referral request uses, since a
    requester's referral id names one referral across all its clients; ``claimed``: claims
    on such keys by requests another router process decided on, not yet stored as referrals.
    """
    context = _Context(rules, changes, registered, requested, claimed)
    outcome = _apply(event, record, pathway, network, context)
    changes.events[event.event_id] = AppliedEvent(outcome.refused, event.content_digest())
    return outcome


@dataclass(frozen=True, slots=True)
class _Context:
    """What applying any event may need besides the client's own pathway."""

    rules: PathwayRules
    changes: PathwayChanges
    registered: Container[str]
    requested: Mapping[tuple[str, str], Referral]
    claimed: Mapping[tuple[str, str], ReferralClaim]


def _apply(
    event: Event,
    record: KafkaRecord,
    pathway: ClientPathway,
    network: frozenset[str],
    context: _Context,
) -> StepOutcome:
    rules, changes = context.rules, context.changes
    if isinstance(event, ReferralRequested):
        return _requested(event, record, pathway, context)
    if isinstance(event, ReferralAccepted | ReferralRejected | ReferralCompleted):
        return _answered(event, pathway, rules, changes)
    if isinstance(event, AssessmentRecorded):
        return _assessed(event, record, pathway, rules, changes)
    if isinstance(event, PlanCreated | PlanUpdated):
        slot = f"{_PLAN}/{event.sender}/{event.plan_id}"
        if event.status in _CLOSED_PLAN_STATUSES:
            _remove(pathway, slot, changes)
        else:
            _keep(pathway, _document(slot, event, record), changes)
        return StepOutcome()
    if isinstance(event, CaseManagerAssigned):
        return _case_manager(event, pathway, network, changes)
    if isinstance(event, EpisodeClosed):
        _closed(event, pathway, network, changes)
    return StepOutcome()


def _requested(
    event: ReferralRequested, record: KafkaRecord, pathway: ClientPathway, context: _Context
) -> StepOutcome:
    key, changes = (event.sender, event.referral_id), context.changes
    # The wave's own changes first: another client's request earlier in it is not stored yet.
    known = pathway.referrals.get(key) or changes.referrals.get(key) or context.requested.get(key)
    referral = request_referral(
        event,
        pathway.pseudonym,
        known,
        context.rules.clock,
        registered=context.registered,
        claimed=context.claimed.get(key),
    )
    if isinstance(referral, TransitionRefused):
        return StepOutcome(refused=referral.reason)
    _set_referral(pathway, referral, changes)
    _keep(pathway, _document(referral_slot(*key), event, record), changes)
    return StepOutcome()


def _answered(
    event: ReferralAccepted | ReferralRejected | ReferralCompleted,
    pathway: ClientPathway,
    rules: PathwayRules,
    changes: PathwayChanges,
) -> StepOutcome:
    key = (event.requester, event.referral_id)
    referral = answer_referral(event, pathway.referrals.get(key))
    if isinstance(referral, TransitionRefused):
        return StepOutcome(refused=referral.reason)
    _set_referral(pathway, referral, changes)
    if referral.state is not ReferralState.ACCEPTED:
        _remove(pathway, referral_slot(*key), changes)  # no longer open
        return StepOutcome()
    # The catch is taken: the history follows the client to the receiver.
    slot = referral_slot(*key)
    items = tuple(
        document
        for document in pathway.documents.values()
        if document.sender != event.sender and document.slot != slot
    )
    handovers: tuple[HandoverDue, ...] = ()
    if items:
        handovers = (
            HandoverDue(
                event_id=derived_id("handover", event.event_id, event.sender),
                recipient=event.sender,
                handed_over_by=event.requester,
                trigger=HandoverTrigger.REFERRAL_ACCEPTED,
                trigger_document_id=event.referral_id,
                items=items,
            ),
        )
    hints = tuple(
        HintDue(
            event_id=derived_id("hint", event.event_id, document.event_id),
            recipient=event.sender,
            assessment=document,
            kind=_assessment_kind(document),
            moment=HintMoment.BEFORE_ASSESSING,
            prompted_at=event.occurred_at,
        )
        for document in items
        if document.kind == _ASSESSMENT
        and event.occurred_at - document.occurred_at
        <= rules.duplicates.of(_assessment_kind(document))
    )
    return StepOutcome(handovers=handovers, hints=hints)


def _assessed(
    event: AssessmentRecorded,
    record: KafkaRecord,
    pathway: ClientPathway,
    rules: PathwayRules,
    changes: PathwayChanges,
) -> StepOutcome:
    kind = assessment_kind_of(event)
    window = rules.duplicates.of(kind)
    earlier = [
        document
        for document in pathway.documents.values()
        if document.kind == _ASSESSMENT
        and _assessment_kind(document) == kind
        and document.sender != event.sender
        and timedelta(0) <= event.occurred_at - document.occurred_at <= window
    ]
    latest = max(earlier, key=lambda document: document.occurred_at, default=None)
    changes.assessments.append(
        AssessmentFact(
            event_id=event.event_id,
            client=pathway.pseudonym,
            organisation=event.sender,
            kind=kind,
            recorded_at=event.occurred_at,
            duplicate_of=None if latest is None else latest.event_id,
        )
    )
    _keep(pathway, _document(f"{_ASSESSMENT}/{kind}/{event.sender}", event, record), changes)
    if latest is None:
        return StepOutcome()
    hint = HintDue(
        event_id=derived_id("hint", event.event_id, latest.event_id),
        recipient=event.sender,
        assessment=latest,
        kind=kind,
        moment=HintMoment.AFTER_ASSESSING,
        prompted_at=event.occurred_at,
        duplicate_assessment_id=event.assessment_id,
    )
    return StepOutcome(hints=(hint,))


def _case_manager(
    event: CaseManagerAssigned,
    pathway: ClientPathway,
    network: frozenset[str],
    changes: PathwayChanges,
) -> StepOutcome:
    manager = CaseManager(
        episode_id=event.episode_id,
        name=event.case_manager_name,
        role=event.case_manager_role.value,
        organisation=event.case_manager_organisation,
        assigned_by=event.sender,
        assigned_at=event.occurred_at,
    )
    pathway.case_manager = manager
    changes.case_managers[pathway.pseudonym] = manager
    # The case manager gathers the client's history, also when their own organisation
    # assigned them: it holds none of the other organisations' documents yet.
    coordinating = event.case_manager_organisation
    joining = [
        oid
        for oid in dict.fromkeys((coordinating, *event.team))
        if (oid == coordinating or oid != event.sender) and oid not in network
    ]
    handovers = []
    for oid in joining:
        items = tuple(d for d in pathway.documents.values() if d.sender != oid)
        if items:
            handovers.append(
                HandoverDue(
                    event_id=derived_id("handover", event.event_id, oid),
                    recipient=oid,
                    handed_over_by=event.sender,
                    trigger=HandoverTrigger.CARE_TEAM_JOINED,
                    trigger_document_id=event.episode_id,
                    items=items,
                )
            )
    return StepOutcome(handovers=tuple(handovers))


def _closed(
    event: EpisodeClosed, pathway: ClientPathway, network: frozenset[str], changes: PathwayChanges
) -> None:
    changes.episodes.append(
        EpisodeFact(
            event_id=event.event_id,
            client=pathway.pseudonym,
            organisation=event.sender,
            episode_id=event.episode_id,
            outcome=event.outcome.value,
            closed_at=event.occurred_at,
        )
    )
    if not closes_the_path(network, event):
        return
    # The path has ended: its documents go, except referrals still waiting for an answer,
    # which the overdue watch still needs.
    waiting = {
        referral_slot(*key)
        for key, referral in pathway.referrals.items()
        if referral.state is ReferralState.REQUESTED
    }
    for slot in [slot for slot in pathway.documents if slot not in waiting]:
        _remove(pathway, slot, changes)
    pathway.case_manager = None
    changes.case_managers[pathway.pseudonym] = None


def referral_slot(requester: str, referral_id: str) -> str:
    """The document slot of an open referral."""
    return f"{_REFERRAL}/{requester}/{referral_id}"


def referral_of_slot(slot: str) -> tuple[str, str] | None:
    """The referral key (requester, referral id) whose request a slot keeps; None for another."""
    kind, _, key = slot.partition("/")
    requester, _, referral_id = key.partition("/")
    return (requester, referral_id) if kind == _REFERRAL and referral_id else None


def _assessment_kind(document: Document) -> str:
    return document.slot.split("/")[1]


def _document(slot: str, event: Event, record: KafkaRecord) -> Document:
    return Document(
        slot=slot,
        event_id=event.event_id,
        event_type=event.ce_type(),
        sender=event.sender,
        occurred_at=event.occurred_at,
        category=event.category,
        document_id=event.document_id,
        parts=event.parts(),
        record=record,
    )


def _set_referral(pathway: ClientPathway, referral: Referral, changes: PathwayChanges) -> None:
    pathway.referrals[referral.key] = referral
    changes.referrals[referral.key] = referral


def _keep(pathway: ClientPathway, document: Document, changes: PathwayChanges) -> None:
    known = pathway.documents.get(document.slot)
    if known is not None and known.occurred_at > document.occurred_at:
        return  # an older version arriving late does not replace the newer one
    pathway.documents[document.slot] = document
    changes.documents[(pathway.pseudonym, document.slot)] = document


def _remove(pathway: ClientPathway, slot: str, changes: PathwayChanges) -> None:
    if pathway.documents.pop(slot, None) is not None:
        changes.documents[(pathway.pseudonym, slot)] = None
