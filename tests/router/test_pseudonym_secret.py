"""A router whose pseudonym secret is not the one its database was filled under never starts."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from broker.registry import OrganisationRegistry
from broker.router import RouterService
from consent.errors import PseudonymSecretMismatchError
from tests.router.harness import running_router

pytestmark = pytest.mark.kafka


async def test_a_router_with_another_secret_than_the_first_routers_does_not_start(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(kafka_bootstrap, sqlite_database_url, registry) as (harness, _):
        pass  # the first router to start records its secret's fingerprint
    mistyped = harness.settings.model_copy(
        update={"pseudonym_secret": SecretStr("a-mistyped-pseudonym-secret-0123456789a")}
    )
    router = RouterService(mistyped, harness.registry, harness.connection)

    try:
        with pytest.raises(PseudonymSecretMismatchError, match="SAATTAJA_PSEUDONYM_SECRET"):
            await router.start()
    finally:
        await router.stop()

    assert router.owned_partitions() == frozenset()  # it never joined the group


async def test_a_router_with_the_same_secret_starts_again(
    kafka_bootstrap: str, sqlite_database_url: str, registry: OrganisationRegistry
) -> None:
    async with running_router(kafka_bootstrap, sqlite_database_url, registry) as (harness, _):
        pass
    again = RouterService(harness.settings, harness.registry, harness.connection)

    try:
        await again.start()
        health = await again.health()
    finally:
        await again.stop()

    assert (health.ok, health.status) == (True, "routing")
