"""A dead letter too large for saattaja.dlq still lands there, without its value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from broker.router.dead_letter import send_rejections
from broker.topics import DLQ_TOPIC
from schemas import KafkaRecord

LIMIT: Final = 1_000
"""The largest record the stand-in Kafka takes, as a topic's max.message.bytes."""


class SizeLimitedKafka:
    """Takes what fits under LIMIT; refuses a whole send holding a larger record, as Kafka."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, KafkaRecord]] = []

    async def send_all(self, deliveries: Sequence[tuple[str, KafkaRecord]]) -> None:
        for _, record in deliveries:
            size = len(record.value) + sum(len(n) + len(v) for n, v in record.headers)
            if size > LIMIT:
                raise MessageSizeTooLargeError(f"{size} bytes")
        self.taken.extend(deliveries)


def _dead_letter(value_bytes: int) -> KafkaRecord:
    return KafkaRecord(
        key=b"k", headers=(("saattaja_dlq_reason", b"value is not JSON"),), value=b"x" * value_bytes
    )


NOTICE: Final = ("saattaja.sote.inbox", KafkaRecord(key=b"k", headers=(), value=b"{}"))


async def test_a_dead_letter_too_large_for_kafka_is_sent_without_its_value_saying_so() -> None:
    kafka = SizeLimitedKafka()
    await send_rejections(kafka, [(DLQ_TOPIC, _dead_letter(2_000)), NOTICE])

    [(topic, sent), notice] = kafka.taken
    assert topic == DLQ_TOPIC
    assert sent.value == b""
    assert dict(sent.headers)["saattaja_dlq_value_left_out"].startswith(b"2000 bytes")
    assert dict(sent.headers)["saattaja_dlq_reason"] == b"value is not JSON"
    assert notice == NOTICE


async def test_dead_letters_that_fit_keep_their_value() -> None:
    kafka = SizeLimitedKafka()
    small = (DLQ_TOPIC, _dead_letter(10))
    await send_rejections(kafka, [small, (DLQ_TOPIC, _dead_letter(2_000)), NOTICE])

    assert kafka.taken[0] == small
    assert [record.value for _, record in kafka.taken] == [b"x" * 10, b"", b"{}"]


async def test_a_notice_kafka_refuses_as_too_large_is_not_hidden() -> None:
    kafka = SizeLimitedKafka()
    too_large = ("saattaja.sote.inbox", _dead_letter(2_000))
    with pytest.raises(MessageSizeTooLargeError):
        await send_rejections(kafka, [too_large])
