"""The router on the embedded broker: throughput against plain aiokafka, latency, decision time.

(a) Baseline: plain aiokafka consuming the same records from a topic and producing them to
    another, no validation: the most any router on this broker and machine could do. Its
    producer batches as the router's does (``MAX_BATCH_BYTES``): held to a baseline with
    aiokafka's smaller default batches, which moves about half as much, the router would
    look closer to the ceiling than it is. That figure is printed too.
(b) The router's sustained throughput over a backlog of the example journey played for
    many clients, interleaved (every event validated, decided per recipient, minimised,
    audited).
(c) Outbox-to-inbox latency at a fixed offered load of 200 events/s.
(d) Decision time (reading one client's consents from the store and deciding) with 10^3
    and with 10^6 consents in the store.

Targets (issue 3): router >= 1,500 events/s and >= 0.10 of the baseline; p99 <= 50 ms at
200 events/s; decision time at 10^6 consents within 1.5x of 10^3.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import itertools
import logging
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from pydantic import SecretStr

from broker.embedded import EmbeddedBroker
from broker.kafka import KafkaConnection
from broker.kafka.sending import MAX_BATCH_BYTES
from broker.logging import configure_logging
from broker.registry import Organisation, OrganisationRegistry
from broker.router import RouterService, settle_collector
from broker.settings import SaattajaSettings
from broker.topics import create_topics, inbox_topic, outbox_topic
from consent.database import create_database_engine, upgrade_database
from consent.decisions import Disclosure, Party, decide
from consent.legal_bases import LegalBases
from consent.store import ConsentStore, consent_versions
from schemas import (
    ConsentGranted,
    DataCategory,
    Event,
    EventCodec,
    HandoverPackage,
    KafkaRecord,
    OrganisationKind,
    Pseudonymiser,
    ReferralAccepted,
    ReferralCompleted,
    ReferralRejected,
    ReferralRequested,
    synthetic_identity_code,
)
from schemas.examples import EXAMPLE_ORGANISATIONS, journey_events

# The fields of the example journey that name a client's own referral, plan, episode,
# assessment or consent.
_BUSINESS_IDS: Final = frozenset(
    {"referral_id", "plan_id", "episode_id", "assessment_id", "consent_id"}
)
_SECRET: Final = "benchmark-pseudonym-secret-0123456789abcdef"  # noqa: S105 - test data
_THROUGHPUT_CLIENTS: Final = 600
_LATENCY_RATE: Final = 200
_LATENCY_SECONDS: Final = 10
_PARTITIONS: Final = 3
_SMALL_STORE: Final = 1_000
_LARGE_STORE: Final = 1_000_000
_DECISION_SAMPLES: Final = 2_000
_BASELINE_RUNS: Final = 3

_ROUTER_TARGET: Final = 1_500.0
_RATIO_TARGET: Final = 0.10
_P99_TARGET_MS: Final = 50.0
_DECISION_GROWTH_TARGET: Final = 1.5
_POLL_SECONDS: Final = 0.005
# Decoding (FHIR validation) is most of a router's work: two workers take it off the event loop.
_VALIDATION_WORKERS: Final = 2


@dataclass(frozen=True, slots=True)
class _Workload:
    """Encoded records of the example journey played for many clients, by sender outbox."""

    records: list[tuple[str, KafkaRecord]]
    answers_start: frozenset[int] = frozenset()
    """Indexes in ``records`` where a round of referral answers begins."""

    def phases(self) -> list[list[tuple[str, KafkaRecord]]]:
        """The records cut before each round of answers to referrals.

        An answer comes from the receiver's outbox, its referral from the requester's:
        topics have no order between them, and a receiver answers only a referral it was
        sent, so a backlog publishes the answers once their referrals are routed.
        """
        cuts = sorted({0, *self.answers_start, len(self.records)})
        return [self.records[start:end] for start, end in itertools.pairwise(cuts)]

    @property
    def event_ids(self) -> set[str]:
        return {dict(record.headers)["ce_id"].decode() for _, record in self.records}


def _clients(count: int, first: int) -> list[str]:
    born = date(1960, 1, 1)
    return [
        synthetic_identity_code(born + timedelta(days=(first + n) // 100), 900 + (first + n) % 100)
        for n in range(count)
    ]


def _journey_for(
    codec: EventCodec, clients: Sequence[str], registry: OrganisationRegistry
) -> _Workload:
    """Each client's journey as the example tells it, each event with an id of its own.

    Interleaved as a region's traffic is: many clients, each with an event now and then,
    so that a client's next event comes after one event of every other client. Each client
    has referrals, plans and consents of their own: sharing the example's business ids
    would make every client's referral the first client's, and the router would refuse
    the answers to it, measuring its refusals instead of its routing.
    """
    journey = [event for _, event in journey_events()]
    records: list[tuple[str, KafkaRecord]] = []
    answers: set[int] = set()
    for event in journey:
        if isinstance(event, ReferralAccepted | ReferralRejected | ReferralCompleted):
            answers.add(len(records))
        for client in clients:
            own = hashlib.sha256(client.encode()).hexdigest()[:8]
            update: dict[str, Any] = {"client": client, "event_id": uuid.uuid4()}
            for name in _BUSINESS_IDS & type(event).model_fields.keys():
                update[name] = f"{getattr(event, name)}-{own}"
            copy = event.model_copy(update=update)
            records.append((_outbox_of(registry, copy), codec.encode(copy)))
    return _Workload(records, frozenset(answers))


def _outbox_of(registry: OrganisationRegistry, event: Event) -> str:
    return outbox_topic(registry.by_oid(event.sender).id)


async def _publish(connection: KafkaConnection, records: Sequence[tuple[str, KafkaRecord]]) -> None:
    producer = AIOKafkaProducer(**connection.client_kwargs(), linger_ms=5)
    await producer.start()
    try:
        pending = [
            await producer.send(topic, r.value, key=r.key, headers=list(r.headers))
            for topic, r in records
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _baseline(
    connection: KafkaConnection, records: Sequence[KafkaRecord], batch_bytes: int | None
) -> float:
    """(a): events/s of plain aiokafka from one topic to another, no validation.

    ``batch_bytes``: the producer's largest batch; None: aiokafka's default.
    """
    # The best of a few: it is the ceiling the router is held to, and a single run gave
    # anything from 4,600 to 15,000 events/s on one machine.
    runs = [await _pass_through(connection, records, batch_bytes) for _ in range(_BASELINE_RUNS)]
    return max(runs)


async def _pass_through(
    connection: KafkaConnection, records: Sequence[KafkaRecord], batch_bytes: int | None
) -> float:
    source, target = f"bench-raw-in-{uuid.uuid4().hex[:8]}", f"bench-raw-out-{uuid.uuid4().hex[:8]}"
    await _publish(connection, [(source, record) for record in records])
    consumer = AIOKafkaConsumer(**connection.client_kwargs(), enable_auto_commit=False)
    batching = {} if batch_bytes is None else {"max_batch_size": batch_bytes}
    producer = AIOKafkaProducer(**connection.client_kwargs(), enable_idempotence=False, **batching)
    await consumer.start()
    await producer.start()
    try:
        await consumer._client.force_metadata_update()  # see the topic just made
        partitions = [TopicPartition(source, p) for p in consumer.partitions_for_topic(source)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        moved = 0
        started = time.perf_counter()
        while moved < len(records):
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            pending = [
                await producer.send(target, m.value, key=m.key, headers=list(m.headers))
                for messages in batch.values()
                for m in messages
            ]
            await asyncio.gather(*pending)
            moved += len(pending)
        return len(records) / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


class _RouterProcess:
    """The router in a process of its own, as ``saattaja router`` runs it.

    Sharing the benchmark's event loop, the router would wait on the benchmark's own work
    (publishing, reading the inboxes, decoding handover packages to know their items), and
    that wait would be measured as the router's. The process reports how many records it
    has handled through shared memory.
    """

    def __init__(self, settings: SaattajaSettings, registry: OrganisationRegistry) -> None:
        context = multiprocessing.get_context("spawn")
        self._handled = context.Value("q", -1, lock=False)
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve_router,
            args=(settings, list(registry), self._handled, self._stop),
            name="saattaja-bench-router",
        )

    @property
    def handled(self) -> int:
        """Records handled since the router joined; -1 until it has started."""
        return int(self._handled.value)

    @property
    def pid(self) -> int | None:
        """The router process's id, once started."""
        return self._process.pid

    async def start(self) -> None:
        self._process.start()
        await _wait_until(lambda: self.handled >= 0 or not self._process.is_alive())
        if not self._process.is_alive():
            raise RuntimeError("the benchmark's router process died at start; its log says why")

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.to_thread(self._process.join, 60)
        if self._process.is_alive():
            self._process.kill()


