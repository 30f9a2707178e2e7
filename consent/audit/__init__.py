"""The tamper-evident audit log: every consent decision, hash-chained, exportable, reportable.

The router appends an ``AuditEntry`` per (event, recipient) before it delivers anything;
``AuditLog.verify`` finds any record changed, removed or moved since; ``export_records``
writes FHIR AuditEvents (IHE BALP style), CSV or JSON lines; ``disclosure_report`` tells one
client (GDPR art. 15) or an auditor who received what about them, and what was refused.
"""

from consent.audit.chain import (
    GENESIS_HASH,
    ChainLink,
    canonical_encoding,
    canonical_time,
    chain_hash,
)
from consent.audit.chained_tables import (
    UNREADABLE_VALUE,
    advance_chain_head,
    chain_head_table,
    lock_chain_head,
    refusing_unreadable_values,
    verify_chained_table,
)
from consent.audit.export import EXPORT_COLUMNS, ExportFormat, export_records, record_json
from consent.audit.fhir import CLIENT_PSEUDONYM_SYSTEM, LEGAL_BASIS_SYSTEM, audit_event
from consent.audit.filters import AuditFilter, check_client_and_period
from consent.audit.log import AuditLog
from consent.audit.records import DENY, PERMIT, AuditEntry, AuditKey, AuditRecord
from consent.audit.report import disclosure_report
from consent.audit.tables import audit_chain_head, audit_records
from consent.audit.verification import (
    ChainAnchor,
    ChainProblem,
    ChainProblemKind,
    ChainWalk,
    VerificationResult,
)

__all__ = [
    "CLIENT_PSEUDONYM_SYSTEM",
    "DENY",
    "EXPORT_COLUMNS",
    "GENESIS_HASH",
    "LEGAL_BASIS_SYSTEM",
    "PERMIT",
    "UNREADABLE_VALUE",
    "AuditEntry",
    "AuditFilter",
    "AuditKey",
    "AuditLog",
    "AuditRecord",
    "ChainAnchor",
    "ChainLink",
    "ChainProblem",
    "ChainProblemKind",
    "ChainWalk",
    "ExportFormat",
    "VerificationResult",
    "advance_chain_head",
    "audit_chain_head",
    "audit_event",
    "audit_records",
    "canonical_encoding",
    "canonical_time",
    "chain_hash",
    "chain_head_table",
    "check_client_and_period",
    "disclosure_report",
    "export_records",
    "lock_chain_head",
    "record_json",
    "refusing_unreadable_values",
    "verify_chained_table",
]
