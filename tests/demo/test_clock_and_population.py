"""The demo's clock and its synthetic clients, without a broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from broker.demo import DEMO_CLIENT, DemoClock, synthetic_population
from broker.pathway import pathway_rules
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings
from schemas import ReferralAccepted, ReferralRejected, ReferralRequested

_REAL = datetime(2026, 2, 4, 9, 0, tzinfo=UTC)


def test_the_clock_runs_on_real_time_until_moved() -> None:
    now = [_REAL]
    clock = DemoClock(lambda: now[0])
    now[0] += timedelta(seconds=3)
    assert clock() == _REAL + timedelta(seconds=3)


def test_the_clock_moves_forward_and_keeps_running() -> None:
    now = [_REAL]
    clock = DemoClock(lambda: now[0])
    clock.advance_to(_REAL + timedelta(days=7))
    now[0] += timedelta(seconds=1)
    assert clock() == _REAL + timedelta(days=7, seconds=1)


def test_the_clock_never_goes_back() -> None:
    clock = DemoClock(lambda: _REAL)
    clock.advance_to(_REAL + timedelta(days=7))
    clock.advance_to(_REAL - timedelta(days=1))
    assert clock.offset == timedelta(days=7)


def test_synthetic_referrals_are_answered_in_time_and_before_the_routers_clock(
    registry: OrganisationRegistry,
) -> None:
    referrals = pathway_rules(SaattajaSettings()).clock
    since, until = _REAL, _REAL + timedelta(days=7)
    population = synthetic_population(registry, since=since, until=until, referrals=referrals)
    events = [event for wave in population.waves for event in wave]
    requested = {e.referral_id: e for e in events if isinstance(e, ReferralRequested)}
    answers = [e for e in events if isinstance(e, ReferralAccepted | ReferralRejected)]
    assert 40 <= population.clients <= 60
    assert len(requested) == len(answers) == population.clients
    assert all(since <= r.occurred_at for r in requested.values())
    assert all(referrals.due(r.occurred_at) > until for r in requested.values())
    assert all(a.occurred_at > requested[a.referral_id].occurred_at for a in answers)
    assert all(event.occurred_at < until for event in events)
    assert len({event.client for event in events}) == population.clients
    assert DEMO_CLIENT not in {event.client for event in events}
