"""The demo's client journey, played against the real embedded broker, as a specification.

The same story ``saattaja demo`` tells (``broker.demo.tell``): the steps fed through the
five reference adapters' real entry points, with each organisation under an id of this
test's own, then the synthetic clients and the indicators. Every step must be decided
exactly as the table says, every permitted delivery must reach the receiving
organisation's system, and what the router sends because of a step (the handover to
Kela, the overdue notice) must arrive and be told.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from pydantic import SecretStr

from broker.demo import Decision, DemoStack, Narrator, StepOutcome, TimePasses, Told, tell
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings
from schemas import AssessmentRecorded, HandoverPackage, OverdueRole, ReferralOverdue
from tests.router.harness import suffixed_registry

pytestmark = pytest.mark.kafka

_SECRET: Final = "demo-journey-test-pseudonym-secret-0123456789"
_HEALTH_CHECK: Final = "EKHVA-TT-2026-1188"
_KYKYVIISARI: Final = "LPR-TYO-KV-2026-0533"
_GUIDANCE: Final = "TYP-EK-LAH-2026-0112"
_ACCEPTED_BY_KELA: Final = 6
_DAYS_PASS: Final = 12


@dataclass(frozen=True, slots=True)
class Expected:
    """What one step must come to, by organisation kind."""

    permitted: frozenset[str] = frozenset()
    denied: dict[str, str] | None = None
    """Refused kind -> reason code."""
    removed: dict[str, tuple[str, ...]] | None = None
    """Permitted kind -> documents removed before delivery."""
    consent_applied: bool = False


def _to(*kinds: str) -> frozenset[str]:
    return frozenset(kinds)


# One row per step of broker.demo.journey_steps, in order.
_JOURNEY: Final[tuple[Expected, ...]] = (
    Expected(),  # health check: no receiver named, no care network yet
    Expected(),  # Kykyviisari: likewise
    Expected(consent_applied=True),  # Kela, TYP and the health centre
    Expected(consent_applied=True),  # employment services, without health data
    Expected(_to("kela")),  # referral to Kela
    Expected(_to("sote")),  # Kela accepts: back to the referrer; the history follows to Kela
    Expected(_to("sote", "kela", "tyollisyys")),  # case manager named; the team joins
    Expected(
        _to("sote", "kela", "tyollisyys"),
        denied={"jarjesto": "recipient-not-covered"},
        removed={"tyollisyys": (_HEALTH_CHECK,)},
    ),  # shared plan: not to the NGO yet; the health check kept from the employment services
    Expected(consent_applied=True),  # work-activity consent to the NGO
    Expected(_to("sote", "kela", "tyollisyys", "jarjesto")),  # plan update naming the NGO
    Expected(_to("tyollisyys", "sote", "kela")),  # career-guidance referral; the network hears
    Expected(),  # five working days pass: the router's own notice follows, nothing is fed
    Expected(_to("typ", "sote", "kela")),  # the employment services reject, late
    Expected(consent_applied=True),  # the employment services' consent revoked
    Expected(_to("sote", "typ"), denied={"tyollisyys": "consent-revoked"}),  # referral completed
    Expected(_to("sote", "kela"), denied={"tyollisyys": "consent-revoked"}),  # episode closed
)


@dataclass(frozen=True, slots=True)
class Played:
    """The story as told: what it came to, and the lines a person would read."""

    told: Told
    lines: list[str]

    @property
    def steps(self) -> list[StepOutcome]:
        return self.told.steps


@pytest.fixture(scope="module")
async def played(
    kafka_bootstrap: str, registry: OrganisationRegistry, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Played]:
    """The whole story told once, on organisations and a router group of this module's own."""
    organisations = suffixed_registry(registry)
    settings = SaattajaSettings(
        kafka_bootstrap=kafka_bootstrap,
        pseudonym_secret=SecretStr(_SECRET),
        router_group_id=f"demo-test-{uuid.uuid4().hex[:8]}",
        router_session_timeout_ms=6_000,
        topic_partitions=2,
    )
    folder: Path = tmp_path_factory.mktemp("demo") / "demo"
    lines: list[str] = []
    async with DemoStack(settings, organisations, folder, bootstrap=kafka_bootstrap) as stack:
        told = await tell(stack, Narrator(organisations, lines.append), start=datetime.now(UTC))
        yield Played(told, lines)


@pytest.fixture(scope="module")
def journey(played: Played) -> list[StepOutcome]:
    """Each step's outcome, in order."""
    return played.steps


