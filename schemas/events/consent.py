"""Consent events: the client's consent (suostumus) or refusal (kielto), and revocations.

A consent must be specific: to whom, which data categories, for what purpose, for how
long. Exceptions inside it (a refusal of one organisation, one category, one document
or one service task) are nested provisions of the opposite type, as FHIR R4 Consent
models them. A revocation given to any organisation holds for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.categories import DataCategory
from schemas.codesystems import (
    CONSENT_ACTOR_ROLE_SYSTEM,
    CONSENT_POLICY_SYSTEM,
    CONSENT_SCOPE_SYSTEM,
    DATA_CATEGORY_SYSTEM,
    LOINC_SYSTEM,
    ORGANISATION_KIND_SYSTEM,
    PURPOSE_OF_USE_SYSTEM,
    SERVICE_TASK_SYSTEM,
    URI_IDENTIFIER_SYSTEM,
)
from schemas.echo import echoed
from schemas.errors import InvalidBundleError
from schemas.events.base import Envelope, Event
from schemas.fhir import (
    CONSENT_STATES,
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
    validity_period,
)
from schemas.identifiers import Oid, OrganisationKind, oid_from_urn
from schemas.moments import Moment

__all__ = ["ConsentGranted", "ConsentRevoked", "ConsentRule", "Recipient"]

ProvisionType = Literal["permit", "deny"]

_RECIPIENT_ROLE: Final = "IRCP"  # information recipient
_SOURCE_ROLE: Final = "CST"  # custodian: the organisation the data comes from
_POLICY: Final = {"permit": "OPTIN", "deny": "OPTOUT"}
_PATIENT_CONSENT_LOINC: Final = "59284-0"
_FLIPPED: Final[dict[ProvisionType, ProvisionType]] = {"permit": "deny", "deny": "permit"}
_DOCUMENT_MEANING: Final = "instance"
# Closed lists whose codes an error message may quote: none of them can hold personal data.
_DATA_MEANINGS: Final = frozenset({"instance", "related", "dependents", "authoredby"})
_RECIPIENT_SYSTEMS: Final = frozenset({URI_IDENTIFIER_SYSTEM, ORGANISATION_KIND_SYSTEM})
# What the contract reads of a provision. FHIR allows more (dataPeriod, securityLabel,
# action, and a period or purpose on an exception): dropped unread, each would make the
# consent cover more than the client gave, so a provision holding one is refused.
_PROVISION_ELEMENTS: Final = frozenset(
    {"id", "extension", "type", "period", "actor", "purpose", "class", "code", "data", "provision"}
)
_EXCEPTION_ELEMENTS: Final = frozenset(
    {"id", "extension", "type", "actor", "class", "code", "data"}
)
_NOT_HONOURED: Final = (
    "Saattaja cannot decide on it, and leaving it out would make the consent or refusal "
    "cover what the client did not give; send the limits it sets as recipients (actor), "
    "categories (class), service tasks (code), documents (data), a period or a purpose on "
    "the consent itself, or as an exception"
)


class Recipient(BaseModel):
    """An organisation, or every organisation of one kind, that may (not) receive data.

    It names exactly one of the two: organisation or kind.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation: Oid | None = None
    kind: OrganisationKind | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.organisation is None) == (self.kind is None):
            raise ValueError("a recipient names exactly one of organisation (an OID) or kind")
        return self

    def reference(self) -> FhirJson:
        """The FHIR reference for Consent.provision.actor."""
        if self.organisation is not None:
            return organisation_reference(self.organisation)
        assert self.kind is not None  # noqa: S101  # guaranteed by _exactly_one
        return {
            "type": "Organization",
            "identifier": {"system": ORGANISATION_KIND_SYSTEM, "value": self.kind.value},
        }

    @classmethod
    def from_reference(cls, reference: ElementView) -> Recipient:
        """Read a recipient back from a Consent actor reference."""
        system = reference.text("identifier.system")
        value = reference.text("identifier.value")
        if system == URI_IDENTIFIER_SYSTEM:
            return cls(organisation=oid_from_urn(value))
        if system == ORGANISATION_KIND_SYSTEM and value in {k.value for k in OrganisationKind}:
            return cls(kind=OrganisationKind(value))
        raise InvalidBundleError(
            f"{reference.where}.identifier has system {echoed(system, known=_RECIPIENT_SYSTEMS)} "
            f"and value {echoed(value)}: a recipient is an organisation "
            f"({URI_IDENTIFIER_SYSTEM}) or an organisation kind ({ORGANISATION_KIND_SYSTEM}: "
            f"{', '.join(kind.value for kind in OrganisationKind)})"
        )


