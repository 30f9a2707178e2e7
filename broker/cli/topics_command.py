"""``saattaja topics create|list|lag|dlq|redrive|acls``: provision Saattaja's topics, see
what they hold, how far the router and the adapters have read them and what the router
rejected, send rejected records back to be routed again, and print the Kafka ACLs that let
each part reach exactly its own."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from adapters.sdk import default_consumer_group
from broker.cli.arguments import (
    group_assignment_argument,
    moment_argument,
    refuse_empty_period,
    usage_of,
)
from broker.cli.tables import text_table
from broker.dead_letters import (
    DeadLetter,
    DeadLetterFilter,
    RedrivePlan,
    claimed_identity,
    plan_redrive,
    read_dead_letters,
    redrive,
)
from broker.errors import UnknownOrganisationError
from broker.kafka import KafkaConnection
from broker.logging import configure_logging
from broker.registry import Organisation, OrganisationRegistry
from broker.settings import MAX_TOPIC_PARTITIONS, SaattajaSettings, load_settings
from broker.topics import (
    AUDIT_TOPIC,
    DLQ_TOPIC,
    AclBinding,
    AclPattern,
    GroupPosition,
    TopicCreation,
    TopicDescription,
    access_plan,
    create_topics,
    describe_topics,
    group_positions,
)

__all__ = ["acl_script", "format_creation", "format_descriptions", "format_redrive", "register"]

_ORGANISATION_FIELD: Final = "{organisation}"


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
        type=partition_count,
        default=None,
        metavar="N",
        help=f"partitions of each new topic, 1 to {MAX_TOPIC_PARTITIONS}, the existing "
        "outboxes' number where there are any (default: SAATTAJA_TOPIC_PARTITIONS)",
    )
    create.set_defaults(run=run_create)

    listing = subcommands.add_parser(
        "list",
        help="show each topic's partitions, retention and end offsets",
        description="Show each Saattaja topic, its partitions, how long it keeps a record "
        "(retention.ms; 'default' where Kafka does not say: the cluster's default applies, "
        "or this user may not describe topic configurations) and the end offset of each "
        "partition.",
    )
    listing.set_defaults(run=run_list)

    lag = subcommands.add_parser(
        "lag",
        help="show how far the router and each adapter have read their topics",
        description="Show, for each organisation's outbox, how far the router's group "
        "(SAATTAJA_ROUTER_GROUP_ID) has committed, and for each inbox, how far the "
        "organisation's adapter has (its default group, saattaja-adapter-<id>, or the one "
        "--adapter-group names): the committed offset and the end offset of each partition, "
        "and how many records are behind. A group that never committed on a partition is "
        "behind by everything in it.",
    )
    _add_adapter_group_option(lag)
    lag.add_argument("--format", choices=("table", "jsonl"), default="table")
    lag.set_defaults(run=run_lag, usage_error=lag.error)

    dlq = subcommands.add_parser(
        "dlq",
        help=f"list the records the router rejected, kept in {DLQ_TOPIC}, and why",
        description=f"List the records the router rejected and kept in {DLQ_TOPIC}, oldest "
        "rejection first, with the reason and the outbox, partition and offset each came "
        "from: a table for a person, or JSON lines for a program, each with the record as "
        'it arrived ({"key", "headers", "value"}, as `saattaja schemas validate` reads; '
        "a value that is not JSON as its text). The sending organisation was told each "
        "reason in its inbox; what it sends again, fixed, is routed as new. A record "
        "rejected for a cause the operators have since removed can be sent back with "
        "`saattaja topics redrive`.",
    )
    _add_dead_letter_filters(dlq)
    dlq.add_argument("--format", choices=("table", "jsonl"), default="table")
    dlq.set_defaults(run=run_dlq, usage_error=dlq.error)

    redrive_command = subcommands.add_parser(
        "redrive",
        help=f"send records the router rejected, kept in {DLQ_TOPIC}, back to be routed again",
        description=f"Send the records asked for, kept in {DLQ_TOPIC}, back to the outbox "
        "each came from, each as it arrived (its key, value and own headers, without the "
        "router's saattaja_dlq_* ones), so that the router routes it as if it had just "
        "arrived: for rejections whose cause the operators have removed since (the router "
        "upgraded to a release that knows an event type or schema an adapter already "
        "sends, the registry in SAATTAJA_REGISTRY_FILE corrected, SAATTAJA_MAX_EVENT_BYTES "
        "raised). Without --yes it only prints what it would send. A record the router "
        "routed before is not delivered again; one it rejects again is back in "
        f"{DLQ_TOPIC} with its reason, and its sender is told again. Never sent back: a "
        "record whose value was left out of the dead letter as too large, one from no "
        "outbox of the registry, and one whose rejection stays whatever is fixed (another "
        "event or consent first under its id, a type only the router issues, one of the "
        "router's own headers). Each record goes once, however often it was rejected. Run "
        f"it as a Kafka principal that may read {DLQ_TOPIC} and write the outboxes: the "
        "router's may not write an outbox and an adapter's only its own; `saattaja topics "
        "acls --redrive-principal PRINCIPAL` prints the ACLs of one. Exit status: 0 when "
        "everything asked for was sent (or, without --yes, listed), 1 when a record asked "
        "for is not sent back.",
    )
    _add_dead_letter_filters(redrive_command)
    redrive_command.add_argument(
        "--yes",
        action="store_true",
        help="send them; without it, only print what would be sent and what would not",
    )
    redrive_command.set_defaults(run=run_redrive, usage_error=redrive_command.error)

    acls = subcommands.add_parser(
        "acls",
        help="print the Kafka ACLs of the router, each organisation's adapter and the audit stream",
        description="Print, for the region's Kafka administrators to review and run, the ACLs "
        "that give the router read on every outbox and write on every inbox and the "
        "dead-letter topic, each organisation's adapter write on its own outbox and read "
        "on its own inbox, each with its consumer group, and the audit stream write on the "
        "audit topic and its group; with --redrive-principal, integration staff read on the "
        "dead-letter topic and write on every outbox; nothing else. Reads only the registry "
        "(SAATTAJA_REGISTRY_FILE), SAATTAJA_ROUTER_GROUP_ID and SAATTAJA_AUDIT_STREAM_GROUP_ID; "
        "connects to nothing.",
    )
    acls.add_argument(
        "--router-principal",
        type=_principal,
        default="User:saattaja-router",
        metavar="PRINCIPAL",
        help="the routers' Kafka principal (default: %(default)s)",
    )
    acls.add_argument(
        "--adapter-principal",
        type=_adapter_principal,
        default=f"User:saattaja-adapter-{_ORGANISATION_FIELD}",
        metavar="TEMPLATE",
        help="each adapter's principal, {organisation} standing for the organisation's id "
        "(default: %(default)s)",
    )
    acls.add_argument(
        "--audit-stream-principal",
        type=_principal,
        default="User:saattaja-audit-stream",
        metavar="PRINCIPAL",
        help="the principal of `saattaja audit stream` (default: %(default)s)",
    )
    acls.add_argument(
        "--audit-reader",
        type=_principal,
        action="append",
        default=[],
        metavar="PRINCIPAL",
        help=f"a principal that may read {AUDIT_TOPIC}, such as a SIEM's (repeatable; "
        "its consumer group needs an ACL of its own)",
    )
    acls.add_argument(
        "--redrive-principal",
        type=_principal,
        action="append",
        default=[],
        metavar="PRINCIPAL",
        help=f"a principal of integration staff that may read {DLQ_TOPIC} and write every "
        "outbox, to send rejected records back with `saattaja topics redrive` (repeatable)",
    )
    _add_adapter_group_option(acls)
    acls.add_argument(
        "--format",
        choices=("script", "jsonl"),
        default="script",
        help="script (default): a POSIX shell script of kafka-acls.sh commands; jsonl: one "
        "binding per line, for other tooling",
    )
    acls.set_defaults(run=run_acls, usage_error=acls.error)


def _add_dead_letter_filters(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--organisation",
        metavar="ID",
        help="only the records rejected from this organisation's outbox (a registry id)",
    )
    command.add_argument(
        "--since",
        type=moment_argument,
        metavar="ISO",
        help="rejected at or after this date or time (ISO 8601; without an offset, UTC)",
    )
    command.add_argument(
        "--until",
        type=moment_argument,
        metavar="ISO",
        help="rejected before this date or time (ISO 8601; without an offset, UTC)",
    )
    command.add_argument(
        "--event-id",
        dest="event_ids",
        action="append",
        default=[],
        metavar="ID",
        help="only the records of this event id (ce_id; repeatable)",
    )


def _read_dead_letters_asked(
    args: argparse.Namespace,
) -> tuple[KafkaConnection, DeadLetterFilter, list[DeadLetter]]:
    """The dead letters the filters of ``topics dlq`` and ``redrive`` ask for, oldest first."""
    refuse_empty_period(args)
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)
    wanted = DeadLetterFilter(
        organisation=args.organisation,
        since=args.since,
        until=args.until,
        event_ids=frozenset(args.event_ids),
    )
    return connection, wanted, asyncio.run(read_dead_letters(connection, registry, wanted))


def _add_adapter_group_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--adapter-group",
        type=group_assignment_argument,
        action=_OneGroupEach,
        default={},
        metavar="ID=GROUP",
        help="the consumer group of the organisation ID's adapter, where it runs with "
        "SAATTAJA_ADAPTER_GROUP_ID set (repeatable; the others: saattaja-adapter-<id>)",
    )


class _OneGroupEach(argparse.Action):
    """--adapter-group into a mapping of organisation id to group; an id given twice is refused."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        organisation, group = cast("tuple[str, str]", values)
        groups: dict[str, str] = dict(getattr(namespace, self.dest))
        if organisation in groups:
            parser.error(
                f"--adapter-group gives {organisation!r} twice ({groups[organisation]} and "
                f"{group}): an adapter runs with one consumer group; give the one it uses"
            )
        groups[organisation] = group
        setattr(namespace, self.dest, groups)


