"""Sending dead letters back to the outboxes they came from, to be routed as if just arrived.

The router takes such a record as any other: one it routes is delivered once (its event id
is then applied, and the same record sent again is a replay it does not deliver again);
one it rejects again goes back to saattaja.dlq with its reason, and its sender is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from broker.dead_letters.causes import lasting_cause
from broker.dead_letters.records import DeadLetter
from broker.errors import ConfigurationError
from broker.kafka import AcknowledgedSender, KafkaConnection, Outbound, start_producer
from broker.topics import DLQ_TOPIC
from schemas import KafkaRecord

__all__ = ["HeldBack", "RedrivePlan", "plan_redrive", "redrive", "send_back"]


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A dead letter that is not sent back, and why."""

    letter: DeadLetter
    why: str


@dataclass(frozen=True, slots=True)
class RedrivePlan:
    """Which of the dead letters asked for go back to their outboxes, and which do not."""

    to_send: tuple[DeadLetter, ...]
    """Oldest rejection first, each record once."""
    held: tuple[HeldBack, ...]
    repeated: int
    """Dead letters of a record listed once already: rejected again after a crash, or sent
    back before and rejected again. The record goes once."""

    @property
    def deliveries(self) -> list[tuple[str, KafkaRecord]]:
        """(outbox, record) of each record to send back."""
        return [(_outbox(letter), letter.record) for letter in self.to_send]


def plan_redrive(letters: Sequence[DeadLetter]) -> RedrivePlan:
    """What to send back of ``letters`` (as ``read_dead_letters`` gives them, oldest first).

    A record in the topic more than once is judged by its latest rejection, whose reason is
    the router's word on it as it is now.
    """
    latest: dict[KafkaRecord, DeadLetter] = {}
    for letter in letters:
        # Where it first appears, with the latest letter: dicts keep the first insertion's place.
        latest[letter.record] = letter
    to_send: list[DeadLetter] = []
    held: list[HeldBack] = []
    for letter in latest.values():
        why = _held_because(letter)
        if why is None:
            to_send.append(letter)
        else:
            held.append(HeldBack(letter, why))
    return RedrivePlan(tuple(to_send), tuple(held), len(letters) - len(latest))


def _held_because(letter: DeadLetter) -> str | None:
    if letter.value_left_out is not None:
        return (
            f"its value was left out of {DLQ_TOPIC} ({letter.value_left_out}): the dead "
            "letter does not hold the record, and sent back it would be another, empty one; "
            f"ask {letter.organisation or 'its sender'} to send the event again"
        )
    if letter.organisation is None or letter.source_topic is None:
        where = (
            "no outbox is named in it: the router did not write this message"
            if letter.source_topic is None
            else f"it came from {letter.source_topic}, the outbox of no organisation of the "
            "registry"
        )
        return f"{where}; there is no outbox to send it back to"
    return lasting_cause(letter.reason)


def _outbox(letter: DeadLetter) -> str:
    assert letter.source_topic is not None  # noqa: S101  # held back otherwise
    return letter.source_topic


async def send_back(outbound: Outbound, plan: RedrivePlan) -> None:
    """Send the plan's records to their outboxes, in order; each to its key's partition.

    The key's partition, as an adapter's keyed partitioner puts it, is where the router
    routes the record: the partition it came from, unless it was on another (its sender
    partitioned wrongly, or the outbox's partitions were changed since).
    """
    try:
        await outbound.send_all(plan.deliveries)
    except TopicAuthorizationFailedError as exc:
        outboxes = ", ".join(sorted({topic for topic, _ in plan.deliveries}))
        raise ConfigurationError(
            f"Kafka does not let this principal write {outboxes}: run `saattaja topics "
            "redrive` as a principal that may read saattaja.dlq and write the outboxes "
            "(`saattaja topics acls --redrive-principal PRINCIPAL` prints its ACLs); what "
            "was sent before the refusal is routed, and sending it again delivers nothing twice"
        ) from exc


async def redrive(connection: KafkaConnection, plan: RedrivePlan) -> None:
    """Send the plan's records back with a producer of this connection's; see ``send_back``."""
    producer = await start_producer(connection)
    try:
        await send_back(AcknowledgedSender(producer), plan)
    except KafkaError as exc:
        raise connection.unavailable(exc) from exc
    finally:
        await producer.stop()
