"""consent.audit's public names, pinned: a change to them is a deliberate change."""

from __future__ import annotations

import consent.audit

PUBLIC_NAMES = [
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


def test_audit_package_exports_exactly_its_public_names() -> None:
    assert sorted(consent.audit.__all__) == sorted(PUBLIC_NAMES)
    assert all(hasattr(consent.audit, name) for name in consent.audit.__all__)
