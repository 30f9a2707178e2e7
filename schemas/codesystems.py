"""URIs of the code systems and identifier systems the contract uses.

Saattaja's own systems live under one base so that a FHIR server can later publish them
as CodeSystem and NamingSystem resources.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ASSESSMENT_AREA_SYSTEM",
    "ASSESSMENT_HINT_EXTENSION",
    "ASSESSMENT_KIND_SYSTEM",
    "CARE_TEAM_ROLE_SYSTEM",
    "CASE_MANAGER_ORGANISATION_EXTENSION",
    "CONSENT_ACTOR_ROLE_SYSTEM",
    "CONSENT_POLICY_SYSTEM",
    "CONSENT_SCOPE_SYSTEM",
    "DATA_CATEGORY_SYSTEM",
    "EPISODE_OUTCOME_EXTENSION",
    "EPISODE_OUTCOME_SYSTEM",
    "EPISODE_TYPE_SYSTEM",
    "EVENT_TYPE_SYSTEM",
    "HANDOVER_EXTENSION",
    "HANDOVER_ITEM_EXTENSION",
    "HANDOVER_ITEM_STATUS_SYSTEM",
    "HANDOVER_TRIGGER_SYSTEM",
    "HINT_MOMENT_SYSTEM",
    "KYKYVIISARI_QUESTIONNAIRE",
    "LOINC_SYSTEM",
    "OBSERVATION_CATEGORY_SYSTEM",
    "ORGANISATION_KIND_SYSTEM",
    "PATHWAY_NOTICE_SYSTEM",
    "PLAN_TYPE_SYSTEM",
    "PURPOSE_OF_USE_SYSTEM",
    "REFERRAL_BUSINESS_STATUS_SYSTEM",
    "REFERRAL_ESCALATION_EXTENSION",
    "REFERRAL_OVERDUE_ROLE_EXTENSION",
    "REFERRAL_OVERDUE_ROLE_SYSTEM",
    "RESOURCE_ID_SYSTEM",
    "SAATTAJA_FHIR_BASE",
    "SERVICE_TASK_SYSTEM",
    "URI_IDENTIFIER_SYSTEM",
]

SAATTAJA_FHIR_BASE: Final = "https://saattaja.fi/fhir"

EVENT_TYPE_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/event-type"
DATA_CATEGORY_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/data-category"
ORGANISATION_KIND_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/organisation-kind"
PLAN_TYPE_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/plan-type"
EPISODE_TYPE_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/episode-type"
EPISODE_OUTCOME_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/episode-outcome"
EPISODE_OUTCOME_EXTENSION: Final = f"{SAATTAJA_FHIR_BASE}/StructureDefinition/episode-outcome"
CARE_TEAM_ROLE_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/care-team-role"
ASSESSMENT_KIND_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/assessment-kind"
ASSESSMENT_AREA_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/kykyviisari-area"
SERVICE_TASK_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/service-task"
# The router's own events (schemas.events.pathway): what it says on an organisation's behalf.
REFERRAL_BUSINESS_STATUS_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/referral-business-status"
REFERRAL_ESCALATION_EXTENSION: Final = (
    f"{SAATTAJA_FHIR_BASE}/StructureDefinition/referral-escalation"
)
REFERRAL_OVERDUE_ROLE_EXTENSION: Final = (
    f"{SAATTAJA_FHIR_BASE}/StructureDefinition/referral-overdue-role"
)
REFERRAL_OVERDUE_ROLE_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/referral-overdue-role"
CASE_MANAGER_ORGANISATION_EXTENSION: Final = (
    f"{SAATTAJA_FHIR_BASE}/StructureDefinition/case-manager-organisation"
)
PATHWAY_NOTICE_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/pathway-notice"
HANDOVER_TRIGGER_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/handover-trigger"
HANDOVER_ITEM_STATUS_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/handover-item-status"
HANDOVER_EXTENSION: Final = f"{SAATTAJA_FHIR_BASE}/StructureDefinition/handover"
HANDOVER_ITEM_EXTENSION: Final = f"{SAATTAJA_FHIR_BASE}/StructureDefinition/handover-item"
HINT_MOMENT_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/CodeSystem/assessment-hint-moment"
ASSESSMENT_HINT_EXTENSION: Final = f"{SAATTAJA_FHIR_BASE}/StructureDefinition/assessment-hint"
KYKYVIISARI_QUESTIONNAIRE: Final = f"{SAATTAJA_FHIR_BASE}/Questionnaire/kykyviisari"
# One identifier system for the business ids that senders give referrals, assessments,
# plans, episodes and consents, so that a refusal can name any one document.
RESOURCE_ID_SYSTEM: Final = f"{SAATTAJA_FHIR_BASE}/NamingSystem/resource-id"

# FHIR's convention for identifiers that are themselves URIs, such as urn:oid:...
URI_IDENTIFIER_SYSTEM: Final = "urn:ietf:rfc:3986"
LOINC_SYSTEM: Final = "http://loinc.org"
OBSERVATION_CATEGORY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
CONSENT_SCOPE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_POLICY_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSENT_ACTOR_ROLE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PURPOSE_OF_USE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
