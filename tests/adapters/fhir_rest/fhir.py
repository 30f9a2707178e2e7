"""FHIR the organisation's system would send, built from the contract's own events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from schemas import (
    ConsentRevoked,
    PlanActivity,
    PlanCreated,
    PlanType,
    ReferralAccepted,
    ReferralRequested,
)
from schemas.fhir import FhirJson
from tests.adapters.events import KELA_OID, SOTE_OID

AT: Final = datetime(2026, 2, 9, 13, 40, tzinfo=UTC)


def accepted_task(client: str, referral_id: str = "EKHVA-LAH-2026-00412") -> FhirJson:
    """Kela takes the catch: the referral Task, status accepted, owned by Kela."""
    return ReferralAccepted(
        occurred_at=AT,
        sender=KELA_OID,
        client=client,
        referral_id=referral_id,
        requester=SOTE_OID,
        note="Kuntoutusasiantuntija ottaa yhteyttä viikolla 8.",
    ).fhir_resources()[0]


def referral_resources(client: str) -> list[FhirJson]:
    """Kela refers the client to the health centre: ServiceRequest and Task."""
    return ReferralRequested(
        occurred_at=AT,
        sender=KELA_OID,
        client=client,
        referral_id="KELA-LAH-1",
        receiver=SOTE_OID,
        service="Kuntoutustarpeen arvio",
        reason="Työkyky heikentynyt",
    ).fhir_resources()


def plan(client: str) -> FhirJson:
    """Kela's work-ability support plan with one activity at the health centre."""
    return PlanCreated(
        occurred_at=AT,
        sender=KELA_OID,
        client=client,
        plan_id="KELA-SUUNN-7",
        plan_type=PlanType.WORK_ABILITY_SUPPORT,
        title="Työkyvyn tuen suunnitelma",
        activities=(PlanActivity(description="Fysioterapia", performer=SOTE_OID),),
    ).fhir_resources()[0]


def revoked_consent(client: str) -> FhirJson:
    """The client withdraws a consent they gave at Kela."""
    return ConsentRevoked(
        occurred_at=AT, sender=KELA_OID, client=client, consent_id="KELA-SUO-3"
    ).fhir_resources()[0]


def transaction(*resources: FhirJson, method: str = "POST") -> FhirJson:
    """A transaction Bundle creating (or replacing) each resource."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": resource, "request": {"method": method, "url": resource["resourceType"]}}
            for resource in resources
        ],
    }
