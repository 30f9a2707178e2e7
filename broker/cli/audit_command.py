"""``saattaja audit``: verify the chain, query, export and report the log of consent decisions."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from broker.audit_stream import AuditStreamService, check_topic_chain, last_shipped
from broker.cli.arguments import (
    identity_code_argument,
    moment_argument,
    read_if_dash,
    refuse_empty_period,
    usage_of,
)
from broker.cli.database import opened_database
from broker.cli.lifecycle import display_url, shutdown_requested, until_shutdown
from broker.cli.output_files import replaced_on_success
from broker.cli.tables import text_table
from broker.errors import AuditStreamError, UnknownOrganisationError
from broker.kafka import KafkaConnection
from broker.logging import configure_logging
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings, load_settings
from broker.topics import AUDIT_TOPIC
from consent.audit import (
    DENY,
    PERMIT,
    AuditFilter,
    AuditLog,
    AuditRecord,
    ChainAnchor,
    ExportFormat,
    VerificationResult,
    disclosure_report,
    export_records,
)
from consent.errors import AuditChainBrokenError
from consent.legal_bases import load_legal_bases
from consent.store import ChainedVersion, ConsentHistoryFilter, ConsentStore
from consent.store.tables import GRANTED, REVOKED
from schemas import (
    EVENT_TYPES,
    OID_URN_PREFIX,
    ConsentGranted,
    ConsentRevoked,
    InvalidIdentifierError,
    Pseudonymiser,
    check_oid,
    printable,
)

__all__ = ["register"]

_T = TypeVar("_T")
CHAIN_BROKEN_EXIT_STATUS: Final = 3
"""What ``audit stream`` exits with at a record that does not follow the chain."""
# A pseudonym (HMAC-SHA-256) and a record hash (SHA-256) alike: 64 hex digits.
_HEX_256_BITS: Final = re.compile(r"^[0-9a-fA-F]{64}$")
_EVENT_TYPE_PREFIX: Final = "fi.saattaja."
# Applied to the consent store and never passed on: the audit log holds no decision on them.
_NOT_DECIDED: Final = frozenset({ConsentGranted.ce_type(), ConsentRevoked.ce_type()})
_TABLE_ROW: Final = (
    "{sequence:>6}  {decided:<19}  {decision:<8}  {reason:<33}  {sender:<12}  {recipient:<12}  "
    "{event_type:<26}  {category:<17}  {client:<13}  {basis:<24}  {removed}"
)


def register(commands: Any) -> None:
    """Add the ``audit`` command group."""
    group: argparse.ArgumentParser = commands.add_parser(
        "audit", help="verify, query, export and report the audit log of consent decisions"
    )
    group.set_defaults(run=usage_of(group))
    actions = group.add_subparsers(title="actions", metavar="ACTION")

    verify = actions.add_parser(
        "verify",
        help="check that no audit record or consent version was changed, removed or reordered",
        description="Recomputes the hash chains of the audit log and of the consent history "
        "(every grant and revocation) from their first records. Exits 0 when both are "
        "whole, 1 naming the first record that does not match and how. For each it prints "
        "an anchor (the last record's sequence and hash): kept outside the database and "
        "given back with --anchor and --consent-anchor, it shows records cut from the end, "
        "or a chain written again and hashed anew, which the chain alone cannot.",
    )
    _add_anchors(verify)
    verify.add_argument(
        "--consent-anchor",
        metavar="SEQUENCE:HASH",
        type=_anchor,
        action="append",
        default=[],
        help="a consent version noted by an earlier verify, likewise (repeatable)",
    )
    verify.set_defaults(run=_verify)

    consents = actions.add_parser(
        "consents",
        help="list the consent history: every grant and revocation, in the order recorded",
        description="Lists the consents, refusals and revocations the consent store recorded, "
        "oldest first, with the organisation that recorded each. jsonl gives each with the "
        "fields its hash covers, so that the chain can be checked from an unfiltered listing "
        "(audit verify checks it in the database).",
    )
    _add_client_and_period(
        consents,
        organisation="the organisation that recorded it, by id (e.g. kela) or OID",
        moment="applied",
    )
    consents.add_argument("--action", choices=(GRANTED, REVOKED))
    consents.add_argument(
        "--format",
        choices=("table", "jsonl"),
        default="table",
        help="table (default) for a person; jsonl, one version per line, for a program",
    )
    consents.set_defaults(run=_consents)

    query = actions.add_parser(
        "query",
        help="list audit records: a table for a person, JSON lines for a program",
        description="Lists the decisions that pass every filter given, oldest first.",
    )
    _add_filters(query)
    query.add_argument(
        "--format",
        choices=("table", "jsonl"),
        default="table",
        help="table (default) for a person; jsonl, one record per line, for a program",
    )
    query.set_defaults(run=_query)

    export = actions.add_parser(
        "export",
        help="write audit records as FHIR AuditEvents, CSV or JSON lines",
        description="fhir: one FHIR R4 AuditEvent per line (NDJSON, IHE BALP style); "
        "csv: a header and one row per record; jsonl: one record per line with the "
        "fields its hash covers, so that the chain can be checked from the export.",
    )
    export.add_argument(
        "--format", required=True, choices=[choice.value for choice in ExportFormat]
    )
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    _add_filters(export)
    export.set_defaults(run=_export)

    stream = actions.add_parser(
        "stream",
        help=f"write the audit log's records to {AUDIT_TOPIC}, in order, for a SIEM",
        description=f"Writes each audit record to the topic {AUDIT_TOPIC} (one partition) as "
        "it is appended, oldest first, keyed by the client's pseudonym, with its sequence "
        "and hash in headers (SAATTAJA_AUDIT_STREAM_FORMAT: jsonl, the fields the hash "
        "covers; fhir, a FHIR AuditEvent). Each record is checked against the chain before "
        "it goes; the topic's last record is where the stream goes on from after a "
        "restart, and the log must go on from it. Runs until Ctrl-C; waits while the "
        "database or Kafka is down. At a record that does not follow the chain it ships nothing "
        "more: serving metrics, it stays up with /health saying stopped until stopped, then "
        "exits with status 3; without, it exits 3 at once. Run several (on other hosts) and "
        "one ships while the others stand by to take "
        "over (SAATTAJA_AUDIT_STREAM_GROUP_ID).",
    )
    stream.add_argument(
        "--once",
        action="store_true",
        help="write what the log holds beyond the topic's end, say how many, and exit",
    )
    stream.set_defaults(run=_stream)

    check_topic = actions.add_parser(
        "check-topic",
        help=f"check the copy of the log on {AUDIT_TOPIC} on its own, without the database",
        description=f"Reads {AUDIT_TOPIC} from its start and recomputes each record's hash from "
        "the fields its message carries (SAATTAJA_AUDIT_STREAM_FORMAT=jsonl), each linked to "
        "the one before it, no sequence missing; copies of a record are dropped as a reader "
        "drops them. Exits 0 when the chain is whole, 1 naming the first record that does "
        "not match. What a SIEM's copy can be trusted for without the database.",
    )
    check_topic.set_defaults(run=_check_topic)

    report = actions.add_parser(
        "report",
        help="a client's disclosure report: who received what about them, and what was refused",
        description="What a client asking for their data (GDPR art. 15) or an auditor needs: "
        "every organisation that received information about the client through Saattaja, "
        "when, on what basis and what was removed, and every disclosure refused and why. "
        "The identity code is turned into the client's pseudonym and not printed. The audit "
        "log's hash chain is checked first, whole, as verify checks it, with the anchors "
        "given, and the report says up to which record; a chain that does not verify is "
        "refused (exit 1), naming the first record that does not match. Without an anchor, "
        "a chain cut from its end, or written again and hashed anew, still verifies.",
    )
    report.add_argument(
        "--client",
        required=True,
        type=_client_argument,
        metavar="IDENTITY_CODE",
        help="the client's personal identity code (henkilötunnus), or their pseudonym; "
        "- reads it from standard input, out of the shell's history and ps",
    )
    _add_anchors(report)
    report.set_defaults(run=_report)


def _add_anchors(parser: argparse.ArgumentParser) -> None:
    """--anchor and --anchor-from-topic, the audit records the chain must still hold."""
    parser.add_argument(
        "--anchor",
        metavar="SEQUENCE:HASH",
        type=_anchor,
        action="append",
        default=[],
        help="an audit record noted by an earlier verify, which must still be there "
        "unchanged (repeatable)",
    )
    parser.add_argument(
        "--anchor-from-topic",
        action="store_true",
        help=f"also take as an anchor the record {AUDIT_TOPIC} ends with, which the audit "
        "stream wrote there (connects to Kafka)",
    )


def _add_filters(parser: argparse.ArgumentParser) -> None:
    _add_client_and_period(
        parser,
        organisation="an organisation of the registry by id (e.g. kela) or OID, as sender or "
        "recipient",
        moment="decided",
    )
    parser.add_argument("--decision", choices=(PERMIT, DENY))
    parser.add_argument(
        "--event-type",
        type=_event_type_argument,
        metavar="TYPE",
        help="an event type as the table shows it (e.g. referral.requested.v1) or as its "
        "ce_type (fi.saattaja.referral.requested.v1)",
    )


def _add_client_and_period(
    parser: argparse.ArgumentParser, *, organisation: str, moment: str
) -> None:
    """--client, --organisation, --since and --until; ``moment`` says what the times are of."""
    parser.add_argument(
        "--client",
        type=_client_argument,
        metavar="CODE_OR_PSEUDONYM",
        help="a personal identity code (turned into the pseudonym with "
        "SAATTAJA_PSEUDONYM_SECRET) or a client pseudonym (64 hex digits); - reads it from "
        "standard input, out of the shell's history and ps",
    )
    parser.add_argument("--organisation", metavar="ID_OR_OID", help=organisation)
    parser.add_argument(
        "--since",
        type=moment_argument,
        metavar="ISO",
        help=f"{moment} at or after this date or time (ISO 8601; without an offset, UTC)",
    )
    parser.add_argument(
        "--until",
        type=moment_argument,
        metavar="ISO",
        help=f"{moment} before this date or time (ISO 8601; without an offset, UTC)",
    )
    parser.set_defaults(usage_error=parser.error)


@dataclass(frozen=True, slots=True)
class _Client:
    """A client as given on the command line; the identity code is never printed."""

    value: str
    is_pseudonym: bool

    def pseudonym(self, settings: SaattajaSettings) -> str:
        if self.is_pseudonym:
            return self.value
        return Pseudonymiser(settings.require_pseudonym_secret()).pseudonym(self.value)


def _client_argument(given: str) -> _Client:
    value = read_if_dash(given)
    if _HEX_256_BITS.fullmatch(value):
        return _Client(value.lower(), is_pseudonym=True)
    try:
        return _Client(identity_code_argument(value), is_pseudonym=False)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc}; or give the client's pseudonym (64 hexadecimal digits)"
        ) from exc


def _event_type_argument(value: str) -> str:
    """The ce_type of an event type of the catalogue, given with or without its prefix."""
    for ce_type in (value, _EVENT_TYPE_PREFIX + value):
        if ce_type in _NOT_DECIDED:
            # Refused too: "0 records" would read as if no consent was ever given or revoked.
            raise argparse.ArgumentTypeError(
                f"{value!r}: consents are applied to the consent store, never passed on, so "
                "the audit log holds no decision on one: `saattaja audit consents` lists them"
            )
        if ce_type in EVENT_TYPES:
            return ce_type
    # Refused rather than asked for: a type no event has would list nothing, silently.
    known = ", ".join(
        ce_type.removeprefix(_EVENT_TYPE_PREFIX)
        for ce_type in EVENT_TYPES
        if ce_type not in _NOT_DECIDED
    )
    raise argparse.ArgumentTypeError(
        f"{value!r} is not an event type of the catalogue: give one of {known} "
        f"(with or without {_EVENT_TYPE_PREFIX!r} before it)"
    )


def _verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    _take_anchor_from_topic(args, settings, said_to=sys.stdout)

    async def verify(engine: AsyncEngine) -> tuple[VerificationResult, VerificationResult]:
        decisions = await AuditLog(engine).verify(anchors=args.anchor)
        consents = await ConsentStore(engine).verify(anchors=args.consent_anchor)
        return decisions, consents

    decisions, consents = _in_database(settings, verify)
    broken = [result.describe() for result in (decisions, consents) if not result.ok]
    if broken:
        raise AuditChainBrokenError("; ".join(broken))
    print(decisions.describe())
    if args.anchor:
        print(f"anchors found unchanged: {', '.join(map(str, args.anchor))}")
    print(f"last hash: {decisions.last_hash}")
    if decisions.anchor is not None:
        print(f"anchor to keep: {decisions.anchor}")
    print(consents.describe())
    if args.consent_anchor:
        print(f"consent anchors found unchanged: {', '.join(map(str, args.consent_anchor))}")
    if consents.anchor is not None:
        print(f"consent anchor to keep: {consents.anchor}")
    return 0


def _take_anchor_from_topic(
    args: argparse.Namespace, settings: SaattajaSettings, *, said_to: TextIO
) -> None:
    """With --anchor-from-topic, add the record saattaja.audit ends with to args.anchor."""
    if not args.anchor_from_topic:
        return
    shipped = asyncio.run(last_shipped(KafkaConnection.from_settings(settings)))
    if shipped is None:
        print(f"{AUDIT_TOPIC} holds no audit record yet: no anchor taken from it", file=said_to)
    else:
        print(f"anchor taken from {AUDIT_TOPIC}: {shipped}", file=said_to)
        args.anchor.append(shipped)


def _stream(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=args.once)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    connection = KafkaConnection.from_settings(settings)

    async def stream() -> int:
        async with AuditStreamService(settings, registry, connection) as service:
            if args.once:
                shipped = await service.ship_once()
                ends = "nothing" if service.position is None else f"record {service.position}"
                print(
                    f"{shipped} audit record{'' if shipped == 1 else 's'} written to "
                    f"{AUDIT_TOPIC}; it ends at {ends}"
                )
                return 0
            with shutdown_requested() as shutdown:
                print(
                    f"Audit stream writing the audit log at {display_url(settings)} to "
                    f"{AUDIT_TOPIC} at {connection.bootstrap} "
                    f"({settings.audit_stream_format}). Ctrl-C stops it.",
                    flush=True,
                )
                try:
                    await until_shutdown(shutdown, service.run())
                except (AuditChainBrokenError, AuditStreamError) as exc:
                    if service.metrics_port is None:
                        raise
                    # Up until told to stop, /health answering "stopped" and chain_broken 1:
                    # a process that exited at once would take both with it before any
                    # scrape, and the alert would never fire.
                    print(
                        f"saattaja: error: {exc}; the stream ships nothing more, and stays "
                        f"up so that /health and saattaja_audit_stream_chain_broken on port "
                        f"{service.metrics_port} say so: run `saattaja audit verify`, then "
                        "stop it (it exits with status 3)",
                        file=sys.stderr,
                        flush=True,
                    )
                    await shutdown.wait()
                    return CHAIN_BROKEN_EXIT_STATUS
        return 0

    try:
        return asyncio.run(stream())
    except (AuditChainBrokenError, AuditStreamError) as exc:
        # An exit status of its own, so that a supervisor restarts the stream after an
        # outage at start but not into the same broken record again.
        print(f"saattaja: error: {exc}", file=sys.stderr)
        return CHAIN_BROKEN_EXIT_STATUS


def _check_topic(_args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    checked = asyncio.run(check_topic_chain(KafkaConnection.from_settings(settings)))
    checked.result.raise_if_broken()
    print(checked.describe())
    if checked.result.anchor is not None:
        print(f"anchor to keep: {checked.result.anchor}")
    return 0


def _anchor(value: str) -> ChainAnchor:
    sequence, _, digest = value.partition(":")
    if not re.fullmatch(r"[1-9][0-9]*", sequence) or not _HEX_256_BITS.fullmatch(digest):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an anchor: give a record's sequence and hash as an earlier "
            "verify printed them, e.g. 42:" + "0" * 64
        )
    return ChainAnchor(int(sequence), digest.lower())


def _query(args: argparse.Namespace) -> int:
    refuse_empty_period(args)
    settings = load_settings()
    registry = OrganisationRegistry.from_file(settings.registry_file)
    filters = _filters(args, settings, registry)
    if args.format == "jsonl":
        _run(settings, lambda log: _write_jsonl(log.query(filters), sys.stdout), client=args.client)
        return 0
    count = _run(
        settings,
        lambda log: _write_table(log.query(filters), registry, sys.stdout),
        client=args.client,
    )
    print(f"{count} record{'' if count == 1 else 's'}")
    return 0


def _consents(args: argparse.Namespace) -> int:
    refuse_empty_period(args)
    settings = load_settings()
    registry = OrganisationRegistry.from_file(settings.registry_file)
    filters = ConsentHistoryFilter(
        client=None if args.client is None else args.client.pseudonym(settings),
        recorded_by=None
        if args.organisation is None
        else _organisation_oid(args.organisation, registry),
        since=args.since,
        until=args.until,
        action=args.action,
    )

    async def write(engine: AsyncEngine) -> int:
        versions = ConsentStore(engine).recorded(filters)
        if args.format == "jsonl":
            return await _write_versions_jsonl(versions, sys.stdout)
        return await _write_versions_table(versions, registry, sys.stdout)

    count = _in_database(settings, write, client=args.client)
    if args.format == "table":
        print(f"{count} version{'' if count == 1 else 's'}")
    return 0


async def _write_versions_jsonl(versions: AsyncIterator[ChainedVersion], out: TextIO) -> int:
    count = 0
    async for version in versions:
        out.write(json.dumps({**version.fields, "hash": version.hash}, ensure_ascii=False) + "\n")
        count += 1
    return count


async def _write_versions_table(
    versions: AsyncIterator[ChainedVersion], registry: OrganisationRegistry, out: TextIO
) -> int:
    ids = {organisation.oid: organisation.id for organisation in registry}
    rows = []
    async for version in versions:
        fields = version.fields
        valid = f"{_utc_time(fields['valid_from'])}..{_utc_time(fields['valid_until'])}"
        rows.append(
            (
                str(fields["sequence"]),
                _utc_time(fields["applied_at"]),
                fields["action"],
                fields["decision"] or "",
                fields["consent_id"],
                ids.get(fields["recorded_by"], fields["recorded_by"]),
                fields["client"][:12] + "…",
                "" if fields["action"] == REVOKED else valid,
                fields["purpose"] or "",
            )
        )
    header = (
        "SEQ",
        "APPLIED (UTC)",
        "ACTION",
        "DECISION",
        "CONSENT",
        "RECORDED BY",
        "CLIENT",
        "VALID (UTC)",
        "PURPOSE",
    )
    out.write(text_table(header, rows) + "\n")
    return len(rows)


def _utc_time(moment: str | None) -> str:
    # To the second, as stored: a period's ends cut to UTC days would put a consent from
    # 1 July in Finland (30 June 21:00 UTC) a day early.
    return "" if moment is None else moment[:19].replace("T", " ")


def _export(args: argparse.Namespace) -> int:
    refuse_empty_period(args)
    settings = load_settings()
    registry = OrganisationRegistry.from_file(settings.registry_file)
    filters = _filters(args, settings, registry)
    export_format = ExportFormat(args.format)
    names = {organisation.oid: organisation.name for organisation in registry}
    with ExitStack() as stack:
        out: TextIO = sys.stdout
        if args.output is not None:
            out = stack.enter_context(replaced_on_success(args.output))
        count = _run(
            settings,
            lambda log: export_records(log.query(filters), out, export_format, organisations=names),
            client=args.client,
        )
    if args.output is not None:
        records = f"{count} audit record{'' if count == 1 else 's'}"
        print(f"exported {records} to {args.output} ({export_format})")
    return 0


def _report(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format, one_shot=True)
    # Not into the report, which may be handed to the client; the report names its anchors.
    _take_anchor_from_topic(args, settings, said_to=sys.stderr)
    registry = OrganisationRegistry.from_file(settings.registry_file)
    pseudonym = args.client.pseudonym(settings)
    laws: dict[str, str] = {}
    if settings.legal_bases_file is not None:
        laws = {basis.id: basis.law for basis in load_legal_bases(settings.legal_bases_file)}

    async def read(log: AuditLog) -> tuple[VerificationResult, list[AuditRecord]]:
        # The whole chain, as verify walks it: a record changed by hand would otherwise be
        # shown as changed, or left out, without a word.
        verified = await log.verify(anchors=args.anchor)
        if not verified.ok:
            raise AuditChainBrokenError(
                f"{verified.describe()}: no disclosure report is made from a log that does "
                "not verify; run `saattaja audit verify` and restore the log"
            )
        records = await _collect(log.query(AuditFilter(client=pseudonym)))
        # Those appended since the walk are left for the next report, as verify leaves them.
        return verified, [r for r in records if r.sequence <= (verified.last_sequence or 0)]

    verified, records = _run(settings, read, client=args.client)
    report = disclosure_report(
        records,
        client=pseudonym,
        organisations={organisation.oid: organisation.name for organisation in registry},
        legal_bases=laws,
        generated_at=datetime.now(UTC),
        verified=verified,
        anchors=args.anchor,
    )
    print(report, end="")
    return 0


def _filters(
    args: argparse.Namespace, settings: SaattajaSettings, registry: OrganisationRegistry
) -> AuditFilter:
    return AuditFilter(
        client=None if args.client is None else args.client.pseudonym(settings),
        organisation=None
        if args.organisation is None
        else _organisation_oid(args.organisation, registry),
        since=args.since,
        until=args.until,
        decision=args.decision,
        event_type=args.event_type,
    )


def _organisation_oid(value: str, registry: OrganisationRegistry) -> str:
    if value in registry:
        return registry.get(value).oid
    oid = value.removeprefix(OID_URN_PREFIX)
    try:
        # An OID the registry no longer lists is still asked for: the log outlives members.
        return check_oid(oid)
    except InvalidIdentifierError as exc:
        raise UnknownOrganisationError(
            f"--organisation {value!r}: neither an organisation id of {registry.source} "
            f"(known: {', '.join(registry.ids)}) nor an OID"
        ) from exc


def _run(
    settings: SaattajaSettings,
    work: Callable[[AuditLog], Coroutine[Any, Any, _T]],
    *,
    client: _Client | None = None,
) -> _T:
    return _in_database(settings, lambda engine: work(AuditLog(engine)), client=client)


def _in_database(
    settings: SaattajaSettings,
    work: Callable[[AsyncEngine], Coroutine[Any, Any, _T]],
    *,
    client: _Client | None = None,
) -> _T:
    """``work`` done on the database, once its schema is found up to date.

    ``client``: the client asked about; given as an identity code, its pseudonym is this
    process's, so the database must have been filled under the same pseudonym secret.
    """

    pseudonymiser = (
        Pseudonymiser(settings.require_pseudonym_secret())
        if client is not None and not client.is_pseudonym
        else None
    )

    async def run() -> _T:
        async with opened_database(settings.database_url, pseudonymiser=pseudonymiser) as engine:
            return await work(engine)

    return asyncio.run(run())


async def _collect(records: AsyncIterator[AuditRecord]) -> list[AuditRecord]:
    return [record async for record in records]


async def _write_jsonl(records: AsyncIterator[AuditRecord], out: TextIO) -> int:
    return await export_records(records, out, ExportFormat.JSONL)


async def _write_table(
    records: AsyncIterator[AuditRecord], registry: OrganisationRegistry, out: TextIO
) -> int:
    ids = {organisation.oid: organisation.id for organisation in registry}
    out.write(
        _TABLE_ROW.format(
            sequence="SEQ",
            decided="DECIDED (UTC)",
            decision="DECISION",
            reason="REASON",
            sender="FROM",
            recipient="TO",
            event_type="EVENT TYPE",
            category="CATEGORY",
            client="CLIENT",
            basis="BASIS",
            removed="REMOVED",
        ).rstrip()
        + "\n"
    )
    count = 0
    async for record in records:
        row = _TABLE_ROW.format(
            sequence=record.sequence,
            decided=record.decided_at.strftime("%Y-%m-%d %H:%M:%S"),
            decision=record.decision,
            reason=printable(record.reason),
            sender=printable(ids.get(record.sender, record.sender)),
            recipient=printable(ids.get(record.recipient, record.recipient)),
            event_type=printable(record.event_type.removeprefix(_EVENT_TYPE_PREFIX)),
            category=record.category.value,
            client=record.client[:12] + "…",
            basis=printable(record.basis or "-"),
            removed=", ".join(map(printable, record.removed)) or "-",
        )
        out.write(row.rstrip() + "\n")
        count += 1
    return count
