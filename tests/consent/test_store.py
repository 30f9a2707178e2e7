"""The consent store on SQLite and PostgreSQL: append-only, idempotent, faithful to decide()."""

from __future__ import annotations

import uuid
from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.embedded import free_port
from consent.database import create_database_engine
from consent.decisions import (
    ConsentGrant,
    ConsentRevocation,
    DisclosurePart,
    decide,
)
from consent.errors import StoreUnavailableError
from consent.legal_bases import LegalBases
from consent.network import care_network_events, care_network_members
from consent.store import AppliedConsents, ConsentStore, consent_chain_head, consent_versions
from schemas import (
    ConsentGranted,
    ConsentRevoked,
    ConsentRule,
    DataCategory,
    InvalidIdentifierError,
    OrganisationKind,
    Recipient,
)
from tests.consent.builders import (
    CLIENT,
    DAY,
    HOUR,
    JARJESTO,
    KELA,
    OTHER_CLIENT,
    PSEUDONYM,
    PSEUDONYMS,
    SOTE,
    T0,
    TYOLLISYYS,
    TYP,
    Applied,
    consents,
    disclosure,
    grant,
    refusal,
    revocation,
)
from tests.consent.schema import schema_differences

HELSINKI = timezone(timedelta(hours=2))
OUR_TABLES = {
    table.name
    for table in (consent_versions, consent_chain_head, care_network_events, care_network_members)
}


async def test_migration_creates_exactly_the_tables_of_the_store_and_the_network(
    engine: AsyncEngine,
) -> None:
    assert await schema_differences(engine, OUR_TABLES) == []


async def test_applying_the_same_event_twice_records_it_once(engine: AsyncEngine) -> None:
    store = ConsentStore(engine)
    granted = grant("C-1")
    assert await store.apply(granted, pseudonym=PSEUDONYM, applied_at=T0) is True
    assert await store.apply(granted, pseudonym=PSEUDONYM, applied_at=T0 + HOUR) is False
    history = await store.history(PSEUDONYM)
    assert len(history) == 1
    assert history[0].applied_at == T0


async def test_revocation_adds_a_version_and_keeps_the_consent(engine: AsyncEngine) -> None:
    store = ConsentStore(engine)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)
    await store.apply(revocation("C-1", sender=KELA), pseudonym=PSEUDONYM, applied_at=T0 + DAY)
    first, second = await store.history(PSEUDONYM)
    assert isinstance(first, ConsentGrant)
    assert (first.consent_id, first.applied_at, first.scope) == ("C-1", T0, grant("C-1").scope)
    assert isinstance(second, ConsentRevocation)
    assert (second.consent_id, second.recorded_by, second.applied_at) == ("C-1", KELA, T0 + DAY)
    # Was it permitted before the revocation? The store can still say.
    recorded = await store.consents_for(PSEUDONYM)
    assert decide(disclosure(KELA, at=T0 + HOUR), recorded, LegalBases.none()).permitted
    assert not decide(disclosure(KELA, at=T0 + 2 * DAY), recorded, LegalBases.none()).permitted