def _serve_router(
    settings: SaattajaSettings,
    organisations: list[Organisation],
    handled: Any,
    stop: Any,
) -> None:
    configure_logging("json", level=logging.WARNING)
    asyncio.run(_route_until_stopped(settings, OrganisationRegistry(organisations), handled, stop))


async def _route_until_stopped(
    settings: SaattajaSettings, registry: OrganisationRegistry, handled: Any, stop: Any
) -> None:
    service = RouterService(settings, registry, KafkaConnection(settings.kafka_bootstrap))
    await service.start()
    settle_collector()  # as `saattaja router` does
    try:
        while not stop.is_set():
            handled.value = sum(service.status.outcomes.values())
            await asyncio.sleep(_POLL_SECONDS)
    finally:
        await service.stop()


@dataclass(frozen=True, slots=True)
class _CpuSeconds:
    """CPU time (user + system) spent so far by the router, its workers and the broker."""

    router: float
    """The router's own process: the event loop, the database threads, Kafka's client."""
    decoding: float
    """The router's decoding workers (its child processes)."""
    broker: float

    @classmethod
    def now(cls, router_pid: int | None, broker_pid: int | None) -> _CpuSeconds:
        router = _process_cpu(router_pid)
        workers = sum(_process_cpu(child) for child in _children(router_pid))
        return cls(router, workers, _process_cpu(broker_pid))

    def per_event_ms(self, before: _CpuSeconds, events: int) -> dict[str, float]:
        """Milliseconds of CPU per event since ``before``, by part."""
        return {
            name: round((getattr(self, name) - getattr(before, name)) * 1000 / events, 3)
            for name in ("router", "decoding", "broker")
        }


