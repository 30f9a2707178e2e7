"""Who may do what on Saattaja's topics: the Kafka ACLs of the router, each adapter and the audit.

ARCHITECTURE.md gives each adapter exactly one write (its outbox) and one read (its inbox),
and only the router reads outboxes and writes inboxes. Only the audit stream writes the
audit topic, so that what a SIEM reads there is the audit log and nothing else. This is
that rule as ACL bindings, for the region's Kafka administrators to review and apply.
The one exception is asked for by name: the integration staff's principal that sends
dead letters back to their outboxes (``saattaja topics redrive``) reads saattaja.dlq and
writes every outbox, and nothing else.

Every binding names its resource literally, so that an organisation added to the registry
gets nothing until the bindings are generated again, but one: the router may describe
every topic of Saattaja's namespace (a prefix), so that it sees, and names at start, an
outbox no organisation of the registry has. Describe shows a topic's name and partitions,
never its records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from broker.registry import Organisation, OrganisationRegistry
from broker.topics.naming import AUDIT_TOPIC, DLQ_TOPIC, TOPIC_PREFIX, inbox_topic, outbox_topic

__all__ = ["AclBinding", "AclOperation", "AclPattern", "AclResource", "access_plan"]


class AclOperation(StrEnum):
    """The operations granted; Read and Write imply Describe on their resource."""

    READ = "Read"
    WRITE = "Write"
    DESCRIBE = "Describe"


class AclResource(StrEnum):
    """The kinds of Kafka resource granted on."""

    TOPIC = "topic"
    GROUP = "group"


class AclPattern(StrEnum):
    """How a binding's resource name matches: Kafka's resource pattern types."""

    LITERAL = "literal"
    PREFIXED = "prefixed"


@dataclass(frozen=True, slots=True)
class AclBinding:
    """Allow ``principal`` ``operation`` on a resource, named literally unless ``pattern`` says."""

    principal: str
    operation: AclOperation
    resource_type: AclResource
    resource: str
    why: str
    """For the person who reviews it."""
    pattern: AclPattern = AclPattern.LITERAL


def access_plan(
    registry: OrganisationRegistry,
    *,
    router_principal: str,
    router_group: str,
    adapter_principal: Callable[[Organisation], str],
    adapter_group: Callable[[Organisation], str],
    audit_stream_principal: str,
    audit_stream_group: str,
    audit_readers: Sequence[str] = (),
    redrive_principals: Sequence[str] = (),
) -> list[AclBinding]:
    """Every binding Saattaja needs, and no other: the router's, each adapter's, the audit's.

    ``audit_readers``: the principals that may read the audit topic (a SIEM, say); each
    needs a consumer group of its own as well, which is the reader's business.
    ``redrive_principals``: the principals that may list the dead letters and send them
    back to their outboxes (integration staff's).
    """
    return [
        *_router(registry, router_principal, router_group),
        *_audit(audit_stream_principal, audit_stream_group, audit_readers),
        *(binding for principal in redrive_principals for binding in _redrive(registry, principal)),
        *(
            binding
            for organisation in registry
            for binding in _adapter(
                organisation, adapter_principal(organisation), adapter_group(organisation)
            )
        ),
    ]


def _router(registry: OrganisationRegistry, principal: str, group: str) -> Iterator[AclBinding]:
    read, write = AclOperation.READ, AclOperation.WRITE
    topic = AclResource.TOPIC
    yield AclBinding(
        principal, read, AclResource.GROUP, group, "the consumer group the routers share"
    )
    for organisation in registry:
        yield AclBinding(
            principal,
            read,
            topic,
            outbox_topic(organisation.id),
            f"routes the events of {organisation.name}",
        )
        yield AclBinding(
            principal,
            write,
            topic,
            inbox_topic(organisation.id),
            f"delivers to {organisation.name}, and tells it of its events rejected",
        )
    yield AclBinding(
        principal, write, topic, DLQ_TOPIC, "keeps each event rejected, with the reason"
    )
    yield AclBinding(
        principal,
        AclOperation.DESCRIBE,
        topic,
        f"{TOPIC_PREFIX}.",
        "sees every Saattaja topic (names and partitions, no records), so that it names at "
        "start an outbox no organisation of the registry has (outbox_not_read)",
        AclPattern.PREFIXED,
    )


def _audit(stream_principal: str, group: str, readers: Sequence[str]) -> Iterator[AclBinding]:
    topic = AclResource.TOPIC
    yield AclBinding(
        stream_principal,
        AclOperation.READ,
        AclResource.GROUP,
        group,
        "the group in which one audit stream ships and the others stand by",
    )
    yield AclBinding(
        stream_principal,
        AclOperation.WRITE,
        topic,
        AUDIT_TOPIC,
        "the audit stream writes the audit log's records, in order",
    )
    yield AclBinding(
        stream_principal,
        AclOperation.READ,
        topic,
        AUDIT_TOPIC,
        "the audit stream reads the record the topic ends with, to go on from it",
    )
    for reader in readers:
        yield AclBinding(
            reader, AclOperation.READ, topic, AUDIT_TOPIC, "reads the audit log's records"
        )


def _redrive(registry: OrganisationRegistry, principal: str) -> Iterator[AclBinding]:
    topic = AclResource.TOPIC
    # It reads the dead letters by partition, in no consumer group: it needs no group.
    yield AclBinding(
        principal,
        AclOperation.READ,
        topic,
        DLQ_TOPIC,
        "lists what the router rejected (topics dlq) and reads it to send back (topics redrive)",
    )
    for organisation in registry:
        yield AclBinding(
            principal,
            AclOperation.WRITE,
            topic,
            outbox_topic(organisation.id),
            f"sends the records rejected from {organisation.name} back to be routed again "
            "(topics redrive)",
        )


def _adapter(organisation: Organisation, principal: str, group: str) -> Iterator[AclBinding]:
    name = organisation.name
    yield AclBinding(
        principal,
        AclOperation.WRITE,
        AclResource.TOPIC,
        outbox_topic(organisation.id),
        f"the adapter of {name} publishes its events",
    )
    yield AclBinding(
        principal,
        AclOperation.READ,
        AclResource.TOPIC,
        inbox_topic(organisation.id),
        f"the adapter of {name} receives what it may see",
    )
    yield AclBinding(
        principal,
        AclOperation.READ,
        AclResource.GROUP,
        group,
        f"the consumer group of the adapter of {name}",
    )
