"""One organisation taking part in the exchange, as the registry file describes it."""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, StringConstraints
from pydantic.types import Strict

from schemas import Oid, OrganisationKind, oid_urn

__all__ = ["ORGANISATION_ID_PATTERN", "Organisation", "check_organisation_id"]

# The id ends up in topic names (saattaja.<id>.outbox) and in ACLs, so it stays a short,
# lowercase slug that every Kafka tool and shell accepts without quoting.
ORGANISATION_ID_PATTERN: Final = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
_ORGANISATION_ID: Final = re.compile(ORGANISATION_ID_PATTERN)


def check_organisation_id(value: str) -> str:
    """Return a valid organisation id unchanged; raise ValueError saying what an id may hold."""
    if _ORGANISATION_ID.match(value) is None:
        raise ValueError(
            f"{value!r} is not an organisation id: use 1-40 lowercase letters a-z, digits "
            "and inner hyphens, such as 'sote' or 'kela' (it becomes part of topic names)"
        )
    return value


class Organisation(BaseModel):
    """An organisation: its short id, its name, its OID and what kind of service it is."""

    # extra="forbid": a misspelt field in the registry file must fail, not be ignored.
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[StrictStr, AfterValidator(check_organisation_id)]
    name: Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]
    # Strict: an unquoted OID such as 1.2 reaches us as a YAML float, never as text.
    oid: Annotated[Oid, Strict()]
    kind: OrganisationKind

    @property
    def urn(self) -> str:
        """The ``urn:oid:`` form used as ce_source and in FHIR identifiers."""
        return oid_urn(self.oid)
