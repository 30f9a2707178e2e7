"""FHIR resources to Saattaja events and back: which event a request makes, what a delivery sends.

Inbound, the event class is found from the resource types and statuses alone (the table in
``event_class_for``), and the event is rebuilt by that class's own ``from_fhir``: the
contract in ``schemas/`` stays the one reading of FHIR. Outbound, an event's focal resources
travel as a FHIR transaction Bundle that creates or replaces each resource by its business
identifier (conditional update), so a redelivery changes nothing and a later event (an
accepted Task, an updated CarePlan, an inactive Consent) replaces the earlier state.
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from adapters.fhir_rest.errors import UnacceptableFhirError
from adapters.fhir_rest.resources import Submission
from schemas import (
    AssessmentRecorded,
    CaseManagerAssigned,
    ConsentGranted,
    ConsentRevoked,
    ContractError,
    EpisodeClosed,
    Event,
    PlanCreated,
    PlanUpdated,
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
    echoed,
    validation_problems,
)
from schemas.codesystems import EVENT_TYPE_SYSTEM, URI_IDENTIFIER_SYSTEM
from schemas.events.base import Envelope
from schemas.fhir import (
    CONSENT_STATES,
    TASK_STATES,
    ElementView,
    FhirJson,
    coding,
    instant,
    organisation_reference,
)

__all__ = ["event_class_for", "event_from_submission", "transaction_bundle"]

_TASK_ANSWERS: Final[dict[str, type[Event]]] = {
    "accepted": ReferralAccepted,
    "rejected": ReferralRejected,
    "completed": ReferralCompleted,
}
_CONSENTS: Final[dict[str, type[Event]]] = {"active": ConsentGranted, "inactive": ConsentRevoked}
_STATES: Final = TASK_STATES | CONSENT_STATES
"""The states a reason may quote: none can be personal data."""
_ACCEPTED: Final = (
    "a ServiceRequest with its Task (referral requested); a Task of status accepted, rejected "
    "or completed; a CarePlan, optionally with the Observations it rests on (POST creates, PUT "
    "updates); an EpisodeOfCare with its CareTeam (case manager assigned); an EpisodeOfCare of "
    "status finished (episode closed); a Consent of status active or inactive; an Observation, "
    "optionally after its QuestionnaireResponse (assessment recorded)"
)
# The resource that comes first among an event's focal resources (MessageHeader.focus order).
_LEADS: Final = frozenset(
    {"ServiceRequest", "CarePlan", "EpisodeOfCare", "QuestionnaireResponse", "Consent"}
)


@dataclass(frozen=True, slots=True)
class _Element:
    """One element of one focal resource, e.g. Task.owner."""

    resource_type: str
    path: str
    repeats: bool = False

    def __str__(self) -> str:
        return f"{self.resource_type}.{self.path}"


@dataclass(frozen=True, slots=True)
class _Reading:
    """Where an event's resources name its sender, and when it happened."""

    sender: _Element
    occurred: _Element


_READINGS: Final[dict[type[Event], _Reading]] = {
    ReferralRequested: _Reading(
        _Element("ServiceRequest", "requester"), _Element("ServiceRequest", "authoredOn")
    ),
    **{
        answer: _Reading(_Element("Task", "owner"), _Element("Task", "lastModified"))
        for answer in _TASK_ANSWERS.values()
    },
    **{
        plan: _Reading(_Element("CarePlan", "author"), _Element("CarePlan", "created"))
        for plan in (PlanCreated, PlanUpdated)
    },
    CaseManagerAssigned: _Reading(
        _Element("CareTeam", "managingOrganization", repeats=True),
        _Element("EpisodeOfCare", "period.start"),
    ),
    EpisodeClosed: _Reading(
        _Element("EpisodeOfCare", "managingOrganization"), _Element("EpisodeOfCare", "period.end")
    ),
    **{
        consent: _Reading(
            _Element("Consent", "organization", repeats=True), _Element("Consent", "dateTime")
        )
        for consent in _CONSENTS.values()
    },
    AssessmentRecorded: _Reading(
        _Element("Observation", "performer", repeats=True),
        _Element("Observation", "effectiveDateTime"),
    ),
}


def event_class_for(submission: Submission) -> type[Event]:  # noqa: PLR0911 - a row per event
    """The event a set of resources makes; UnacceptableFhirError lists what is accepted."""
    resources = submission.resources
    types = Counter(resource["resourceType"] for resource in resources)
    first = resources[0]
    if types == Counter({"ServiceRequest": 1, "Task": 1}):
        return ReferralRequested
    if types == Counter({"Task": 1}):
        return _by_status(first, _TASK_ANSWERS, "with its ServiceRequest it is a new referral")
    if types["CarePlan"] == 1 and set(types) <= {"CarePlan", "Observation"}:
        return PlanUpdated if submission.replaces else PlanCreated
    if types == Counter({"EpisodeOfCare": 1, "CareTeam": 1}):
        return CaseManagerAssigned
    if types == Counter({"EpisodeOfCare": 1}):
        return _by_status(
            first, {"finished": EpisodeClosed}, "send it with its CareTeam to name a case manager"
        )
    if types == Counter({"Consent": 1}):
        return _by_status(first, _CONSENTS, "a consent is given (active) or revoked (inactive)")
    if types in (Counter({"Observation": 1}), Counter(["QuestionnaireResponse", "Observation"])):
        return AssessmentRecorded
    listing = ", ".join(f"{name}: {count}" for name, count in sorted(types.items()))
    raise UnacceptableFhirError(
        f"these resources make no Saattaja event ({listing}); send one of: {_ACCEPTED}"
    )


