"""Reading the dead-letter topic: what the router rejected, and why."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime

from aiokafka.structs import TopicPartition

from broker.dead_letters.records import DeadLetter
from broker.errors import ConfigurationError, InvalidPeriodError, UnknownOrganisationError
from broker.kafka import KafkaConnection, read_partitions
from broker.registry import OrganisationRegistry
from broker.topics import DLQ_TOPIC, outbox_topic, partition_counts

__all__ = ["DeadLetterFilter", "read_dead_letters"]


@dataclass(frozen=True, slots=True)
class DeadLetterFilter:
    """Which dead letters to list; None matches every one."""

    organisation: str | None = None
    """A registry id: the records rejected from that organisation's outbox."""
    since: datetime | None = None
    """Rejected at or after this moment."""
    until: datetime | None = None
    """Rejected before this moment."""
    event_ids: frozenset[str] = frozenset()
    """The records of these ``ce_id``s; empty: of any."""

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise InvalidPeriodError(
                f"--since {self.since.isoformat()} is not before --until "
                f"{self.until.isoformat()}: the period is empty (--until is not included: "
                "to list one day, give the next day as --until)"
            )

    def matches(self, letter: DeadLetter) -> bool:
        """Whether ``letter`` is one asked for; one of unknown time matches no period."""
        if self.organisation is not None and letter.organisation != self.organisation:
            return False
        if self.event_ids and letter.event_id not in self.event_ids:
            return False
        if self.since is None and self.until is None:
            return True
        at = letter.rejected_at
        if at is None:
            return False
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


async def read_dead_letters(
    connection: KafkaConnection,
    registry: OrganisationRegistry,
    wanted: DeadLetterFilter | None = None,
) -> list[DeadLetter]:
    """The dead-letter topic's messages that ``wanted`` matches, oldest rejection first.

    Raises ConfigurationError when the topic does not exist, and UnknownOrganisationError
    when the filter names an organisation the registry does not list.
    """
    wanted = wanted or DeadLetterFilter()
    if wanted.organisation is not None and wanted.organisation not in registry:
        raise UnknownOrganisationError(
            f"--organisation {wanted.organisation!r} is not an organisation id of "
            f"{registry.source} (known: {', '.join(registry.ids)})"
        )
    counts = await partition_counts(connection, [DLQ_TOPIC])
    if DLQ_TOPIC not in counts:
        raise ConfigurationError(
            f"the topic {DLQ_TOPIC} does not exist at {connection.bootstrap}: create the "
            "topics with `saattaja topics create`; until the router runs on them it has "
            "rejected nothing"
        )
    by_outbox = {outbox_topic(organisation.id): organisation.id for organisation in registry}
    partitions = [TopicPartition(DLQ_TOPIC, n) for n in range(counts[DLQ_TOPIC])]
    letters: list[DeadLetter] = []
    async with aclosing(read_partitions(connection, partitions)) as batches:
        async for batch in batches:
            for message in batch:
                letter = DeadLetter.from_message(message, by_outbox)
                if wanted.matches(letter):
                    letters.append(letter)
    # By time across partitions; a message of unknown time after the rest, where it lies.
    return sorted(
        letters,
        key=lambda letter: (
            letter.rejected_at is None,
            letter.rejected_at.timestamp() if letter.rejected_at is not None else 0.0,
            letter.partition,
            letter.offset,
        ),
    )
