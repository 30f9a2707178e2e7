"""The FHIR REST adapter's public names are exactly those its package exports."""

from __future__ import annotations

from types import ModuleType

import adapters.fhir_rest


def test_the_package_exports_every_public_name_it_defines() -> None:
    public = {
        name
        for name, value in vars(adapters.fhir_rest).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }

    assert set(adapters.fhir_rest.__all__) == public
    assert {"FhirRestAdapter", "FhirRestSettings"} <= public
