"""Writing records out: FHIR AuditEvents, CSV for spreadsheets, JSON lines for programs.

- ``fhir``: one AuditEvent per line (NDJSON, ``application/fhir+ndjson``, as FHIR Bulk
  Data exports resources), rather than one Bundle: the export streams, however long the
  log, and each line stands alone for a FHIR server or a SIEM to ingest.
- ``jsonl``: one JSON object per record with exactly the fields the hash covers plus
  ``hash``, so that anyone can recompute the chain from the export (see ``chain``):
  ``handover`` appears only in the records that have one, as the hash covers it.
- ``csv``: the same columns with a header row; ``removed`` joined with ``;``, an absent
  ``basis`` or ``handover`` empty.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterable, Mapping
from enum import StrEnum
from typing import Any, Final, TextIO

from consent.audit.fhir import audit_event
from consent.audit.records import AuditRecord

__all__ = ["EXPORT_COLUMNS", "ExportFormat", "export_records", "record_json"]

EXPORT_COLUMNS: Final = (
    "sequence",
    "decided_at",
    "event_id",
    "event_type",
    "category",
    "client",
    "sender",
    "recipient",
    "decision",
    "reason",
    "basis",
    "removed",
    "handover",
    "previous_hash",
    "hash",
)


class ExportFormat(StrEnum):
    """The formats ``saattaja audit export`` writes."""

    FHIR = "fhir"
    CSV = "csv"
    JSONL = "jsonl"


def record_json(record: AuditRecord) -> dict[str, Any]:
    """The record as plain JSON values: the hashed fields and the hash."""
    fields: dict[str, Any] = dict(
        record.chain_fields(sequence=record.sequence, previous_hash=record.previous_hash)
    )
    fields["hash"] = record.hash
    return {column: fields[column] for column in EXPORT_COLUMNS if column in fields}


async def export_records(
    records: AsyncIterable[AuditRecord],
    out: TextIO,
    export_format: ExportFormat,
    *,
    organisations: Mapping[str, str] | None = None,
) -> int:
    """Write ``records`` to ``out`` as they arrive; return how many were written.

    ``organisations`` (OID to name) names the agents of FHIR AuditEvents.
    """
    count = 0
    if export_format is ExportFormat.CSV:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        async for record in records:
            row = record_json(record)
            row["removed"] = ";".join(row["removed"])
            row["basis"] = row["basis"] or ""
            writer.writerow(row.get(column, "") for column in EXPORT_COLUMNS)
            count += 1
        return count
    async for record in records:
        if export_format is ExportFormat.FHIR:
            document = audit_event(record, organisations)
        else:
            document = record_json(record)
        out.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count