def _process_cpu(pid: int | None) -> float:
    # Linux only: elsewhere the figures read zero rather than stop the benchmark.
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int | None) -> list[int]:
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []


def _handled_at_least(router: _RouterProcess, count: int) -> bool:
    return router.handled >= count


async def _router_throughput(
    connection: KafkaConnection,
    router: _RouterProcess,
    workload: _Workload,
    broker_pid: int | None,
) -> tuple[float, dict[str, float]]:
    """(b): events/s over the backlog, phase by phase (see ``_Workload.phases``).

    The first phase is waiting before the router starts, and is timed from the first
    record it handles, so that joining the group is not counted; each later phase is timed
    from when its publishing begins to its last record routed.
    """
    first_phase, *later = workload.phases()
    await _publish(connection, first_phase)
    await router.start()
    await _wait_until(lambda: router.handled > 0)
    started, first = time.perf_counter(), router.handled
    cpu_before = _CpuSeconds.now(router.pid, broker_pid)
    await _wait_until(lambda: router.handled >= len(first_phase))
    elapsed = time.perf_counter() - started
    routed = len(first_phase)
    for phase in later:
        started = time.perf_counter()
        await _publish(connection, phase)
        routed += len(phase)
        await _wait_until(functools.partial(_handled_at_least, router, routed))
        elapsed += time.perf_counter() - started
    cpu = _CpuSeconds.now(router.pid, broker_pid).per_event_ms(cpu_before, routed - first)
    return (routed - first) / elapsed, cpu


