"""The configuration reference of docs/adapters.md, generated from the settings models.

Never edit the tables by hand: change the ``Field(description=...)`` of the setting, then::

    python -m docs.generate_settings_reference --write   # rewrite the marked regions
    python -m docs.generate_settings_reference --check   # exit 1 when the page is stale
    python -m docs.generate_settings_reference --model my_adapter.settings:MySettings

The last prints the table of any settings model, an organisation's own adapter's included.
The same ``--write`` also copies the worked example (docs/examples/askel_adapter.py) into
the page, so that the code shown is the code tested.
"""

from __future__ import annotations

import argparse
import ast
import html
import importlib
import inspect
import itertools
import re
import sys
import textwrap
import types
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Final, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

__all__ = [
    "EXAMPLE_FILE",
    "PAGE",
    "SECTIONS",
    "Section",
    "main",
    "render_page",
    "settings_reference",
    "settings_table",
]

DOCS: Final = Path(__file__).resolve().parent
PAGE: Final = DOCS / "adapters.md"
EXAMPLE_FILE: Final = DOCS / "examples" / "askel_adapter.py"
_SETTINGS_REGION: Final = ("<!-- settings:begin -->", "<!-- settings:end -->")
_EXAMPLE_REGION: Final = ("<!-- example:begin -->", "<!-- example:end -->")

# What an adapter process reads of the broker's settings; the router's own are in the README.
_ADAPTER_PROCESS_FIELDS: Final = (
    "kafka_bootstrap",
    "kafka_security_protocol",
    "kafka_sasl_mechanism",
    "kafka_sasl_username",
    "kafka_sasl_password",
    "kafka_ssl_cafile",
    "pseudonym_secret",
    "registry_file",
    "max_event_bytes",
    "log_format",
)


@dataclass(frozen=True, slots=True)
class Section:
    """One table of the reference: a heading, a sentence, and the model (``module:Class``)."""

    heading: str
    intro: str
    model: str
    fields: tuple[str, ...] | None = None
    """Only these fields, in this order; all of the model's when None."""


SECTIONS: Final = (
    Section(
        "Kafka, TLS/SASL and the pseudonym secret",
        "Shared with every Saattaja process (`broker.settings.SaattajaSettings`); the same "
        "pseudonym secret everywhere in the region.",
        "broker.settings:SaattajaSettings",
        _ADAPTER_PROCESS_FIELDS,
    ),
    Section(
        "The SDK",
        "Every adapter process (`adapters.sdk.AdapterSettings`).",
        "adapters.sdk:AdapterSettings",
    ),
    Section(
        "sql_outbox",
        "`adapters.sql_outbox.SqlOutboxSettings`.",
        "adapters.sql_outbox:SqlOutboxSettings",
    ),
    Section(
        "fhir_rest",
        "`adapters.fhir_rest.FhirRestSettings`.",
        "adapters.fhir_rest:FhirRestSettings",
    ),
    Section(
        "file_drop",
        "`adapters.file_drop.FileDropSettings`.",
        "adapters.file_drop:FileDropSettings",
    ),
    Section(
        "askel (the worked example)",
        "`docs.examples.askel_adapter.AskelSettings`.",
        "docs.examples.askel_adapter:AskelSettings",
    ),
)


def settings_table(model: type[BaseSettings], fields: Sequence[str] | None = None) -> str:
    """A markdown table: variable (prefix + field name), default, meaning."""
    prefix = str(model.model_config.get("env_prefix") or "")
    docstrings = _attribute_docstrings(model)
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name in fields if fields is not None else tuple(model.model_fields):
        info = model.model_fields[name]
        meaning = info.description or docstrings.get(name, "")
        choices = _choices(info.annotation)
        if choices and not all(choice in meaning for choice in choices):
            meaning = f"{meaning} One of: {', '.join(f'`{c}`' for c in choices)}.".strip()
        cells = (f"`{(prefix + name).upper()}`", _default(info), _escape(meaning))
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def settings_reference(sections: Sequence[Section] = SECTIONS) -> str:
    """Every section's heading, sentence and table, as the page shows them."""
    parts = []
    for section in sections:
        model = _load(section.model)
        table = settings_table(model, section.fields)
        parts.append(f"### {section.heading}\n\n{section.intro}\n\n{table}\n")
    return "\n".join(parts)


def render_page(page: str) -> str:
    """The page with its settings reference and worked example regenerated."""
    page = _replace(page, _SETTINGS_REGION, settings_reference())
    example = EXAMPLE_FILE.read_text(encoding="utf-8")
    return _replace(page, _EXAMPLE_REGION, f"```python\n{example}```")


def main(argv: Sequence[str] | None = None) -> int:
    """Print, write or check the reference; 1 when ``--check`` finds the page stale."""
    parser = argparse.ArgumentParser(prog="python -m docs.generate_settings_reference")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite the page's regions")
    action.add_argument("--check", action="store_true", help="exit 1 when the page is stale")
    action.add_argument("--model", help="print the table of one model, as module:Class")
    parser.add_argument("--page", type=Path, default=PAGE, help="the page (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.model:
        sys.stdout.write(settings_table(_load(args.model)) + "\n")
        return 0
    if not (args.write or args.check):
        sys.stdout.write(settings_reference())
        return 0
    current = args.page.read_text(encoding="utf-8")
    wanted = render_page(current)
    if args.write:
        if wanted != current:
            args.page.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        sys.stderr.write(
            f"{args.page} is stale: its settings reference or worked example differs from the "
            "code; run python -m docs.generate_settings_reference --write\n"
        )
        return 1
    return 0


def _load(reference: str) -> type[BaseSettings]:
    module_name, _, class_name = reference.partition(":")
    model = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(model, type) and issubclass(model, BaseSettings)):
        raise SystemExit(f"{reference} is not a pydantic-settings model: give module:Class")
    return model


def _replace(page: str, region: tuple[str, str], content: str) -> str:
    begin, end = region
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if len(pattern.findall(page)) != 1:
        raise SystemExit(f"the page must hold exactly one {begin} ... {end} region")
    return pattern.sub(lambda _match: f"{begin}\n{content}\n{end}", page)


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        return "computed"
    value = info.default
    if value is PydanticUndefined:
        return "**required**"
    if value is None:
        return "none"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return f"`{text}`" if text else "empty"


def _escape(text: str) -> str:
    """Markdown-safe outside code spans: ``<organisation>`` must not read as an HTML tag."""
    parts = text.split("`")
    return "`".join(
        part if i % 2 else html.escape(part, quote=False) for i, part in enumerate(parts)
    )


def _choices(annotation: Any) -> list[str]:
    """The allowed values of a Literal (or optional Literal) setting."""
    if get_origin(annotation) is Literal:
        return [str(choice) for choice in get_args(annotation)]
    if get_origin(annotation) in (Union, types.UnionType):
        return [choice for arg in get_args(annotation) for choice in _choices(arg)]
    return []


def _attribute_docstrings(model: type[BaseSettings]) -> dict[str, str]:
    """``field: T = ...`` followed by a string literal: that string, for settings without a
    description."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(model)))
    except (OSError, TypeError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    found: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = " ".join(following.value.value.split())
    return found


if __name__ == "__main__":
    sys.exit(main())
