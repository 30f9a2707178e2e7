"""Reading a request body into validated FHIR R4 resources, before any event is made."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class

from adapters.fhir_rest.errors import MalformedFhirError, UnacceptableFhirError
from schemas import echoed
from schemas.fhir import (
    BUNDLE_TYPES,
    HTTP_VERBS,
    FhirJson,
    fhir_type_names,
    fhir_validation_problem,
)

__all__ = ["Submission", "read_submission"]

_BUNDLE_TYPES: Final = ("transaction", "batch")
_METHODS: Final = ("POST", "PUT")
_SHOWN_PROBLEMS: Final = 5


@dataclass(frozen=True, slots=True)
class Submission:
    """The resources of one request, and whether it replaces (PUT) rather than creates (POST)."""

    resources: tuple[FhirJson, ...]
    replaces: bool


def read_submission(body: bytes, *, method: str, url_type: str | None) -> Submission:
    """Parse and validate one resource or one transaction/batch Bundle.

    MalformedFhirError (400) when the body is not FHIR R4 JSON of the type the URL names;
    UnacceptableFhirError (422) for a Bundle this adapter does not take (type, method).
    """
    data = _json(body)
    resource_type = data["resourceType"]
    # Validated first, so that the resource type a reason names is one of FHIR's.
    _validate(data)
    if url_type is not None and url_type != resource_type:
        raise MalformedFhirError(
            f"the body is a {resource_type} but the URL names "
            f"{echoed(url_type, known=fhir_type_names())}: POST a {resource_type} to "
            f".../{resource_type}, or a Bundle to the base URL"
        )
    if resource_type != "Bundle":
        return Submission(resources=(data,), replaces=method == "PUT")
    bundle_type = data.get("type")
    if bundle_type not in _BUNDLE_TYPES:
        shown = (
            echoed(bundle_type, known=BUNDLE_TYPES) if isinstance(bundle_type, str) else "missing"
        )
        raise UnacceptableFhirError(
            f"Bundle.type is {shown}: send a transaction or batch Bundle whose entries "
            "are the resources of one event"
        )
    resources: list[FhirJson] = []
    methods: set[str] = set()
    for index, entry in enumerate(data.get("entry") or []):
        if "resource" not in entry:
            raise MalformedFhirError(f"Bundle.entry[{index}] has no resource")
        entry_method = (entry.get("request") or {}).get("method", "POST")
        if entry_method not in _METHODS:
            shown = echoed(str(entry_method), known=HTTP_VERBS)
            raise UnacceptableFhirError(
                f"Bundle.entry[{index}].request.method is {shown}: Saattaja events "
                "create (POST) or replace (PUT) resources, nothing else"
            )
        methods.add(entry_method)
        resources.append(entry["resource"])
    if not resources:
        raise UnacceptableFhirError("the Bundle has no entries: send the resources of one event")
    return Submission(resources=tuple(resources), replaces="PUT" in methods)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedFhirError(f"the body is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise MalformedFhirError("the body is JSON but not a FHIR resource: it has no resourceType")
    return data


def _validate(data: FhirJson) -> None:
    """Structure and data types against the FHIR R4 (R4B) models; a Bundle with its entries."""
    try:
        model = get_fhir_model_class(data["resourceType"])
    except ValueError as exc:
        raise MalformedFhirError(
            f"resourceType {echoed(data['resourceType'])} is not a FHIR R4 resource"
        ) from exc
    problem = fhir_validation_problem(model, data)
    if problem is not None:
        raise MalformedFhirError(f"the {data['resourceType']} is not valid FHIR R4: {problem}")
