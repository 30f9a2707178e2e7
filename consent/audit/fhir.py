"""A record as a FHIR R4 AuditEvent, in the shape of IHE BALP where it applies.

One AuditEvent per record, so that the export counts what the log counts:

- every record is an authorization decision like BALP ``AuthZconsent``: subtype
  ``AuthZsubType#AuthZ-Consent``; ``outcome`` 0 (success) for a permit and 4 (minor
  failure) for a deny — the deny is the system working as it should, not an error, which
  is why 4 rather than the 8 of BALP's deny example; ``outcomeDesc`` the reason code;
  ``purposeOfEvent`` ``v3-ActReason#COC`` (coordination of care, the purpose of every
  disclosure the router makes); the router as the ``authserver`` agent;
- a permit is also a disclosure like BALP ``PrivacyDisclosure.Source``: ``type``
  ``DCM#110106`` (Export), subtype ``iso-21089-lifecycle#disclose``, ``action`` R; a deny
  discloses nothing, so its ``type`` is ``DCM#110113`` (Security Alert), ``action`` E;
- agents: the sender (``DCM#110153`` Source Role ID and ``v3-ParticipationType#CST``
  custodian, the requestor: it published the event) and the recipient (``DCM#110152``
  Destination Role ID and ``v3-ParticipationType#IRCP`` information recipient), each an
  Organization by OID; one CodeableConcept carries both codings, so both profiles' slices
  match;
- what follows the client when an organisation begins working with them is disclosed by
  the router, not by the organisation the record names as sender: the handover package
  (reason ``handover``), which the router puts together, has the router as its source
  and custodian, and the organisation whose step handed the client over (the recipient
  itself when it named its own case manager) as a ``handed-over-by`` detail; a document
  decided for a package (``handover`` set) has the router as its source and the
  organisation that recorded it as its custodian, neither of them the requestor;
- entities: the client as Patient by pseudonym (``audit-entity-type#1``,
  ``object-role#1``; never the identity code), the event as the message Bundle it was sent
  in (identifier ``urn:uuid:<event id>``, the event type and data category as details,
  the category also as security label, each removed document as a ``removed-document``
  detail, and a ``handover-package`` detail when it was sent in one), and the basis when
  there is one: a Consent by its business id, or a legal basis by its id (``object-role#13``
  Security Resource).

Where BALP asks for what the audit log does not know, it is left out and said here:
agents have no ``network`` (organisations exchange through Kafka topics, not addresses),
and ``source.observer`` is the Saattaja router, which writes the record, rather than the
disclosing organisation that BALP's ``val-audit-source`` invariant names (but for what
the router itself discloses in a handover). The resources therefore claim no BALP
profile in ``meta.profile``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from fhir.resources.R4B.auditevent import AuditEvent
from pydantic import ValidationError

from consent.audit.records import AuditRecord
from consent.decisions import ROUTING_PURPOSE, ROUTING_PURPOSE_DISPLAY, ReasonCode
from consent.errors import InvalidAuditEntryError
from schemas import ROUTER_SOURCE
from schemas.codesystems import (
    DATA_CATEGORY_SYSTEM,
    PURPOSE_OF_USE_SYSTEM,
    SAATTAJA_FHIR_BASE,
    URI_IDENTIFIER_SYSTEM,
)
from schemas.fhir import (
    FhirJson,
    codeable_concept,
    coding,
    instant,
    organisation_reference,
    resource_reference,
)

__all__ = ["CLIENT_PSEUDONYM_SYSTEM", "LEGAL_BASIS_SYSTEM", "audit_event", "rests_on_legal_basis"]

CLIENT_PSEUDONYM_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/NamingSystem/client-pseudonym"
"""Identifier system of client pseudonyms (HMAC-SHA256 of the identity code)."""
LEGAL_BASIS_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/NamingSystem/legal-basis"
"""Identifier system of the configured statutory bases, by their ids."""

_DCM: Final = "http://dicom.nema.org/resources/ontology/DCM"
_LIFECYCLE: Final = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
_AUTHZ_SUBTYPE: Final = "https://profiles.ihe.net/ITI/BALP/CodeSystem/AuthZsubType"
_PARTICIPATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
_SECURITY_ROLE: Final = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
_SOURCE_TYPE: Final = "http://terminology.hl7.org/CodeSystem/security-source-type"
_ENTITY_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
_OBJECT_ROLE: Final = "http://terminology.hl7.org/CodeSystem/object-role"
_RESOURCE_TYPE: Final = "http://hl7.org/fhir/resource-types"

_OUTCOME_SUCCESS: Final = "0"
_OUTCOME_MINOR_FAILURE: Final = "4"
_STATUTORY: Final = frozenset(
    {ReasonCode.STATUTORY_BASIS.value, ReasonCode.STATUTORY_BASIS_OVERRIDES_REFUSAL.value}
)
_ROUTER: Final[FhirJson] = {
    "type": "Device",
    "identifier": {"system": URI_IDENTIFIER_SYSTEM, "value": ROUTER_SOURCE},
    "display": "Saattaja router",
}


def rests_on_legal_basis(record: AuditRecord) -> bool:
    """True when ``basis`` names a statutory basis rather than a consent or refusal."""
    return record.basis is not None and record.reason in _STATUTORY


def audit_event(record: AuditRecord, organisations: Mapping[str, str] | None = None) -> FhirJson:
    """The record as AuditEvent JSON, validated by fhir.resources (R4B models).

    ``organisations`` maps OIDs to names shown as the agents' display.
    """
    names = organisations or {}
    resource: FhirJson = {
        "resourceType": "AuditEvent",
        "id": f"saattaja-audit-{record.sequence}",
        "type": coding(_DCM, "110106", "Export")
        if record.permitted
        else coding(_DCM, "110113", "Security Alert"),
        "subtype": _subtypes(record),
        "action": "R" if record.permitted else "E",
        "recorded": instant(record.decided_at),
        "outcome": _OUTCOME_SUCCESS if record.permitted else _OUTCOME_MINOR_FAILURE,
        "outcomeDesc": record.reason,
        "purposeOfEvent": [_purpose()],
        "agent": [
            *_source_agents(record, names),
            _recipient_agent(record.recipient, names),
            {
                "type": codeable_concept(_SECURITY_ROLE, "authserver", "Authorization Server"),
                "who": _ROUTER,
                "requestor": False,
            },
        ],
        "source": {
            "site": "Saattaja",
            "observer": _ROUTER,
            "type": [coding(_SOURCE_TYPE, "4", "Application Server")],
        },
        "entity": [_client_entity(record), _event_entity(record), *_basis_entities(record)],
    }
    try:
        AuditEvent.model_validate(resource)
    except ValidationError as exc:
        raise InvalidAuditEntryError(
            f"audit record {record.sequence} does not make a valid FHIR AuditEvent: {exc}"
        ) from exc
    return resource


def _subtypes(record: AuditRecord) -> list[FhirJson]:
    authorization = coding(
        _AUTHZ_SUBTYPE, "AuthZ-Consent", "Authorization Decision using Roles and Consent"
    )
    if not record.permitted:
        return [authorization]
    return [coding(_LIFECYCLE, "disclose", "Disclose Record Lifecycle Event"), authorization]


def _purpose() -> FhirJson:
    return codeable_concept(PURPOSE_OF_USE_SYSTEM, ROUTING_PURPOSE, ROUTING_PURPOSE_DISPLAY)


def _source_agents(record: AuditRecord, names: Mapping[str, str]) -> list[FhirJson]:
    source = coding(_DCM, "110153", "Source Role ID")
    custodian = coding(_PARTICIPATION, "CST", "custodian")
    if record.reason == ReasonCode.HANDOVER:
        # The package's sender handed the client over, and is its recipient when it named
        # its own case manager: as the source it would disclose to itself.
        return [_agent(dict(_ROUTER), [source, custodian], requestor=False)]
    if record.handover:
        # A document kept since it was sent, which the router discloses to an organisation
        # new to the client's care; it still comes from the one that recorded it.
        return [
            _agent(dict(_ROUTER), [source], requestor=False),
            _agent(_organisation(record.sender, names), [custodian], requestor=False),
        ]
    return [_agent(_organisation(record.sender, names), [source, custodian], requestor=True)]


def _recipient_agent(oid: str, names: Mapping[str, str]) -> FhirJson:
    codings = [
        coding(_DCM, "110152", "Destination Role ID"),
        coding(_PARTICIPATION, "IRCP", "information recipient"),
    ]
    agent = _agent(_organisation(oid, names), codings, requestor=False)
    agent["purposeOfUse"] = [_purpose()]
    return agent


def _agent(who: FhirJson, codings: list[FhirJson], *, requestor: bool) -> FhirJson:
    return {"type": {"coding": codings}, "who": who, "requestor": requestor}


def _organisation(oid: str, names: Mapping[str, str]) -> FhirJson:
    who = organisation_reference(oid)
    if oid in names:
        who["display"] = names[oid]
    return who


def _client_entity(record: AuditRecord) -> FhirJson:
    return {
        "what": {
            "type": "Patient",
            "identifier": {"system": CLIENT_PSEUDONYM_SYSTEM, "value": record.client},
        },
        "type": coding(_ENTITY_TYPE, "1", "Person"),
        "role": coding(_OBJECT_ROLE, "1", "Patient"),
    }


def _event_entity(record: AuditRecord) -> FhirJson:
    details = [
        {"type": "event-type", "valueString": record.event_type},
        {"type": "data-category", "valueString": record.category.value},
        *({"type": "removed-document", "valueString": document} for document in record.removed),
    ]
    if record.handover:
        details.append({"type": "handover-package", "valueString": f"urn:uuid:{record.handover}"})
    if record.reason == ReasonCode.HANDOVER:
        details.append({"type": "handed-over-by", "valueString": f"urn:oid:{record.sender}"})
    entity: FhirJson = {
        "what": {
            "type": "Bundle",
            "identifier": {"system": URI_IDENTIFIER_SYSTEM, "value": f"urn:uuid:{record.event_id}"},
        },
        "type": coding(_RESOURCE_TYPE, "Bundle", "Bundle"),
        "role": coding(_OBJECT_ROLE, "4", "Domain Resource"),
        "securityLabel": [coding(DATA_CATEGORY_SYSTEM, record.category.value)],
        "name": record.event_type,
        "detail": details,
    }
    if record.permitted:
        entity["lifecycle"] = coding(_LIFECYCLE, "disclose", "Disclose Record Lifecycle Event")
    return entity


def _basis_entities(record: AuditRecord) -> list[FhirJson]:
    if record.basis is None:
        return []
    role = coding(_OBJECT_ROLE, "13", "Security Resource")
    if rests_on_legal_basis(record):
        return [
            {
                "what": {"identifier": {"system": LEGAL_BASIS_SYSTEM, "value": record.basis}},
                "type": coding(_ENTITY_TYPE, "4", "Other"),
                "role": role,
                "name": f"legal basis {record.basis}",
            }
        ]
    return [
        {
            "what": resource_reference("Consent", record.basis),
            "type": coding(_RESOURCE_TYPE, "Consent", "Consent"),
            "role": role,
            "name": f"consent {record.basis}",
        }
    ]