def _adapter_groups(
    args: argparse.Namespace, registry: OrganisationRegistry, settings: SaattajaSettings
) -> Callable[[Organisation], str]:
    """Each organisation's adapter group: the one --adapter-group names, or the default.

    A group named that is another part's would let the adapter read as that part, or that
    part as the adapter: refused, with usage.
    """
    assigned: dict[str, str] = args.adapter_group
    unknown = sorted(assigned.keys() - set(registry.ids))
    if unknown:
        raise UnknownOrganisationError(
            f"--adapter-group names {', '.join(map(repr, unknown))}, not an organisation id of "
            f"{registry.source} (known: {', '.join(registry.ids)})"
        )
    groups = {
        organisation: assigned.get(organisation, default_consumer_group(organisation))
        for organisation in registry.ids
    }
    owners = {
        settings.router_group_id: "the router (SAATTAJA_ROUTER_GROUP_ID)",
        settings.audit_stream_group_id: "the audit stream (SAATTAJA_AUDIT_STREAM_GROUP_ID)",
    }
    for organisation, group in assigned.items():
        others = [other for other, its in groups.items() if its == group and other != organisation]
        owner = owners.get(group) or (f"the adapter of {others[0]}" if others else None)
        if owner is not None:
            args.usage_error(
                f"--adapter-group {organisation}={group}: {group} is the consumer group of "
                f"{owner}; each adapter needs a group of its own"
            )
    return lambda organisation: groups[organisation.id]