async def _latency(
    connection: KafkaConnection,
    registry: OrganisationRegistry,
    workload: _Workload,
    router: _RouterProcess,
    codec: EventCodec,
) -> list[float]:
    """(c): outbox-to-inbox seconds of every delivered event, offered at a fixed rate.

    From the moment the benchmark hands an event to its producer to the moment the router
    hands the delivery to its own (the delivery's Kafka timestamp), which is before the
    broker's acknowledgement by about a millisecond on this broker (its produce round trip).
    The inboxes are read once the run is over: a consumer reading them during the run
    would share the router's cores and, on a broker that answers a fetch only when its
    wait ends, add its own wait to what it measures. An event handed over later (the
    history following the client to an organisation that took the catch) is not counted
    again: its time in an outbox is the client's history, not the router's latency.
    """
    sent: dict[str, float] = {}
    producer = AIOKafkaProducer(**connection.client_kwargs())
    await producer.start()
    consumer = AIOKafkaConsumer(**connection.client_kwargs(), enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # see the topics just made
        inboxes = [
            TopicPartition(topic, partition)
            for topic in (inbox_topic(org.id) for org in registry)
            for partition in consumer.partitions_for_topic(topic) or ()
        ]
        starts = await consumer.end_offsets(inboxes)  # what arrives later is measured
        handled_before = router.handled
        started = time.perf_counter()
        for n, (topic, record) in enumerate(workload.records):
            await asyncio.sleep(max(0.0, started + n / _LATENCY_RATE - time.perf_counter()))
            sent[dict(record.headers)["ce_id"].decode()] = time.time()
            await producer.send(topic, record.value, key=record.key, headers=list(record.headers))
        await producer.flush()
        await _wait_until(lambda: router.handled >= handled_before + len(workload.records))
        # Every delivery is acknowledged now.
        arrived = await _delivered_at(consumer, codec, starts, await consumer.end_offsets(inboxes))
    finally:
        await producer.stop()
        await consumer.stop()
    return [arrived[event_id] - sent[event_id] for event_id in arrived if event_id in sent]


async def _delivered_at(
    consumer: AIOKafkaConsumer,
    codec: EventCodec,
    starts: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
) -> dict[str, float]:
    """When each event was first delivered (its inbox record's timestamp), by event id."""
    consumer.assign(list(starts))
    for partition, offset in starts.items():
        consumer.seek(partition, offset)
    package_type = HandoverPackage.ce_type().encode()
    # Per partition: a package and the items after it share their recipient's partition.
    handed_over: dict[TopicPartition, set[str]] = {partition: set() for partition in starts}
    arrived: dict[str, float] = {}
    read = dict(starts)
    while any(read[partition] < ends[partition] for partition in starts):
        for partition, messages in (await consumer.getmany(timeout_ms=1_000)).items():
            for message in messages:
                headers = dict(message.headers)
                if headers["ce_type"] == package_type:
                    record = KafkaRecord(message.key, tuple(message.headers), message.value)
                    package = codec.decode(record)
                    assert isinstance(package, HandoverPackage)  # noqa: S101 - by ce_type
                    handed_over[partition].update(str(item.event_id) for item in package.items)
                event_id = headers["ce_id"].decode()
                if event_id not in handed_over[partition]:
                    moment = message.timestamp / 1000
                    arrived[event_id] = min(arrived.get(event_id, moment), moment)
            read[partition] = messages[-1].offset + 1
    return arrived


async def _wait_until(condition: Callable[[], bool]) -> None:
    # The router has no completion signal to wait on; polling its counters costs little.
    while True:
        if condition():
            return
        await asyncio.sleep(_POLL_SECONDS)


async def _decision_seconds(database_url: str, clients: Sequence[str]) -> float:
    """(d): mean seconds to read one client's consents and decide one disclosure."""
    engine = create_database_engine(database_url)
    store = ConsentStore(engine)
    pseudonymiser = Pseudonymiser(_SECRET.encode())
    sote, kela = (
        EXAMPLE_ORGANISATIONS[OrganisationKind.SOTE],
        EXAMPLE_ORGANISATIONS[OrganisationKind.KELA],
    )
    now = datetime.now(UTC)
    try:
        timings = []
        for client in clients:
            pseudonym = pseudonymiser.pseudonym(client)
            started = time.perf_counter()
            consents = (await store.consents_of([pseudonym]))[pseudonym]
            decide(
                Disclosure(
                    event_id=uuid.uuid4(),
                    event_type=ReferralRequested.ce_type(),
                    client=pseudonym,
                    sender=Party(sote, OrganisationKind.SOTE),
                    recipient=Party(kela, OrganisationKind.KELA),
                    category=DataCategory.REFERRAL,
                    document_id="R-1",
                    parts=(),
                    at=now,
                ),
                consents,
                LegalBases.none(),
            )
            timings.append(time.perf_counter() - started)
        return statistics.fmean(timings)
    finally:
        await engine.dispose()


async def _fill_consent_store(database_url: str, clients: Sequence[str], total: int) -> None:
    """One real consent per sampled client, then copies of it under other pseudonyms.

    The copies are written straight to the table, a million at a time faster than the store
    would, and not chained (their hashes are the template's): decisions never read the
    chain, and nothing here verifies it.
    """
    engine = create_database_engine(database_url)
    store = ConsentStore(engine)
    codec = EventCodec(Pseudonymiser(_SECRET.encode()))
    consent = next(e for _, e in journey_events() if isinstance(e, ConsentGranted))
    try:
        for client in clients:
            event = consent.model_copy(update={"client": client, "event_id": uuid.uuid4()})
            await store.apply(
                event,
                pseudonym=codec.pseudonymiser.pseudonym(client),
                applied_at=datetime.now(UTC),
            )
        async with engine.begin() as connection:
            template = dict(
                (await connection.execute(sa.select(consent_versions).limit(1))).mappings().one()
            )
        template.pop("sequence")
        filler = total - len(clients)
        chunk = 20_000
        for start in range(0, filler, chunk):
            rows = [
                template | {"event_id": str(uuid.uuid4()), "client": f"{start + n:064x}"}
                for n in range(min(chunk, filler - start))
            ]
            async with engine.begin() as connection:
                await connection.execute(consent_versions.insert(), rows)
    finally:
        await engine.dispose()


async def _decision_figures(workdir: Path) -> tuple[float, float]:
    sampled = _clients(_DECISION_SAMPLES // 2, first=50_000)
    figures = []
    for size in (_SMALL_STORE, _LARGE_STORE):
        url = f"sqlite+aiosqlite:///{workdir / f'consents-{size}.db'}"
        await upgrade_database(url)
        await _fill_consent_store(url, sampled[: min(len(sampled), size)], size)
        probe = [*sampled, *_clients(_DECISION_SAMPLES // 2, first=90_000)]  # half unknown
        await _decision_seconds(url, probe[:50])  # warm the connection pool and caches
        figures.append(await _decision_seconds(url, probe))
    return figures[0], figures[1]


async def _measure(workdir: Path) -> dict[str, Any]:
    codec = EventCodec(Pseudonymiser(_SECRET.encode()))
    async with EmbeddedBroker("127.0.0.1", 0) as embedded:
        connection = KafkaConnection(embedded.bootstrap)
        shipped = OrganisationRegistry.from_file(Path("deploy/organisations.yaml"))
        registry = shipped.with_id_suffix(uuid.uuid4().hex[:8])
        await create_topics(connection, registry, _PARTITIONS)
        backlog = _journey_for(codec, _clients(_THROUGHPUT_CLIENTS, first=0), registry)
        paced = _journey_for(
            codec, _clients(_LATENCY_RATE * _LATENCY_SECONDS // 11, first=10_000), registry
        )

        moved = [record for _, record in backlog.records]
        baseline = await _baseline(connection, moved, MAX_BATCH_BYTES)
        default_batches = await _baseline(connection, moved, None)

        database_url = f"sqlite+aiosqlite:///{workdir / 'router.db'}"
        await upgrade_database(database_url)
        settings = SaattajaSettings(
            kafka_bootstrap=embedded.bootstrap,
            database_url=database_url,
            pseudonym_secret=SecretStr(_SECRET),
            router_group_id=f"bench-router-{uuid.uuid4().hex[:8]}",
            topic_partitions=_PARTITIONS,
            router_validation_workers=_VALIDATION_WORKERS,
            # Routing is measured: the journey's unanswered referral would make the watch
            # send a notice per client a minute in, in the middle of the measurement.
            overdue_scan_seconds=86_400,
        )
        router_process = _RouterProcess(settings, registry)
        try:
            router, cpu_ms = await _router_throughput(
                connection, router_process, backlog, embedded.pid
            )
            latencies = await _latency(connection, registry, paced, router_process, codec)
        finally:
            await router_process.stop()
    small, large = await _decision_figures(workdir)
    latencies_ms = sorted(seconds * 1000 for seconds in latencies)
    return {
        "events": len(backlog.records),
        "baseline_events_per_s": round(baseline),
        "baseline_default_batches_events_per_s": round(default_batches),
        "baseline_batch_bytes": MAX_BATCH_BYTES,
        "router_events_per_s": round(router),
        "router_to_baseline": round(router / baseline, 3),
        "latency_offered_events_per_s": _LATENCY_RATE,
        "latency_samples": len(latencies_ms),
        "latency_p50_ms": round(_percentile(latencies_ms, 50), 2),
        "latency_p99_ms": round(_percentile(latencies_ms, 99), 2),
        "decision_us_1e3_consents": round(small * 1e6, 1),
        "decision_us_1e6_consents": round(large * 1e6, 1),
        "decision_growth": round(large / small, 3),
        "router_validation_workers": _VALIDATION_WORKERS,
        "cpu_ms_per_event_router": cpu_ms["router"],
        "cpu_ms_per_event_decoding": cpu_ms["decoding"],
        "cpu_ms_per_event_broker": cpu_ms["broker"],
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip()
        + f", {_cpus()} CPUs, Python {platform.python_version()}",
    }


def _percentile(ordered: Sequence[float], percent: int) -> float:
    if not ordered:
        return float("nan")
    return statistics.quantiles(ordered, n=100, method="inclusive")[percent - 1]


def _cpus() -> int:
    return os.cpu_count() or 1


def run() -> tuple[dict[str, Any], bool]:
    """Print the figures; return them and whether every target was met."""
    # A router under load logs at warning: its info line per event would be measured too.
    configure_logging("json", level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="saattaja-bench-") as workdir:
        figures = asyncio.run(_measure(Path(workdir)))
    checks = {
        "router >= 1,500 events/s": figures["router_events_per_s"] >= _ROUTER_TARGET,
        "router >= 0.10 of the baseline": figures["router_to_baseline"] >= _RATIO_TARGET,
        "p99 <= 50 ms at 200 events/s": figures["latency_p99_ms"] <= _P99_TARGET_MS,
        "decision at 10^6 within 1.5x of 10^3": figures["decision_growth"]
        <= _DECISION_GROWTH_TARGET,
    }
    print(f"\nrouter on the embedded broker ({figures['machine']})")
    print(f"events: {figures['events']:,} (the example journey for {_THROUGHPUT_CLIENTS} clients)")
    print(f"router: one process, {_VALIDATION_WORKERS} decoding workers, SQLite stores")
    print(
        f"(a) baseline aiokafka topic->topic : {figures['baseline_events_per_s']:>9,} events/s  "
        f"(batches of up to {MAX_BATCH_BYTES // 1024} KiB, as the router's; aiokafka's default "
        f"16 KiB: {figures['baseline_default_batches_events_per_s']:,})"
    )
    print(
        f"(b) router (validate, decide, audit): {figures['router_events_per_s']:>9,} events/s  "
        f"= {figures['router_to_baseline']:.3f} of the baseline"
    )
    print(
        f"(c) latency at {_LATENCY_RATE} events/s       : p50 {figures['latency_p50_ms']} ms, "
        f"p99 {figures['latency_p99_ms']} ms over {figures['latency_samples']} deliveries"
    )
    print(
        f"(d) decision with 10^3 consents    : {figures['decision_us_1e3_consents']} us; with "
        f"10^6: {figures['decision_us_1e6_consents']} us ({figures['decision_growth']}x)"
    )
    print(
        f"    CPU per routed event: router process {figures['cpu_ms_per_event_router']} ms, "
        f"decoding workers {figures['cpu_ms_per_event_decoding']} ms, broker "
        f"{figures['cpu_ms_per_event_broker']} ms, on {_cpus()} CPUs"
    )
    for target, met in checks.items():
        print(f"    {'met   ' if met else 'MISSED'} {target}")
    return figures, all(checks.values())
