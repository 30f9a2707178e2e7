"""Fields of the contract that travel as FHIR primitives, with what FHIR refuses of them.

Each says it in its JSON Schema, so that a JSON Schema validator refuses what the router
would: a FHIR string may hold no character below U+0020 but tab, line feed and carriage
return; a FHIR integer is 32-bit.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

__all__ = ["FHIR_INTEGER_MAX", "FhirString"]

FHIR_INTEGER_MAX: Final = 2**31 - 1
"""The largest FHIR integer (a 32-bit signed integer)."""

# \xHH, not \uHHHH: Go's RE2 knows only the first, and every other engine both. A
# pattern rather than a validator of our own: pydantic checks it with the field's length,
# whose errors a validator before them would turn into a list's ("at least 1 item").
_FHIR_STRING: Final = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"

FhirString = Annotated[str, Field(pattern=_FHIR_STRING)]
"""Text that travels as a FHIR string: no control character but tab, line feed and CR."""