def partition_count(text: str) -> int:
    """argparse type for a topic's partitions: 1 to MAX_TOPIC_PARTITIONS, as the setting."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_TOPIC_PARTITIONS:
        raise argparse.ArgumentTypeError(f"{value} is not from 1 to {MAX_TOPIC_PARTITIONS}")
    return value


def run_create(args: argparse.Namespace) -> int:
    """Create the missing topics and print what was created and what existed."""
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)
    partitions: int = args.partitions or settings.topic_partitions
    retention = settings.topic_retention_hours
    creation = asyncio.run(
        create_topics(connection, registry, partitions, retention_hours=retention)
    )
    print(
        format_creation(
            creation,
            bootstrap=connection.bootstrap,
            partitions=partitions,
            retention_hours=retention,
        )
    )
    return 0


def run_list(_: argparse.Namespace) -> int:
    """Print a table of the topics, their partitions and end offsets."""
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)
    descriptions = asyncio.run(describe_topics(connection, registry))
    print(f"Topics at {connection.bootstrap}:")
    print(format_descriptions(descriptions))
    if any(not description.exists for description in descriptions):
        print("Some topics are missing: create them with `saattaja topics create`.")
    return 0


def run_lag(args: argparse.Namespace) -> int:
    """Print where the router's and the adapters' groups stand, as a table or JSON lines."""
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)
    positions = asyncio.run(
        group_positions(
            connection,
            registry,
            router_group=settings.router_group_id,
            adapter_group=_adapter_groups(args, registry, settings),
        )
    )
    if args.format == "jsonl":
        for position in positions:
            print(json.dumps(_position_json(position), ensure_ascii=False))
        return 0
    if not positions:
        print("No outbox or inbox exists yet: create the topics with `saattaja topics create`.")
        return 0
    header = ("TOPIC", "READ BY", "GROUP", "COMMITTED", "END OFFSETS", "BEHIND")
    print(text_table(header, [_position_row(position) for position in positions]))
    return 0


def _position_row(position: GroupPosition) -> tuple[str, ...]:
    committed = " ".join(
        f"{partition}:{'-' if offset is None else offset}"
        for partition, offset in enumerate(position.committed)
    )
    ends = " ".join(f"{partition}:{offset}" for partition, offset in enumerate(position.ends))
    return (
        position.topic,
        position.reader,
        position.group,
        committed,
        ends,
        str(position.behind),
    )


def _position_json(position: GroupPosition) -> dict[str, object]:
    return {
        "topic": position.topic,
        "reader": position.reader,
        "group": position.group,
        "committed": list(position.committed),
        "ends": list(position.ends),
        "behind": position.behind,
    }


def run_dlq(args: argparse.Namespace) -> int:
    """Print the dead letters asked for, as a table or as JSON lines."""
    _, wanted, letters = _read_dead_letters_asked(args)
    if args.format == "jsonl":
        for letter in letters:
            print(json.dumps(letter.to_json(), ensure_ascii=False))
        return 0
    asked = wanted != DeadLetterFilter()
    if not letters:
        print(f"No record{' of those asked for' if asked else ''} is in {DLQ_TOPIC}.")
        return 0
    print(text_table(_DLQ_HEADER, [_dead_letter_row(letter) for letter in letters]))
    print(f"{len(letters)} rejected record(s){' of those asked for' if asked else ''}.")
    return 0


_DLQ_HEADER: Final = ("REJECTED (UTC)", "FROM", "EVENT ID", "TYPE", "WHERE", "REASON")


def _dead_letter_row(letter: DeadLetter) -> tuple[str, ...]:
    at = letter.rejected_at
    where = (
        f"{letter.source_topic}/{letter.source_partition}@{letter.source_offset}"
        if letter.source_topic is not None
        else f"{DLQ_TOPIC}/{letter.partition}@{letter.offset}"
    )
    # The table is for a person's screen; the JSON lines hold the record whole for a program.
    claimed = claimed_identity(letter.record)
    return (
        "-" if at is None else at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        letter.organisation or "-",
        claimed["event_id"] or "-",
        claimed["type"] or "-",
        where,
        letter.reason,
    )


def run_redrive(args: argparse.Namespace) -> int:
    """Print what would be sent back, or with --yes send it and print what was."""
    connection, wanted, letters = _read_dead_letters_asked(args)
    # An event id that matches nothing is most likely mistyped: better nothing sent than
    # the rest without it.
    missing = sorted(wanted.event_ids - {letter.event_id for letter in letters})
    if missing:
        print(
            f"saattaja: error: no record of event id {', '.join(missing)} is in {DLQ_TOPIC} "
            "among those asked for; nothing was sent (`saattaja topics dlq` lists what is)",
            file=sys.stderr,
        )
        return 1
    plan = plan_redrive(letters)
    if not plan.to_send and not plan.held:
        asked = wanted != DeadLetterFilter()
        print(f"No record{' of those asked for' if asked else ''} is in {DLQ_TOPIC}.")
        return 0
    sent_at = datetime.now(UTC)
    if args.yes and plan.to_send:
        asyncio.run(redrive(connection, plan))
    print(format_redrive(plan, sent=args.yes, sent_at=sent_at))
    return 1 if args.yes and plan.held else 0


def format_redrive(plan: RedrivePlan, *, sent: bool, sent_at: datetime) -> str:
    """What ``topics redrive`` sent back (``sent``) or would send, and what it does not."""
    lines = []
    if plan.to_send:
        count = len(plan.to_send)
        lines.append(
            f"Sent back {count} record(s) to their outboxes:"
            if sent
            else f"Would send back {count} record(s) to their outboxes:"
        )
        lines.append(text_table(_DLQ_HEADER, [_dead_letter_row(d) for d in plan.to_send]))
    if plan.held:
        lines.append(f"Not sent back, {len(plan.held)} record(s):")
        header = (*_DLQ_HEADER[:-1], "WHY NOT")
        rows = [(*_dead_letter_row(held.letter)[:-1], held.why) for held in plan.held]
        lines.append(text_table(header, rows))
    if plan.repeated:
        lines.append(
            f"{plan.repeated} more dead letter(s) of the same record(s) left out: each "
            "record goes once."
        )
    if not sent:
        lines.append(
            "Nothing was sent: run again with --yes to send them."
            if plan.to_send
            else "Nothing would be sent."
        )
    elif plan.to_send:
        since = sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            "The router routes each as if it had just arrived; one it rejects again is "
            f"back in {DLQ_TOPIC} with its reason: `saattaja topics dlq --since {since}`."
        )
    return "\n".join(lines)


def run_acls(args: argparse.Namespace) -> int:
    """Print the ACL bindings as a script of kafka-acls.sh commands, or as JSON lines."""
    settings = load_settings()
    registry = OrganisationRegistry.from_file(settings.registry_file)
    template: str = args.adapter_principal
    bindings = access_plan(
        registry,
        router_principal=args.router_principal,
        router_group=settings.router_group_id,
        adapter_principal=lambda organisation: template.replace(
            _ORGANISATION_FIELD, organisation.id
        ),
        adapter_group=_adapter_groups(args, registry, settings),
        audit_stream_principal=args.audit_stream_principal,
        audit_stream_group=settings.audit_stream_group_id,
        audit_readers=args.audit_reader,
        redrive_principals=args.redrive_principal,
    )
    if args.format == "jsonl":
        for binding in bindings:
            print(json.dumps(_binding_json(binding), ensure_ascii=False))
        return 0
    print(acl_script(bindings, registry_file=str(settings.registry_file)))
    return 0


def acl_script(bindings: Sequence[AclBinding], *, registry_file: str) -> str:
    """A POSIX shell script adding each binding with kafka-acls.sh, run by an administrator."""
    lines = [
        "#!/bin/sh",
        f"# Kafka ACLs of Saattaja, from {registry_file}: {len(bindings)} bindings.",
        "# Review, then run with the cluster and an administrator's client configuration:",
        "#   KAFKA_BOOTSTRAP=kafka-1:9093 KAFKA_ADMIN_CONFIG=admin.properties sh acls.sh",
        "# An adapter run with SAATTAJA_ADAPTER_GROUP_ID needs that group: --adapter-group.",
        "set -eu",
        ': "${KAFKA_BOOTSTRAP:?set KAFKA_BOOTSTRAP to the bootstrap servers of the cluster}"',
        ': "${KAFKA_ADMIN_CONFIG:?set KAFKA_ADMIN_CONFIG to an admin client config file}"',
        'acl() { kafka-acls.sh --bootstrap-server "$KAFKA_BOOTSTRAP" '
        '--command-config "$KAFKA_ADMIN_CONFIG" --add "$@"; }',
    ]
    for binding in bindings:
        lines.append(f"# {binding.why}")
        arguments = [
            "--allow-principal",
            binding.principal,
            "--operation",
            binding.operation.value,
            f"--{binding.resource_type.value}",
            binding.resource,
        ]
        if binding.pattern is not AclPattern.LITERAL:
            arguments += ["--resource-pattern-type", binding.pattern.value]
        lines.append("acl " + " ".join(shlex.quote(argument) for argument in arguments))
    return "\n".join(lines)


def _binding_json(binding: AclBinding) -> dict[str, str]:
    return {
        "principal": binding.principal,
        "operation": binding.operation.value,
        "resource_type": binding.resource_type.value,
        "resource": binding.resource,
        "pattern_type": binding.pattern.value,
        "permission": "allow",
        "why": binding.why,
    }


def _principal(text: str) -> str:
    kind, _, name = text.partition(":")
    if not kind or not name or any(character.isspace() for character in text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Kafka principal: give its type and name, e.g. User:saattaja-router"
        )
    return text


def _adapter_principal(text: str) -> str:
    if _ORGANISATION_FIELD not in text:
        raise argparse.ArgumentTypeError(
            f"{text!r} does not say where the organisation goes: put {_ORGANISATION_FIELD} in "
            "it, e.g. User:saattaja-adapter-{organisation}"
        )
    return _principal(text)


def format_creation(
    creation: TopicCreation, *, bootstrap: str, partitions: int, retention_hours: int
) -> str:
    """What ``topics create`` (and ``up``) did, one topic a line."""
    created, existing = len(creation.created), len(creation.existing)
    if created:
        each = f"{partitions} partition{'s' if partitions != 1 else ''} each"
        if AUDIT_TOPIC in creation.created and partitions != 1:
            each += f"; {AUDIT_TOPIC} 1, as it carries one hash chain in order"
        each += f"; records kept {_hours(retention_hours)}"
        if AUDIT_TOPIC in creation.created:
            each += f", {AUDIT_TOPIC}'s for ever"
        summary = f"{created} created ({each}), {existing} existed already"
    else:
        summary = f"all {existing} existed already"
    lines = [f"Topics at {bootstrap}: {summary}"]
    lines += [f"  created  {topic}" for topic in creation.created]
    lines += [f"  exists   {topic}" for topic in creation.existing]
    return "\n".join(lines)


def _hours(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def format_descriptions(descriptions: Sequence[TopicDescription]) -> str:
    """A table: topic, partitions, retention, end offset per partition, total."""
    header = ("TOPIC", "PARTITIONS", "RETENTION", "END OFFSETS", "TOTAL")
    return text_table(header, [_row(description) for description in descriptions])


def _row(description: TopicDescription) -> tuple[str, str, str, str, str]:
    name = description.name if description.planned else f"{description.name} (not in registry)"
    if not description.exists:
        return (name, "-", "-", "missing", "-")
    offsets = " ".join(f"{p}:{o}" for p, o in enumerate(description.end_offsets))
    return (
        name,
        str(description.partitions),
        _retention(description.retention_ms),
        offsets,
        str(description.total),
    )


def _retention(retention_ms: int | None) -> str:
    if retention_ms is None:
        return "default"
    if retention_ms < 0:
        return "for ever"
    kept = timedelta(milliseconds=retention_ms)
    hours, rest = divmod(kept, timedelta(hours=1))
    return _hours(hours) if hours and not rest else f"{retention_ms} ms"
