"""The SQL database behind the consent store, the audit log and the care network."""

from consent.database.engine import create_database_engine, sqlite_file_path
from consent.database.failures import translate_database_errors
from consent.database.metadata import metadata
from consent.database.migrate import check_database_schema, upgrade_database
from consent.database.pages import keyset_pages
from consent.database.pseudonym_secret import check_pseudonym_secret, pseudonym_secret
from consent.database.statements import insert_or_update, insert_unless_present, pairs_in
from consent.database.transactions import run_transaction
from consent.database.types import UtcDateTime

__all__ = [
    "UtcDateTime",
    "check_database_schema",
    "check_pseudonym_secret",
    "create_database_engine",
    "insert_or_update",
    "insert_unless_present",
    "keyset_pages",
    "metadata",
    "pairs_in",
    "pseudonym_secret",
    "run_transaction",
    "sqlite_file_path",
    "translate_database_errors",
    "upgrade_database",
]