def _kind(organisation_id: str) -> str:
    return organisation_id.rsplit("-", 1)[0]


def test_the_journey_has_a_row_of_expectations_per_step(journey: list[StepOutcome]) -> None:
    assert len(journey) == len(_JOURNEY)


@pytest.mark.parametrize("number", range(1, len(_JOURNEY) + 1))
def test_each_step_reaches_exactly_the_permitted_organisations(
    journey: list[StepOutcome], number: int
) -> None:
    outcome, expected = journey[number - 1], _JOURNEY[number - 1]
    assert {_kind(org) for org in outcome.permitted} == expected.permitted


@pytest.mark.parametrize("number", range(1, len(_JOURNEY) + 1))
def test_each_step_is_refused_to_exactly_the_denied_organisations_for_its_reason(
    journey: list[StepOutcome], number: int
) -> None:
    outcome, expected = journey[number - 1], _JOURNEY[number - 1]
    refused = {_kind(d.recipient.id): d.record.reason for d in outcome.decisions if not d.permitted}
    assert refused == (expected.denied or {})


@pytest.mark.parametrize("number", range(1, len(_JOURNEY) + 1))
def test_each_permitted_delivery_reached_the_receiving_system(
    journey: list[StepOutcome], number: int
) -> None:
    outcome = journey[number - 1]
    assert all(d.received_as for d in outcome.decisions if d.permitted)


@pytest.mark.parametrize("number", range(1, len(_JOURNEY) + 1))
def test_each_delivery_carries_only_what_the_recipient_may_see(
    journey: list[StepOutcome], number: int
) -> None:
    outcome, expected = journey[number - 1], _JOURNEY[number - 1]
    removed = {
        _kind(d.recipient.id): d.record.removed for d in outcome.decisions if d.record.removed
    }
    assert removed == (expected.removed or {})


@pytest.mark.parametrize(
    "number", [n for n, expected in enumerate(_JOURNEY, start=1) if expected.consent_applied]
)
def test_consents_and_revocations_are_applied_and_passed_on_to_nobody(
    journey: list[StepOutcome], number: int
) -> None:
    outcome = journey[number - 1]
    assert outcome.applied
    assert outcome.decisions == ()


def test_days_pass_once_after_the_career_guidance_referral(journey: list[StepOutcome]) -> None:
    passing = [
        n for n, outcome in enumerate(journey, start=1) if isinstance(outcome.step, TimePasses)
    ]
    assert passing == [_DAYS_PASS]


def test_no_record_of_the_journey_is_rejected(journey: list[StepOutcome]) -> None:
    assert not any(outcome.rejected for outcome in journey)


def test_permitted_decisions_name_the_consent_they_rest_on(journey: list[StepOutcome]) -> None:
    permits = [d.record for outcome in journey for d in outcome.decisions if d.permitted]
    assert permits
    assert all(record.reason == "consent" and record.basis for record in permits)


def _issued(outcome: StepOutcome, kind: type[object]) -> list[Decision]:
    return [d for d in outcome.followed if isinstance(d.event, kind)]


def _overdue(outcome: StepOutcome, role: OverdueRole) -> list[Decision]:
    return [
        d
        for d in _issued(outcome, ReferralOverdue)
        if isinstance(d.event, ReferralOverdue) and d.event.role is role
    ]


def test_the_handover_package_reaches_kela_when_it_accepts(journey: list[StepOutcome]) -> None:
    outcome = journey[_ACCEPTED_BY_KELA - 1]
    [package] = _issued(outcome, HandoverPackage)
    assert _kind(package.recipient.id) == "kela"
    assert package.permitted
    assert package.record.reason == "handover"
    assert package.received_as
    assert isinstance(package.event, HandoverPackage)
    assert package.event.trigger.value == "referral-accepted"
    listed = {(item.event_type, item.document_id, item.included) for item in package.event.items}
    assert listed == {
        (AssessmentRecorded.ce_type(), _HEALTH_CHECK, True),
        (AssessmentRecorded.ce_type(), _KYKYVIISARI, True),
    }


def test_the_handed_over_records_arrive_in_kelas_system(journey: list[StepOutcome]) -> None:
    outcome = journey[_ACCEPTED_BY_KELA - 1]
    [package] = _issued(outcome, HandoverPackage)
    assert isinstance(package.event, HandoverPackage)
    items = {item.event_id for item in package.event.items}
    handed = [d for d in outcome.followed if d.record.event_id in items]
    assert {d.record.event_id for d in handed} == items
    assert all(d.permitted and d.record.reason == "consent" and d.received_as for d in handed)
    assert all(_kind(d.recipient.id) == "kela" for d in handed)


