"""Reading a process's /metrics as Prometheus does, and its /health."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
"""Every sample, by metric name and labels."""


async def scrape(port: int | None) -> Samples:
    """Every sample /metrics gives, by name and labels, read as Prometheus reads it."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def health(port: int | None) -> tuple[int, dict[str, object]]:
    """The status code and the JSON body /health answers."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/health") as response,
    ):
        return response.status, await response.json()


def sample(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when absent, as a counter never incremented reads."""
    return samples.get((name, frozenset(labels.items())), 0.0)
