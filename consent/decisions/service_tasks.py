"""The service task (palvelutehtävä) under which an organisation holds a piece of data.

A client may refuse disclosure of one service task's data, e.g. everything the health
centre holds as health care. The events do not carry a service task, so it is derived
from what they do carry, the sender's kind and the data category:

| sender kind  | category            | service task         |
|--------------|---------------------|----------------------|
| sote         | assessment:health   | terveydenhuolto      |
| sote         | any other           | sosiaalihuolto       |
| kela         | any                 | kela                 |
| tyollisyys   | any                 | tyollisyyspalvelut   |
| typ          | any                 | typ                  |
| jarjesto     | any                 | jarjestopalvelut     |
"""

from __future__ import annotations

from typing import Final

from schemas import DataCategory, OrganisationKind

__all__ = ["SERVICE_TASKS", "service_task_of"]

_BY_KIND: Final = {
    OrganisationKind.KELA: "kela",
    OrganisationKind.TYOLLISYYS: "tyollisyyspalvelut",
    OrganisationKind.TYP: "typ",
    OrganisationKind.JARJESTO: "jarjestopalvelut",
}
SERVICE_TASKS: Final = ("terveydenhuolto", "sosiaalihuolto", *_BY_KIND.values())
"""Every service task code that consents and refusals can name."""


def service_task_of(sender_kind: OrganisationKind, category: DataCategory) -> str:
    """The service task of data of ``category`` sent by an organisation of ``sender_kind``."""
    if sender_kind is OrganisationKind.SOTE:
        if category is DataCategory.ASSESSMENT_HEALTH:
            return "terveydenhuolto"
        return "sosiaalihuolto"
    return _BY_KIND[sender_kind]
