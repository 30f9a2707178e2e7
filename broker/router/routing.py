"""The router's work for a batch of outbox records: validate, decide per recipient, audit, deliver.

Order matters for the guarantees ARCHITECTURE.md gives: the decisions are durably in the
audit log before anything is delivered, deliveries are acknowledged by Kafka before the
caller commits the offsets, and a record routed again after a crash reuses the decisions
on record and is not delivered again once its pathway record is written (its deliveries
are recorded in the ledger in the same transaction). The batch's last transaction records
too how far each of its partitions is routed, so that a database restored from a backup
shows where its routing ends (``broker.router.resumption``).

A batch is routed in waves, so that the stores are read and written once per wave instead
of once per event, with the result an event-by-event router would give. A decision depends
only on the client's own consents and care network, so each client's events are cut into
steps where they depend on each other (a consent applies to the events after it; an event
that changes the care network changes it for the events after it), and wave n routes
every client's n-th step together.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial

import structlog
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.dead_letters import (
    DLQ_HEADERS,
    claimed_identity,
    issued_by_router,
    reserved_header,
    reused_consent_id,
    reused_event_id,
)
from broker.errors import ReferralIdTakenError, UnreadablePathwayError
from broker.kafka import Outbound, partition_of
from broker.pathway import (
    AppliedEvent,
    ClientPathway,
    HandoverDue,
    HandoverFact,
    HintFact,
    PathwayChanges,
    PathwayRules,
    PathwayStore,
    Referral,
    ReferralClaim,
    ReferralState,
    StepOutcome,
    apply_event,
    derived_id,
    escalate,
    referral_of_slot,
    referral_slot,
)
from broker.registry import Organisation, OrganisationRegistry
from broker.router.candidates import candidate_recipients
from broker.router.dead_letter import dead_letter_record, rejection_notice, send_rejections
from broker.router.decoding import Decoded, DecodingPool
from broker.router.incoming import IncomingRecord
from broker.router.known_clients import ClientState, KnownClients
from broker.router.ledger import DeliveryLedger
from broker.router.pathway_effects import Disclosed, PathwayEffects, Subject, audit_entry
from broker.router.positions import RoutedOffsets, batch_offsets
from broker.topics import DLQ_TOPIC, inbox_topic, outbox_topic
from consent.audit import AuditEntry, AuditKey, AuditLog, AuditRecord
from consent.database import run_transaction, translate_database_errors
from consent.decisions import (
    ClientConsents,
    Decision,
    ReasonCode,
    Verdict,
)
from consent.errors import EventIdTakenError
from consent.legal_bases import LegalBases
from consent.network import NETWORK_EVENTS, CareNetwork, network_after
from consent.store import ConsentStore
from schemas import (
    AssessmentAvailable,
    ConsentGranted,
    ConsentRevoked,
    ContractError,
    Event,
    EventCodec,
    KafkaRecord,
    OverdueRole,
    ReferralExpired,
    ReferralOverdue,
    ReferralRequested,
    RevocationUnmatched,
    echoed,
)

__all__ = ["Router", "RoutingOutcome"]

_log = structlog.get_logger(__name__)
_CONSENT_TYPES = frozenset({ConsentGranted.ce_type(), ConsentRevoked.ce_type()})


class RoutingOutcome(StrEnum):
    """What became of one outbox record."""

    ROUTED = "routed"
    APPLIED = "applied"  # a consent or revocation, applied to the consent store
    REJECTED = "rejected"  # sent to the dead-letter topic


@dataclass(frozen=True, slots=True)
class _Routable:
    """A valid event on its way to the inboxes, with the record it came in."""

    incoming: IncomingRecord
    event: Event
    sender: Organisation
    position: int  # in the batch, and in the outcomes of its records

    @property
    def pseudonym(self) -> str:
        return self.incoming.record.key.decode()


@dataclass(slots=True)
class _Step:
    """A client's consents to apply, then the events decided on the state they leave."""

    consents: list[tuple[ConsentGranted | ConsentRevoked, _Routable]] = field(default_factory=list)
    events: list[_Routable] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _ClientStates:
    """What a run of events is decided on: its clients' state and which events were applied."""

    clients: frozenset[str]
    event_ids: frozenset[uuid.UUID]
    networks: dict[str, frozenset[str]]
    consents: dict[str, ClientConsents]
    pathways: dict[str, ClientPathway]
    applied: dict[uuid.UUID, AppliedEvent]

    def merged(self, other: _ClientStates) -> _ClientStates:
        """These states and ``other``'s, for the clients and events of both."""
        return _ClientStates(
            self.clients | other.clients,
            self.event_ids | other.event_ids,
            self.networks | other.networks,
            self.consents | other.consents,
            self.pathways | other.pathways,
            self.applied | other.applied,
        )


_OnRecord = dict[AuditKey, AuditRecord]
"""Audit records already in the log, by their keys."""


def _on_record_permits(entry: AuditEntry, on_record: _OnRecord) -> bool:
    """Whether the record the append gives for ``entry`` permits: the one there, or it."""
    record = on_record.get(entry.key)
    return entry.permitted if record is None else record.decision == Verdict.PERMIT.value


def _new_claims(changes: PathwayChanges) -> list[ReferralClaim]:
    """The claims of the referrals requested in a wave: their requests were applied in it."""
    return [
        referral.claim
        for referral in changes.referrals.values()
        if referral.requested_event_id in changes.events
    ]


@dataclass(frozen=True, slots=True)
class _Package:
    """A handover package to decide and send, and the items that follow it."""

    disclosed: Disclosed
    follow: list[Disclosed]
    due: HandoverDue
    pseudonym: str


@dataclass(slots=True)
class _Wave:
    """What routing one wave decides before anything is written."""

    changes: PathwayChanges = field(default_factory=PathwayChanges)
    entries: list[AuditEntry] = field(default_factory=list)
    refused: dict[uuid.UUID, str] = field(default_factory=dict)
    newly_refused: list[_Routable] = field(default_factory=list)
    reused: list[_Routable] = field(default_factory=list)
    """Events sent under the id of another event: not routed, but rejected."""
    repeated: list[_Routable] = field(default_factory=list)
    """Events the wave holds twice: routed once, as the first."""
    effects: list[tuple[_Routable, StepOutcome]] = field(default_factory=list)


