"""Which adapters exist: installed ones from entry points, and any registered in code.

An adapter package declares itself in its ``pyproject.toml``::

    [project.entry-points."saattaja.adapters"]
    sql_outbox = "adapters.sql_outbox:SqlOutboxAdapter.from_environment"

so that ``saattaja adapter run sql_outbox`` finds it without Saattaja's code naming it;
a third party's adapter is installed the same way. An entry point may name the class
itself (``module:Class``): its ``from_environment`` is what makes it. Entry points are read
on first use, and an adapter's module is imported only when that adapter is created.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Final, cast

from adapters.sdk.adapter import Adapter
from adapters.sdk.errors import AdapterConfigurationError, UnknownAdapterError

__all__ = ["ENTRY_POINT_GROUP", "AdapterFactory", "AdapterRegistry", "installed_adapters"]

ENTRY_POINT_GROUP: Final = "saattaja.adapters"
_NAME: Final = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

AdapterFactory = Callable[[], Adapter[Any]]
"""Builds an adapter, reading its settings; ``Adapter.from_environment`` is one."""


class AdapterRegistry:
    """Adapter names to factories."""

    def __init__(self) -> None:
        self._factories: dict[str, AdapterFactory | EntryPoint] = {}

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> AdapterRegistry:
        """Every adapter installed in this environment under ``group``."""
        registry = cls()
        for entry_point in entry_points(group=group):
            registry._add(entry_point.name, entry_point, replace=False)
        return registry

    def register(
        self, name: str, factory: AdapterFactory | type[Adapter[Any]], *, replace: bool = False
    ) -> None:
        """Make ``name`` known (a class is made by its ``from_environment``); ValueError if
        taken, unless ``replace``."""
        self._add(name, _factory_of(factory), replace=replace)

    def unregister(self, name: str) -> None:
        """Forget ``name``; UnknownAdapterError if it is not known."""
        if name not in self._factories:
            raise UnknownAdapterError(name, self.names)
        del self._factories[name]

    @property
    def names(self) -> tuple[str, ...]:
        """Known adapter names, sorted."""
        return tuple(sorted(self._factories))

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def create(self, name: str) -> Adapter[Any]:
        """A new adapter of this name, with its settings read now."""
        found = self._factories.get(name)
        if found is None:
            raise UnknownAdapterError(name, self.names)
        if isinstance(found, EntryPoint):
            try:
                factory = _factory_of(found.load())
            except (ImportError, AttributeError) as exc:
                raise AdapterConfigurationError(
                    f"adapter {name!r} is installed ({found.value}) but cannot be loaded "
                    f"({exc}): reinstall the package that provides it"
                ) from exc
            made_by = f"the entry point {found.value}"
        else:
            factory = found
            made_by = "the factory registered for it"
        adapter = factory()
        if not isinstance(adapter, Adapter):
            # Found here rather than as an AttributeError deep in the runtime.
            raise AdapterConfigurationError(
                f"adapter {name!r}: {made_by} made a {type(adapter).__name__}, not an "
                "adapters.sdk.Adapter: name the Adapter subclass, or its from_environment, "
                f'as in {name} = "your_module:YourAdapter.from_environment"'
            )
        return adapter

    def _add(self, name: str, factory: AdapterFactory | EntryPoint, *, replace: bool) -> None:
        if _NAME.match(name) is None:
            raise ValueError(
                f"{name!r} is not an adapter name: use up to 40 lowercase letters, digits and "
                "underscores, starting with a letter (such as 'sql_outbox')"
            )
        if name in self._factories and not replace:
            raise ValueError(f"an adapter named {name!r} is already registered")
        self._factories[name] = factory


def _factory_of(found: object) -> AdapterFactory:
    """A class's ``from_environment``: its own constructor needs the settings it reads."""
    if isinstance(found, type) and issubclass(found, Adapter):
        return found.from_environment
    return cast("AdapterFactory", found)


@cache
def installed_adapters() -> AdapterRegistry:
    """The process's registry: installed adapters, plus any registered on it in code."""
    return AdapterRegistry.from_entry_points()
