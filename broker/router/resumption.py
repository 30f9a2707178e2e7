"""Where routing of an outbox partition resumes: Kafka's committed offset or the database's.

Kafka's committed offset is where the group's routing reached; the database's (kept with
each batch's records, ``broker.router.positions``) is how much of it the database holds.
Behind Kafka's, the database was restored from a backup (or a router wrote its offset late):
what was routed since, consents and revocations among them, is missing from the consent
store, the audit log, the pathway and the delivery ledger, so the records between are routed
again. Every step of routing is idempotent by event id, so what the database still holds is
reused and the rest is applied, decided and delivered again (the adapters drop what their
inbox already had).

A partition the database has no offset for (a database from before this table, a new
partition) resumes from Kafka's, as routers always did. Where the database's offset is
older than the oldest record Kafka still holds (the outbox's retention deleted them), those
records are gone for good: routing resumes from the oldest one left, and the loss is said.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Resumption", "resumption"]


@dataclass(frozen=True, slots=True)
class Resumption:
    """Where routing of one outbox partition resumes, and why there."""

    topic: str
    partition: int
    recorded: int | None
    """The next offset the database holds the routing of; None: it holds no offset."""
    committed: int | None
    """Kafka's committed offset of the router's group; None: none committed."""
    start: int | None
    """The offset to route from; None: Kafka's committed offset (or its reset, when none)."""
    routed_again: int = 0
    """Records Kafka's offset had passed that are routed again, for the database lacks them."""
    lost: int = 0
    """Offsets the database never recorded that Kafka no longer holds: gone for good."""

    @property
    def name(self) -> str:
        """The partition as Kafka's tools write it."""
        return f"{self.topic}-{self.partition}"


def resumption(
    topic: str, partition: int, *, recorded: int | None, committed: int | None, beginning: int
) -> Resumption:
    """Where to resume, from the database's and Kafka's offsets and Kafka's oldest record.

    ``beginning``: the offset of the oldest record the partition holds.
    """
    behind = recorded is not None and (committed is None or recorded < committed)
    if recorded is None or not behind:
        return Resumption(topic, partition, recorded, committed, None)
    lost = max(beginning - recorded, 0)
    if committed is None:
        # No offset of the group (a new group id, or offsets expired while it was empty): it
        # starts at the oldest record (auto_offset_reset earliest), which routes everything
        # Kafka holds again; only what is older is gone.
        return Resumption(topic, partition, recorded, committed, None, lost=lost)
    start = max(recorded, beginning)
    return Resumption(
        topic,
        partition,
        recorded,
        committed,
        start,
        routed_again=max(committed - start, 0),
        lost=lost,
    )
