"""Each consent package's public names, pinned: a change to them is a deliberate change."""

from __future__ import annotations

import importlib

import pytest

from consent.decisions import ReasonCode

PUBLIC_NAMES = {
    "consent.configuration": ["ConfigurationFile", "describe_problem"],
    "consent.decisions": [
        "ROUTING_PURPOSE",
        "ROUTING_PURPOSE_DISPLAY",
        "SERVICE_TASKS",
        "ClientConsents",
        "ConsentGrant",
        "ConsentRevocation",
        "ConsentState",
        "ConsentStatus",
        "ConsentVersion",
        "Decision",
        "Disclosure",
        "DisclosurePart",
        "Party",
        "ReasonCode",
        "Verdict",
        "consent_version",
        "decide",
        "service_task_of",
    ],
    "consent.legal_bases": ["LEGAL_BASES_KEY", "LegalBases", "LegalBasis", "load_legal_bases"],
    "consent.store": [
        "AppliedConsents",
        "ChainedVersion",
        "ConsentChainFields",
        "ConsentHistoryFilter",
        "ConsentStore",
        "consent_chain_fields",
        "consent_chain_head",
        "consent_versions",
    ],
    "consent.network": [
        "NETWORK_EVENTS",
        "CareNetwork",
        "care_network_events",
        "care_network_members",
        "closes_the_path",
        "network_after",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC_NAMES))
def test_package_exports_exactly_its_public_names(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC_NAMES[package])
    assert all(hasattr(module, name) for name in module.__all__)


def test_reason_codes_are_readable_words() -> None:
    # Auditors read these in the audit log and reports; they are part of the contract.
    assert sorted(code.value for code in ReasonCode) == [
        "category-not-covered",
        "consent",
        "consent-expired",
        "consent-not-yet-valid",
        "consent-revoked",
        "document-not-covered",
        "excluded-by-consent",
        "handover",
        "invalid-transition",
        "no-consent",
        "own-data",
        "purpose-not-covered",
        "recipient-not-covered",
        "refused",
        "service-task-not-covered",
        "source-not-covered",
        "statutory-basis",
        "statutory-basis-overrides-refusal",
    ]


def test_every_consent_error_has_the_common_root() -> None:
    errors = importlib.import_module("consent.errors")
    assert all(
        issubclass(getattr(errors, name), errors.SaattajaConsentError) for name in errors.__all__
    )