class ConsentRule(BaseModel):
    """What one provision covers; an empty list means no restriction on that dimension."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recipients: tuple[Recipient, ...] = Field(
        default=(), description="Who receives (actor role IRCP)."
    )
    sources: tuple[Oid, ...] = Field(
        default=(), description="Data from these organisations only (actor role CST)."
    )
    categories: tuple[DataCategory, ...] = Field(default=(), description="Data categories.")
    documents: tuple[str, ...] = Field(
        default=(), description="Business ids of single documents (referral, plan, ...)."
    )
    service_tasks: tuple[str, ...] = Field(
        default=(), description="Service tasks (palvelutehtävä), e.g. 'sosiaalihuolto'."
    )

    @property
    def is_unrestricted(self) -> bool:
        """True when the rule names nothing, i.e. covers everything."""
        return (
            not (self.recipients or self.sources or self.categories or self.documents)
            and not self.service_tasks
        )

    def provision(self, provision_type: ProvisionType) -> FhirJson:
        """This rule as a Consent.provision of the given type."""
        provision: FhirJson = {"type": provision_type}
        actors = [
            {
                "role": codeable_concept(CONSENT_ACTOR_ROLE_SYSTEM, _RECIPIENT_ROLE),
                "reference": r.reference(),
            }
            for r in self.recipients
        ] + [
            {
                "role": codeable_concept(CONSENT_ACTOR_ROLE_SYSTEM, _SOURCE_ROLE),
                "reference": organisation_reference(oid),
            }
            for oid in self.sources
        ]
        if actors:
            provision["actor"] = actors
        if self.categories:
            provision["class"] = [coding(DATA_CATEGORY_SYSTEM, c.value) for c in self.categories]
        if self.service_tasks:
            provision["code"] = [
                codeable_concept(SERVICE_TASK_SYSTEM, t) for t in self.service_tasks
            ]
        if self.documents:
            provision["data"] = [
                {"meaning": "instance", "reference": resource_reference("DocumentReference", d)}
                for d in self.documents
            ]
        return provision

    @classmethod
    def from_provision(cls, provision: ElementView) -> ConsentRule:
        """Read a rule back from a Consent.provision."""
        for item in provision.elements("data"):
            meaning = item.text("meaning")
            if meaning != _DOCUMENT_MEANING:
                raise InvalidBundleError(
                    f"{item.where}.meaning is {echoed(meaning, known=_DATA_MEANINGS)}: a "
                    "consent names single documents "
                    f"({_DOCUMENT_MEANING!r}); documents related to one, or that depend on "
                    "it, are named one by one"
                )
        recipients: list[Recipient] = []
        sources: list[str] = []
        for actor in provision.elements("actor"):
            role = actor.code("role", CONSENT_ACTOR_ROLE_SYSTEM)
            if role == _RECIPIENT_ROLE:
                recipients.append(Recipient.from_reference(actor.element("reference")))
            elif role == _SOURCE_ROLE:
                sources.append(actor.organisation("reference"))
            else:
                raise InvalidBundleError(
                    f"{actor.where}.role is {echoed(role)}: expected {_RECIPIENT_ROLE} (recipient) "
                    f"or {_SOURCE_ROLE} (the organisation the data comes from)"
                )
        return cls(
            recipients=tuple(recipients),
            sources=tuple(sources),
            categories=tuple(
                item.coded("", DATA_CATEGORY_SYSTEM, DataCategory)
                for item in provision.elements("class")
            ),
            documents=tuple(
                item.business_id("reference.identifier") for item in provision.elements("data")
            ),
            service_tasks=tuple(
                item.code("", SERVICE_TASK_SYSTEM) for item in provision.elements("code")
            ),
        )


class ConsentGranted(Event):
    """The client gave a consent (decision permit) or a refusal (decision deny).

    A consent names its recipients and data categories in its scope; a refusal names at
    least one thing it refuses; valid_until, when given with valid_from, is after it.
    """

    event_code: ClassVar[str] = "consent.granted"
    focal_types: ClassVar[tuple[str, ...]] = ("Consent",)
    default_category: ClassVar[DataCategory] = DataCategory.CONSENT

    consent_id: FhirString = Field(
        min_length=1, max_length=64, description="Sender-assigned consent id."
    )
    decision: ProvisionType = Field(
        default="permit", description="permit: a consent (suostumus); deny: a refusal (kielto)."
    )
    scope: ConsentRule = Field(description="What the consent or refusal covers.")
    exceptions: tuple[ConsentRule, ...] = Field(
        default=(), description="Carve-outs of the opposite decision, e.g. a refused category."
    )
    purpose: str = Field(
        default="COC",
        pattern=r"^[A-Z]+$",
        description="Purpose of use, HL7 v3 ActReason (COC: coordination of care).",
    )
    valid_from: Moment | None = Field(
        default=None, description="The first moment it holds (Consent.provision.period.start)."
    )
    valid_until: Moment | None = Field(
        default=None,
        description=(
            "The first moment it no longer holds. Consent.provision.period.end includes "
            "itself: an end of 2026-12-31 (a day in Finland) is 2027-01-01T00:00:00+02:00 "
            "here. After valid_from, when both are given."
        ),
    )

    @property
    def document_id(self) -> str:
        return self.consent_id

    @model_validator(mode="after")
    def _specific(self) -> Self:
        if self.decision == "permit" and not (self.scope.recipients and self.scope.categories):
            raise ValueError("a consent must be specific: name its recipients and data categories")
        if self.decision == "deny" and self.scope.is_unrestricted:
            raise ValueError("a refusal must name what it refuses")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self

    def fhir_resources(self) -> list[FhirJson]:
        provision = self.scope.provision(self.decision)
        provision["purpose"] = [coding(PURPOSE_OF_USE_SYSTEM, self.purpose)]
        if self.valid_from is not None or self.valid_until is not None:
            provision["period"] = validity_period(self.valid_from, self.valid_until)
        if self.exceptions:
            provision["provision"] = [
                rule.provision(_FLIPPED[self.decision]) for rule in self.exceptions
            ]
        return [
            {
                "resourceType": "Consent",
                "identifier": [business_identifier(self.consent_id)],
                "status": "active",
                "scope": codeable_concept(CONSENT_SCOPE_SYSTEM, "patient-privacy"),
                "category": [codeable_concept(LOINC_SYSTEM, _PATIENT_CONSENT_LOINC)],
                "patient": patient_reference(self.client),
                "dateTime": instant(self.occurred_at),
                "organization": [organisation_reference(self.sender)],
                "policyRule": codeable_concept(CONSENT_POLICY_SYSTEM, _POLICY[self.decision]),
                "provision": provision,
            }
        ]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        consent = resources[0]
        _expect_status(consent, "active")
        provision = consent.element("provision")
        provision.refuse_others(_PROVISION_ELEMENTS, _NOT_HONOURED)
        decision = provision.text("type")
        exceptions = tuple(
            _exception(nested, decision) for nested in provision.elements("provision")
        )
        return cls.model_validate(
            {
                "event_id": envelope.event_id,
                "occurred_at": envelope.occurred_at,
                "sender": consent.first("organization").organisation(""),
                "client": consent.client("patient"),
                "consent_id": consent.business_id("identifier"),
                "decision": decision,
                "scope": ConsentRule.from_provision(provision),
                "exceptions": exceptions,
                "purpose": _purpose(provision),
                "valid_from": provision.optional_start("period.start"),
                "valid_until": provision.optional_end("period.end"),
            }
        )


class ConsentRevoked(Event):
    """The client withdrew a consent or a refusal; it ends for every organisation."""

    event_code: ClassVar[str] = "consent.revoked"
    focal_types: ClassVar[tuple[str, ...]] = ("Consent",)
    default_category: ClassVar[DataCategory] = DataCategory.CONSENT

    consent_id: FhirString = Field(
        min_length=1, max_length=64, description="The consent withdrawn."
    )

    @property
    def document_id(self) -> str:
        return self.consent_id

    def fhir_resources(self) -> list[FhirJson]:
        return [
            {
                "resourceType": "Consent",
                "identifier": [business_identifier(self.consent_id)],
                "status": "inactive",
                "scope": codeable_concept(CONSENT_SCOPE_SYSTEM, "patient-privacy"),
                "category": [codeable_concept(LOINC_SYSTEM, _PATIENT_CONSENT_LOINC)],
                "patient": patient_reference(self.client),
                "dateTime": instant(self.occurred_at),
                "organization": [organisation_reference(self.sender)],
            }
        ]

    @classmethod
    def from_fhir(cls, envelope: Envelope, resources: Sequence[ElementView]) -> Self:
        consent = resources[0]
        _expect_status(consent, "inactive")
        return cls(
            event_id=envelope.event_id,
            occurred_at=envelope.occurred_at,
            sender=consent.first("organization").organisation(""),
            client=consent.client("patient"),
            consent_id=consent.business_id("identifier"),
        )


def _exception(nested: ElementView, decision: str) -> ConsentRule:
    """An exception: of the opposite type, limiting only whom and what it covers."""
    nested.refuse_others(_EXCEPTION_ELEMENTS, _NOT_HONOURED)
    kind = nested.text("type")
    if decision in _FLIPPED and kind != _FLIPPED[decision]:
        what = "a consent" if decision == "permit" else "a refusal"
        raise InvalidBundleError(
            f"{nested.where}.type is {echoed(kind, known=_FLIPPED)}: an exception inside "
            f"{what} ({decision}) is of the opposite type, {_FLIPPED[decision]!r}"
        )
    rule = ConsentRule.from_provision(nested)
    if rule.is_unrestricted:
        raise InvalidBundleError(
            f"{nested.where} names nothing: an exception names the recipients, categories, "
            "source organisations, documents or service tasks it covers"
        )
    return rule


def _purpose(provision: ElementView) -> str:
    """The one purpose of use a consent or refusal is for."""
    purpose = provision.code("purpose", PURPOSE_OF_USE_SYSTEM)
    codes = {
        item.optional_code("", PURPOSE_OF_USE_SYSTEM) for item in provision.elements("purpose")
    }
    if len(codes - {None}) > 1:
        # Kept, only the first would count: a consent for research and care would read as
        # for research alone, and deny every disclosure the client consented to.
        raise InvalidBundleError(
            f"{provision.where}.purpose names {len(codes - {None})} purposes of use "
            f"({PURPOSE_OF_USE_SYSTEM}): a consent or refusal here is for one purpose; send "
            "one for each purpose, under ids of their own"
        )
    return purpose


def _expect_status(consent: ElementView, status: str) -> None:
    if consent.text("status") != status:
        raise InvalidBundleError(
            f"Consent.status is {echoed(consent.text('status'), known=CONSENT_STATES)}; "
            f"this event type needs {status!r}"
        )
