"""A test-only adapter whose source system is a queue and whose target is a list.

Registered through the registry API by the tests that need it, never shipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, Final

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.sdk import Adapter, AdapterContext, installed_adapters
from schemas import Event, RejectionNotice

NAME: Final = "memory_test"


class MemorySettings(BaseSettings):
    """The test adapter's own settings, under a prefix of its own."""

    model_config = SettingsConfigDict(
        env_prefix="SAATTAJA_MEMORY_TEST_", frozen=True, extra="ignore"
    )

    source_name: str = Field(min_length=1, description="What the source system is called.")
    reachable: bool = Field(default=True, description="Whether check() finds the source.")


class MemoryAdapter(Adapter[MemorySettings]):
    """Publishes what is put in ``source``; keeps what it receives in ``delivered``."""

    name: ClassVar[str] = NAME
    settings_model: ClassVar[type[BaseSettings]] = MemorySettings

    def __init__(self, settings: MemorySettings) -> None:
        super().__init__(settings)
        self.source: asyncio.Queue[Event] = asyncio.Queue()
        self.delivered: list[Event] = []
        self.notices: list[RejectionNotice] = []
        self.closed = 0
        self.handled_after_close = 0

    async def run(self, context: AdapterContext) -> None:
        while True:
            await context.publish(await self.source.get())

    async def handle(self, event: Event) -> None:
        self.handled_after_close += self.closed
        self.delivered.append(event)

    async def on_rejection(self, notice: RejectionNotice) -> None:
        self.notices.append(notice)

    async def close(self) -> None:
        self.closed += 1

    async def check(self) -> list[str]:
        if self.settings.reachable:
            return []
        return [f"source {self.settings.source_name} does not answer: check that it runs"]


@contextmanager
def memory_adapter_registered() -> Iterator[str]:
    """The test adapter in the process's registry, for as long as the block runs."""
    registry = installed_adapters()
    registry.register(NAME, MemoryAdapter.from_environment)
    try:
        yield NAME
    finally:
        registry.unregister(NAME)