def _by_status(resource: FhirJson, classes: dict[str, type[Event]], hint: str) -> type[Event]:
    status = resource.get("status")
    if isinstance(status, str) and status in classes:
        return classes[status]
    shown = echoed(status, known=_STATES) if isinstance(status, str) else "missing"
    raise UnacceptableFhirError(
        f"{resource['resourceType']}.status is {shown}: this adapter takes "
        f"{' or '.join(classes)} here ({hint})"
    )


def event_from_submission(
    submission: Submission, *, sender_oid: str, event_id: uuid.UUID, received_at: datetime
) -> Event:
    """The event the resources make, sent by ``sender_oid``.

    Where the resources leave the sender out, this organisation is filled in: a system
    need not know its own OID. Where they name another organisation, the request is
    refused, because an adapter publishes only for its own organisation.
    """
    event_class = event_class_for(submission)
    reading = _READINGS[event_class]
    resources = sorted(
        (copy.deepcopy(resource) for resource in submission.resources),
        key=lambda resource: resource["resourceType"] not in _LEADS,
    )
    _fill_sender(resources, reading.sender, sender_oid)
    views = [ElementView(resource, resource["resourceType"]) for resource in resources]
    try:
        event_class.check_focal_types(views)
        envelope = Envelope(
            event_id=event_id,
            occurred_at=_occurred_at(views, reading.occurred) or received_at,
            sender=sender_oid,
            destinations=(),
        )
        event = event_class.from_fhir(envelope, views)
    except ContractError as exc:
        raise UnacceptableFhirError(f"{event_class.ce_type()}: {exc}") from exc
    except ValidationError as exc:
        problems = validation_problems(exc, whole="event")
        raise UnacceptableFhirError(f"{event_class.ce_type()}: {problems}") from exc
    if event.sender != sender_oid:
        raise UnacceptableFhirError(
            f"{reading.sender} names organisation {event.sender}, but this adapter publishes "
            f"for {sender_oid}: leave {reading.sender} out or name urn:oid:{sender_oid}"
        )
    return event


def _fill_sender(resources: Sequence[FhirJson], element: _Element, sender_oid: str) -> None:
    for resource in resources:
        if resource["resourceType"] == element.resource_type and element.path not in resource:
            reference = organisation_reference(sender_oid)
            resource[element.path] = [reference] if element.repeats else reference


def _occurred_at(views: Sequence[ElementView], element: _Element) -> datetime | None:
    for view in views:
        if view.optional_text("resourceType") == element.resource_type:
            return view.optional_moment(element.path)
    return None


def transaction_bundle(event: Event) -> FhirJson:
    """The event's focal resources as a transaction Bundle, each PUT by business identifier.

    A resource without one (the router's handover List, its hint Communication) is PUT by a
    logical id derived from the event id, so that it too is replaced when delivered again.

    The Bundle carries the event id as its identifier and the event code as a meta tag, so
    that the receiving system can see which Saattaja event wrote what.
    """
    entries = [
        _entry(resource, uuid.uuid5(event.event_id, str(index)))
        for index, resource in enumerate(event.fhir_resources())
    ]
    bundle: FhirJson = {
        "resourceType": "Bundle",
        "meta": {"tag": [coding(EVENT_TYPE_SYSTEM, event.event_code)]},
        "identifier": {"system": URI_IDENTIFIER_SYSTEM, "value": f"urn:uuid:{event.event_id}"},
        "type": "transaction",
        "timestamp": instant(event.occurred_at),
        "entry": entries,
    }
    # The contract's resources are valid; this guards the envelope built here.
    Bundle.model_validate(bundle)
    return bundle


def _entry(resource: FhirJson, logical_id: uuid.UUID) -> FhirJson:
    if "identifier" in resource:
        request = {"method": "PUT", "url": _conditional_url(resource)}
    else:
        # The router's own notices (a handover List, a hint Communication) carry no business
        # identifier; a logical id derived from the event id keeps a redelivery a replacement.
        resource = {**resource, "id": str(logical_id)}
        request = {"method": "PUT", "url": f"{resource['resourceType']}/{logical_id}"}
    return {"fullUrl": f"urn:uuid:{logical_id}", "resource": resource, "request": request}


def _conditional_url(resource: FhirJson) -> str:
    identifiers: Any = resource["identifier"]
    identifier = identifiers[0] if isinstance(identifiers, list) else identifiers
    token = f"{identifier['system']}|{identifier['value']}"
    return f"{resource['resourceType']}?identifier={quote(token, safe='')}"
