"""What deploy/ ships for real hosts holds together with the code it runs."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic_settings import BaseSettings

from adapters.fhir_rest import FhirRestSettings
from adapters.sdk import (
    AdapterConfigurationError,
    AdapterHealth,
    AdapterSettings,
    ReceiverStatus,
    RelayStatus,
    load_settings_model,
)
from adapters.sdk.metrics import AdapterMetrics
from broker.audit_stream import AuditStreamMetrics
from broker.chosen_secret import PLACEHOLDER_MARK
from broker.cli import CONFIGURATION_EXIT_STATUS
from broker.router.metrics import RouterMetrics
from broker.settings import SaattajaSettings
from tests.prometheus_tools import ALERTS, needs, tool

DEPLOY: Final = Path(__file__).resolve().parent.parent / "deploy"
SAATTAJA: Final = Path(sys.executable).parent / "saattaja"
SYSTEMD_ANALYZE: Final = shutil.which("systemd-analyze")
ALERT_TESTS: Final = DEPLOY / "prometheus" / "saattaja-alerts.test.yaml"

PROMTOOL: Final = tool("promtool")


def served_metric_names() -> set[str]:
    """Every sample name a router, an adapter and the audit stream serve on /metrics."""
    adapter = AdapterMetrics("kela", RelayStatus(), ReceiverStatus())
    adapter.refresh(AdapterHealth(outbox_unsent=0, outbox_oldest_age_seconds=0.0, parked=0))
    names = set()
    for registry in (RouterMetrics().registry, adapter.registry, AuditStreamMetrics().registry):
        text = generate_latest(registry).decode()
        for family in text_string_to_metric_families(text):
            # A labelled gauge not yet set has a family but no samples; so has a labelled
            # counter, whose samples are named with _total.
            names.add(family.name)
            if family.type == "counter":
                names.add(f"{family.name}_total")
            names.update(sample.name for sample in family.samples)
    return names


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def run_promtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None, "promtool is missing: `make test` unpacks it before the tests"
    return subprocess.run(  # noqa: S603 - Prometheus's own tool on the files deploy/ ships
        [PROMTOOL, *arguments], capture_output=True, text=True, check=False, cwd=ALERTS.parent
    )


def test_every_alert_asks_only_for_metrics_the_processes_serve() -> None:
    served = served_metric_names()

    for rule in alert_rules():
        asked = set(re.findall(r"\bsaattaja_[a-z0-9_]+", rule["expr"]))
        # Or Prometheus's own `up` of a Saattaja process's scrape job: whether it is there.
        scraped = re.findall(r"\bup\{job=\"saattaja-[a-z-]+\"\}", rule["expr"])
        assert asked or scraped, f"{rule['alert']} asks for no Saattaja metric"
        assert asked <= served, f"{rule['alert']} asks for {sorted(asked - served)}"


def test_every_alert_has_a_severity_and_a_summary() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


@needs("promtool")
def test_the_alerting_rules_pass_promtool_check() -> None:
    checked = run_promtool("check", "rules", ALERTS.name)

    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs("promtool")
def test_each_alert_fires_and_stays_quiet_as_its_unit_tests_say() -> None:
    tested = run_promtool("test", "rules", ALERT_TESTS.name)

    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test_of_it_firing_and_of_it_staying_quiet() -> None:
    document = yaml.safe_load(ALERT_TESTS.read_text())
    assert document["rule_files"] == [ALERTS.name]
    cases = [case for test in document["tests"] for case in test["alert_rule_test"]]

    for rule in alert_rules():
        outcomes = [
            bool(case["exp_alerts"]) for case in cases if case["alertname"] == rule["alert"]
        ]
        assert True in outcomes, f"no unit test sees {rule['alert']} fire"
        assert False in outcomes, f"no unit test sees {rule['alert']} stay quiet"


def env_example(name: str) -> dict[str, str]:
    lines = (DEPLOY / "systemd" / name).read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line and not line.startswith("#")]
    return dict(pairs)


def placeholders_of(values: dict[str, str]) -> set[str]:
    """The variables an example leaves for the deployment to fill in."""
    return {name for name, value in values.items() if PLACEHOLDER_MARK in value}


def variables_of(*models: type[BaseSettings]) -> set[str]:
    return {
        f"{model.model_config.get('env_prefix', '')}{field}".upper()
        for model in models
        for field in model.model_fields
    }


@pytest.mark.parametrize(
    ("example", "models"),
    [
        ("router.env.example", (SaattajaSettings,)),
        ("audit-stream.env.example", (SaattajaSettings,)),
        ("adapter.env.example", (SaattajaSettings, AdapterSettings, FhirRestSettings)),
    ],
)
def test_an_environment_example_names_only_real_settings_with_valid_values(
    example: str,
    models: tuple[type[BaseSettings], ...],
    clean_environment: pytest.MonkeyPatch,
) -> None:
    values = env_example(example)
    assert set(values) <= variables_of(*models), sorted(set(values) - variables_of(*models))

    for name, value in values.items():
        chosen = secrets.token_hex(32) if name in placeholders_of(values) else value
        clean_environment.setenv(name, chosen)
    for model in models:
        model()  # raises, naming the variable, on a value the process would refuse


@pytest.mark.parametrize(
    ("example", "models"),
    [
        ("router.env.example", (SaattajaSettings,)),
        ("audit-stream.env.example", (SaattajaSettings,)),
        ("adapter.env.example", (SaattajaSettings, FhirRestSettings)),
    ],
)
def test_an_environment_example_deployed_unchanged_is_refused_naming_each_placeholder(
    example: str,
    models: tuple[type[BaseSettings], ...],
    clean_environment: pytest.MonkeyPatch,
) -> None:
    values = env_example(example)
    for name, value in values.items():
        clean_environment.setenv(name, value)

    refused: set[str] = set()
    for model in models:
        with pytest.raises(AdapterConfigurationError) as caught:
            load_settings_model(model)
        refused |= {name for name in placeholders_of(values) if f"{name}: " in str(caught.value)}

    assert placeholders_of(values)
    assert refused == placeholders_of(values)


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize(
    "unit",
    [
        "saattaja-router.service",
        "saattaja-audit-stream.service",
        "saattaja-adapter@.service",
        "saattaja-adapter@fhir_rest.service",
    ],
)
def test_a_systemd_unit_passes_systemd_analyze(unit: str, tmp_path: Path) -> None:
    source = DEPLOY / "systemd" / re.sub(r"@[^.]+\.", "@.", unit)
    # This host's saattaja in place of the one the unit expects under /opt.
    text = source.read_text().replace("/opt/saattaja/bin/saattaja", str(SAATTAJA))
    (tmp_path / unit).write_text(text)

    verified = subprocess.run(  # noqa: S603 - systemd's own tool on a file of the test's
        [str(SYSTEMD_ANALYZE), "verify", str(tmp_path / unit)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (verified.returncode, verified.stderr) == (0, "")


@pytest.mark.parametrize(
    "unit", sorted(path.name for path in (DEPLOY / "systemd").glob("*.service"))
)
def test_a_unit_keeps_its_files_from_other_users(unit: str) -> None:
    # The stores and state files hold identity codes and health data: with systemd's default
    # umask (0022) any local user could read them.
    settings = dict(
        re.findall(
            r"^(UMask|StateDirectory|StateDirectoryMode)=(\S+)$",
            (DEPLOY / "systemd" / unit).read_text(),
            re.M,
        )
    )
    assert int(settings["UMask"], 8) & 0o007 == 0o007
    if "StateDirectory" in settings:
        assert int(settings["StateDirectoryMode"], 8) & 0o077 == 0


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("saattaja-router.service", ["router"]),
        ("saattaja-audit-stream.service", ["audit", "stream"]),
        ("saattaja-adapter@.service", ["adapter", "run", "fhir_rest"]),
    ],
)
def test_a_unit_starts_a_command_saattaja_has(unit: str, command: list[str]) -> None:
    started = re.search(r"^ExecStart=(.+)$", (DEPLOY / "systemd" / unit).read_text(), re.M)
    assert started is not None
    executable, *arguments = started.group(1).replace("%i", "fhir_rest").split()

    assert Path(executable).name == "saattaja"
    assert arguments == command
    shown = subprocess.run(  # noqa: S603 - this environment's saattaja
        [str(SAATTAJA), *arguments, "--help"], capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0, shown.stderr


@pytest.mark.parametrize(
    "unit", sorted(path.name for path in (DEPLOY / "systemd").glob("*.service"))
)
def test_a_unit_stops_at_a_mistake_in_its_configuration_rather_than_restart_into_it(
    unit: str,
) -> None:
    text = (DEPLOY / "systemd" / unit).read_text()
    prevented = re.search(r"^RestartPreventExitStatus=(.+)$", text, re.M)

    assert re.search(r"^Restart=always$", text, re.M)
    assert prevented is not None
    assert str(CONFIGURATION_EXIT_STATUS) in prevented.group(1).split()
