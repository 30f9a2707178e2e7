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
    "AuditEntry",
    "AuditFilter",
    "AuditLog",
    "AuditRecord",
    "ChainAnchor",
    "ChainProblem",
    "ChainProblemKind",
    "ExportFormat",
    "VerificationResult",
    "audit_chain_head",
    "audit_event",
    "audit_records",
    "canonical_encoding",
    "chain_hash",
    "disclosure_report",
    "export_records",
    "record_json",
]


def test_audit_package_exports_exactly_its_public_names() -> None:
    assert sorted(consent.audit.__all__) == sorted(PUBLIC_NAMES)
    assert all(hasattr(consent.audit, name) for name in consent.audit.__all__)
