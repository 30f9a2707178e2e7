"""Reading and writing the adapter tests' topics directly, as the router would."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaProducer

from broker.kafka import KafkaConnection
from broker.registry import Organisation, OrganisationRegistry
from broker.topics import create_topics, inbox_topic
from schemas import KafkaRecord, OrganisationKind
from tests.adapters.events import SOTE_OID


def fresh_organisation(oid: str = SOTE_OID) -> Organisation:
    """An organisation with an id of its own, so that no other test shares its topics."""
    return Organisation(
        id=f"sote-{uuid.uuid4().hex[:8]}",
        name="Etelä-Karjalan hyvinvointialue",
        oid=oid,
        kind=OrganisationKind.SOTE,
    )


async def create_organisation_topics(
    connection: KafkaConnection, organisation: Organisation
) -> None:
    """The organisation's outbox and inbox (and the shared topics), two partitions each."""
    await create_topics(connection, OrganisationRegistry([organisation]), 2)


async def deliver_to_inbox(
    connection: KafkaConnection, organisation: Organisation, *records: KafkaRecord
) -> None:
    """Produce records to the organisation's inbox, in order, as the router does."""
    producer = AIOKafkaProducer(**connection.client_kwargs(), enable_idempotence=False)
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                inbox_topic(organisation.id),
                record.value,
                key=record.key or None,
                headers=list(record.headers),
            )
    finally:
        await producer.stop()
