"""Editing the Bundle of an encoded event: records no adapter would send, for tests."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from schemas import KafkaRecord

__all__ = ["with_bundle", "with_value_at"]

BundlePath = tuple[str | int, ...]


def with_bundle(record: KafkaRecord, edit: Callable[[dict[str, Any]], None]) -> KafkaRecord:
    """The record with its Bundle changed by ``edit``, its headers and key as they were."""
    bundle = json.loads(record.value)
    edit(bundle)
    return dataclasses.replace(record, value=json.dumps(bundle).encode())


def with_value_at(record: KafkaRecord, path: BundlePath, value: Any) -> KafkaRecord:
    """The record with the element at ``path`` (keys and list indexes) set to ``value``."""

    def put(bundle: dict[str, Any]) -> None:
        *parents, last = path
        node: Any = bundle
        for part in parents:
            node = node[part]
        node[last] = value

    return with_bundle(record, put)
