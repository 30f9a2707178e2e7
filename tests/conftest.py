"""Fixtures shared by every test: a Kafka-protocol broker and the shipped organisation registry.

Which broker ``kafka_bootstrap`` gives:
- ``SAATTAJA_KAFKA_BOOTSTRAP`` set: that cluster, as it is;
- ``SAATTAJA_TEST_KAFKA=container``: Apache Kafka (KRaft) in a testcontainers container,
  failing clearly when no Docker engine answers rather than quietly testing something else;
- otherwise the embedded broker on a free port of 127.0.0.1, stopped at the end of the session.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest
import structlog
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from broker.embedded import EmbeddedBroker, free_port
from broker.registry import Organisation, OrganisationRegistry
from tests.router.tcp_proxy import TcpProxy

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
SHIPPED_REGISTRY: Final = REPO_ROOT / "deploy" / "organisations.yaml"
_TEST_KAFKA_ENV: Final = "SAATTAJA_TEST_KAFKA"
_KAFKA_IMAGE_ENV: Final = "SAATTAJA_TEST_KAFKA_IMAGE"
_KAFKA_IMAGE: Final = "confluentinc/cp-kafka:7.6.0"


def write_registry_file(organisations: Iterable[Organisation], path: Path) -> Path:
    """A registry file listing these organisations, for a command run with it."""
    entries = [
        {"id": org.id, "name": org.name, "oid": org.oid, "kind": org.kind.value}
        for org in organisations
    ]
    path.write_text(
        yaml.safe_dump({"organisations": entries}, allow_unicode=True), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="session")
async def kafka_bootstrap() -> AsyncIterator[str]:
    """``host:port`` of the Kafka-protocol broker the Kafka tests use."""
    configured = os.environ.get("SAATTAJA_KAFKA_BOOTSTRAP", "").strip()
    choice = os.environ.get(_TEST_KAFKA_ENV, "embedded").strip() or "embedded"
    if configured:
        yield configured
    elif choice == "container":
        with _kafka_container() as bootstrap:
            yield bootstrap
    elif choice == "embedded":
        async with EmbeddedBroker("127.0.0.1", 0) as broker:
            yield broker.bootstrap
    else:
        pytest.fail(f"{_TEST_KAFKA_ENV}={choice!r}: use 'embedded' or 'container'", pytrace=False)


@pytest.fixture
async def own_broker() -> AsyncIterator[EmbeddedBroker]:
    """An embedded broker of the test's own, to stop and start again on its port.

    It keeps nothing: after a start its topics have to be created again.
    """
    broker = EmbeddedBroker("127.0.0.1", free_port("127.0.0.1"))
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


@pytest.fixture(scope="session")
def registry_file() -> Path:
    """The registry file shipped in deploy/."""
    return SHIPPED_REGISTRY


@pytest.fixture(scope="session")
def registry(registry_file: Path) -> OrganisationRegistry:
    """The five example organisations of the shipped registry."""
    return OrganisationRegistry.from_file(registry_file)


@contextmanager
def _kafka_container() -> Iterator[str]:
    # Imported only on this path: the Docker client is slow to import and absent engines
    # must not matter to the default run.
    import docker.errors  # noqa: PLC0415
    from testcontainers.community.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.core.docker_client import DockerClient  # noqa: PLC0415

    try:
        DockerClient().client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            f"{_TEST_KAFKA_ENV}=container, but no Docker engine answers ({exc}): start Docker, "
            f"or unset {_TEST_KAFKA_ENV} to test against the embedded broker",
            pytrace=False,
        )
    image = os.environ.get(_KAFKA_IMAGE_ENV, _KAFKA_IMAGE)
    with KafkaContainer(image).with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


# --- SQL databases -----------------------------------------------------------------------

_POSTGRES_ADMIN_URL_ENV: Final = "SAATTAJA_TEST_POSTGRES_URL"
_POSTGRES_ADMIN_URL: Final = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    import asyncpg  # noqa: PLC0415  # only the PostgreSQL runs need it
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    admin = make_url(admin_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"no PostgreSQL server at {admin.host}:{admin.port} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must test PostgreSQL, so this fails", pytrace=False)
        pytest.skip(f"{reason}; set {_POSTGRES_ADMIN_URL_ENV} to a server to run these tests")
    name = f"saattaja_test_{uuid.uuid4().hex[:16]}"
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database, once SQLite in a file and once PostgreSQL; not yet migrated."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'saattaja.db'}"
        return
    async for url in postgres_database(postgres_admin_url()):
        yield url


@pytest.fixture
async def postgres_database_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database of its own; not yet migrated."""
    async for url in postgres_database(postgres_admin_url()):
        yield url


def postgres_admin_url() -> str:
    """The PostgreSQL server the tests create their databases on."""
    return os.environ.get(_POSTGRES_ADMIN_URL_ENV, _POSTGRES_ADMIN_URL)


@pytest.fixture
async def migrated_database_url(database_url: str) -> str:
    """Like database_url, with every migration applied."""
    from consent.database import upgrade_database  # noqa: PLC0415

    await upgrade_database(database_url)
    return database_url


@pytest.fixture
async def proxy(postgres_database_url: str) -> AsyncIterator[TcpProxy]:
    """A cuttable path to the test's PostgreSQL database (``postgres_database_url``)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    url = make_url(postgres_database_url)
    tcp_proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await tcp_proxy.start()
    yield tcp_proxy
    await tcp_proxy.cut()


@pytest.fixture
async def via_proxy(postgres_database_url: str, proxy: TcpProxy) -> str:
    """The URL of the test's migrated PostgreSQL database, through the cuttable path."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    from consent.database import upgrade_database  # noqa: PLC0415

    await upgrade_database(postgres_database_url)
    return (
        make_url(postgres_database_url)
        .set(host="127.0.0.1", port=proxy.port)
        .render_as_string(hide_password=False)
    )


@pytest.fixture
async def engine(migrated_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated database: SQLite in a file, then PostgreSQL."""
    from consent.database import create_database_engine  # noqa: PLC0415

    engine = create_database_engine(migrated_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() configures structlog and the root logger; undo it so tests stay independent."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    # It sets the libraries' levels too, a one-shot command's aiokafka above CRITICAL.
    libraries = [logging.getLogger(name) for name in ("aiokafka", "alembic")]
    library_levels = [library.level for library in libraries]
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for library, library_level in zip(libraries, library_levels, strict=True):
        library.setLevel(library_level)
    structlog.reset_defaults()


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SAATTAJA_* variable from the caller's shell leaks into the settings under test."""
    for name in list(os.environ):
        if name.startswith("SAATTAJA_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most shells and `saattaja up` run under (0022), whatever the caller's was."""
    earlier = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(earlier)
