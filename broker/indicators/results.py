"""What ``compute_indicators`` returns: aggregates only, every small cell already hidden."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from broker.indicators.figures import Count, Measure

__all__ = [
    "CategoryCount",
    "ClientPaths",
    "DuplicateAssessments",
    "EpisodeOutcomes",
    "OrganisationRef",
    "PathwayIndicators",
    "ReferralPair",
]


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrganisationRef(_Result):
    """An organisation by OID, with the id people know it by (the OID when none is known)."""

    oid: str
    id: str


class ReferralPair(_Result):
    """Referrals one organisation sent another, requested in the period.

    ``suppressed`` marks a row resting on 1-4 clients: every figure in it is hidden.
    Acceptance times run from the request to the acceptance, in whole hours, over the
    accepted (and since completed) referrals. Rates: rejected / answered (accepted, rejected
    or expired), overdue (at least one overdue notice sent) / all, expired / all; a rate is
    hidden when its count, its denominator or their difference rests on 1-4 clients.
    """

    requester: OrganisationRef
    receiver: OrganisationRef
    suppressed: bool
    referrals: Count
    clients: Count
    acceptance_median_hours: Measure
    acceptance_p90_hours: Measure
    rejection_rate: Measure
    overdue_rate: Measure
    expiry_rate: Measure


class ClientPaths(_Result):
    """How many times a client's path changed hands.

    Over the clients with a referral requested in the period: how many of those referrals
    each client had accepted (median, 90th percentile); and the handover packages sent in
    the period. No maximum: a maximum describes one client, however many clients there are.
    """

    clients: Count
    accepted_referrals_median: Measure
    accepted_referrals_p90: Measure
    handovers: Count


class CategoryCount(_Result):
    """One row of a table by category (an assessment kind, a hint moment, an outcome)."""

    name: str
    count: Count


class DuplicateAssessments(_Result):
    """Assessments repeated for nothing, and the hints sent to prevent that.

    ``flagged``: assessments recorded in the period that repeat, within the configured
    window, one of the same kind made for the same client by another organisation.
    ``hints``: assessment.available hints sent in the period, by moment.
    ``avoided``: see ``compute_indicators``.
    """

    flagged: Count
    flagged_by_kind: tuple[CategoryCount, ...]
    hints: Count
    hints_by_moment: tuple[CategoryCount, ...]
    avoided: Count


class EpisodeOutcomes(_Result):
    """Where clients went: distinct clients whose episode closed in the period, by outcome.

    A client whose two episodes closed with different outcomes counts under both, so the
    outcomes may add up to more than ``clients``.
    """

    clients: Count
    by_outcome: tuple[CategoryCount, ...]


class PathwayIndicators(_Result):
    """The pathway indicators of the period [since, until), cells under ``threshold`` hidden."""

    since: datetime
    until: datetime
    threshold: int
    referral_pairs: tuple[ReferralPair, ...]
    client_paths: ClientPaths
    duplicates: DuplicateAssessments
    outcomes: EpisodeOutcomes
