"""The consent store: consents, refusals and revocations, append-only, by client pseudonym."""

from consent.store.chain import ConsentChainFields, consent_chain_fields
from consent.store.store import ConsentStore
from consent.store.tables import consent_chain_head, consent_versions

__all__ = [
    "ConsentChainFields",
    "ConsentStore",
    "consent_chain_fields",
    "consent_chain_head",
    "consent_versions",
]
