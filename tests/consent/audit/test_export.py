"""Exports: FHIR AuditEvents (IHE BALP style), CSV and JSON lines, from a real log."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import pytest
from fhir.resources.R4B.auditevent import AuditEvent
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.audit import (
    CLIENT_PSEUDONYM_SYSTEM,
    EXPORT_COLUMNS,
    LEGAL_BASIS_SYSTEM,
    AuditEntry,
    AuditLog,
    AuditRecord,
    ExportFormat,
    chain_hash,
    export_records,
)
from schemas import ROUTER_SOURCE, DataCategory
from tests.consent.audit.entries import (
    CLIENT,
    HOUR,
    KELA,
    PSEUDONYM,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    entry,
    refusal,
)

NAMES = {KELA: "Kansaneläkelaitos (Kela)", SOTE: "Etelä-Karjalan hyvinvointialue"}
ROUTER = {"system": "urn:ietf:rfc:3986", "value": ROUTER_SOURCE}
"""The router's identifier, as the agents that name it carry it."""


@pytest.fixture
async def log(engine: AsyncEngine) -> AuditLog:
    """A permit with a document removed, a refusal and a permit on a statutory basis."""
    log = AuditLog(engine)
    event = uuid.uuid4()
    await log.append(
        [
            entry(event_id=event, recipient=KELA, removed=("EKHVA-TT-1",)),
            refusal(event_id=event, recipient=TYOLLISYYS),
        ]
    )
    await log.append(
        [
            entry(
                recipient=TYP,
                reason="statutory-basis",
                basis="typ-381-2023",
                decided_at=T0 + HOUR,
            )
        ]
    )
    return log


async def export(log: AuditLog, export_format: ExportFormat) -> str:
    out = io.StringIO()
    await export_records(log.query(), out, export_format, organisations=NAMES)
    return out.getvalue()


def coded(concept_or_coding: dict[str, Any]) -> set[str]:
    codings = concept_or_coding.get("coding", [concept_or_coding])
    return {coding["code"] for coding in codings}


async def test_fhir_export_is_one_valid_audit_event_per_record(log: AuditLog) -> None:
    lines = (await export(log, ExportFormat.FHIR)).splitlines()

    events = [AuditEvent.model_validate_json(line) for line in lines]

    assert [event.id for event in events] == [f"saattaja-audit-{n}" for n in (1, 2, 3)]


async def test_fhir_export_maps_a_permit_to_a_successful_disclosure(log: AuditLog) -> None:
    permit = json.loads((await export(log, ExportFormat.FHIR)).splitlines()[0])

    assert (permit["outcome"], permit["outcomeDesc"]) == ("0", "consent")
    assert permit["type"]["code"] == "110106"
    assert {coding["code"] for coding in permit["subtype"]} == {"disclose", "AuthZ-Consent"}
    source, recipient, router = permit["agent"]
    assert "110153" in coded(source["type"])
    assert source["who"]["identifier"]["value"] == f"urn:oid:{SOTE}"
    assert source["who"]["display"] == NAMES[SOTE]
    assert "110152" in coded(recipient["type"])
    assert recipient["who"]["identifier"]["value"] == f"urn:oid:{KELA}"
    assert "authserver" in coded(router["type"])
    client, event, consent = permit["entity"]
    assert client["what"]["identifier"] == {"system": CLIENT_PSEUDONYM_SYSTEM, "value": PSEUDONYM}
    assert {"type": "removed-document", "valueString": "EKHVA-TT-1"} in event["detail"]
    assert consent["what"]["type"] == "Consent"
    assert consent["what"]["identifier"]["value"] == "C-1"


async def test_fhir_export_maps_a_deny_to_a_failed_authorization(log: AuditLog) -> None:
    deny = json.loads((await export(log, ExportFormat.FHIR)).splitlines()[1])

    assert (deny["outcome"], deny["outcomeDesc"]) == ("4", "refused")
    assert deny["type"]["code"] == "110113"
    assert [coding["code"] for coding in deny["subtype"]] == ["AuthZ-Consent"]
    assert deny["entity"][2]["what"]["identifier"]["value"] == "K-1"


async def test_fhir_export_names_a_statutory_basis_as_a_legal_basis(log: AuditLog) -> None:
    statutory = json.loads((await export(log, ExportFormat.FHIR)).splitlines()[2])

    basis = statutory["entity"][2]["what"]["identifier"]
    assert basis == {"system": LEGAL_BASIS_SYSTEM, "value": "typ-381-2023"}


async def test_exports_never_hold_the_identity_code(log: AuditLog) -> None:
    for export_format in ExportFormat:
        assert CLIENT not in await export(log, export_format)