class Router:
    """Routes outbox records; every store or Kafka failure propagates so the caller can retry."""

    def __init__(
        self,
        *,
        database: AsyncEngine,
        codec: EventCodec,
        registry: OrganisationRegistry,
        consents: ConsentStore,
        network: CareNetwork,
        audit: AuditLog,
        ledger: DeliveryLedger,
        legal_bases: LegalBases,
        outbound: Outbound,
        pathway: PathwayStore,
        rules: PathwayRules,
        decoding: DecodingPool | None = None,
        known_clients: int = 0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_decided: Callable[[Sequence[AuditRecord]], None] = lambda _records: None,
        on_escalated: Callable[[int], None] = lambda _referrals: None,
        partitions_of: Callable[[str], int | None] = lambda _topic: None,
    ) -> None:
        self._database = database  # the stores' own, for reads and writes they share
        self._codec = codec
        self._consents = consents
        self._network = network
        self._audit = audit
        self._ledger = ledger
        self._outbound = outbound
        self._decoding = decoding or DecodingPool(0, codec)
        self._clock = clock
        self._pathway = pathway
        self._rules = rules
        self._outboxes = {outbox_topic(org.id): org for org in registry}
        self._by_oid = {org.oid: org for org in registry}
        self._effects = PathwayEffects(codec, self._by_oid, legal_bases)
        self._known = KnownClients(known_clients)
        # Routing and the overdue watch take turns, so that a referral's state is changed
        # by one of them at a time within a process.
        self._turn = asyncio.Lock()
        self._on_decided = on_decided
        self._on_escalated = on_escalated
        # How many partitions an outbox has, as the consumer knows; None: not known.
        self._partitions_of = partitions_of
        self._decided: list[AuditRecord] = []  # the records of the turn in hand
        # Event ids the audit log holds for another client than an event routed under them
        # (see EventIdTakenError), with that client: such an event is another event.
        self._taken: dict[uuid.UUID, str] = {}
        # Referral ids another router process claimed for another client between this
        # one's read of the referrals and its decisions (see ReferralIdTakenError).
        self._claimed: dict[tuple[str, str], ReferralClaim] = {}

    async def route_batch(self, batch: Sequence[IncomingRecord]) -> list[RoutingOutcome]:
        """Route records in the order consumed; the outcome of each, in the same order.

        Raises StoreUnavailableError or a Kafka error; routing the same batch again is
        safe, because every step is idempotent by event id.
        """
        async with self._turn:
            while True:
                self._decided = []
                try:
                    outcomes = await self._route_batch(batch)
                except ReferralIdTakenError as taken:
                    self._known.clear()  # what the batch wrote may be half done
                    if taken.claims.items() <= self._claimed.items():
                        raise  # refused already, yet claimed again: not a race but a bug
                    # Routed again, the batch refuses those requests before their decisions.
                    self._claimed.update(taken.claims)
                    _log.warning(
                        "referral_id_taken",
                        referral_ids=sorted(f"{rid} of {req}" for req, rid in taken.claims),
                    )
                    continue
                except EventIdTakenError as taken:
                    self._known.clear()  # what the batch wrote may be half done
                    if taken.holders.items() <= self._taken.items():
                        raise  # refused already, yet appended again: not a race but a bug
                    # Routed again, the batch refuses those events before their decisions.
                    self._taken.update(taken.holders)
                    _log.warning("event_id_taken", event_ids=sorted(map(str, taken.holders)))
                    continue
                except BaseException:
                    self._known.clear()  # what the batch wrote may be half done
                    raise
                break
            # Told once the batch is routed to the end: routed again after a failure, it
            # gets the same records back.
            self._on_decided(self._decided)
            return outcomes

    @asynccontextmanager
    async def between_turns(self, *, grace: float) -> AsyncIterator[None]:
        """Hold the router between two turns: no batch routed, no referral escalated.

        Waits at most ``grace`` seconds for the turn in hand (a store is down, say), and
        then goes on without holding it.
        """
        try:
            await asyncio.wait_for(self._turn.acquire(), grace)
        except TimeoutError:
            _log.warning("stopped_mid_turn", grace_seconds=grace)
            yield
            return
        try:
            yield
        finally:
            self._turn.release()

    async def forget_clients(self) -> None:
        """Read every client from the store again: call it when partitions move.

        It waits for the escalation in hand, so that a process losing a client's partition
        changes nothing of the client once the group has moved on.
        """
        async with self._turn:
            self._known.clear()

    async def _route_batch(self, batch: Sequence[IncomingRecord]) -> list[RoutingOutcome]:
        # Where each partition's routing ends once the batch is recorded: in the batch's last
        # transaction, after everything else it writes.
        offsets = batch_offsets([(r.topic, r.partition, r.offset) for r in batch])
        outcomes: list[RoutingOutcome] = []
        rejected: list[tuple[str, KafkaRecord]] = []
        # With decoding workers, the first wave's reads wait on the database while they
        # decode; decoding on this event loop would leave nothing to overlap them with.
        early_reads = (
            asyncio.create_task(self._first_wave_states(batch))
            if self._decoding.decodes_elsewhere
            else None
        )
        try:
            steps = await self._steps(batch, outcomes, rejected)
            # The dead letters first: they depend on nothing, and a sender hears of its
            # mistake before the events after it arrive anywhere.
            await send_rejections(self._outbound, rejected)
            early = None if early_reads is None else await early_reads
        finally:
            if early_reads is not None and not early_reads.done():
                early_reads.cancel()
                with suppress(asyncio.CancelledError):
                    await early_reads
        waves = max((len(s) for s in steps.values()), default=0)
        for wave in range(waves):
            now_due = [s[wave] for s in steps.values() if wave < len(s)]
            consents = [consent for step in now_due for consent in step.consents]
            if consents:
                for routable in await self._apply_consents(consents):
                    outcomes[routable.position] = RoutingOutcome.REJECTED
            run = [routable for step in now_due for routable in step.events]
            last = wave == waves - 1 and bool(run)
            for routable in await self._route_run(run, early, offsets if last else {}):
                outcomes[routable.position] = RoutingOutcome.REJECTED
            if last:
                offsets = {}
            early = None  # what the first wave wrote is read again
        if offsets:  # no wave of events to record them with: rejections or consents alone
            record = partial(RoutedOffsets.record_in, offsets=offsets, at=self._clock())
            async with translate_database_errors("recording the routed offsets"):
                await run_transaction(self._database, record)
        return outcomes

    async def _apply_consents(
        self, consents: Sequence[tuple[ConsentGranted | ConsentRevoked, _Routable]]
    ) -> list[_Routable]:
        """Apply a wave's consent events; those sent under another event's id are rejected."""
        self._known.forget(routable.pseudonym for _, routable in consents)
        applied = await self._consents.apply_all(
            [(event, routable.pseudonym) for event, routable in consents],
            applied_at=self._clock(),
        )
        rejected: list[tuple[str, KafkaRecord]] = []
        for position in applied.refused:
            self._reject_reused(consents[position][1], rejected)
        for position, owner in applied.taken:
            self._reject_taken_consent_id(consents[position][1], owner, rejected)
        await send_rejections(self._outbound, rejected)
        await self._tell_unmatched([consents[position] for position in applied.unmatched])
        not_applied = [*applied.refused, *(position for position, _ in applied.taken)]
        for position, (event, _) in enumerate(consents):
            if position not in not_applied:
                _log.info("consent_applied", event_id=str(event.event_id), type=event.ce_type())
        return [consents[position][1] for position in not_applied]

    async def _tell_unmatched(
        self, revocations: Sequence[tuple[ConsentGranted | ConsentRevoked, _Routable]]
    ) -> None:
        """Tell each organisation whose revocation names no consent of the client yet.

        Kept, such a revocation voids a later grant under its id; but most likely the id
        was mistyped and the consent meant still holds. Once per revocation: the notice's
        id derives from the revocation's, and the delivery ledger keeps it from being sent
        again when the revocation is routed again.
        """
        if not revocations:
            return
        now = self._clock()
        notices: list[tuple[Event, str]] = []
        for revocation, routable in revocations:
            assert isinstance(revocation, ConsentRevoked)  # noqa: S101  # only these are unmatched
            notice = RevocationUnmatched(
                event_id=derived_id("unmatched", revocation.event_id),
                occurred_at=now,
                sender=revocation.sender,
                client=revocation.client,
                consent_id=revocation.consent_id,
                revocation_event_id=revocation.event_id,
            )
            notices.append((notice, routable.pseudonym))
            _log.warning(
                "revocation_unmatched",
                event_id=str(revocation.event_id),
                consent_id=revocation.consent_id,
                recorded_by=revocation.sender,
            )
        await self._ledger.record(await self._send_issued(notices, now), self._clock())

    async def _first_wave_states(self, batch: Sequence[IncomingRecord]) -> _ClientStates:
        """The states the batch's first wave needs, found from the records' headers alone.

        Whether each event was applied before, and the state of every client without a
        consent in the batch: a consent changes the state it is applied to before the
        first wave, so that client's is read once it is.
        """
        clients: set[str] = set()
        changing: set[str] = set()
        event_ids: list[uuid.UUID] = []
        for incoming in batch:
            try:
                headers = self._codec.read_headers(incoming.record)
            except ContractError:
                continue  # rejected once decoded
            clients.add(headers.subject)
            event_ids.append(headers.id)
            if headers.type in _CONSENT_TYPES:
                changing.add(headers.subject)
        return await self._states_of(clients - changing, event_ids)

    async def _steps(
        self,
        batch: Sequence[IncomingRecord],
        outcomes: list[RoutingOutcome],
        rejected: list[tuple[str, KafkaRecord]],
    ) -> dict[str, list[_Step]]:
        """Validate the batch and cut each client's events where they depend on each other."""
        steps: dict[str, list[_Step]] = {}
        async with aclosing(
            self._decoding.decoded([incoming.record for incoming in batch])
        ) as decoded:
            for position, incoming in enumerate(batch):
                routable = self._validate(incoming, position, await anext(decoded), rejected)
                if routable is None:
                    outcomes.append(RoutingOutcome.REJECTED)
                    continue
                event = routable.event
                client_steps = steps.setdefault(routable.pseudonym, [_Step()])
                if isinstance(event, ConsentGranted | ConsentRevoked):
                    if client_steps[-1].events:  # it applies to what comes after it
                        client_steps.append(_Step())
                    client_steps[-1].consents.append((event, routable))
                    outcomes.append(RoutingOutcome.APPLIED)
                    continue
                client_steps[-1].events.append(routable)
                outcomes.append(RoutingOutcome.ROUTED)
                if isinstance(event, NETWORK_EVENTS):  # the network changes once it is routed
                    client_steps.append(_Step())
        return steps

    def _validate(
        self,
        incoming: IncomingRecord,
        position: int,
        decoded: Decoded,
        rejected: list[tuple[str, KafkaRecord]],
    ) -> _Routable | None:
        """The event of a record, or None once its dead letter and notice are in ``rejected``."""
        sender = self._outboxes.get(incoming.topic)
        if sender is None:
            reason = f"{incoming.topic} is not the outbox of a registered organisation"
            self._reject(incoming, reason, None, rejected)
            return None
        checked = self._checked(incoming, decoded, sender)
        if isinstance(checked, str):
            self._reject(incoming, checked, sender, rejected)
            return None
        return _Routable(incoming, checked, sender, position)

    def _checked(
        self, incoming: IncomingRecord, decoded: Decoded, sender: Organisation
    ) -> Event | str:
        """The event, when it may be routed as it came; otherwise why it may not."""
        reserved = next((n for n, _ in incoming.record.headers if n in DLQ_HEADERS), None)
        if reserved is not None:
            return reserved_header(reserved)
        if isinstance(decoded, ContractError):
            return str(decoded)
        if decoded.issued_by_router:
            return issued_by_router(decoded.ce_type())
        if decoded.sender != sender.oid:
            return (
                f"ce_source names {decoded.sender}, but the event came from the outbox of "
                f"{sender.id} ({sender.oid}): an organisation publishes only as itself"
            )
        keyed = self._keyed_partition(incoming)
        if keyed is not None and keyed != incoming.partition:
            # Routed, it would reach a router process that does not hold the client: two
            # processes could then route one client at once, and one of them decide on
            # consents that the other has just changed.
            return (
                f"the event is on partition {incoming.partition} of {incoming.topic}, but "
                f"records keyed by its client's pseudonym belong on partition {keyed}: "
                "publish with Kafka's default keyed partitioner (murmur2), as aiokafka and "
                "the Java client do; in a client built on librdkafka set "
                "partitioner=murmur2_random"
            )
        return decoded

    def _reject_reused(self, routable: _Routable, rejected: list[tuple[str, KafkaRecord]]) -> None:
        """Reject an event sent under the id of another event, which stands."""
        event = routable.event
        reason = reused_event_id(str(event.event_id), event.ce_type())
        self._reject(routable.incoming, reason, routable.sender, rejected)

    def _reject_taken_consent_id(
        self, routable: _Routable, owner: str, rejected: list[tuple[str, KafkaRecord]]
    ) -> None:
        """Reject a grant under a consent id that another organisation recorded first."""
        event = routable.event
        assert isinstance(event, ConsentGranted)  # noqa: S101  # only grants are refused so
        recorded_by = self._by_oid.get(owner)
        who = owner if recorded_by is None else f"{recorded_by.name} ({owner})"
        reason = reused_consent_id(echoed(event.consent_id), who)
        self._reject(routable.incoming, reason, routable.sender, rejected)

    def _keyed_partition(self, incoming: IncomingRecord) -> int | None:
        partitions = self._partitions_of(incoming.topic)
        if not partitions:
            return None
        return partition_of(incoming.record.key, partitions)

    async def _route_run(
        self,
        run: Sequence[_Routable],
        early: _ClientStates | None,
        offsets: Mapping[tuple[str, int], int],
    ) -> list[_Routable]:
        """Decide, audit and deliver a run of events, reading and writing each store once.

        ``early``: states read before the run for some of its clients and events (still
        true, nothing having changed them since); the rest are read now. ``offsets``: the
        routed offsets to record with the run's deliveries. Returns the events rejected for
        carrying another event's id.
        """
        if not run:
            return []
        clients = {routable.pseudonym for routable in run}
        event_ids = [routable.event.event_id for routable in run]
        # A referral id is its requester's across all clients, whichever process holds them.
        requested_keys = {
            (r.event.sender, r.event.referral_id)
            for r in run
            if isinstance(r.event, ReferralRequested)
        }
        states, requested = await asyncio.gather(
            self._states_for(clients, event_ids, early), self._pathway.referrals(requested_keys)
        )
        networks, consents = states.networks, states.consents
        pathways, applied = states.pathways, states.applied
        now = self._clock()
        wave, run = self._applied(run, states, requested, now)
        # Delivered before, and recorded with its pathway: a refused event was delivered to
        # nobody, and is applied again.
        routed_before = {event_id for event_id, event in applied.items() if event.refused is None}
        refused, effects, entries = wave.refused, wave.effects, wave.entries
        items, hints = self._pathway_disclosures(effects, consents, now)
        had, on_record = await self._already_had(items, entries)
        # A document its recipient already has is listed again, not decided again: one
        # permit on record per delivery.
        derived = [
            *(item for _, decided in items for item in decided if item.key not in had),
            *hints,
        ]
        # What each package lists follows from its items' decisions as the audit log will
        # hold them (on record already, or about to be): the packages are decided before
        # the append, so that the wave's decisions go into the log in one transaction.
        delivered_now = (
            e for e in entries if e.event_id not in refused and e.event_id not in routed_before
        )
        packages = self._packages(items, had, delivered_now, on_record, now)
        # Durable before anything leaves: a record routed again gets the decisions on record.
        # The kept records to hand over are read meanwhile: neither waits on the other.
        records, _ = await asyncio.gather(
            self._record(
                [*entries, *(d.entry for d in derived), *(p.disclosed.entry for p in packages)],
                _new_claims(wave.changes),
            ),
            self._read_kept_records([d for p in packages for d in p.follow]),
        )
        decided_derived = records[len(entries) : len(entries) + len(derived)]
        for disclosed, record in zip(derived, decided_derived, strict=True):
            disclosed.record_of = record
        for package, record in zip(packages, records[len(entries) + len(derived) :], strict=True):
            package.disclosed.record_of = record
        by_event: dict[uuid.UUID, list[AuditRecord]] = {}
        for record in records[: len(entries)]:
            by_event.setdefault(record.event_id, []).append(record)
        deliveries, pairs = self._run_deliveries(run, by_event, refused, routed_before)
        for routable in wave.newly_refused:
            self._notify_refusal(routable, refused[routable.event.event_id], now, deliveries)
        for routable in wave.reused:
            self._reject_reused(routable, deliveries)
        handovers = self._handovers(packages, pairs, now, deliveries)
        hint_facts = self._hints(hints, deliveries, pairs)
        await self._outbound.send_all(deliveries)
        routed = [(r.event, r.pseudonym) for r in run if r.event.event_id not in refused]
        at = self._clock()

        def write(connection: Connection) -> None:
            self._ledger.record_in(connection, pairs, at)
            self._network.record_all_in(connection, routed)
            self._pathway.save_in(connection, wave.changes, hint_facts, handovers)
            RoutedOffsets.record_in(connection, offsets, at)

        async with translate_database_errors("recording deliveries and pathway changes"):
            await run_transaction(self._database, write)
        # The networks as the store now has them, without reading them again: an event
        # recorded before (a replay) is in what was read, and the store keeps the first of
        # an event published twice.
        recorded = set(routed_before)
        for event, pseudonym in routed:
            if isinstance(event, NETWORK_EVENTS) and event.event_id not in recorded:
                recorded.add(event.event_id)
                networks[pseudonym] = network_after(networks[pseudonym], event)
        self._known.remember(
            {
                client: ClientState(pathways[client], networks[client], consents[client])
                for client in clients
            }
        )
        return wave.reused

    def _applied(
        self,
        run: Sequence[_Routable],
        states: _ClientStates,
        requested: Mapping[tuple[str, str], Referral],
        now: datetime,
    ) -> tuple[_Wave, list[_Routable]]:
        """The run's events applied to their clients' pathways, in order, and decided.

        With the events to route on: the run without those rejected for carrying another
        event's id, and without the second of an event the wave holds twice.
        """
        wave = _Wave()
        for routable in run:
            self._apply(
                routable,
                pathways=states.pathways,
                applied=states.applied,
                networks=states.networks,
                consents=states.consents,
                requested=requested,
                now=now,
                wave=wave,
            )
        dropped = {routable.position for routable in (*wave.reused, *wave.repeated)}
        return wave, [routable for routable in run if routable.position not in dropped]

    async def _record(
        self, entries: Sequence[AuditEntry], claims: Collection[ReferralClaim] = ()
    ) -> list[AuditRecord]:
        """Append the decisions to the audit log, claiming the new referrals' ids with them.

        Kept for ``on_decided`` too. Raises ReferralIdTakenError, recording nothing, when
        another router process has claimed one of the ids for another client meanwhile.
        """
        if not claims:
            records = await self._audit.append(entries)
        else:

            def append(connection: Connection) -> list[AuditRecord]:
                records = self._audit.append_in(connection, entries)
                # After the append, which holds the audit log's lock: a claim made by
                # another router process is committed and seen by the time this one runs.
                self._pathway.claim_in(connection, claims)
                return records

            what = "appending decisions and claiming referral ids"
            async with translate_database_errors(what):
                records = await run_transaction(self._database, append)
        self._decided.extend(records)
        return records

    async def _states_for(
        self, clients: set[str], event_ids: Sequence[uuid.UUID], early: _ClientStates | None
    ) -> _ClientStates:
        if early is None:
            return await self._states_of(clients, event_ids)
        rest_clients = clients - early.clients
        rest_events = [event_id for event_id in event_ids if event_id not in early.event_ids]
        if not rest_clients and not rest_events:
            return early
        return early.merged(await self._states_of(rest_clients, rest_events))

    async def _states_of(self, clients: set[str], event_ids: Sequence[uuid.UUID]) -> _ClientStates:
        """Each client's network, consents and pathway, and which events were applied before.

        Known clients are not read again; whether an event was applied is always asked of
        the store, because the process that routed it before a rebalance may be another.
        """
        known = self._known.recall(clients)
        unknown = clients - known.keys()
        # The reads wait on the database, not on each other.
        networks, consents, (pathways, applied) = await asyncio.gather(
            self._network.members_of(unknown),
            self._consents.consents_of(unknown),
            self._pathway.load(unknown, event_ids, case_managers=False),
        )
        for client, state in known.items():
            networks[client] = state.network
            consents[client] = state.consents
            pathways[client] = state.pathway
        return _ClientStates(
            frozenset(clients), frozenset(event_ids), networks, consents, pathways, applied
        )

    def _apply(
        self,
        routable: _Routable,
        *,
        pathways: Mapping[str, ClientPathway],
        applied: Mapping[uuid.UUID, AppliedEvent],
        networks: Mapping[str, frozenset[str]],
        consents: Mapping[str, ClientConsents],
        requested: Mapping[tuple[str, str], Referral],
        now: datetime,
        wave: _Wave,
    ) -> None:
        """Apply an event to the client's pathway, then decide it or refuse it."""
        event, pseudonym = routable.event, routable.pseudonym
        in_wave = wave.changes.events.get(event.event_id)
        earlier = applied.get(event.event_id) or in_wave
        holder = self._taken.get(event.event_id, pseudonym)
        if (earlier is not None and earlier.carried_other_than(event)) or holder != pseudonym:
            wave.reused.append(routable)  # taken for a replay, it would vanish unseen
            return
        if in_wave is not None:
            # The same record twice in a row (a producer's retry): routed once. Applied
            # again, it would refuse itself and keep the first from being delivered.
            wave.repeated.append(routable)
            _log.info("event_repeated", event_id=str(event.event_id), type=event.ce_type())
            return
        before = applied.get(event.event_id)
        if before is not None and before.refused is None:
            reason = None  # routed before a crash: its effects went with it
        else:
            # A refused event changed nothing, so sent again it is applied again, to the
            # state as it is now (the referral it answers may have arrived meanwhile).
            outcome = apply_event(
                event,
                routable.incoming.record,
                pathways[pseudonym],
                networks[pseudonym],
                rules=self._rules,
                changes=wave.changes,
                registered=self._by_oid,
                requested=requested,
                claimed=self._claimed,
            )
            reason = outcome.refused
            # Refused again for the reason on record, it is that refusal read again after
            # a crash, or sent again before anything changed: its sender has the notice.
            if reason is not None and (before is None or reason != before.refused):
                wave.newly_refused.append(routable)
            elif outcome.handovers or outcome.hints:
                wave.effects.append((routable, outcome))
        if reason is None:
            wave.entries.extend(self._decisions(routable, networks[pseudonym], consents, now))
        else:
            wave.refused[event.event_id] = reason
            wave.entries.extend(self._refusals(routable, now))

    def _pathway_disclosures(
        self,
        effects: Sequence[tuple[_Routable, StepOutcome]],
        consents: Mapping[str, ClientConsents],
        now: datetime,
    ) -> tuple[list[tuple[tuple[_Routable, HandoverDue], list[Disclosed]]], list[Disclosed]]:
        """The handover items and hints the pathway asks for, each decided for its recipient."""
        items = []
        hints = []
        for routable, outcome in effects:
            pseudonym = routable.pseudonym
            for due in outcome.handovers:
                decided = self._effects.handover_items(due, pseudonym, consents[pseudonym], now)
                items.append(((routable, due), decided))
            for hint_due in outcome.hints:
                hint = self._effects.hint(
                    hint_due, routable.event.client, pseudonym, consents[pseudonym], now
                )
                if hint is not None:
                    hints.append(hint)
        return items, hints

    async def _already_had(
        self,
        items: Sequence[tuple[tuple[_Routable, HandoverDue], list[Disclosed]]],
        entries: Sequence[AuditEntry],
    ) -> tuple[set[tuple[uuid.UUID, str]], _OnRecord]:
        """What the handover items' recipients have or get now, and what is on record.

        (event id, recipient) of the items already delivered or decided for delivery in
        this wave; and the audit records already there for the wave's events and items,
        which the append returns in place of new ones. Read in one transaction.
        """
        if not items:
            return set(), {}
        item_ids = {d.subject.event_id for _, decided in items for d in decided}

        def read(connection: Connection) -> tuple[frozenset[tuple[uuid.UUID, str]], _OnRecord]:
            delivered = self._ledger.delivered_in(connection, item_ids)
            on_record = self._audit.on_record_in(
                connection, item_ids | {entry.event_id for entry in entries}
            )
            return delivered, on_record

        async with translate_database_errors("reading what a handover's recipients have had"):
            delivered, on_record = await run_transaction(self._database, read)
        decided_now = {(e.event_id, e.recipient) for e in entries if e.permitted}
        return set(delivered) | decided_now, on_record

    def _packages(
        self,
        items: Sequence[tuple[tuple[_Routable, HandoverDue], list[Disclosed]]],
        had: set[tuple[uuid.UUID, str]],
        delivered_now: Iterable[AuditEntry],
        on_record: _OnRecord,
        now: datetime,
    ) -> list[_Package]:
        """Each handover's package, listing its permitted items, and the items that follow it.

        ``had``: what the recipients had before; ``delivered_now``: the decisions on the
        wave's own events that deliver them, where their records permit. An item among
        either is listed but does not follow again.
        """
        if not items:
            return []
        had = had | {
            (e.event_id, e.recipient) for e in delivered_now if _on_record_permits(e, on_record)
        }
        packages = []
        for (routable, due), decided in items:
            permitted = [
                d for d in decided if d.key in had or _on_record_permits(d.entry, on_record)
            ]
            listed = [(d, d.key not in had) for d in permitted]
            package = self._effects.package(
                due, routable.event.client, routable.pseudonym, listed, now
            )
            if package is not None:
                packages.append(
                    _Package(package, [d for d, new in listed if new], due, routable.pseudonym)
                )
                had.update(d.key for d in permitted)
        return packages

    def _handovers(
        self,
        packages: Sequence[_Package],
        pairs: set[tuple[uuid.UUID, str]],
        now: datetime,
        deliveries: list[tuple[str, KafkaRecord]],
    ) -> list[HandoverFact]:
        """Each package, then the items that follow it; nothing an inbox already has.

        ``pairs``: what the wave delivers, to which the packages and their items are added.
        """
        facts = []
        for package in packages:
            due, follow = package.due, package.follow
            for disclosed in (package.disclosed, *follow):
                delivery = self._effects.delivery(disclosed)
                if delivery is not None and disclosed.key not in pairs:
                    deliveries.append((inbox_topic(disclosed.recipient.id), delivery))
                    pairs.add(disclosed.key)
            facts.append(
                HandoverFact(
                    event_id=due.event_id,
                    client=package.pseudonym,
                    sender=due.handed_over_by,
                    recipient=due.recipient,
                    trigger=due.trigger.value,
                    items=len(follow),
                    handed_over_at=now,
                )
            )
            _log.info(
                "handover_sent",
                package=str(due.event_id),
                recipient=due.recipient,
                trigger=due.trigger.value,
                items=len(follow),
            )
        return facts

    async def _read_kept_records(self, items: Sequence[Disclosed]) -> None:
        """Read the records of the kept documents about to be sent, in one query."""
        wanted = {d.kept_as for d in items if d.record is None and d.kept_as is not None}
        records = await self._pathway.records(wanted)
        for disclosed in items:
            if disclosed.record is None and disclosed.kept_as is not None:
                disclosed.record = records.get(disclosed.kept_as)

    def _hints(
        self,
        hints: Sequence[Disclosed],
        deliveries: list[tuple[str, KafkaRecord]],
        pairs: set[tuple[uuid.UUID, str]],
    ) -> list[HintFact]:
        # A hint's id derives from the event that prompted it, whose pathway effects are
        # recorded with the ledger: a hint is planned again only if it was never recorded.
        facts = []
        for hint in hints:
            delivery = self._effects.delivery(hint)
            if delivery is None or hint.key in pairs:
                continue
            deliveries.append((inbox_topic(hint.recipient.id), delivery))
            pairs.add(hint.key)
            event = hint.event
            assert isinstance(event, AssessmentAvailable)  # noqa: S101 - built by _effects.hint
            facts.append(
                HintFact(
                    event_id=event.event_id,
                    client=hint.entry.client,
                    recipient=hint.recipient.oid,
                    assessment_event_id=event.assessment_event_id,
                    kind=event.assessment_kind,
                    moment=event.moment.value,
                    sent_at=event.occurred_at,
                )
            )
        return facts

    def _refusals(self, routable: _Routable, now: datetime) -> list[AuditEntry]:
        """A refused transition, on record as a denial for each organisation it names."""
        event = routable.event
        decision = Decision(
            Verdict.DENY,
            ReasonCode.INVALID_TRANSITION,
            f"{event.ce_type()} refused: the referral's state does not allow it.",
        )
        return [
            audit_entry(
                Subject.of_event(event), routable.pseudonym, self._by_oid[oid], decision, now
            )
            for oid in dict.fromkeys(event.destinations())
            if oid in self._by_oid and oid != event.sender
        ]

    def _notify_refusal(
        self,
        routable: _Routable,
        reason: str,
        now: datetime,
        deliveries: list[tuple[str, KafkaRecord]],
    ) -> None:
        notice = rejection_notice(routable.incoming, reason, now, routable.sender.oid)
        deliveries.append((inbox_topic(routable.sender.id), notice))
        _log.warning(
            "transition_refused",
            event_id=str(routable.event.event_id),
            type=routable.event.ce_type(),
            reason=reason,
        )

    async def escalate_overdue(
        self, *, page_size: int = 100, owns: Callable[[str], bool] = lambda _client: True
    ) -> int:
        """Send the overdue notices and expiries due now; how many referrals were escalated.

        Only the referrals of clients this process ``owns`` (routes now): their state may be
        kept in memory, and another process changing it would leave that state stale. Every
        due referral is looked at, ``page_size`` at a time, so that the referrals other
        processes own never hide this one's.
        """
        now = self._clock()
        escalated = 0
        after: tuple[str, str] | None = None
        while True:
            page = await self._pathway.due_referrals(now, page_size, after=after)
            for referral in page:
                # One referral per turn: routing never waits for a whole scan, however many
                # referrals fall due at once (after an outage, say). Ownership is asked
                # within the turn, which a rebalance waits for.
                async with self._turn:
                    if not owns(referral.client):
                        continue
                    self._known.forget([referral.client])
                    self._decided = []
                    done = await self._escalate(referral, now)
                    self._on_decided(self._decided)
                    self._on_escalated(done)  # each as it is done: a later one may fail
                    escalated += done
            if len(page) < page_size:
                return escalated
            after = page[-1].key

    async def remove_expired_documents(
        self, *, page_size: int = 500, owns: Callable[[str], bool] = lambda _client: True
    ) -> int:
        """Remove the documents kept longer than the retention; how many were removed.

        Only those of clients this process ``owns``, as for overdue referrals: what it keeps
        of them in memory is forgotten with them. A referral waiting for an answer keeps its
        request, which the overdue watch reads.
        """
        cutoff = self._clock() - self._rules.document_retention
        removed = 0
        after: tuple[str, str] | None = None
        while True:
            page = await self._pathway.documents_older_than(cutoff, page_size, after=after)
            # Within a turn: a batch in hand may be about to hand these documents over.
            async with self._turn:
                expired = await self._not_waiting([key for key in page if owns(key[0])])
                if expired:
                    removed += await self._pathway.remove_documents(expired, older_than=cutoff)
                    self._known.forget({client for client, _slot in expired})
            if len(page) < page_size:
                return removed
            after = page[-1]

    async def _not_waiting(self, documents: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``documents`` but those keeping the request of a referral waiting for an answer."""
        referral_of = {key: referral_of_slot(key[1]) for key in documents}
        referrals = await self._pathway.referrals(
            {referral for referral in referral_of.values() if referral is not None}
        )
        return [
            key
            for key in documents
            if (referral := referral_of[key]) is None
            or referral not in referrals
            or referrals[referral].state is not ReferralState.REQUESTED
        ]

    async def _escalate(self, referral: Referral, now: datetime) -> int:
        step = escalate(referral, now, self._rules.clock)
        if step is None:
            return 0
        slot = referral_slot(referral.requester, referral.referral_id)
        pathways, _ = await self._pathway.load([referral.client], [])
        pathway = pathways[referral.client]
        document = await self._pathway.document(referral.client, slot)
        kept = None if document is None else document.record
        try:
            request = None if kept is None else self._codec.decode(kept)
        except ContractError as exc:
            # Kept only after it passed the contract. Said by type only: /health shows it.
            raise UnreadablePathwayError(
                "reading an overdue referral's request: the record kept of it "
                "(pathway_documents) is not an event this release reads "
                f"({type(exc).__name__}), changed after it was written: put the value back "
                "as it was, or restore the database from a backup taken before the change"
            ) from exc
        if not isinstance(request, ReferralRequested):
            # Without the request the client is unknown: move on rather than retry for ever.
            _log.error("overdue_referral_without_request", referral=referral.describe())
            async with translate_database_errors("recording an overdue referral"):
                await run_transaction(
                    self._database,
                    lambda connection: self._pathway.escalated_in(
                        connection, referral, step.referral, remove_slot=None
                    ),
                )
            return 0
        manager = pathway.case_manager.organisation if pathway.case_manager else None
        notices: list[ReferralOverdue | ReferralExpired] = []
        if step.expired:
            notice = ReferralExpired(
                event_id=derived_id("expired", referral.requested_event_id),
                occurred_at=now,
                sender=referral.requester,
                client=request.client,
                referral_id=referral.referral_id,
                receiver=referral.receiver,
                requested_at=referral.requested_at,
                case_manager_organisation=manager,
            )
            notices.append(notice)
        else:
            overdue = ReferralOverdue(
                event_id=derived_id(
                    "overdue", referral.requested_event_id, step.referral.escalations
                ),
                occurred_at=now,
                sender=referral.requester,
                client=request.client,
                referral_id=referral.referral_id,
                receiver=referral.receiver,
                requested_at=referral.requested_at,
                due_at=referral.due_at,
                escalation=step.referral.escalations,
                case_manager_organisation=manager,
            )
            notices.append(overdue)
            if overdue.escalation == 1:
                # In a warm handover the receiver is the one who must act: reminded once,
                # with the requester's first notice, so that its id and its ledger entry
                # come and go with that notice's across a restart.
                notices.append(
                    overdue.model_copy(
                        update={
                            "event_id": derived_id("overdue-receiver", referral.requested_event_id),
                            "role": OverdueRole.RECEIVER,
                        }
                    )
                )
        pairs = await self._send_issued([(notice, referral.client) for notice in notices], now)
        remove_slot = slot if step.expired else None

        def write(connection: Connection) -> None:
            self._ledger.record_in(connection, pairs, now)
            self._pathway.escalated_in(connection, referral, step.referral, remove_slot=remove_slot)

        async with translate_database_errors("recording an overdue referral"):
            await run_transaction(self._database, write)
        _log.info(
            "referral_expired" if step.expired else "referral_overdue",
            referral=referral.describe(),
            escalation=step.referral.escalations,
            notified=sorted(oid for _, oid in pairs),
        )
        return 1

    async def _send_issued(
        self, notices: Sequence[tuple[Event, str]], now: datetime
    ) -> set[tuple[uuid.UUID, str]]:
        """Decide, audit and send events the router issues, each to its destinations.

        (event, client pseudonym) each. What the delivery ledger holds already is not sent
        again; returns the (event id, recipient) pairs sent, for the caller to record there
        once Kafka has them, in whatever transaction records what caused them.
        """
        if not notices:
            return set()
        clients = await self._consents.consents_of({pseudonym for _, pseudonym in notices})
        decided = [
            disclosed
            for notice, pseudonym in notices
            for oid in notice.destinations()
            if oid in self._by_oid
            and (
                disclosed := self._effects.event_decided(
                    notice, self._by_oid[oid], pseudonym, clients[pseudonym], now
                )
            )
            is not None
        ]
        records = await self._record([d.entry for d in decided])
        delivered = await self._ledger.delivered({notice.event_id for notice, _ in notices})
        deliveries: list[tuple[str, KafkaRecord]] = []
        pairs: set[tuple[uuid.UUID, str]] = set()
        for disclosed, record in zip(decided, records, strict=True):
            disclosed.record_of = record
            delivery = self._effects.delivery(disclosed)
            if delivery is not None and disclosed.key not in delivered:
                deliveries.append((inbox_topic(disclosed.recipient.id), delivery))
                pairs.add(disclosed.key)
        await self._outbound.send_all(deliveries)
        return pairs

    def _decisions(
        self,
        routable: _Routable,
        network: frozenset[str],
        consents: Mapping[str, ClientConsents],
        now: datetime,
    ) -> list[AuditEntry]:
        event, sender, pseudonym = routable.event, routable.sender, routable.pseudonym
        unknown = set(event.destinations()) - self._by_oid.keys()
        if unknown:
            _log.warning(
                "unregistered_destination",
                event_id=str(event.event_id),
                destinations=sorted(unknown),
            )
        subject = Subject.of_event(event)
        return [
            self._effects.decision(
                subject,
                sender=sender,
                recipient=recipient,
                pseudonym=pseudonym,
                consents=consents[pseudonym],
                at=now,
            )
            for recipient in candidate_recipients(event, self._by_oid, network)
        ]

    def _run_deliveries(
        self,
        run: Sequence[_Routable],
        by_event: dict[uuid.UUID, list[AuditRecord]],
        refused: Mapping[uuid.UUID, str],
        routed_before: Collection[uuid.UUID],
    ) -> tuple[list[tuple[str, KafkaRecord]], set[tuple[uuid.UUID, str]]]:
        """The inbox records of a run's permitted events, and the (event, recipient) pairs."""
        deliveries: list[tuple[str, KafkaRecord]] = []
        pairs: set[tuple[uuid.UUID, str]] = set()
        for routable in run:
            event_id = routable.event.event_id
            decided = by_event.get(event_id, [])
            if event_id in refused:
                continue
            # An event applied to the pathway was delivered before: its deliveries were
            # recorded in the same transaction as its pathway (a crash came before the
            # offsets were committed). One that was not had no delivery on record.
            if event_id in routed_before:
                _log.info(
                    "event_routed_before",  # sent again, or read again after a crash
                    event_id=str(event_id),
                    type=routable.event.ce_type(),
                )
                continue
            for recipient, delivery in self._deliveries(routable, decided):
                deliveries.append((inbox_topic(recipient.id), delivery))
                pairs.add((event_id, recipient.oid))
            _log.info(
                "event_routed",
                event_id=str(event_id),
                type=routable.event.ce_type(),
                permitted=sorted(_recipients(decided, "permit")),
                denied=sorted(_recipients(decided, "deny")),
            )
        return deliveries, pairs

    def _deliveries(
        self, routable: _Routable, decided: Sequence[AuditRecord]
    ) -> list[tuple[Organisation, KafkaRecord]]:
        """What each permitted recipient gets: the record as it came, or minimised."""
        event = routable.event
        encoded: dict[tuple[str, ...], KafkaRecord] = {(): routable.incoming.record}
        deliveries = []
        for record in decided:
            if record.decision != "permit":
                continue
            removed = tuple(sorted(record.removed))
            if removed not in encoded:  # serialise once per distinct redaction
                encoded[removed] = self._codec.encode(event.without_parts(removed), validate=False)
            deliveries.append((self._by_oid[record.recipient], encoded[removed]))
        return deliveries

    def _reject(
        self,
        incoming: IncomingRecord,
        reason: str,
        notify: Organisation | None,
        rejected: list[tuple[str, KafkaRecord]],
    ) -> None:
        now = self._clock()
        rejected.append((DLQ_TOPIC, dead_letter_record(incoming, reason, now)))
        if notify is not None:
            notice = rejection_notice(incoming, reason, now, notify.oid)
            rejected.append((inbox_topic(notify.id), notice))
        _log.warning(
            "event_rejected",
            topic=incoming.topic,
            partition=incoming.partition,
            offset=incoming.offset,
            reason=reason,
            **claimed_identity(incoming.record),
        )


def _recipients(records: Sequence[AuditRecord], decision: str) -> set[str]:
    return {record.recipient for record in records if record.decision == decision}
