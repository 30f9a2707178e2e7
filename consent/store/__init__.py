"""The consent store: consents, refusals and revocations, append-only, by client pseudonym."""

from consent.store.chain import ConsentChainFields, consent_chain_fields
from consent.store.history_filter import ConsentHistoryFilter
from consent.store.store import AppliedConsents, ChainedVersion, ConsentStore
from consent.store.tables import consent_chain_head, consent_versions

__all__ = [
    "AppliedConsents",
    "ChainedVersion",
    "ConsentChainFields",
    "ConsentHistoryFilter",
    "ConsentStore",
    "consent_chain_fields",
    "consent_chain_head",
    "consent_versions",
]
