"""The demo's client journey, played against the real embedded broker, as a specification.

The same steps ``saattaja demo`` plays (imported from ``broker.demo``), fed through the
five reference adapters' real entry points, with each organisation under an id of this
test's own. Every step must be decided exactly as the table says, and every permitted
delivery must reach the receiving organisation's system.
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

from broker.demo import DemoStack, JourneyPlayer, StepOutcome, journey_steps
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings
from tests.router.harness import suffixed_registry

pytestmark = pytest.mark.kafka

_SECRET: Final = "demo-journey-test-pseudonym-secret-0123456789"
_HEALTH_CHECK: Final = "EKHVA-TT-2026-1188"


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
    Expected(_to("sote")),  # Kela accepts: back to the referrer; both join the care network
    Expected(_to("sote", "kela", "tyollisyys")),  # case manager named; the team joins
    Expected(
        _to("sote", "kela", "tyollisyys"),
        denied={"jarjesto": "recipient-not-covered"},
        removed={"tyollisyys": (_HEALTH_CHECK,)},
    ),  # shared plan: not to the NGO yet; the health check kept from the employment services
    Expected(consent_applied=True),  # work-activity consent to the NGO
    Expected(_to("sote", "kela", "tyollisyys", "jarjesto")),  # plan update naming the NGO
    Expected(consent_applied=True),  # the employment services' consent revoked
    Expected(_to("sote", "typ"), denied={"tyollisyys": "consent-revoked"}),  # referral completed
    Expected(_to("sote", "kela"), denied={"tyollisyys": "consent-revoked"}),  # episode closed
)


@pytest.fixture(scope="module")
async def journey(
    kafka_bootstrap: str, registry: OrganisationRegistry, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[list[StepOutcome]]:
    """The whole journey played once, on organisations and a router group of this module's own."""
    organisations = suffixed_registry(registry)
    settings = SaattajaSettings(
        kafka_bootstrap=kafka_bootstrap,
        pseudonym_secret=SecretStr(_SECRET),
        router_group_id=f"demo-test-{uuid.uuid4().hex[:8]}",
        router_session_timeout_ms=6_000,
        topic_partitions=2,
    )
    folder: Path = tmp_path_factory.mktemp("demo") / "demo"
    async with DemoStack(settings, organisations, folder, bootstrap=kafka_bootstrap) as stack:
        player = JourneyPlayer(stack)
        yield [
            await player.play(step)
            for step in journey_steps(organisations, start=datetime.now(UTC))
        ]


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


def test_no_record_of_the_journey_is_rejected(journey: list[StepOutcome]) -> None:
    assert not any(outcome.rejected for outcome in journey)


def test_permitted_decisions_name_the_consent_they_rest_on(journey: list[StepOutcome]) -> None:
    permits = [d.record for outcome in journey for d in outcome.decisions if d.permitted]
    assert permits
    assert all(record.reason == "consent" and record.basis for record in permits)
