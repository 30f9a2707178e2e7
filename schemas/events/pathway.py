"""Pathway events the router issues itself, on behalf of the organisation that owns the matter.

"Saattaen vaihtaen": the sender stays responsible until the receiver takes the catch. The
router watches the catch and speaks up when it does not happen (ReferralOverdue,
ReferralExpired), hands the client's history over when it does (HandoverPackage), and tells
an organisation about to assess again that an assessment already exists (AssessmentAvailable).
No organisation may publish these: ``issued_by_router`` marks them, and the router rejects
one found in an outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import ClassVar, Final, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from schemas.categories import DataCategory
from schemas.codesystems import (
    ASSESSMENT_HINT_EXTENSION,
    ASSESSMENT_KIND_SYSTEM,
    CASE_MANAGER_ORGANISATION_EXTENSION,
    DATA_CATEGORY_SYSTEM,
    HANDOVER_EXTENSION,
    HANDOVER_ITEM_EXTENSION,
    HANDOVER_ITEM_STATUS_SYSTEM,
    HANDOVER_TRIGGER_SYSTEM,
    HINT_MOMENT_SYSTEM,
    PATHWAY_NOTICE_SYSTEM,
    REFERRAL_BUSINESS_STATUS_SYSTEM,
    REFERRAL_ESCALATION_EXTENSION,
    REFERRAL_OVERDUE_ROLE_EXTENSION,
    REFERRAL_OVERDUE_ROLE_SYSTEM,
)
from schemas.echo import echoed
from schemas.errors import InvalidBundleError
from schemas.events.assessment import (
    ASSESSMENT_CATEGORIES,
    AssessmentKind,
    AssessmentRecorded,
    KykyviisariResult,
)
from schemas.events.base import Envelope, Event
from schemas.events.references import event_reference, read_event_id
from schemas.fhir import (
    FHIR_INTEGER_MAX,
    TASK_STATES,
    ElementView,
    FhirJson,
    FhirString,
    business_identifier,
    codeable_concept,
    coding,
    instant,
    organisation_reference,
    patient_reference,
    resource_reference,
)
from schemas.identifiers import EventId, Oid
from schemas.moments import Moment

__all__ = [
    "ASSESSMENT_CATEGORIES",
    "ASSESSMENT_KINDS",
    "AssessmentAvailable",
    "HandoverItem",
    "HandoverPackage",
    "HandoverTrigger",
    "HintMoment",
    "OverdueRole",
    "ReferralExpired",
    "ReferralOverdue",
    "assessment_kind_of",
]

_KYKYVIISARI: Final = "kykyviisari"

ASSESSMENT_KINDS: Final = frozenset({_KYKYVIISARI, *(kind.value for kind in AssessmentKind)})
"""Every value ``assessment_kind_of`` gives."""
_HANDOVER_PACKAGE: Final = "handover-package"
_ASSESSMENT_AVAILABLE: Final = "assessment-available"
_INCLUDED: Final = "included"
_DELIVERED_EARLIER: Final = "delivered-earlier"
# Closed lists of the router's own code systems, whose codes a reason may quote.
_PATHWAY_NOTICES: Final = frozenset({_HANDOVER_PACKAGE, _ASSESSMENT_AVAILABLE})
_BUSINESS_STATES: Final = frozenset({"overdue", "expired"})
_EXPIRED_REASON: Final = (
    "Lähete vanheni vastaamatta; vastuu asiakkaasta säilyy lähettäjällä. "
    "The referral expired unanswered; responsibility stays with the requester."
)


def assessment_kind_of(event: AssessmentRecorded) -> str:
    """``kykyviisari`` or the professional AssessmentKind value: what counts as the same kind."""
    if isinstance(event.assessment, KykyviisariResult):
        return _KYKYVIISARI
    return event.assessment.kind.value


def _sub_extension(name: str, value_type: str, value: object) -> FhirJson:
    return {"url": name, f"value{value_type}": value}


# Referral notices: the referral's Task, still the requester's, with a business status.


class _ReferralNotice(Event):
    """The router's word about an unanswered referral, on behalf of its requester (sender)."""

    focal_types: ClassVar[tuple[str, ...]] = ("Task",)
    default_category: ClassVar[DataCategory] = DataCategory.REFERRAL
    issued_by_router: ClassVar[bool] = True
    task_status: ClassVar[str]
    business_status: ClassVar[str]

    referral_id: FhirString = Field(
        min_length=1, max_length=64, description="The referral unanswered."
    )
    receiver: Oid = Field(description="OID of the organisation that has not answered.")
    requested_at: Moment = Field(description="When the referral was sent.")
    case_manager_organisation: Oid | None = Field(
        default=None, description="OID of the client's case manager's organisation, if any."
    )

    @property
    def document_id(self) -> str:
        return self.referral_id

    def _task(self) -> FhirJson:
        extensions: list[FhirJson] = []
        if self.case_manager_organisation is not None:
            extensions.append(
                {
                    "url": CASE_MANAGER_ORGANISATION_EXTENSION,
                    "valueReference": organisation_reference(self.case_manager_organisation),
                }
            )
        task: FhirJson = {
            "resourceType": "Task",
            "identifier": [business_identifier(self.referral_id)],
            "status": self.task_status,
            "businessStatus": codeable_concept(
                REFERRAL_BUSINESS_STATUS_SYSTEM, self.business_status
            ),
            "intent": "order",
            "focus": resource_reference("ServiceRequest", self.referral_id),
            "for": patient_reference(self.client),
            "authoredOn": instant(self.requested_at),
            "lastModified": instant(self.occurred_at),
            "requester": organisation_reference(self.sender),
            "owner": organisation_reference(self.receiver),
        }
        if extensions:
            task["extension"] = extensions
        return task

    @classmethod
    def _fields(cls, envelope: Envelope, task: ElementView) -> dict[str, object]:
        if task.text("status") != cls.task_status:
            raise InvalidBundleError(
                f"Task.status is {echoed(task.text('status'), known=TASK_STATES)}; "
                f"{cls.ce_type()} needs {cls.task_status!r}"
            )
        business_status = task.code("businessStatus", REFERRAL_BUSINESS_STATUS_SYSTEM)
        if business_status != cls.business_status:
            raise InvalidBundleError(
                f"Task.businessStatus is {echoed(business_status, known=_BUSINESS_STATES)}; "
                f"{cls.ce_type()} needs {cls.business_status!r}"
            )
        case_manager = task.optional_extension(CASE_MANAGER_ORGANISATION_EXTENSION)
        return {
            "event_id": envelope.event_id,
            "occurred_at": envelope.occurred_at,
            "sender": task.organisation("requester"),
            "client": task.client("for"),
            "referral_id": task.business_id("identifier"),
            "receiver": task.organisation("owner"),
            "requested_at": task.moment("authoredOn"),
            "case_manager_organisation": (
                None if case_manager is None else case_manager.organisation("valueReference")
            ),
        }


