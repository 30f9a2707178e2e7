"""``saattaja topics acls``: each part may reach exactly its own topics, and nothing else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from broker.cli import main
from broker.registry import OrganisationRegistry
from broker.topics import (
    AUDIT_TOPIC,
    DLQ_TOPIC,
    AclBinding,
    AclOperation,
    AclPattern,
    access_plan,
    inbox_topic,
    outbox_topic,
)

SH = shutil.which("sh") or "/bin/sh"


def plan(
    registry: OrganisationRegistry, *audit_readers: str, redrive: tuple[str, ...] = ()
) -> list[AclBinding]:
    return access_plan(
        registry,
        router_principal="User:router",
        router_group="routers",
        adapter_principal=lambda organisation: f"User:adapter-{organisation.id}",
        adapter_group=lambda organisation: f"group-{organisation.id}",
        audit_stream_principal="User:audit-stream",
        audit_stream_group="audit-streams",
        audit_readers=audit_readers,
        redrive_principals=redrive,
    )


def granted(bindings: list[AclBinding], principal: str) -> set[tuple[str, str, str]]:
    return {
        (b.operation.value, b.resource_type.value, b.resource)
        for b in bindings
        if b.principal == principal
    }


def test_an_adapter_writes_its_outbox_and_reads_its_inbox_and_its_group_only(
    registry: OrganisationRegistry,
) -> None:
    bindings = plan(registry)

    for organisation in registry:
        assert granted(bindings, f"User:adapter-{organisation.id}") == {
            ("Write", "topic", outbox_topic(organisation.id)),
            ("Read", "topic", inbox_topic(organisation.id)),
            ("Read", "group", f"group-{organisation.id}"),
        }


def test_the_router_reads_every_outbox_and_writes_every_inbox_and_the_dead_letters(
    registry: OrganisationRegistry,
) -> None:
    router = granted(plan(registry), "User:router")

    assert router == {
        ("Read", "group", "routers"),
        ("Write", "topic", DLQ_TOPIC),
        ("Describe", "topic", "saattaja."),
        *(("Read", "topic", outbox_topic(organisation.id)) for organisation in registry),
        *(("Write", "topic", inbox_topic(organisation.id)) for organisation in registry),
    }


def test_the_router_alone_describes_every_saattaja_topic_to_see_outboxes_of_no_organisation(
    registry: OrganisationRegistry,
) -> None:
    prefixed = [b for b in plan(registry, "User:siem") if b.pattern is not AclPattern.LITERAL]

    assert [(b.principal, b.operation, b.resource, b.pattern) for b in prefixed] == [
        ("User:router", AclOperation.DESCRIBE, "saattaja.", AclPattern.PREFIXED)
    ]


def test_the_audit_stream_writes_the_audit_topic_and_reads_it_and_its_group_only(
    registry: OrganisationRegistry,
) -> None:
    assert granted(plan(registry), "User:audit-stream") == {
        ("Write", "topic", AUDIT_TOPIC),
        ("Read", "topic", AUDIT_TOPIC),
        ("Read", "group", "audit-streams"),
    }


def test_an_audit_reader_reads_the_audit_topic_only(registry: OrganisationRegistry) -> None:
    bindings = plan(registry, "User:siem")

    assert granted(bindings, "User:siem") == {("Read", "topic", AUDIT_TOPIC)}


def test_a_redrive_principal_reads_the_dead_letters_and_writes_every_outbox_only(
    registry: OrganisationRegistry,
) -> None:
    bindings = plan(registry, redrive=("User:staff",))

    assert granted(bindings, "User:staff") == {
        ("Read", "topic", DLQ_TOPIC),
        *(("Write", "topic", outbox_topic(organisation.id)) for organisation in registry),
    }


def test_a_redrive_principal_changes_nobody_elses_bindings(registry: OrganisationRegistry) -> None:
    others = [b for b in plan(registry, redrive=("User:staff",)) if b.principal != "User:staff"]

    assert others == plan(registry)


def test_no_one_else_is_granted_anything(registry: OrganisationRegistry) -> None:
    principals = {binding.principal for binding in plan(registry)}

    assert principals == {
        "User:router",
        "User:audit-stream",
        *(f"User:adapter-{org.id}" for org in registry),
    }


def test_the_script_adds_every_binding_with_kafka_acls(
    cli_environment: pytest.MonkeyPatch,
    registry: OrganisationRegistry,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert main(["topics", "acls"]) == 0
    script = tmp_path / "acls.sh"
    script.write_text(capsys.readouterr().out)
    calls = tmp_path / "calls"
    # A kafka-acls.sh that notes its arguments, one call a line, in place of Kafka's.
    fake = tmp_path / "bin" / "kafka-acls.sh"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s|" "$@" >> {calls}\necho >> {calls}\n')
    fake.chmod(0o755)

    subprocess.run(  # noqa: S603 - the script the command under test printed
        [SH, str(script)],
        check=True,
        env={
            **os.environ,
            "PATH": f"{fake.parent}:{os.environ['PATH']}",
            "KAFKA_BOOTSTRAP": "kafka-1:9093",
            "KAFKA_ADMIN_CONFIG": "admin.properties",
        },
    )

    lines = calls.read_text().splitlines()
    kela = registry.get("kela")
    # The router, the audit stream, then the adapters.
    assert len(lines) == 3 + 2 * len(registry) + 3 + 3 * len(registry)
    assert all(
        line.startswith("--bootstrap-server|kafka-1:9093|--command-config|admin.properties|--add|")
        for line in lines
    )
    assert (
        "--allow-principal|User:saattaja-adapter-kela|--operation|Write|--topic|"
        f"{outbox_topic(kela.id)}|"
    ) in {line.split("--add|", 1)[1] for line in lines}
    assert any(line.endswith("--group|saattaja-adapter-kela|") for line in lines)
    assert any(line.endswith("--group|saattaja-router|") for line in lines)
    assert (
        "--allow-principal|User:saattaja-router|--operation|Describe|--topic|saattaja.|"
        "--resource-pattern-type|prefixed|"
    ) in {line.split("--add|", 1)[1] for line in lines}
    assert sum("--resource-pattern-type" in line for line in lines) == 1


def test_the_script_refuses_to_run_without_the_cluster_named(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["topics", "acls"]) == 0
    script = tmp_path / "acls.sh"
    script.write_text(capsys.readouterr().out)

    ran = subprocess.run(  # noqa: S603 - the script the command under test printed
        [SH, str(script)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "KAFKA_ADMIN_CONFIG": "admin.properties"},
        check=False,
    )

    assert ran.returncode != 0
    assert "KAFKA_BOOTSTRAP" in ran.stderr


def test_jsonl_gives_each_binding_on_a_line_with_the_principals_asked_for(
    cli_environment: pytest.MonkeyPatch,
    registry: OrganisationRegistry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = [
        "--router-principal",
        "User:CN=router",
        "--adapter-principal",
        "User:{organisation}",
        "--audit-stream-principal",
        "User:CN=audit",
        "--audit-reader",
        "User:CN=siem",
        "--redrive-principal",
        "User:CN=staff",
    ]

    assert main(["topics", "acls", "--format", "jsonl", *arguments]) == 0

    bindings = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    adapters = {f"User:{organisation.id}" for organisation in registry}
    assert {b["principal"] for b in bindings} == {
        "User:CN=router",
        "User:CN=audit",
        "User:CN=siem",
        "User:CN=staff",
        *adapters,
    }
    [prefixed] = [b for b in bindings if b["pattern_type"] != "literal"]
    assert {key: prefixed[key] for key in ("principal", "operation", "resource")} == {
        "principal": "User:CN=router",
        "operation": "Describe",
        "resource": "saattaja.",
    }
    assert prefixed["pattern_type"] == "prefixed"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--adapter-principal", "User:one-for-all"),
        ("--adapter-principal", "{organisation}"),
        ("--router-principal", "saattaja-router"),
        ("--router-principal", "User:two words"),
        ("--audit-stream-principal", "saattaja-audit-stream"),
        ("--audit-reader", "siem"),
        ("--redrive-principal", "integration-staff"),
    ],
)
def test_a_principal_that_cannot_be_right_prints_usage(
    cli_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["topics", "acls", option, value])

    assert exit_info.value.code == 2
    assert "usage: saattaja topics acls" in capsys.readouterr().err


def test_an_adapter_group_named_on_the_command_line_replaces_that_adapters_default(
    cli_environment: pytest.MonkeyPatch,
    registry: OrganisationRegistry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["topics", "acls", "--format", "jsonl", "--adapter-group", "kela=kela-own"]) == 0

    groups = {
        (b["principal"], b["resource"])
        for b in map(json.loads, capsys.readouterr().out.splitlines())
        if b["resource_type"] == "group"
    }
    assert ("User:saattaja-adapter-kela", "kela-own") in groups
    assert ("User:saattaja-adapter-kela", "saattaja-adapter-kela") not in groups
    others = [organisation.id for organisation in registry if organisation.id != "kela"]
    assert {(f"User:saattaja-adapter-{id_}", f"saattaja-adapter-{id_}") for id_ in others} <= groups


def test_an_adapter_group_for_an_organisation_not_in_the_registry_is_refused_naming_the_known(
    cli_environment: pytest.MonkeyPatch,
    registry: OrganisationRegistry,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["topics", "acls", "--adapter-group", "nobody=x"]) == 1

    error = capsys.readouterr().err
    assert "'nobody'" in error
    assert all(organisation.id in error for organisation in registry)


@pytest.mark.parametrize("value", ["kela", "kela=", "=kela-own"])
def test_an_adapter_group_not_of_the_form_id_equals_group_prints_usage(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["topics", "acls", "--adapter-group", value])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics acls" in error
    assert "ID=GROUP" in error


@pytest.mark.parametrize(
    ("assignments", "said"),
    [
        (["kela=saattaja-router"], "saattaja-router is the consumer group of the router"),
        (["kela=saattaja-audit-stream"], "is the consumer group of the audit stream"),
        (["kela=saattaja-adapter-sote"], "is the consumer group of the adapter of sote"),
        (["kela=shared", "sote=shared"], "shared is the consumer group of the adapter of sote"),
    ],
)
def test_an_adapter_group_another_part_uses_prints_usage_naming_its_owner(
    cli_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    assignments: list[str],
    said: str,
) -> None:
    options = [word for value in assignments for word in ("--adapter-group", value)]
    with pytest.raises(SystemExit) as exit_info:
        main(["topics", "acls", *options])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics acls" in error
    assert said in error


def test_an_adapter_group_given_twice_for_one_organisation_prints_usage_naming_both(
    cli_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["topics", "acls", "--adapter-group", "kela=g", "--adapter-group", "kela=h"])

    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: saattaja topics acls" in error
    assert "gives 'kela' twice (g and h)" in error