def test_the_overdue_notice_reaches_the_requester_who_is_also_case_manager(
    journey: list[StepOutcome],
) -> None:
    outcome = journey[_DAYS_PASS - 1]
    [notice] = _overdue(outcome, OverdueRole.REQUESTER)
    assert _kind(notice.recipient.id) == "typ"
    assert (notice.permitted, notice.record.reason) == (True, "own-data")
    assert notice.received_as
    assert isinstance(notice.event, ReferralOverdue)
    assert (notice.event.referral_id, notice.event.escalation) == (_GUIDANCE, 1)
    assert notice.event.case_manager_organisation == notice.recipient.oid
    assert {d.record.event_type for d in outcome.followed} == {ReferralOverdue.ce_type()}


def test_the_employment_services_that_have_not_answered_are_reminded(
    journey: list[StepOutcome],
) -> None:
    outcome = journey[_DAYS_PASS - 1]
    [reminder] = _overdue(outcome, OverdueRole.RECEIVER)
    assert _kind(reminder.recipient.id) == "tyollisyys"
    assert (reminder.permitted, reminder.record.reason) == (True, "consent")
    assert reminder.received_as
    assert isinstance(reminder.event, ReferralOverdue)
    assert reminder.event.referral_id == _GUIDANCE


def test_the_steps_after_the_days_passed_happen_after_the_due_time(
    journey: list[StepOutcome],
) -> None:
    passing = journey[_DAYS_PASS - 1].step
    assert isinstance(passing, TimePasses)
    for outcome in journey[_DAYS_PASS:]:
        assert not isinstance(outcome.step, TimePasses)
        assert outcome.step.event.occurred_at > passing.due_at
        assert all(d.record.decided_at >= passing.until for d in outcome.decisions)


def test_the_story_tells_the_handover_and_the_overdue_notice(played: Played) -> None:
    text = "\n".join(played.lines)
    assert "took the catch from sote-" in text
    assert "the router hands it the client's earlier records, each from the organisation" in text
    assert f"{_HEALTH_CHECK} from sote" in text
    assert f"overdue notice 1 on referral {_GUIDANCE}" in text
    assert f"reminder on referral {_GUIDANCE}, waiting for an answer since" in text


def test_the_story_tells_a_handover_to_the_case_managers_own_organisation_as_from_nobody_else(
    played: Played,
) -> None:
    # The TYP names its own case manager while new to the client's care network.
    [told] = [line for line in played.lines if "naming its own case manager" in line]
    assert _kind(told.split()[1]) == "typ"
    assert " from typ" not in told


def test_the_synthetic_clients_are_all_routed(played: Played) -> None:
    assert any("other synthetic clients' paths" in line for line in played.lines)
    assert any("✓ all routed" in line for line in played.lines)


def test_the_indicators_are_printed_at_the_end_with_the_acceptance_pair(played: Played) -> None:
    indicators = played.told.indicators
    assert indicators is not None
    [pair] = [
        p
        for p in indicators.referral_pairs
        if (_kind(p.requester.id), _kind(p.receiver.id)) == ("sote", "kela")
    ]
    assert not pair.referrals.suppressed
    assert pair.referrals.value is not None
    assert pair.referrals.value >= indicators.threshold
    heading = next(
        n for n, line in enumerate(played.lines) if line.startswith("Pathway indicators")
    )
    rows = [" ".join(line.split()) for line in played.lines[heading:]]
    prefix = f"{pair.requester.id} -> {pair.receiver.id} {pair.referrals.value} "
    assert any(row.startswith(prefix) for row in rows)
    assert any(f"<{indicators.threshold}: hidden" in row for row in rows)
    assert any("hidden as <5" in line for line in played.lines[:heading])


def test_the_indicators_of_the_demos_days_are_not_said_to_be_what_the_command_prints(
    played: Played,
) -> None:
    # The demo's days are no calendar quarter: `saattaja indicators` refuses them.
    heading = next(
        n for n, line in enumerate(played.lines) if line.startswith("Pathway indicators")
    )
    told = " ".join(played.lines[:heading][-4:])
    assert "The pathway indicators of the demo's days, in the table" in told
    assert "The command reports whole calendar quarters only" in told
