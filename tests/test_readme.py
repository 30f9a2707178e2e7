"""The README stays true to the code it documents."""

from __future__ import annotations

from typing import Final

import pytest

from broker.settings import SaattajaSettings
from tests.conftest import REPO_ROOT

README: Final = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("field", sorted(SaattajaSettings.model_fields))
def test_every_setting_is_documented_in_the_readme(field: str) -> None:
    assert f"`SAATTAJA_{field.upper()}`" in README


def test_first_screen_gives_the_run_and_test_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make run" in first_screen
    assert "make test" in first_screen