class OverdueRole(StrEnum):
    """Whom an overdue notice addresses, and so what it asks of them."""

    REQUESTER = "requester"
    """The requester, still responsible: chase the receiver or refer elsewhere."""
    RECEIVER = "receiver"
    """The receiver that has not acted: accept or reject the referral."""


class ReferralOverdue(_ReferralNotice):
    """The receiver has neither accepted nor rejected in time; repeated until someone acts.

    ``sender`` is the requester, who still owns the responsibility. A requester's notice
    (``role`` requester) goes to it and to the case manager's organisation, repeated; the
    receiver's (``role`` receiver) goes to the receiver once, with the first, since in a
    warm handover the receiver is the one who must act.
    """

    event_code: ClassVar[str] = "referral.overdue"
    task_status: ClassVar[str] = "requested"
    business_status: ClassVar[str] = "overdue"

    due_at: Moment = Field(description="When an answer was due.")
    escalation: int = Field(
        ge=1, le=FHIR_INTEGER_MAX, description="1 for the first notice, 2 for the second, ..."
    )
    role: OverdueRole = Field(
        default=OverdueRole.REQUESTER,
        description="requester: the requester's reminder; receiver: the receiver's.",
    )

    def destinations(self) -> tuple[str, ...]:
        if self.role is OverdueRole.RECEIVER:
            return (self.receiver,)
        return tuple(dict.fromkeys(filter(None, (self.sender, self.case_manager_organisation))))

    def fhir_resources(self) -> list[FhirJson]:
        task = self._task()
        task["restriction"] = {"period": {"end": instant(self.due_at)}}
        task["extension"] = [
            {"url": REFERRAL_ESCALATION_EXTENSION, "valuePositiveInt": self.escalation},
            {
                "url": REFERRAL_OVERDUE_ROLE_EXTENSION,
                "valueCoding": coding(REFERRAL_OVERDUE_ROLE_SYSTEM, self.role.value),
            },
            *task.get("extension", []),
        ]
        if self.role is OverdueRole.RECEIVER:
            task["note"] = [{"text": self._reminder()}]
        return [task]

    def _reminder(self) -> str:
        # How long it has waited, for the people who read the Task: the dates say it exactly.
        since = self.requested_at.date().isoformat()
        days = (self.occurred_at - self.requested_at).days
        return (
            f"Lähete {self.referral_id} on odottanut vastaustanne {since} lähtien "
            f"({days} päivää); hyväksykää tai hylätkää se. "
            f"Referral {self.referral_id} has waited for your answer since {since} "
            f"({days} days); accept or reject it."
        )

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        task = resources[0]
        role = task.optional_extension(REFERRAL_OVERDUE_ROLE_EXTENSION)
        return cls.model_validate(
            {
                **cls._fields(envelope, task),
                "due_at": task.moment("restriction.period.end"),
                "escalation": task.extension(REFERRAL_ESCALATION_EXTENSION).integer(
                    "valuePositiveInt"
                ),
                # Written by every router since roles were added; before, only requesters'.
                "role": (
                    OverdueRole.REQUESTER
                    if role is None
                    else role.coded("valueCoding", REFERRAL_OVERDUE_ROLE_SYSTEM, OverdueRole)
                ),
            }
        )


