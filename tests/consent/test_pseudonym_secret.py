"""A database filled under one pseudonym secret refuses a process that has another."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.database import check_pseudonym_secret
from consent.errors import PseudonymSecretMismatchError
from schemas import Pseudonymiser
from tests.consent.schema import schema_differences

REGION: Final = Pseudonymiser(b"the-regions-pseudonym-secret-0123456789")
OTHER: Final = Pseudonymiser(b"a-mistyped-pseudonym-secret-0123456789a")
NOW: Final = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


async def test_the_secret_a_router_first_records_is_accepted_again(engine: AsyncEngine) -> None:
    await check_pseudonym_secret(engine, REGION.fingerprint(), record_at=NOW)

    await check_pseudonym_secret(engine, REGION.fingerprint(), record_at=NOW)
    await check_pseudonym_secret(engine, REGION.fingerprint())


async def test_another_secret_is_refused_naming_the_setting_and_both_fingerprints(
    engine: AsyncEngine,
) -> None:
    await check_pseudonym_secret(engine, REGION.fingerprint(), record_at=NOW)

    with pytest.raises(PseudonymSecretMismatchError) as refused:
        await check_pseudonym_secret(engine, OTHER.fingerprint(), record_at=NOW)

    message = str(refused.value)
    assert "SAATTAJA_PSEUDONYM_SECRET" in message
    assert REGION.fingerprint()[:12] in message
    assert OTHER.fingerprint()[:12] in message
    assert REGION.secret.decode() not in message
    assert OTHER.secret.decode() not in message


async def test_a_command_that_only_reads_is_refused_another_secret_too(
    engine: AsyncEngine,
) -> None:
    await check_pseudonym_secret(engine, REGION.fingerprint(), record_at=NOW)

    with pytest.raises(PseudonymSecretMismatchError):
        await check_pseudonym_secret(engine, OTHER.fingerprint())


async def test_a_check_that_only_reads_records_nothing(engine: AsyncEngine) -> None:
    await check_pseudonym_secret(engine, OTHER.fingerprint())

    # The first router to start is the one whose secret the database keeps.
    await check_pseudonym_secret(engine, REGION.fingerprint(), record_at=NOW)
    with pytest.raises(PseudonymSecretMismatchError):
        await check_pseudonym_secret(engine, OTHER.fingerprint())


def test_a_fingerprint_tells_secrets_apart_and_is_not_a_pseudonym() -> None:
    assert REGION.fingerprint() == Pseudonymiser(REGION.secret).fingerprint()
    assert REGION.fingerprint() != OTHER.fingerprint()
    assert len(REGION.fingerprint()) == 64


async def test_migration_creates_exactly_the_table_of_the_fingerprint(engine: AsyncEngine) -> None:
    assert await schema_differences(engine, {"pseudonym_secret"}) == []
