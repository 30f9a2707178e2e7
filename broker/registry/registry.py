"""The set of organisations that take part, looked up by id or by OID."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from broker.errors import ConfigurationError, UnknownOrganisationError
from broker.registry.loading import describe_entry, load_organisations
from broker.registry.organisation import Organisation

__all__ = ["OrganisationRegistry"]


class OrganisationRegistry:
    """Organisations in registry order, each id and each OID used once.

    Which organisations take part is configuration, never code: build it with `from_file`.
    """

    __slots__ = ("_by_id", "_by_oid", "_source")

    def __init__(self, organisations: Iterable[Organisation], *, source: str = "registry") -> None:
        self._source = source
        self._by_id: dict[str, Organisation] = {}
        self._by_oid: dict[str, Organisation] = {}
        first_use: dict[str, dict[str, int]] = {"id": {}, "oid": {}}
        for index, organisation in enumerate(organisations):
            for field, seen in first_use.items():
                value: str = getattr(organisation, field)
                if value in seen:
                    raise ConfigurationError(
                        f"{source}: {describe_entry(index, {'id': organisation.id})}: "
                        f"field '{field}': {value!r} is already used by "
                        f"organisations[{seen[value]}]; every organisation needs its own {field}"
                    )
                seen[value] = index
            self._by_id[organisation.id] = organisation
            self._by_oid[organisation.oid] = organisation

    @classmethod
    def from_file(cls, path: Path | str) -> OrganisationRegistry:
        """Load and check a registry YAML file; ConfigurationError names what to fix."""
        path = Path(path)
        return cls(load_organisations(path), source=str(path))

    def with_id_suffix(self, suffix: str) -> OrganisationRegistry:
        """The same organisations under ids ending ``-<suffix>``, OIDs unchanged.

        Their topics are then their own on a broker others use too, as tests and the
        benchmark need.
        """
        return OrganisationRegistry(
            (
                Organisation(id=f"{org.id}-{suffix}", name=org.name, oid=org.oid, kind=org.kind)
                for org in self
            ),
            source=f"{self._source} (ids suffixed -{suffix})",
        )

    @property
    def source(self) -> str:
        """Where the registry came from (the file name), for messages."""
        return self._source

    @property
    def ids(self) -> tuple[str, ...]:
        """Organisation ids in registry order."""
        return tuple(self._by_id)

    def get(self, organisation_id: str) -> Organisation:
        """The organisation with this id."""
        try:
            return self._by_id[organisation_id]
        except KeyError as exc:
            raise UnknownOrganisationError(
                f"no organisation with id {organisation_id!r} in {self._source} (known: "
                f"{', '.join(self._by_id)}); add it to the registry or correct the id"
            ) from exc

    def by_oid(self, oid: str) -> Organisation:
        """The organisation with this OID (bare, without ``urn:oid:``)."""
        try:
            return self._by_oid[oid]
        except KeyError as exc:
            raise UnknownOrganisationError(
                f"no organisation with OID {oid!r} in {self._source}; add it to the registry "
                "or check the sender's OID"
            ) from exc

    def __contains__(self, organisation_id: object) -> bool:
        return organisation_id in self._by_id

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"OrganisationRegistry({self._source!r}, ids={list(self._by_id)!r})"
