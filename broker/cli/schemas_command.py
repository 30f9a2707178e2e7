"""``saattaja schemas``: generate and check the contract's JSON Schemas and examples."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from broker.cli.arguments import usage_of
from broker.cli.output_files import unwritable
from broker.settings import load_settings
from schemas import ContractError, EventCodec, KafkaRecord, Pseudonymiser
from schemas.examples import example_codec
from schemas.export import (
    contract_documents,
    example_documents,
    stale_documents,
    write_documents,
)

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the ``schemas`` command group."""
    group: argparse.ArgumentParser = commands.add_parser(
        "schemas", help="generate and check the event contract's JSON Schemas and examples"
    )
    group.set_defaults(run=usage_of(group))
    actions = group.add_subparsers(title="actions", metavar="ACTION")

    export = actions.add_parser(
        "export", help="write a JSON Schema for every event model, and the AsyncAPI document"
    )
    export.add_argument("directory", type=Path, metavar="DIR")
    export.set_defaults(run=_export)

    examples = actions.add_parser("examples", help="write the example journey's event records")
    examples.add_argument("directory", type=Path, metavar="DIR")
    examples.set_defaults(run=_examples)

    check = actions.add_parser(
        "check", help="fail when committed JSON Schemas or examples differ from the models"
    )
    check.add_argument("directory", type=Path, metavar="DIR", help="the JSON Schema folder")
    check.add_argument("--examples", type=Path, metavar="DIR", help="also check this folder")
    check.set_defaults(run=_check)

    validate = actions.add_parser(
        "validate", help='validate event records ({"key", "headers", "value"} JSON files)'
    )
    validate.add_argument("files", type=Path, nargs="+", metavar="FILE")
    validate.add_argument(
        "--example-secret",
        action="store_true",
        help="check pseudonyms with the documentation secret of schemas/examples "
        "instead of SAATTAJA_PSEUDONYM_SECRET",
    )
    validate.set_defaults(run=_validate)


def _export(args: argparse.Namespace) -> int:
    _write(args.directory, contract_documents())
    return 0


def _examples(args: argparse.Namespace) -> int:
    _write(args.directory, example_documents())
    return 0


def _write(directory: Path, documents: dict[str, str]) -> None:
    try:
        written = write_documents(directory, documents)
    except OSError as exc:
        raise unwritable(directory, exc) from exc
    for path in written:
        print(f"wrote {path}")


def _check(args: argparse.Namespace) -> int:
    stale = [
        str(args.directory / name) for name in stale_documents(args.directory, contract_documents())
    ]
    if args.examples is not None:
        stale += [
            str(args.examples / name)
            for name in stale_documents(args.examples, example_documents())
        ]
    if stale:
        print(
            "out of date with the models (regenerate with `saattaja schemas export` / "
            "`saattaja schemas examples`):",
            file=sys.stderr,
        )
        for name in stale:
            print(f"  {name}", file=sys.stderr)
        return 1
    print("JSON Schemas and examples match the models")
    return 0


def _validate(args: argparse.Namespace) -> int:
    if args.example_secret:
        codec = example_codec()
    else:
        settings = load_settings()
        codec = EventCodec(
            Pseudonymiser(settings.require_pseudonym_secret()), settings.max_event_bytes
        )
    failures = 0
    for path in args.files:
        try:
            record = KafkaRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
            event = codec.decode(record)
        except (OSError, json.JSONDecodeError, ContractError) as exc:
            failures += 1
            print(f"{path}: INVALID: {exc}", file=sys.stderr)
        else:
            print(f"{path}: ok ({event.ce_type()}, category {event.category.value})")
    return 1 if failures else 0
