"""fhir.resources' verdict on a resource, in words that never quote what it holds."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, ValidationError

from schemas.echo import validation_problems
from schemas.fhir.elements import FhirJson

__all__ = ["fhir_validation_problem"]

_SHOWN_PROBLEMS: Final = 5


def fhir_validation_problem(
    model: type[BaseModel], data: FhirJson, *, limit: int = _SHOWN_PROBLEMS
) -> str | None:
    """Why fhir.resources refuses ``data`` as ``model``, a resource class; None if it validates.

    The answer goes after "is not valid FHIR R4: " in a refusal, names elements and what
    is wrong with them, and never quotes a value found there.
    """
    try:
        model.model_validate(data)
    except RecursionError:
        # fhir.resources validates each nested element in Python frames of its own: a
        # value nested a few hundred levels deep (extensions within extensions) exhausts
        # the interpreter's stack, and is refused like any other value FHIR does not allow.
        return (
            "it nests its elements too deeply for FHIR validation to follow "
            "(extensions within extensions, a few hundred levels): flatten them"
        )
    except ValidationError as exc:
        return validation_problems(exc, whole=model.__name__, limit=limit)
    except (TypeError, KeyError, AttributeError) as exc:
        # fhir.resources raises these, not a ValidationError, for some values of the wrong
        # JSON type: a resourceType that is null or names no resource, a number or a list
        # where a URL belongs. Their text quotes the value (KeyError: 'R4.<resourceType>Type').
        return (
            "an element has a value of the wrong type or names no FHIR resource "
            f"({type(exc).__name__})"
        )
    return None
