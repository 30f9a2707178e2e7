"""``saattaja adapter run|check|list NAME``: run any installed adapter, or check it can run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import structlog

from adapters.sdk import (
    Adapter,
    AdapterConfigurationError,
    AdapterRegistry,
    AdapterRuntime,
    AdapterSettings,
    AdapterStore,
    LocalOutbox,
    ParkedEvent,
    ReceivedEvents,
    SaattajaAdapterError,
    installed_adapters,
    load_adapter_settings,
    organisation_of,
)
from broker.cli import CONFIGURATION_EXIT_STATUS
from broker.cli.arguments import usage_of
from broker.cli.lifecycle import shutdown_requested
from broker.cli.tables import text_table
from broker.errors import SaattajaBrokerError
from broker.kafka import KafkaConnection, open_admin
from broker.logging import configure_logging
from broker.registry import Organisation, OrganisationRegistry
from broker.settings import SaattajaSettings, load_settings
from broker.topics import inbox_topic, missing_topics, outbox_topic

__all__ = ["register"]

_log = structlog.get_logger(__name__)

T = TypeVar("T")

# Long enough for a remote cluster to answer, short enough for a person waiting on a check.
_CHECK_TIMEOUT_MS: Final = 10_000
# An adapter's own check() of its system, bounded for the same person: a request without a
# timeout of its own (aiohttp's is five minutes) would otherwise hold the command.
_ADAPTER_CHECK_TIMEOUT_SECONDS: Final = 30.0


def register(commands: Any) -> None:
    """Add ``adapter`` and its sub-commands."""
    group: argparse.ArgumentParser = commands.add_parser(
        "adapter",
        help="run or check an organisation's adapter",
        description="Run an installed adapter (entry point group saattaja.adapters) beside "
        "an organisation's system, or check its configuration and both ends it connects.",
    )
    group.set_defaults(run=usage_of(group))
    subcommands = group.add_subparsers(title="adapter commands", metavar="COMMAND")

    run = subcommands.add_parser(
        "run",
        help="run an adapter until Ctrl-C or SIGTERM",
        description="Publish what the organisation's system produces to its outbox (through "
        "a durable local outbox, SAATTAJA_ADAPTER_STATE_FILE) and hand what arrives in its "
        "inbox to the system. Settings: SAATTAJA_ADAPTER_* and SAATTAJA_*.",
    )
    run.add_argument("name", help="the adapter's name, as `saattaja adapter list` shows it")
    run.set_defaults(run=lambda args: _run(run, args.name))

    check = subcommands.add_parser(
        "check",
        help="check an adapter's configuration and that it reaches Kafka and its system",
        description="Exit 0 printing what is ok, or 1 printing each problem in words.",
    )
    check.add_argument("name", help="the adapter's name, as `saattaja adapter list` shows it")
    check.set_defaults(run=lambda args: _check(check, args.name))

    listing = subcommands.add_parser("list", help="the installed adapters")
    listing.set_defaults(run=lambda _args: _list())

    parked = subcommands.add_parser(
        "parked",
        help="the events the organisation's system did not take, and why",
        description="List the records parked in the adapter's state file "
        "(SAATTAJA_ADAPTER_STATE_FILE, or --state-file), oldest first: a table for a person, "
        "or JSON lines for a program, each with the record as it arrived "
        '({"key", "headers", "value"}, as `saattaja schemas validate` reads).',
    )
    parked.add_argument("--state-file", type=Path, metavar="PATH")
    parked.add_argument("--format", choices=("table", "jsonl"), default="table")
    parked.set_defaults(run=_parked)

    retry = subcommands.add_parser(
        "retry",
        help="hand parked events to the organisation's system again",
        description="Once the reason they were parked is fixed, ask the adapter to hand "
        "parked records to the system again: those with the event ids given, or --all. A "
        "running adapter does so between its polls of the inbox, within a second or so; one "
        "that is not running, once it runs. What the system takes is parked no more; what it "
        "refuses stays parked with the new reason (`saattaja adapter parked` shows both).",
    )
    retry.add_argument(
        "event_ids", nargs="*", metavar="EVENT_ID", help="as `saattaja adapter parked` lists it"
    )
    retry.add_argument("--all", action="store_true", help="every parked record")
    retry.add_argument(
        "--state-file",
        type=Path,
        metavar="PATH",
        help="the adapter's state file (default: SAATTAJA_ADAPTER_STATE_FILE)",
    )
    retry.set_defaults(run=lambda args: _retry(retry, args))


def _unknown(parser: argparse.ArgumentParser, name: str, registry: AdapterRegistry) -> int:
    known = ", ".join(registry.names) or "none is installed"
    parser.print_usage(sys.stderr)
    print(
        f"{parser.prog}: error: unknown adapter {name!r}; known adapters: {known}",
        file=sys.stderr,
    )
    return 2


def _existing_state_file(args: argparse.Namespace) -> Path:
    path: Path
    if args.state_file is not None:
        path = args.state_file
    else:
        try:
            path = load_adapter_settings().state_path
        except AdapterConfigurationError as exc:
            # Run beside the adapter, the settings are there; run elsewhere, the file may be.
            raise AdapterConfigurationError(
                f"{exc}: run it with the adapter's settings (SAATTAJA_ADAPTER_ORGANISATION, "
                "SAATTAJA_ADAPTER_STATE_FILE), or name the state file with --state-file"
            ) from exc
    if not path.is_file():
        # Opening would create an empty one, and "nothing parked" would be a wrong answer.
        raise AdapterConfigurationError(
            f"no adapter state file at {path}: give the path the adapter runs with "
            "(SAATTAJA_ADAPTER_STATE_FILE or --state-file)"
        )
    return path


def _parked(args: argparse.Namespace) -> int:
    try:
        path = _existing_state_file(args)
        events = asyncio.run(_read_parked(path))
    except SaattajaAdapterError as exc:
        print(f"saattaja: error: {exc}", file=sys.stderr)
        return _exit_status(exc)
    if args.format == "jsonl":
        for event in events:
            print(json.dumps(_parked_json(event), ensure_ascii=False))
    elif events:
        print(text_table(_PARKED_HEADER, [_parked_row(event) for event in events]))
    else:
        print(f"Nothing is parked in {path}.")
    return 0


async def _read_parked(path: Path) -> list[ParkedEvent]:
    store = await AdapterStore.open(path)
    try:
        return await ReceivedEvents(store).parked()
    finally:
        await store.close()


def _retry(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if bool(args.event_ids) == args.all:
        parser.print_usage(sys.stderr)
        print(
            f"{parser.prog}: error: give the event ids to retry, or --all"
            + (", not both" if args.all else ""),
            file=sys.stderr,
        )
        return 2
    try:
        path = _existing_state_file(args)
        asked, unknown = asyncio.run(_ask_again(path, None if args.all else set(args.event_ids)))
    except SaattajaAdapterError as exc:
        print(f"saattaja: error: {exc}", file=sys.stderr)
        return _exit_status(exc)
    if unknown:
        print(
            f"saattaja: error: not parked in {path}: {', '.join(sorted(unknown))}; nothing "
            "was asked for (`saattaja adapter parked` lists what is)",
            file=sys.stderr,
        )
        return 1
    print(
        f"Asked for {len(asked)} parked record(s) again. The adapter hands them to the "
        "system between its polls of the inbox; `saattaja adapter parked` shows what is "
        "still parked, and why."
    )
    return 0


async def _ask_again(path: Path, event_ids: set[str] | None) -> tuple[list[ParkedEvent], set[str]]:
    """The parked records asked for again, and the event ids given that are not parked."""
    store = await AdapterStore.open(path)
    try:
        received = ReceivedEvents(store)
        parked = await received.parked()
        if event_ids is not None:
            parked = [event for event in parked if event.event_id in event_ids]
            unknown = event_ids - {event.event_id for event in parked}
            if unknown:
                return [], unknown
        await received.request_retry(parked)
        return parked, set()
    finally:
        await store.close()


_PARKED_HEADER: Final = ("PARKED (UTC)", "EVENT ID", "TYPE", "FROM", "RETRY", "REASON")


def _parked_row(event: ParkedEvent) -> tuple[str, ...]:
    return (
        _utc(event.parked_at),
        event.event_id or "-",
        event.record.header("ce_type") or "-",
        f"{event.topic}/{event.partition}@{event.offset}",
        "asked" if event.retry_requested else "-",
        event.reason,
    )


def _parked_json(event: ParkedEvent) -> dict[str, Any]:
    return {
        "parked_at": _utc(event.parked_at),
        "event_id": event.event_id,
        "type": event.record.header("ce_type"),
        "topic": event.topic,
        "partition": event.partition,
        "offset": event.offset,
        "reason": event.reason,
        "retry_requested": event.retry_requested,
        "record": event.record.to_json(),
    }


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list() -> int:
    names = installed_adapters().names
    print("\n".join(names) if names else "No adapter is installed.")
    return 0


def _run(parser: argparse.ArgumentParser, name: str) -> int:
    registry = installed_adapters()
    if name not in registry:
        return _unknown(parser, name, registry)
    saattaja = load_settings()
    configure_logging(saattaja.log_format)
    try:
        settings = load_adapter_settings()
        adapter = registry.create(name)
        runtime = AdapterRuntime.from_settings(adapter, settings, saattaja)
        asyncio.run(_serve(runtime, name))
    except SaattajaAdapterError as exc:
        print(f"saattaja: error: adapter {name}: {exc}", file=sys.stderr)
        return _exit_status(exc)
    return 0


def _exit_status(exc: SaattajaAdapterError) -> int:
    # As main() gives the other commands: a systemd unit stops at a mistake in the
    # configuration rather than restart into it again.
    return CONFIGURATION_EXIT_STATUS if isinstance(exc, AdapterConfigurationError) else 1


async def _serve(runtime: AdapterRuntime, name: str) -> None:
    with shutdown_requested() as shutdown:
        async with runtime:
            context = runtime.context
            print(
                f"Adapter {name} for {context.organisation.id} running; local outbox "
                f"{context.settings.state_path}. Ctrl-C stops it.",
                flush=True,
            )
            reporting = asyncio.create_task(_log_health(runtime, context.settings))
            try:
                await runtime.wait(shutdown)
            finally:
                reporting.cancel()


async def _log_health(runtime: AdapterRuntime, settings: AdapterSettings) -> None:
    """Integration staff watch the logs: the outbox depth and age, now and then."""
    while True:
        await asyncio.sleep(settings.health_log_seconds)
        health = await runtime.health()
        _log.info(
            "adapter_health",
            outbox_unsent=health.outbox_unsent,
            outbox_oldest_age_seconds=round(health.outbox_oldest_age_seconds, 1),
            parked=health.parked,
            relay_error=health.relay_error,
            receiver_error=health.receiver_error,
        )


@dataclass(slots=True)
class _Report:
    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def attempt(self, what: str, error: Exception) -> None:
        self.problems.append(f"{what}: {error}")


def _check(parser: argparse.ArgumentParser, name: str) -> int:
    registry = installed_adapters()
    if name not in registry:
        return _unknown(parser, name, registry)
    report = asyncio.run(_checked(registry, name))
    for line in report.ok:
        print(f"ok       {line}")
    for line in report.problems:
        print(f"problem  {line}")
    return 1 if report.problems else 0


async def _checked(registry: AdapterRegistry, name: str) -> _Report:
    report = _Report()
    saattaja = _attempt(report, "Saattaja settings", load_settings)
    settings = _attempt(report, "adapter settings", load_adapter_settings)
    adapter = _attempt(report, f"adapter {name} settings", lambda: registry.create(name))
    if saattaja is not None:
        configure_logging(saattaja.log_format, one_shot=True)
        if _attempt(report, "pseudonym secret", saattaja.require_pseudonym_secret) is not None:
            report.ok.append("settings: pseudonym secret is set")
        if settings is not None:
            organisation = _attempt(
                report, "organisation", lambda: _organisation(saattaja, settings)
            )
            if organisation is not None:
                report.ok.append(f"organisation: {organisation.id} ({organisation.name})")
                await _check_kafka(report, saattaja, organisation)
    if settings is not None:
        await _check_state_file(report, settings)
    if adapter is not None:
        await _check_adapter(report, name, adapter)
    return report


def _attempt(report: _Report, what: str, step: Callable[[], T]) -> T | None:
    try:
        result = step()
    except (SaattajaAdapterError, SaattajaBrokerError) as exc:
        report.attempt(what, exc)
        return None
    return result


def _organisation(saattaja: SaattajaSettings, settings: AdapterSettings) -> Organisation:
    registry = OrganisationRegistry.from_file(saattaja.registry_file)
    return organisation_of(settings, registry)


async def _check_kafka(
    report: _Report, saattaja: SaattajaSettings, organisation: Organisation
) -> None:
    try:
        connection = KafkaConnection.from_settings(saattaja)
        wanted = (outbox_topic(organisation.id), inbox_topic(organisation.id))
        async with open_admin(connection, request_timeout_ms=_CHECK_TIMEOUT_MS) as admin:
            missing = await missing_topics(admin, wanted)
    except SaattajaBrokerError as exc:
        report.attempt("kafka", exc)
        return
    report.ok.append(f"kafka: {connection.bootstrap} answers")
    for topic in wanted:
        if topic not in missing:
            report.ok.append(f"kafka: topic {topic} exists")
        else:
            report.problems.append(
                f"kafka: topic {topic} does not exist: create it with `saattaja topics create`"
            )


async def _check_state_file(report: _Report, settings: AdapterSettings) -> None:
    path = settings.state_path
    if not path.exists():
        # A check changes nothing: the adapter makes the file (and its folders) on its first
        # run, which needs the nearest folder there is to be writable.
        folder = next(parent for parent in path.absolute().parents if parent.exists())
        if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
            report.ok.append(f"state file {path}: none yet; the adapter makes it on its first run")
        else:
            report.problems.append(
                f"state file {path}: none yet, and this user cannot make it in {folder} (not "
                "a folder, or not writable): set SAATTAJA_ADAPTER_STATE_FILE to a path the "
                "adapter may write"
            )
        return
    try:
        store = await AdapterStore.open(path)
    except SaattajaAdapterError as exc:
        report.attempt("state file", exc)
        return
    try:
        depth = await LocalOutbox(store).depth()
        parked = await ReceivedEvents(store).parked_count()
    except SaattajaAdapterError as exc:
        report.attempt("state file", exc)
        return
    finally:
        await store.close()
    report.ok.append(
        f"state file {path}: {depth.unsent} unsent (oldest waiting "
        f"{depth.oldest_age_seconds:.0f} s)"
    )
    # Unsent records go out by themselves once Kafka answers; a parked event waits for a
    # person, as a failed sql_outbox row does.
    if parked:
        report.problems.append(
            f"state file {path}: {parked} event(s) parked that the organisation's system did "
            "not take: list them with `saattaja adapter parked`, fix the cause, then "
            "`saattaja adapter retry`"
        )
    else:
        report.ok.append(f"state file {path}: none parked")


async def _check_adapter(report: _Report, name: str, adapter: Adapter[Any]) -> None:
    try:
        async with asyncio.timeout(_ADAPTER_CHECK_TIMEOUT_SECONDS):
            problems = await adapter.check()
    except TimeoutError:
        report.problems.append(
            f"adapter {name}: its check() did not finish within "
            f"{_ADAPTER_CHECK_TIMEOUT_SECONDS:g} s: its system does not answer, or the adapter "
            "waits for it without a timeout of its own"
        )
        return
    except SaattajaAdapterError as exc:
        report.attempt(f"adapter {name}", exc)
        return
    except Exception as exc:  # the adapter's own code: a check reports it, not a traceback
        report.problems.append(
            f"adapter {name}: its check() raised {type(exc).__name__}: {exc} (the adapter "
            "should return each problem as a sentence saying what to fix)"
        )
        return
    finally:
        # What check() opened (a session, a pool) is released as the runtime would.
        await adapter.close()
    if problems:
        report.problems.extend(f"adapter {name}: {problem}" for problem in problems)
    else:
        report.ok.append(f"adapter {name}: its system answers")
