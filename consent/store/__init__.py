"""The consent store: consents, refusals and revocations, append-only, by client pseudonym."""

from consent.store.store import ConsentStore
from consent.store.tables import consent_versions

__all__ = ["ConsentStore", "consent_versions"]
