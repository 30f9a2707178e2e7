"""One statutory basis, and the configured set the decisions look them up in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    field_validator,
)

from schemas import DataCategory, OrganisationKind

__all__ = ["LegalBases", "LegalBasis"]


class LegalBasis(BaseModel):
    """A provision of law that lets ``sender_kind`` disclose ``categories`` to ``recipient_kind``.

    Whether it also overrides a client's refusal (kielto) is a separate, explicit answer:
    most information rights do not, a few do, and only the law says which.
    """

    # extra="forbid": a misspelt field in the file must fail, not quietly widen disclosure.
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[
        StrictStr, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
    ] = Field(description="Short slug named by every decision that rests on this basis.")
    law: Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        description="The act and section, e.g. 'Laki ... 381/2023, 9 §'."
    )
    sender_kind: OrganisationKind
    recipient_kind: OrganisationKind
    categories: tuple[DataCategory, ...] = Field(min_length=1)
    overrides_refusal: StrictBool

    @field_validator("categories")
    @classmethod
    def _disclosed_categories(
        cls, categories: tuple[DataCategory, ...]
    ) -> tuple[DataCategory, ...]:
        # A basis naming consent would read, to an auditor, as if consents were disclosed.
        if DataCategory.CONSENT in categories:
            raise ValueError(
                "'consent' cannot be disclosed: the router applies a consent to the consent "
                "store and passes it to nobody, so no basis covers it; remove it"
            )
        return categories

    def describe(self) -> str:
        """The basis as a decision's explanation names it."""
        return f"legal basis {self.id} ({self.law})"


class LegalBases:
    """The configured bases in file order, indexed by (sender kind, recipient kind, category)."""

    __slots__ = ("_bases", "_index")

    def __init__(self, bases: Iterable[LegalBasis] = ()) -> None:
        self._bases = tuple(bases)
        index: dict[tuple[OrganisationKind, OrganisationKind, DataCategory], list[LegalBasis]] = {}
        for basis in self._bases:
            for category in dict.fromkeys(basis.categories):
                key = (basis.sender_kind, basis.recipient_kind, category)
                index.setdefault(key, []).append(basis)
        self._index = {key: tuple(found) for key, found in index.items()}

    @classmethod
    def none(cls) -> LegalBases:
        """No statutory basis: every disclosure needs the client's consent."""
        return cls()

    def applicable(
        self,
        sender_kind: OrganisationKind,
        recipient_kind: OrganisationKind,
        category: DataCategory,
    ) -> tuple[LegalBasis, ...]:
        """The bases for this disclosure, in file order."""
        return self._index.get((sender_kind, recipient_kind, category), ())

    def __iter__(self) -> Iterator[LegalBasis]:
        return iter(self._bases)

    def __len__(self) -> int:
        return len(self._bases)

    def __repr__(self) -> str:
        return f"LegalBases({[basis.id for basis in self._bases]!r})"
