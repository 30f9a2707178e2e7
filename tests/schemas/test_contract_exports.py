"""The public names of the contract: pinned, so that adding or dropping one is a decision."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import schemas

MODULES = sorted(
    module.name for module in pkgutil.walk_packages(schemas.__path__, prefix="schemas.")
)


def test_schemas_exports_exactly_the_contract() -> None:
    assert sorted(schemas.__all__) == [
        "ASSESSMENT_CATEGORIES",
        "ASSESSMENT_KINDS",
        "AssessmentAvailable",
        "AssessmentKind",
        "AssessmentRecorded",
        "CATEGORY_HEADER",
        "CONTENT_TYPE",
        "CaseManagerAssigned",
        "CaseManagerRole",
        "ClientPseudonym",
        "ConsentGranted",
        "ConsentRevoked",
        "ConsentRule",
        "ContractError",
        "DataCategory",
        "DocumentPart",
        "EVENT_TYPES",
        "EpisodeClosed",
        "EpisodeOutcome",
        "Event",
        "EventCodec",
        "EventHeaders",
        "FINNISH_TIME_LABEL",
        "HandoverItem",
        "HandoverPackage",
        "HandoverTrigger",
        "HintMoment",
        "IDENTITY_CODE_SYSTEM",
        "IdentityCode",
        "InvalidBundleError",
        "InvalidHeadersError",
        "InvalidIdentifierError",
        "KafkaHeaders",
        "KafkaRecord",
        "KykyviisariResult",
        "MAX_OID_LENGTH",
        "OID_URN_PREFIX",
        "Oid",
        "OidUrn",
        "OrganisationKind",
        "OverdueRole",
        "PayloadTooLargeError",
        "PlanActivity",
        "PlanBasis",
        "PlanCreated",
        "PlanType",
        "PlanUpdated",
        "ProfessionalAssessment",
        "Pseudonymiser",
        "REJECTION_NOTICE_TYPE",
        "ROUTER_SOURCE",
        "Recipient",
        "ReferralAccepted",
        "ReferralCompleted",
        "ReferralExpired",
        "ReferralOverdue",
        "ReferralRejected",
        "ReferralRequested",
        "RejectionNotice",
        "RevocationUnmatched",
        "UnknownEventTypeError",
        "assessment_kind_of",
        "check_identity_code",
        "check_oid",
        "check_pseudonym",
        "echoed",
        "event_class_for",
        "finnish_time",
        "is_test_identity_code",
        "oid_from_urn",
        "oid_urn",
        "printable",
        "synthetic_identity_code",
        "validation_message",
        "validation_problems",
    ]


def test_every_public_name_imported_into_schemas_is_exported() -> None:
    public = {
        name
        for name, value in vars(schemas).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public == set(schemas.__all__)


@pytest.mark.parametrize("name", sorted(schemas.__all__))
def test_exported_name_is_importable_from_schemas(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from schemas import {name}", namespace)  # noqa: S102  # the import statement itself
    assert namespace[name] is getattr(schemas, name)


def test_exported_names_are_unique() -> None:
    assert len(schemas.__all__) == len(set(schemas.__all__))


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_exports_only_names_it_has(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert [name for name in getattr(module, "__all__", []) if not hasattr(module, name)] == []


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_declares_its_public_names(module_name: str) -> None:
    assert isinstance(importlib.import_module(module_name).__all__, list)
