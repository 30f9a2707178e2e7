"""An assessment the client has already done elsewhere is pointed out, so it need not be repeated.

When TYP records a Kykyviisari less than the window (183 days by default) after the health
centre recorded one, the pathway counts TYP's as a duplicate of it, and TYP hears that the
earlier one exists (assessment.available), if consent lets it see that assessment. An
organisation taking the catch hears of recent assessments before it assesses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from broker.pathway import derived_id
from broker.pathway.tables import pathway_assessments
from schemas import (
    AssessmentAvailable,
    AssessmentRecorded,
    DataCategory,
    Event,
    HintMoment,
    OrganisationKind,
    Recipient,
)
from tests.router.events import (
    HEALTH_CHECK,
    KELA,
    SOTE,
    START,
    TYP,
    acceptance,
    consent,
    kykyviisari,
    referral,
)
from tests.router.harness import RouterUnderTest

pytestmark = pytest.mark.kafka

TWO_MONTHS_LATER = START + timedelta(days=61)


def self_assessments_to_typ(consent_id: str, client: str) -> Event:
    """The client lets TYP see their self-assessments."""
    return consent(
        consent_id, (Recipient(organisation=TYP),), (DataCategory.ASSESSMENT_SELF,), client=client
    )


async def hints_to(router: RouterUnderTest, kind: str, client: str) -> list[AssessmentAvailable]:
    return [
        event
        for event in await router.harness.events_of(kind, client)
        if isinstance(event, AssessmentAvailable)
    ]


async def duplicate_of(router: RouterUnderTest, assessment: AssessmentRecorded) -> str | None:
    [fact] = [
        row
        for row in await router.harness.rows(pathway_assessments, assessment.client)
        if row["event_id"] == str(assessment.event_id)
    ]
    return None if fact["duplicate_of"] is None else str(fact["duplicate_of"])


async def test_assessing_again_within_the_window_brings_a_hint_of_the_earlier_assessment(
    router: RouterUnderTest, client: str
) -> None:
    earlier = kykyviisari("KV-sote-1", client=client)
    again = kykyviisari("KV-typ-1", client=client, sender=TYP, at=TWO_MONTHS_LATER)
    await router.route(self_assessments_to_typ("C-1", client), earlier)
    await router.route(again)

    [hint] = await hints_to(router, "typ", client)
    assert hint.event_id == derived_id("hint", again.event_id, earlier.event_id)
    assert (hint.sender, hint.recipient) == (SOTE, TYP)
    assert (hint.assessment_event_id, hint.assessment_id) == (earlier.event_id, "KV-sote-1")
    assert (hint.assessment_kind, hint.assessment_category) == (
        "kykyviisari",
        DataCategory.ASSESSMENT_SELF,
    )
    assert (hint.moment, hint.duplicate_assessment_id) == (HintMoment.AFTER_ASSESSING, "KV-typ-1")
    assert hint.recorded_at == earlier.occurred_at
    assert await duplicate_of(router, again) == str(earlier.event_id)
    # The hint says where the assessment is; the assessment itself stays where it was.
    assert earlier.event_id not in {
        e.event_id for e in await router.harness.events_of("typ", client)
    }


async def test_without_consent_there_is_no_hint_but_the_duplicate_is_still_counted(
    router: RouterUnderTest, client: str
) -> None:
    earlier = kykyviisari("KV-sote-2", client=client)
    again = kykyviisari("KV-typ-2", client=client, sender=TYP, at=TWO_MONTHS_LATER)
    await router.route(earlier)
    await router.route(again)

    assert await router.harness.events_of("typ", client) == []
    assert await duplicate_of(router, again) == str(earlier.event_id)
    [decision] = [
        r
        for r in await router.harness.audit_records_of(client)
        if r.event_id == derived_id("hint", again.event_id, earlier.event_id)
    ]
    assert (decision.recipient, decision.decision) == (TYP, "deny")


async def test_assessment_older_than_the_window_is_no_duplicate_and_brings_no_hint(
    router: RouterUnderTest, client: str
) -> None:
    earlier = kykyviisari("KV-sote-3", client=client)
    much_later = kykyviisari("KV-typ-3", client=client, sender=TYP, at=START + timedelta(days=200))
    await router.route(self_assessments_to_typ("C-3", client), earlier)
    await router.route(much_later)

    assert await hints_to(router, "typ", client) == []
    assert await duplicate_of(router, much_later) is None


async def test_assessment_of_another_kind_is_no_duplicate(
    router: RouterUnderTest, client: str
) -> None:
    health_check = AssessmentRecorded(
        occurred_at=TWO_MONTHS_LATER,
        sender=TYP,
        client=client,
        assessment_id="TT-typ-4",
        assessment=HEALTH_CHECK,
    )
    await router.route(self_assessments_to_typ("C-4", client), kykyviisari("KV-4", client=client))
    await router.route(health_check)

    assert await hints_to(router, "typ", client) == []
    assert await duplicate_of(router, health_check) is None


async def test_organisation_repeating_its_own_assessment_makes_no_duplicate(
    router: RouterUnderTest, client: str
) -> None:
    repeated = kykyviisari("KV-5b", client=client, at=TWO_MONTHS_LATER)
    await router.route(kykyviisari("KV-5a", client=client))
    await router.route(repeated)

    assert await duplicate_of(router, repeated) is None


async def test_organisation_taking_the_catch_hears_of_a_recent_assessment_before_assessing(
    router: RouterUnderTest, client: str
) -> None:
    recent = kykyviisari("KV-6", client=client)
    accepted = acceptance("R-6", client=client, at=TWO_MONTHS_LATER)
    await router.route(
        consent(
            "C-6",
            (Recipient(kind=OrganisationKind.KELA),),
            (DataCategory.REFERRAL, DataCategory.ASSESSMENT_SELF),
            client=client,
        )
    )
    await router.route(recent, referral("R-6", client=client))
    await router.route(accepted)

    [hint] = await hints_to(router, "kela", client)
    assert hint.event_id == derived_id("hint", accepted.event_id, recent.event_id)
    assert (hint.recipient, hint.assessment_event_id) == (KELA, recent.event_id)
    assert (hint.moment, hint.duplicate_assessment_id) == (HintMoment.BEFORE_ASSESSING, None)
