"""Statutory bases that permit a disclosure without consent: configuration, off by default."""

from consent.legal_bases.basis import LegalBases, LegalBasis
from consent.legal_bases.loading import LEGAL_BASES_KEY, load_legal_bases

__all__ = ["LEGAL_BASES_KEY", "LegalBases", "LegalBasis", "load_legal_bases"]
