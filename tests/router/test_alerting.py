"""A real Prometheus, scraping a running router, raises the alerts deploy/prometheus defines."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from broker.embedded import free_port
from broker.router import RouterService
from schemas import KafkaRecord
from tests.broker.conditions import eventually
from tests.prometheus_tools import ALERTS, needs, tool
from tests.router.harness import Harness, wait_until_handled

pytestmark = [pytest.mark.kafka, needs("prometheus")]


@contextmanager
def prometheus_scraping(target: str, workdir: Path) -> Iterator[str]:
    """Prometheus with Saattaja's alerting rules, scraping and evaluating every second.

    Yields the base URL of its HTTP API.
    """
    binary = tool("prometheus")
    assert binary is not None, "prometheus is missing: `make test` unpacks it before the tests"
    config = workdir / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(ALERTS)],
                "scrape_configs": [
                    {"job_name": "router", "static_configs": [{"targets": [target]}]}
                ],
            }
        )
    )
    address = f"127.0.0.1:{free_port('127.0.0.1')}"
    with (workdir / "prometheus.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - Prometheus on a configuration of the test's
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address={address}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            yield f"http://{address}/api/v1"
        finally:
            process.terminate()
            process.wait(timeout=30)


@asynccontextmanager
async def api(base: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=f"{base}/") as session:
        yield session


async def answer(session: aiohttp.ClientSession, path: str, **params: str) -> Any:
    """The data of an API answer; None while Prometheus does not answer yet."""
    try:
        async with session.get(path, params=params) as response:
            body = await response.json()
    except aiohttp.ClientError:
        return None
    assert body["status"] == "success", body
    return body["data"]


async def test_prometheus_scraping_a_router_raises_the_alert_for_a_rejected_event(
    measured: tuple[Harness, RouterService], tmp_path: Path
) -> None:
    harness, service = measured
    target = f"127.0.0.1:{service.metrics_port}"
    with prometheus_scraping(target, tmp_path) as base:
        async with api(base) as session:

            async def router_scraped() -> bool:
                found = await answer(session, "query", query=f'up{{instance="{target}"}} == 1')
                return bool(found and found["result"])

            # The rejected count is scraped at 0 first: an increase needs two samples.
            await eventually(router_scraped, within=30, what="Prometheus scraping the router")
            await harness.publish_raw(
                harness.org("sote").id, KafkaRecord(b"k", (), b"not an event")
            )
            await wait_until_handled(service, 1)

            async def alerts() -> list[dict[str, Any]]:
                found = await answer(session, "alerts")
                return [] if found is None else list(found["alerts"])

            async def rejected_alert_firing() -> bool:
                return any(
                    alert["labels"]["alertname"] == "SaattajaEventsRejected"
                    and alert["state"] == "firing"
                    for alert in await alerts()
                )

            await eventually(rejected_alert_firing, within=30, what="SaattajaEventsRejected firing")
            raised = await alerts()

    [rejected] = [a for a in raised if a["labels"]["alertname"] == "SaattajaEventsRejected"]
    assert rejected["labels"] == {
        "alertname": "SaattajaEventsRejected",
        "instance": target,
        "severity": "warning",
    }
    assert rejected["annotations"]["summary"] == "Events off the contract were sent to saattaja.dlq"
    # The router routes on: nothing says it failed closed.
    assert "SaattajaRouterPaused" not in {a["labels"]["alertname"] for a in raised}
