"""Referral events: a request from one organisation to another and the receiver's answers.

Follows the FHIR Task pattern: Task.focus is the ServiceRequest, requester the sender,
owner the receiver; status requested -> accepted | rejected -> completed. Accepting is
"kopin otto": the receiver takes the catch and with it the responsibility.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

from pydantic import Field

from schemas.categories import DataCategory
from schemas.echo import echoed
from schemas.errors import InvalidBundleError
from schemas.events.base import Envelope, Event
from schemas.fhir import (
    TASK_STATES,
    ElementView,
    FhirJson,
    FhirString,
    business_identifier,
    instant,
    organisation_reference,
    patient_reference,
    resource_reference,
)
from schemas.identifiers import Oid

__all__ = ["ReferralAccepted", "ReferralCompleted", "ReferralRejected", "ReferralRequested"]


class ReferralRequested(Event):
    """The sender asks the receiver to take over or join the client's service."""

    event_code: ClassVar[str] = "referral.requested"
    focal_types: ClassVar[tuple[str, ...]] = ("ServiceRequest", "Task")
    default_category: ClassVar[DataCategory] = DataCategory.REFERRAL

    referral_id: FhirString = Field(
        min_length=1, max_length=64, description="Sender-assigned referral id."
    )
    receiver: Oid = Field(description="OID of the organisation asked to take over.")
    service: FhirString = Field(min_length=1, max_length=500, description="The service requested.")
    reason: FhirString = Field(
        min_length=1, max_length=2_000, description="Why the client is referred."
    )
    note: FhirString | None = Field(
        default=None, min_length=1, max_length=10_000, description="Free-text note."
    )

    @property
    def document_id(self) -> str:
        return self.referral_id

    def destinations(self) -> tuple[str, ...]:
        return (self.receiver,)

    def fhir_resources(self) -> list[FhirJson]:
        request: FhirJson = {
            "resourceType": "ServiceRequest",
            "identifier": [business_identifier(self.referral_id)],
            "status": "active",
            "intent": "order",
            "code": {"text": self.service},
            "subject": patient_reference(self.client),
            "authoredOn": instant(self.occurred_at),
            "requester": organisation_reference(self.sender),
            "performer": [organisation_reference(self.receiver)],
            "reasonCode": [{"text": self.reason}],
        }
        if self.note is not None:
            request["note"] = [{"text": self.note}]
        task: FhirJson = {
            "resourceType": "Task",
            "identifier": [business_identifier(self.referral_id)],
            "status": "requested",
            "intent": "order",
            "focus": resource_reference("ServiceRequest", self.referral_id),
            "for": patient_reference(self.client),
            "authoredOn": instant(self.occurred_at),
            "requester": organisation_reference(self.sender),
            "owner": organisation_reference(self.receiver),
        }
        return [request, task]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        request, task = resources
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=request.organisation("requester"),
            client=request.client("subject"),
            referral_id=request.business_id("identifier"),
            receiver=task.organisation("owner"),
            service=request.text("code.text"),
            reason=request.first_text("reasonCode"),
            note=request.optional_first_text("note"),
        )


class _ReferralAnswer(Event):
    """A change of the referral Task's status, sent by its owner back to the requester."""

    focal_types: ClassVar[tuple[str, ...]] = ("Task",)
    default_category: ClassVar[DataCategory] = DataCategory.REFERRAL
    task_status: ClassVar[str]

    referral_id: FhirString = Field(
        min_length=1, max_length=64, description="The referral answered."
    )
    requester: Oid = Field(description="OID of the organisation that sent the referral.")
    note: FhirString | None = Field(
        default=None, min_length=1, max_length=10_000, description="Free-text note."
    )

    @property
    def document_id(self) -> str:
        return self.referral_id

    def destinations(self) -> tuple[str, ...]:
        return (self.requester,)

    def _task(self) -> FhirJson:
        task: FhirJson = {
            "resourceType": "Task",
            "identifier": [business_identifier(self.referral_id)],
            "status": self.task_status,
            "intent": "order",
            "focus": resource_reference("ServiceRequest", self.referral_id),
            "for": patient_reference(self.client),
            "lastModified": instant(self.occurred_at),
            "requester": organisation_reference(self.requester),
            "owner": organisation_reference(self.sender),
        }
        if self.note is not None:
            task["note"] = [{"text": self.note}]
        return task

    def fhir_resources(self) -> list[FhirJson]:
        return [self._task()]

    @classmethod
    def _fields(cls, envelope: Envelope, task: ElementView) -> dict[str, object]:
        if task.text("status") != cls.task_status:
            raise InvalidBundleError(
                f"Task.status is {echoed(task.text('status'), known=TASK_STATES)}; "
                f"{cls.ce_type()} needs {cls.task_status!r}"
            )
        return {
            "event_id": envelope.event_id,
            "occurred_at": envelope.occurred_at,
            "sender": task.organisation("owner"),
            "client": task.client("for"),
            "referral_id": task.business_id("identifier"),
            "requester": task.organisation("requester"),
            "note": task.optional_first_text("note"),
        }

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        return cls.model_validate(cls._fields(envelope, resources[0]))


class ReferralAccepted(_ReferralAnswer):
    """The receiver takes the catch: from now on it is responsible for the client's service."""

    event_code: ClassVar[str] = "referral.accepted"
    task_status: ClassVar[str] = "accepted"


class ReferralRejected(_ReferralAnswer):
    """The receiver declines; responsibility stays with the sender, who learns why."""

    event_code: ClassVar[str] = "referral.rejected"
    task_status: ClassVar[str] = "rejected"

    reason: FhirString = Field(
        min_length=1, max_length=2_000, description="Why the referral is rejected."
    )

    def fhir_resources(self) -> list[FhirJson]:
        task = self._task()
        task["statusReason"] = {"text": self.reason}
        return [task]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        task = resources[0]
        return cls.model_validate(
            {**cls._fields(envelope, task), "reason": task.text("statusReason.text")}
        )


class ReferralCompleted(_ReferralAnswer):
    """The service the referral asked for has been given."""

    event_code: ClassVar[str] = "referral.completed"
    task_status: ClassVar[str] = "completed"