async def test_events_applied_together_keep_their_order_across_grants_and_revocations(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    events: list[ConsentGranted | ConsentRevoked] = [
        grant("C-1"),
        revocation("C-1", sender=KELA),
        grant("C-2"),
        grant("C-3"),
    ]
    applied = await store.apply_all([(event, PSEUDONYM) for event in events], applied_at=T0)
    assert applied == AppliedConsents(recorded=4)
    history = await store.history(PSEUDONYM)
    assert [(type(v).__name__, v.consent_id) for v in history] == [
        ("ConsentGrant", "C-1"),
        ("ConsentRevocation", "C-1"),
        ("ConsentGrant", "C-2"),
        ("ConsentGrant", "C-3"),
    ]


async def test_of_two_versions_of_a_consent_applied_together_the_one_sent_later_holds(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    # Event ids in the reverse order of sending: their order must not decide.
    first = grant("C-1", categories=(DataCategory.REFERRAL, DataCategory.PLAN)).model_copy(
        update={"event_id": uuid.UUID(int=2)}
    )
    second = grant("C-1", categories=(DataCategory.PLAN,)).model_copy(
        update={"event_id": uuid.UUID(int=1)}
    )
    await store.apply_all([(first, PSEUDONYM), (second, PSEUDONYM)], applied_at=T0)

    for recorded in (
        await store.consents_for(PSEUDONYM),
        (await store.consents_of([PSEUDONYM]))[PSEUDONYM],
        (await ConsentStore(engine).consents_of([PSEUDONYM]))[PSEUDONYM],
    ):
        referral = disclosure(KELA, DataCategory.REFERRAL, at=T0 + HOUR)
        assert decide(referral, recorded, LegalBases.none()).reason == "category-not-covered"


async def test_applying_together_counts_only_the_events_not_yet_recorded(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    first, second = grant("C-1"), grant("C-2")
    await store.apply(first, pseudonym=PSEUDONYM, applied_at=T0)
    pairs = [(first, PSEUDONYM), (second, PSEUDONYM), (second, PSEUDONYM)]
    assert await store.apply_all(pairs, applied_at=T0 + HOUR) == AppliedConsents(recorded=1)
    assert [v.consent_id for v in await store.history(PSEUDONYM)] == ["C-1", "C-2"]


async def test_another_consent_event_under_a_recorded_id_is_refused_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    first = grant("C-1")
    await store.apply(first, pseudonym=PSEUDONYM, applied_at=T0)
    other = revocation("C-1").model_copy(update={"event_id": first.event_id})
    pairs: list[tuple[ConsentGranted | ConsentRevoked, str]] = [
        (other, PSEUDONYM),
        (grant("C-2"), PSEUDONYM),
    ]

    applied = await store.apply_all(pairs, applied_at=T0 + HOUR)

    assert applied == AppliedConsents(recorded=1, refused=(0,))
    assert [type(v).__name__ for v in await store.history(PSEUDONYM)] == [
        "ConsentGrant",
        "ConsentGrant",
    ]


async def test_of_two_consent_events_under_one_new_id_the_first_is_recorded(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    first = grant("C-1")
    other = grant("C-9").model_copy(update={"event_id": first.event_id})
    pairs = [(first, PSEUDONYM), (other, PSEUDONYM), (first, PSEUDONYM)]

    applied = await store.apply_all(pairs, applied_at=T0)

    assert applied == AppliedConsents(recorded=1, refused=(1,))
    assert [v.consent_id for v in await store.history(PSEUDONYM)] == ["C-1"]


async def test_another_organisations_grant_under_a_recorded_consent_id_is_refused(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    await store.apply(
        refusal("C-1", ConsentRule(documents=("R-1",))), pseudonym=PSEUDONYM, applied_at=T0
    )

    applied = await store.apply_all([(grant("C-1", sender=KELA), PSEUDONYM)], applied_at=T0 + HOUR)

    assert applied == AppliedConsents(recorded=0, taken=((0, SOTE),))
    [only] = await store.history(PSEUDONYM)
    assert isinstance(only, ConsentGrant)
    assert only.is_refusal


async def test_of_two_organisations_grants_under_one_new_consent_id_the_first_owns_it(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    pairs: list[tuple[ConsentGranted | ConsentRevoked, str]] = [
        (grant("C-1", sender=KELA), PSEUDONYM),
        (grant("C-1", sender=SOTE), PSEUDONYM),
        (grant("C-1", sender=KELA, categories=(DataCategory.REFERRAL,)), PSEUDONYM),
    ]

    applied = await store.apply_all(pairs, applied_at=T0)

    assert applied == AppliedConsents(recorded=2, taken=((1, KELA),))
    assert {v.recorded_by for v in await store.history(PSEUDONYM)} == {KELA}


async def test_a_consent_id_is_owned_per_client(engine: AsyncEngine) -> None:
    store = ConsentStore(engine)
    other = PSEUDONYMS.pseudonym(OTHER_CLIENT)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)

    applied = await store.apply_all(
        [(grant("C-1", sender=KELA, client=OTHER_CLIENT), other)], applied_at=T0
    )

    assert applied == AppliedConsents(recorded=1)


async def test_a_revocation_under_a_consent_id_no_grant_has_is_recorded_and_reported(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)
    pairs: list[tuple[ConsentGranted | ConsentRevoked, str]] = [
        (revocation("C-1"), PSEUDONYM),
        (revocation("C-2", sender=KELA), PSEUDONYM),
    ]

    applied = await store.apply_all(pairs, applied_at=T0 + HOUR)

    assert applied == AppliedConsents(recorded=2, unmatched=(1,))
    assert [v.consent_id for v in await store.history(PSEUDONYM)] == ["C-1", "C-1", "C-2"]


async def test_a_revocation_after_a_grant_applied_with_it_is_not_reported(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    pairs: list[tuple[ConsentGranted | ConsentRevoked, str]] = [
        (grant("C-1"), PSEUDONYM),
        (revocation("C-1", sender=KELA), PSEUDONYM),
    ]

    assert await store.apply_all(pairs, applied_at=T0) == AppliedConsents(recorded=2)


async def test_a_revocation_is_matched_only_by_a_grant_of_its_own_client(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    other = PSEUDONYMS.pseudonym(OTHER_CLIENT)
    await store.apply(grant("C-1", client=OTHER_CLIENT), pseudonym=other, applied_at=T0)

    applied = await store.apply_all([(revocation("C-1"), PSEUDONYM)], applied_at=T0 + HOUR)

    assert applied == AppliedConsents(recorded=1, unmatched=(0,))


async def test_an_unmatched_revocation_applied_again_is_reported_again_even_after_a_grant(
    engine: AsyncEngine,
) -> None:
    # What the router needs to tell the sender after a crash: whether the revocation named
    # no consent when it was recorded, not whether one has the id now.
    store = ConsentStore(engine)
    revoked = revocation("C-1")
    await store.apply(revoked, pseudonym=PSEUDONYM, applied_at=T0)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0 + HOUR)

    applied = await store.apply_all([(revoked, PSEUDONYM)], applied_at=T0 + DAY)

    assert applied == AppliedConsents(recorded=0, unmatched=(0,))


async def test_another_event_under_an_unmatched_revocations_id_is_refused_not_reported(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    revoked = revocation("C-1")
    await store.apply(revoked, pseudonym=PSEUDONYM, applied_at=T0)
    other = revocation("C-2").model_copy(update={"event_id": revoked.event_id})

    applied = await store.apply_all([(other, PSEUDONYM)], applied_at=T0 + HOUR)

    assert applied == AppliedConsents(recorded=0, refused=(0,))


async def test_a_consent_event_recorded_before_digests_were_kept_is_taken_for_a_replay(
    engine: AsyncEngine,
) -> None:
    store = ConsentStore(engine)
    first = grant("C-1")
    await store.apply(first, pseudonym=PSEUDONYM, applied_at=T0)
    async with engine.begin() as connection:
        await connection.execute(sa.update(consent_versions).values(content_digest=None))
    other = grant("C-9").model_copy(update={"event_id": first.event_id})

    applied = await store.apply_all([(other, PSEUDONYM)], applied_at=T0 + HOUR)

    assert applied == AppliedConsents(recorded=0)


async def test_a_version_applied_after_a_read_is_in_the_next_read(engine: AsyncEngine) -> None:
    store = ConsentStore(engine)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)
    before = (await store.consents_of([PSEUDONYM]))[PSEUDONYM]
    await store.apply(revocation("C-1"), pseudonym=PSEUDONYM, applied_at=T0 + DAY)
    after = (await store.consents_of([PSEUDONYM]))[PSEUDONYM]
    assert [type(v).__name__ for v in before.versions] == ["ConsentGrant"]
    assert [type(v).__name__ for v in after.versions] == ["ConsentGrant", "ConsentRevocation"]


@pytest.mark.parametrize("remembered", [0, 1])
async def test_a_client_with_more_versions_than_are_remembered_is_read_whole(
    engine: AsyncEngine, remembered: int
) -> None:
    store = ConsentStore(engine, remember_versions=remembered)
    events: list[ConsentGranted | ConsentRevoked] = [
        grant("C-1"),
        grant("C-2"),
        revocation("C-1"),
    ]
    await store.apply_all([(event, PSEUDONYM) for event in events], applied_at=T0)
    for _ in range(2):
        read = (await store.consents_of([PSEUDONYM]))[PSEUDONYM]
        assert sorted(v.consent_id for v in read.versions) == ["C-1", "C-1", "C-2"]


async def test_consents_read_back_give_the_same_decisions_as_in_memory(engine: AsyncEngine) -> None:
    applied: list[Applied] = [
        (
            grant(
                "C-1",
                recipients=(Recipient(kind=OrganisationKind.KELA), Recipient(organisation=TYP)),
            ),
            T0,
        ),
        (
            grant(
                "C-2",
                recipients=(Recipient(kind=OrganisationKind.TYOLLISYYS),),
                categories=(DataCategory.PLAN, DataCategory.ASSESSMENT_HEALTH),
                exceptions=(ConsentRule(sources=(JARJESTO,)),),
                valid_from=(T0 + HOUR).astimezone(HELSINKI),
                valid_until=(T0 + 3 * DAY).astimezone(HELSINKI),
            ),
            T0,
        ),
        (
            refusal(
                "R-1", ConsentRule(documents=("HEALTH-1",), service_tasks=("terveydenhuolto",))
            ),
            T0,
        ),
        (revocation("C-1", sender=TYOLLISYYS), T0 + DAY),
        (grant("C-3", categories=(DataCategory.REFERRAL,), purpose="HRESCH"), T0 + DAY),
    ]
    store = ConsentStore(engine)
    for event, at in applied:
        await store.apply(event, pseudonym=PSEUDONYM, applied_at=at.astimezone(HELSINKI))
    recorded = await store.consents_for(PSEUDONYM)
    in_memory = consents(*applied)
    assert recorded == in_memory
    questions = [
        disclosure(recipient, category, sender=sender, at=at, parts=parts)
        for recipient in (KELA, TYOLLISYYS, TYP)
        for category in (DataCategory.PLAN, DataCategory.REFERRAL, DataCategory.ASSESSMENT_HEALTH)
        for sender in (SOTE, JARJESTO)
        for at in (T0 - HOUR, T0 + 2 * HOUR, T0 + 2 * DAY, T0 + 4 * DAY)
        for parts in ((), (DisclosurePart("HEALTH-1", DataCategory.ASSESSMENT_HEALTH),))
    ]
    bases = LegalBases.none()
    assert [decide(q, recorded, bases) for q in questions] == [
        decide(q, in_memory, bases) for q in questions
    ]
    assert all(version.applied_at.tzinfo is not None for version in recorded.versions)


async def test_clients_see_only_their_own_consents(engine: AsyncEngine) -> None:
    store = ConsentStore(engine)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)
    other = "0" * 64
    assert (await store.consents_for(other)).versions == ()
    assert (await store.consents_for(other)).client == other


async def test_identity_code_is_never_stored(engine: AsyncEngine) -> None:
    store = ConsentStore(engine)
    with pytest.raises(InvalidIdentifierError, match="pseudonym"):
        await store.apply(grant("C-1"), pseudonym=CLIENT, applied_at=T0)
    await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(consent_versions))).all()
    assert all(CLIENT not in str(tuple(row)) for row in rows)


async def test_unreachable_database_raises_store_unavailable() -> None:
    engine = create_database_engine(
        f"postgresql+asyncpg://postgres@127.0.0.1:{free_port('127.0.0.1')}/test"
    )
    store = ConsentStore(engine)
    try:
        with pytest.raises(StoreUnavailableError, match="consent"):
            await store.apply(grant("C-1"), pseudonym=PSEUDONYM, applied_at=T0)
        with pytest.raises(StoreUnavailableError, match="consents"):
            await store.consents_for(PSEUDONYM)
    finally:
        await engine.dispose()
