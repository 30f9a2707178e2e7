"""The router records, with what it wrote of a batch, how far it routed each outbox partition."""

from __future__ import annotations

import pytest

from broker.router.positions import routed_offsets
from broker.topics import outbox_topic
from schemas import DataCategory, KafkaRecord
from tests.router.events import KELA_KIND, consent, referral
from tests.router.harness import CODEC, Routed, wait_until_handled

pytestmark = pytest.mark.kafka


async def _offsets(routed: Routed) -> dict[tuple[str, int], int]:
    harness, _ = routed
    return {
        (row["topic"], row["partition"]): row["next_offset"]
        for row in await harness.rows(routed_offsets)
    }


async def test_a_routed_event_s_partition_is_recorded_as_routed_past_it(routed: Routed) -> None:
    harness, service = routed
    sote = harness.org("sote").id
    await harness.publish_raw(
        sote, CODEC.encode(consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,)))
    )
    partition = await harness.publish_raw(sote, CODEC.encode(referral("R-1")))
    await wait_until_handled(service, 2)
    assert service.status.outcomes == {"applied": 1, "routed": 1}
    assert await _offsets(routed) == {(outbox_topic(sote), partition): 2}


async def test_a_batch_of_consents_alone_records_its_partition_too(routed: Routed) -> None:
    harness, service = routed
    sote = harness.org("sote").id
    granted = consent("C-1", (KELA_KIND,), (DataCategory.REFERRAL,))
    partition = await harness.publish_raw(sote, CODEC.encode(granted))
    await wait_until_handled(service, 1)
    assert await _offsets(routed) == {(outbox_topic(sote), partition): 1}


async def test_a_batch_of_rejected_records_alone_records_its_partition_too(routed: Routed) -> None:
    harness, service = routed
    partition = await harness.publish_raw(
        harness.org("sote").id, KafkaRecord(key=b"client", headers=(), value=b"{}")
    )
    await wait_until_handled(service, 1)
    assert service.status.outcomes == {"rejected": 1}
    assert await _offsets(routed) == {(outbox_topic(harness.org("sote").id), partition): 1}
