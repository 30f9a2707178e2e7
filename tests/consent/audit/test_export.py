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
    AuditLog,
    AuditRecord,
    ExportFormat,
    chain_hash,
    export_records,
)
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