async def test_csv_export_has_a_header_and_a_row_per_record(log: AuditLog) -> None:
    rows = list(csv.reader(io.StringIO(await export(log, ExportFormat.CSV))))

    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 4
    first = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert (first["sequence"], first["decision"], first["removed"]) == ("1", "permit", "EKHVA-TT-1")
    assert first["decided_at"] == "2026-03-02T09:00:00.123456Z"


async def test_jsonl_export_lets_anyone_recompute_each_hash(log: AuditLog) -> None:
    lines = (await export(log, ExportFormat.JSONL)).splitlines()
    records: list[AuditRecord] = [record async for record in log.query()]

    for line, record in zip(lines, records, strict=True):
        fields = json.loads(line)
        assert tuple(fields) == tuple(column for column in EXPORT_COLUMNS if column != "handover")
        stored = fields.pop("hash")
        assert chain_hash(fields) == stored == record.hash


async def test_a_handover_records_export_carries_its_package_and_recomputes(
    engine: AsyncEngine,
) -> None:
    log = AuditLog(engine)
    package = str(uuid.uuid4())
    [record] = await log.append([entry(handover=package)])

    fields = json.loads(await export(log, ExportFormat.JSONL))
    [row] = list(csv.DictReader(io.StringIO(await export(log, ExportFormat.CSV))))
    [event] = [json.loads(line) for line in (await export(log, ExportFormat.FHIR)).splitlines()]

    assert fields["handover"] == row["handover"] == package
    stored = fields.pop("hash")
    assert chain_hash(fields) == stored == record.hash
    details = {d["type"]: d["valueString"] for d in event["entity"][1]["detail"]}
    assert details["handover-package"] == f"urn:uuid:{package}"


async def fhir_of(engine: AsyncEngine, *entries: AuditEntry) -> list[dict[str, Any]]:
    """The entries appended to a log of their own, exported as validated AuditEvents."""
    log = AuditLog(engine)
    await log.append(list(entries))
    lines = (await export(log, ExportFormat.FHIR)).splitlines()
    for line in lines:
        AuditEvent.model_validate_json(line)
    return [json.loads(line) for line in lines]


def agents_with(event: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """The agents whose type carries ``code`` (110153 source, CST custodian, IRCP recipient)."""
    return [agent for agent in event["agent"] if code in coded(agent["type"])]


def handover_package(*, sender: str, recipient: str) -> AuditEntry:
    """A handover package's decision, as the router records it."""
    return entry(
        sender=sender,
        recipient=recipient,
        reason="handover",
        basis=None,
        event_type="fi.saattaja.handover.package.v1",
        category=DataCategory.CASE,
    )


async def test_fhir_export_has_the_router_disclose_a_package_to_its_own_handing_over_organisation(
    engine: AsyncEngine,
) -> None:
    # An organisation naming its own case manager while new to the client's care network.
    [package] = await fhir_of(engine, handover_package(sender=TYP, recipient=TYP))

    [source] = agents_with(package, "110153")
    [custodian] = agents_with(package, "CST")
    [recipient] = agents_with(package, "IRCP")
    assert source["who"]["identifier"] == custodian["who"]["identifier"] == ROUTER
    assert recipient["who"]["identifier"]["value"] == f"urn:oid:{TYP}"
    assert source["who"] == package["source"]["observer"]


async def test_fhir_export_names_who_handed_the_client_over_as_a_detail_of_the_package(
    engine: AsyncEngine,
) -> None:
    [package] = await fhir_of(engine, handover_package(sender=SOTE, recipient=KELA))

    [source] = agents_with(package, "110153")
    assert source["who"]["identifier"] == ROUTER
    details = {d["type"]: d["valueString"] for d in package["entity"][1]["detail"]}
    assert details["handed-over-by"] == f"urn:oid:{SOTE}"


async def test_fhir_export_has_the_router_disclose_a_handed_over_document_kept_by_its_recorder(
    engine: AsyncEngine,
) -> None:
    [document] = await fhir_of(
        engine, entry(sender=SOTE, recipient=TYP, handover=str(uuid.uuid4()))
    )

    [source] = agents_with(document, "110153")
    [custodian] = agents_with(document, "CST")
    assert source["who"]["identifier"] == ROUTER
    assert custodian["who"]["identifier"]["value"] == f"urn:oid:{SOTE}"
    assert not any(agent["requestor"] for agent in document["agent"])


async def test_fhir_export_keeps_the_sender_as_source_and_custodian_of_what_it_published(
    log: AuditLog,
) -> None:
    permit = json.loads((await export(log, ExportFormat.FHIR)).splitlines()[0])

    [source] = agents_with(permit, "110153")
    assert agents_with(permit, "CST") == [source]
    assert source["who"]["identifier"]["value"] == f"urn:oid:{SOTE}"
    assert source["requestor"] is True
