"""Generated artefacts of the contract: JSON Schemas, AsyncAPI, the example journey files.

Both are generated from the models, never written by hand, and checked against what is
committed so that the documentation cannot drift from the code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from schemas.asyncapi import ASYNCAPI_FILE, asyncapi_document
from schemas.events import EVENT_TYPES
from schemas.examples import example_codec, example_events
from schemas.headers import EventHeaders

__all__ = [
    "contract_documents",
    "example_documents",
    "json_schema_documents",
    "stale_documents",
    "write_documents",
]

_SCHEMA_BASE: Final = "https://saattaja.fi/schemas/v1"
_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


def _render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def json_schema_documents() -> dict[str, str]:
    """File name -> JSON Schema text, one per event model plus one for the Kafka headers."""
    documents: dict[str, str] = {}
    models: dict[str, type[BaseModel]] = {
        f"{ce_type}.schema.json": model for ce_type, model in EVENT_TYPES.items()
    }
    models["headers.schema.json"] = EventHeaders
    for name, model in models.items():
        schema = {"$schema": _DIALECT, "$id": f"{_SCHEMA_BASE}/{name}"} | model.model_json_schema()
        documents[name] = _render(schema)
    return documents


def contract_documents() -> dict[str, str]:
    """File name -> text: the JSON Schemas and the AsyncAPI document that points at them."""
    return json_schema_documents() | {ASYNCAPI_FILE: _render(asyncapi_document())}


def example_documents() -> dict[str, str]:
    """File name -> example record text, for every event of the example journey."""
    codec = example_codec()
    return {name: _render(codec.encode(event).to_json()) for name, event in example_events()}


def write_documents(directory: Path, documents: Mapping[str, str]) -> list[Path]:
    """Write the documents into directory, creating it; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in documents.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_documents(directory: Path, documents: Mapping[str, str]) -> list[str]:
    """Names of the documents that are missing from directory or differ from the generated."""
    stale = []
    for name, text in documents.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
