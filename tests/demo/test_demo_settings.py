"""The demo's processes share one machine: they join their groups with short sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest
from pydantic import SecretStr, ValidationError

from broker.demo import DemoStack
from broker.registry import OrganisationRegistry
from broker.settings import SaattajaSettings

SECRET: Final = SecretStr("demo-settings-tests-secret-0123456789abc")

pytestmark = pytest.mark.usefixtures("clean_environment")


def test_a_demo_shortens_the_session_timeouts_left_at_their_defaults(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    defaults = SaattajaSettings(pseudonym_secret=SECRET)

    settings = DemoStack(defaults, registry, tmp_path / "demo").settings

    assert defaults.router_session_timeout_ms == defaults.audit_stream_session_timeout_ms == 10_000
    assert settings.router_session_timeout_ms == settings.audit_stream_session_timeout_ms == 3_000


def test_a_demo_keeps_the_session_timeouts_set_for_it(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    chosen = SaattajaSettings(
        pseudonym_secret=SECRET,
        router_session_timeout_ms=8_000,
        audit_stream_session_timeout_ms=9_000,
    )

    settings = DemoStack(chosen, registry, tmp_path / "demo").settings

    assert (settings.router_session_timeout_ms, settings.audit_stream_session_timeout_ms) == (
        8_000,
        9_000,
    )


def test_a_demo_without_a_pseudonym_secret_uses_one_no_other_command_takes(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    secret = DemoStack(SaattajaSettings(), registry, tmp_path / "demo").settings.pseudonym_secret

    assert secret is not None
    with pytest.raises(ValidationError, match="placeholder"):
        SaattajaSettings(pseudonym_secret=secret)


def test_a_demo_keeps_the_pseudonym_secret_set_for_it(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    settings = DemoStack(
        SaattajaSettings(pseudonym_secret=SECRET), registry, tmp_path / "demo"
    ).settings

    assert settings.pseudonym_secret == SECRET


def test_a_demo_given_a_database_url_keeps_its_own_database_and_says_it_does(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    configured = SaattajaSettings(
        pseudonym_secret=SECRET, database_url="postgresql+asyncpg://someone@db.example/theirs"
    )

    stack = DemoStack(configured, registry, tmp_path / "demo")

    assert stack.ignores_database_url
    assert stack.settings.database_url.endswith(f"{tmp_path / 'demo'}/saattaja.db")


def test_a_demo_without_a_database_url_has_nothing_to_say_of_it(
    registry: OrganisationRegistry, tmp_path: Path
) -> None:
    assert not DemoStack(
        SaattajaSettings(pseudonym_secret=SECRET), registry, tmp_path
    ).ignores_database_url
