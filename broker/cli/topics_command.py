"""``saattaja topics create|list``: provision Saattaja's topics and see what they hold."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence

from broker.cli.tables import text_table
from broker.kafka import KafkaConnection
from broker.logging import configure_logging
from broker.registry import OrganisationRegistry
from broker.settings import load_settings
from broker.topics import TopicCreation, TopicDescription, create_topics, describe_topics

__all__ = ["format_creation", "format_descriptions", "register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``topics`` and its sub-commands to the ``saattaja`` parser."""
    group = commands.add_parser(
        "topics",
        help="create and inspect Saattaja's Kafka topics",
        description="Create and inspect the topics of the organisations in the registry "
        "(SAATTAJA_REGISTRY_FILE) on the configured Kafka cluster (SAATTAJA_KAFKA_BOOTSTRAP, "
        "or the embedded broker of `saattaja up` when it is empty).",
    )
    group.set_defaults(run=usage_of(group))
    subcommands = group.add_subparsers(title="topics commands", metavar="COMMAND")

    create = subcommands.add_parser(
        "create",
        help="create every missing topic; existing topics are left as they are",
        description="Create an outbox and an inbox per organisation, the dead-letter and the "
        "audit topic. Safe to repeat.",
    )
    create.add_argument(
        "--partitions",
        type=positive_int,
        default=None,
        metavar="N",
        help="partitions of each new topic (default: SAATTAJA_TOPIC_PARTITIONS)",
    )
    create.set_defaults(run=run_create)

    listing = subcommands.add_parser(
        "list",
        help="show each topic's partitions and end offsets",
        description="Show each Saattaja topic, its partitions and the end offset of each.",
    )
    listing.set_defaults(run=run_list)


def usage_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """The ``run`` of a command group called without a sub-command: usage on stderr, exit 2."""

    def run(_: argparse.Namespace) -> int:
        parser.print_usage(sys.stderr)
        return 2

    return run


def positive_int(text: str) -> int:
    """argparse type for counts of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def run_create(args: argparse.Namespace) -> int:
    """Create the missing topics and print what was created and what existed."""
    settings = load_settings()
    configure_logging(settings.log_format)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)
    partitions: int = args.partitions or settings.topic_partitions
    creation = asyncio.run(create_topics(connection, registry, partitions))
    print(format_creation(creation, bootstrap=connection.bootstrap, partitions=partitions))
    return 0


def run_list(_: argparse.Namespace) -> int:
    """Print a table of the topics, their partitions and end offsets."""
    settings = load_settings()
    configure_logging(settings.log_format)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)
    descriptions = asyncio.run(describe_topics(connection, registry))
    print(f"Topics at {connection.bootstrap}:")
    print(format_descriptions(descriptions))
    if any(not description.exists for description in descriptions):
        print("Some topics are missing: create them with `saattaja topics create`.")
    return 0


def format_creation(creation: TopicCreation, *, bootstrap: str, partitions: int) -> str:
    """What ``topics create`` (and ``up``) did, one topic a line."""
    created, existing = len(creation.created), len(creation.existing)
    if created:
        each = f"{partitions} partition{'s' if partitions != 1 else ''} each"
        summary = f"{created} created ({each}), {existing} existed already"
    else:
        summary = f"all {existing} existed already"
    lines = [f"Topics at {bootstrap}: {summary}"]
    lines += [f"  created  {topic}" for topic in creation.created]
    lines += [f"  exists   {topic}" for topic in creation.existing]
    return "\n".join(lines)


def format_descriptions(descriptions: Sequence[TopicDescription]) -> str:
    """A table: topic, partitions, end offset per partition, total."""
    header = ("TOPIC", "PARTITIONS", "END OFFSETS", "TOTAL")
    return text_table(header, [_row(description) for description in descriptions])


def _row(description: TopicDescription) -> tuple[str, str, str, str]:
    name = description.name if description.planned else f"{description.name} (not in registry)"
    if not description.exists:
        return (name, "-", "missing", "-")
    offsets = " ".join(f"{p}:{o}" for p, o in enumerate(description.end_offsets))
    return (name, str(description.partitions), offsets, str(description.total))