class ReferralExpired(_ReferralNotice):
    """The referral expired unanswered; the Task is cancelled and the requester keeps the client.

    ``sender`` is the requester. The receiver hears it too, so that a late answer is not given
    to a referral that no longer stands.
    """

    event_code: ClassVar[str] = "referral.expired"
    task_status: ClassVar[str] = "cancelled"
    business_status: ClassVar[str] = "expired"

    def destinations(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                filter(None, (self.sender, self.receiver, self.case_manager_organisation))
            )
        )

    def fhir_resources(self) -> list[FhirJson]:
        task = self._task()
        task["statusReason"] = {"text": _EXPIRED_REASON}
        return [task]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        return cls.model_validate(cls._fields(envelope, resources[0]))


# Handover: the client's earlier records, listed for the organisation that takes over.


class HandoverTrigger(StrEnum):
    """Why an organisation receives the client's history."""

    REFERRAL_ACCEPTED = "referral-accepted"
    """It accepted a referral (took the catch)."""
    CARE_TEAM_JOINED = "care-team-joined"
    """It was named in the client's care team (casemanager.assigned)."""


class HandoverItem(BaseModel):
    """One earlier event handed over: which it is, whose, and whether it follows the package."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId = Field(description="ce_id of the earlier event.")
    event_type: FhirString = Field(min_length=1, max_length=200, description="Its ce_type.")
    sender: Oid = Field(description="OID of the organisation that sent it.")
    category: DataCategory
    document_id: FhirString = Field(
        min_length=1, max_length=64, description="Its main document's id."
    )
    occurred_at: Moment
    included: bool = Field(
        # strict: pydantic alone would also read 0, 1, "yes" and "true", which JSON Schema's
        # boolean refuses.
        strict=True,
        description="True: the record follows this package; False: the recipient already has it.",
    )


class HandoverPackage(Event):
    """The client's earlier relevant events, listed for the organisation that takes over.

    "Saattaen vaihtaen": what the others know follows the client, without anyone moving
    documents by hand.

    ``sender`` is the organisation handing over: the referral's requester, or the sender of
    casemanager.assigned. The items themselves follow as their own records.
    """

    event_code: ClassVar[str] = "handover.package"
    focal_types: ClassVar[tuple[str, ...]] = ("List",)
    default_category: ClassVar[DataCategory] = DataCategory.CASE
    issued_by_router: ClassVar[bool] = True

    recipient: Oid = Field(description="OID of the organisation receiving the history.")
    trigger: HandoverTrigger
    trigger_document_id: FhirString = Field(
        min_length=1, max_length=64, description="The referral id or the episode id."
    )
    items: tuple[HandoverItem, ...] = Field(min_length=1)

    @property
    def document_id(self) -> str:
        return self.trigger_document_id

    def destinations(self) -> tuple[str, ...]:
        return (self.recipient,)

    def _trigger_reference(self) -> FhirJson:
        resource_type = "Task" if self.trigger is HandoverTrigger.REFERRAL_ACCEPTED else "CareTeam"
        return resource_reference(resource_type, self.trigger_document_id)

    def fhir_resources(self) -> list[FhirJson]:
        # R4 List.source may not reference an Organization, so the organisation handing over
        # travels in the handover extension beside the recipient, which List has no place for.
        handover: FhirJson = {
            "url": HANDOVER_EXTENSION,
            "extension": [
                _sub_extension("from", "Reference", organisation_reference(self.sender)),
                _sub_extension("recipient", "Reference", organisation_reference(self.recipient)),
                _sub_extension(
                    "trigger", "Coding", coding(HANDOVER_TRIGGER_SYSTEM, self.trigger.value)
                ),
                _sub_extension("document", "Reference", self._trigger_reference()),
            ],
        }
        return [
            {
                "resourceType": "List",
                "extension": [handover],
                "status": "current",
                "mode": "snapshot",
                "code": codeable_concept(
                    PATHWAY_NOTICE_SYSTEM, _HANDOVER_PACKAGE, "Saattaen vaihtaen"
                ),
                "subject": patient_reference(self.client),
                "date": instant(self.occurred_at),
                "entry": [_handover_entry(item) for item in self.items],
            }
        ]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        handover_list = resources[0]
        code = handover_list.code("code", PATHWAY_NOTICE_SYSTEM)
        if code != _HANDOVER_PACKAGE:
            raise InvalidBundleError(
                f"List.code is {echoed(code, known=_PATHWAY_NOTICES)} of {PATHWAY_NOTICE_SYSTEM}; "
                f"{cls.ce_type()} needs {_HANDOVER_PACKAGE!r}"
            )
        handover = handover_list.extension(HANDOVER_EXTENSION)
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=handover.extension("from").organisation("valueReference"),
            client=handover_list.client("subject"),
            recipient=handover.extension("recipient").organisation("valueReference"),
            trigger=handover.extension("trigger").coded(
                "valueCoding", HANDOVER_TRIGGER_SYSTEM, HandoverTrigger
            ),
            trigger_document_id=handover.extension("document").business_id(
                "valueReference.identifier"
            ),
            items=tuple(_read_handover_entry(entry) for entry in handover_list.elements("entry")),
        )


def _handover_entry(item: HandoverItem) -> FhirJson:
    # Whether the record follows is workflow information about the entry: List.entry.flag.
    status = _INCLUDED if item.included else _DELIVERED_EARLIER
    return {
        "extension": [
            {
                "url": HANDOVER_ITEM_EXTENSION,
                "extension": [
                    _sub_extension("event-type", "String", item.event_type),
                    _sub_extension("sender", "Reference", organisation_reference(item.sender)),
                    _sub_extension(
                        "category", "Coding", coding(DATA_CATEGORY_SYSTEM, item.category.value)
                    ),
                    _sub_extension("document", "Identifier", business_identifier(item.document_id)),
                ],
            }
        ],
        "flag": codeable_concept(HANDOVER_ITEM_STATUS_SYSTEM, status),
        "date": instant(item.occurred_at),
        "item": event_reference(item.event_id, f"{item.event_type} {item.document_id}"),
    }


def _read_handover_entry(entry: ElementView) -> HandoverItem:
    details = entry.extension(HANDOVER_ITEM_EXTENSION)
    status = entry.code("flag", HANDOVER_ITEM_STATUS_SYSTEM)
    if status not in (_INCLUDED, _DELIVERED_EARLIER):
        raise InvalidBundleError(
            f"{entry.where}.flag has code {echoed(status)} of {HANDOVER_ITEM_STATUS_SYSTEM}; "
            f"expected {_INCLUDED} or {_DELIVERED_EARLIER}"
        )
    return HandoverItem(
        event_id=read_event_id(entry.element("item")),
        event_type=details.extension("event-type").text("valueString"),
        sender=details.extension("sender").organisation("valueReference"),
        category=details.extension("category").coded(
            "valueCoding", DATA_CATEGORY_SYSTEM, DataCategory
        ),
        document_id=details.extension("document").business_id("valueIdentifier"),
        occurred_at=entry.moment("date"),
        included=status == _INCLUDED,
    )


# The duplicate-assessment hint.


class HintMoment(StrEnum):
    """When the router gives the hint."""

    BEFORE_ASSESSING = "before-assessing"
    """The recipient is about to assess."""
    AFTER_ASSESSING = "after-assessing"
    """The recipient has just assessed again."""


class AssessmentAvailable(Event):
    """An assessment of the same kind already exists elsewhere: the client need not repeat it.

    ``sender`` is the organisation that recorded the earlier assessment (its data owner), and
    the hint's category is the assessment's, so that consent decides the hint like the
    assessment itself.
    """

    event_code: ClassVar[str] = "assessment.available"
    focal_types: ClassVar[tuple[str, ...]] = ("Communication",)
    default_category: ClassVar[DataCategory] = DataCategory.ASSESSMENT_HEALTH
    issued_by_router: ClassVar[bool] = True

    recipient: Oid = Field(description="OID of the organisation told about the assessment.")
    assessment_event_id: EventId = Field(description="ce_id of the earlier assessment event.")
    assessment_id: FhirString = Field(
        min_length=1, max_length=64, description="The earlier assessment's document id."
    )
    assessment_kind: str = Field(
        description="kykyviisari, or the AssessmentKind value.",
        json_schema_extra={"enum": list[JsonValue](sorted(ASSESSMENT_KINDS))},
    )
    assessment_category: DataCategory = Field(
        description="One of the assessment categories.",
        json_schema_extra={
            "enum": list[JsonValue](sorted(category.value for category in ASSESSMENT_CATEGORIES))
        },
    )
    recorded_at: Moment = Field(description="When the earlier assessment was recorded.")
    moment: HintMoment
    duplicate_assessment_id: FhirString | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The recipient's new assessment, when the hint comes after assessing.",
    )

    @field_validator("assessment_kind")
    @classmethod
    def _is_an_assessment_kind(cls, value: str) -> str:
        if value not in ASSESSMENT_KINDS:
            allowed = ", ".join(sorted(ASSESSMENT_KINDS))
            raise ValueError(f"{echoed(value)} is not an assessment kind ({allowed})")
        return value

    @field_validator("assessment_category")
    @classmethod
    def _is_an_assessment_category(cls, value: DataCategory) -> DataCategory:
        if value not in ASSESSMENT_CATEGORIES:
            allowed = ", ".join(sorted(category.value for category in ASSESSMENT_CATEGORIES))
            raise ValueError(f"{value.value!r} is not an assessment category ({allowed})")
        return value

    @property
    def category(self) -> DataCategory:
        return self.assessment_category

    @classmethod
    def categories(cls) -> frozenset[DataCategory]:
        return ASSESSMENT_CATEGORIES

    @property
    def document_id(self) -> str:
        return self.assessment_id

    def destinations(self) -> tuple[str, ...]:
        return (self.recipient,)

    def fhir_resources(self) -> list[FhirJson]:
        hint: list[FhirJson] = [
            _sub_extension("kind", "Coding", coding(ASSESSMENT_KIND_SYSTEM, self.assessment_kind)),
            _sub_extension(
                "category",
                "Coding",
                coding(DATA_CATEGORY_SYSTEM, self.assessment_category.value),
            ),
            _sub_extension("recorded", "DateTime", instant(self.recorded_at)),
            _sub_extension("moment", "Coding", coding(HINT_MOMENT_SYSTEM, self.moment.value)),
        ]
        if self.duplicate_assessment_id is not None:
            hint.append(
                _sub_extension(
                    "duplicate",
                    "Reference",
                    resource_reference("Observation", self.duplicate_assessment_id),
                )
            )
        return [
            {
                "resourceType": "Communication",
                "extension": [{"url": ASSESSMENT_HINT_EXTENSION, "extension": hint}],
                "status": "completed",
                "category": [
                    codeable_concept(
                        PATHWAY_NOTICE_SYSTEM, _ASSESSMENT_AVAILABLE, "Arvio on jo tehty"
                    )
                ],
                "subject": patient_reference(self.client),
                "about": [
                    resource_reference("Observation", self.assessment_id),
                    event_reference(self.assessment_event_id),
                ],
                "sent": instant(self.occurred_at),
                "recipient": [organisation_reference(self.recipient)],
                "sender": organisation_reference(self.sender),
                "payload": [{"contentString": self._sentence()}],
            }
        ]

    def _sentence(self) -> str:
        return (
            f"Asiakkaasta on jo arvio ({self.assessment_kind}, "
            f"{self.recorded_at.date().isoformat()}); arviota ei tarvitse tehdä uudelleen. "
            f"An assessment of this kind already exists ({self.assessment_kind}, "
            f"{self.recorded_at.date().isoformat()}); it need not be repeated."
        )

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        communication = resources[0]
        category = communication.code("category", PATHWAY_NOTICE_SYSTEM)
        if category != _ASSESSMENT_AVAILABLE:
            raise InvalidBundleError(
                f"Communication.category is {echoed(category, known=_PATHWAY_NOTICES)} of "
                f"{PATHWAY_NOTICE_SYSTEM}; {cls.ce_type()} needs {_ASSESSMENT_AVAILABLE!r}"
            )
        hint = communication.extension(ASSESSMENT_HINT_EXTENSION)
        about = communication.elements("about")
        observation = next(
            (item for item in about if item.optional_text("type") == "Observation"), None
        )
        message = next((item for item in about if item.optional_text("type") == "Bundle"), None)
        if observation is None or message is None:
            raise InvalidBundleError(
                "Communication.about must reference the earlier assessment's Observation and "
                "its event's Bundle"
            )
        duplicate = hint.optional_extension("duplicate")
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=communication.organisation("sender"),
            client=communication.client("subject"),
            recipient=communication.first("recipient").organisation(""),
            assessment_event_id=read_event_id(message),
            assessment_id=observation.business_id("identifier"),
            assessment_kind=hint.extension("kind").code("valueCoding", ASSESSMENT_KIND_SYSTEM),
            assessment_category=hint.extension("category").coded(
                "valueCoding", DATA_CATEGORY_SYSTEM, DataCategory
            ),
            recorded_at=hint.extension("recorded").moment("valueDateTime"),
            moment=hint.extension("moment").coded("valueCoding", HINT_MOMENT_SYSTEM, HintMoment),
            duplicate_assessment_id=(
                None if duplicate is None else duplicate.business_id("valueReference.identifier")
            ),
        )
