"""The organisations' side of the demo: hand a record to a source system, see what it received.

Each record enters through the adapter's real entry point, as the organisation's own
system would hand it over: a row INSERTed into sote's outbox table, FHIR POSTed (or PUT)
to kela's and typ's adapter, a JSON file written as ``.part`` and renamed into the
tyollisyys and jarjesto drop folders. What arrived is read back from the same places:
the inbox table, the receiving FHIR server, the outgoing folder.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from adapters.fhir_rest import EVENT_ID_HEADER
from adapters.sql_outbox import add_outbox_row, inbox_rows
from broker.demo.errors import FeedError
from broker.demo.stack import FhirSystem, SourceSystem, SqlSystem
from schemas import CONTENT_TYPE, Event, PlanUpdated

__all__ = ["feed", "feeding_address", "received"]

_ACCEPTED = 202


async def feed(system: SourceSystem, event: Event) -> str:
    """Hand the event's record to the system's adapter; where it went, in words."""
    if isinstance(system, SqlSystem):
        row = await add_outbox_row(
            system.database_url, event.event_code, _record(event), table=system.outbox_table
        )
        return f"row {row} of {system.outbox_table}"
    if isinstance(system, FhirSystem):
        return await _post_fhir(system, event)
    name = f"{event.event_id}.json"
    part = system.drop_folder / f"{name}.part"
    part.write_text(
        json.dumps({"type": event.event_code, **_record(event)}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    # Renamed only when whole, so that the adapter never reads half a file.
    part.rename(system.drop_folder / name)
    return f"file {system.drop_folder / name}"


async def received(system: SourceSystem) -> dict[str, str]:
    """Event id -> where the organisation's system has it, for everything delivered so far."""
    if isinstance(system, SqlSystem):
        rows = await inbox_rows(system.database_url, table=system.inbox_table)
        return {str(row["event_id"]): f"row {row['id']} of {system.inbox_table}" for row in rows}
    if isinstance(system, FhirSystem):
        return {
            request.headers[EVENT_ID_HEADER]: f"transaction Bundle at {system.server.base_url}"
            for request in system.server.transactions
            if EVENT_ID_HEADER in request.headers
        }
    if not system.outgoing_folder.exists():
        return {}
    # <occurred>_<type>_<event id>.json, as the file-drop adapter names what it writes.
    return {
        path.stem.rsplit("_", 1)[-1]: f"file {path}"
        for path in system.outgoing_folder.glob("*.json")
    }


def feeding_address(system: SourceSystem) -> str:
    """Where a person can hand the system's adapter a new record, in words."""
    if isinstance(system, SqlSystem):
        return (
            f"INSERT INTO {system.outbox_table} (event_type, payload) in the SQLite file "
            f"{system.database_file}; received events appear in {system.inbox_table}"
        )
    if isinstance(system, FhirSystem):
        return (
            f"POST FHIR R4 ({CONTENT_TYPE}) to {system.intake_url}; received events go to "
            f"the FHIR server {system.server.base_url} (GET {system.server.base_url}/_received)"
        )
    return (
        f"drop *.json / *.csv into {system.drop_folder}; received events are written "
        f"into {system.outgoing_folder}"
    )


def _record(event: Event) -> dict[str, Any]:
    """The domain record of the event, as the organisation's system writes it."""
    return event.model_dump(mode="json", exclude={"sender"})


async def _post_fhir(system: FhirSystem, event: Event) -> str:
    resources = event.fhir_resources()
    # PUT replaces: that is how a FHIR system says "this plan changed" (plan.updated).
    method = "PUT" if isinstance(event, PlanUpdated) else "POST"
    if len(resources) == 1:
        url = f"{system.intake_url}/{resources[0]['resourceType']}"
        body: dict[str, Any] = resources[0]
    else:
        url = system.intake_url
        body = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": resource,
                    "request": {"method": method, "url": resource["resourceType"]},
                }
                for resource in resources
            ],
        }
    headers = {"Content-Type": CONTENT_TYPE, EVENT_ID_HEADER: str(event.event_id)}
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, data=json.dumps(body), headers=headers) as response,
        ):
            answer = await response.text()
            status = response.status
    except aiohttp.ClientError as exc:
        raise FeedError(f"{method} {url} failed: {exc}; is the FHIR REST adapter running?") from exc
    if status != _ACCEPTED:
        raise FeedError(f"{method} {url} answered {status}: {answer}")
    return f"{method} {url}"
