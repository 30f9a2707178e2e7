"""The organisation registry: loading the YAML file and the errors that say what to fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from broker.errors import ConfigurationError, UnknownOrganisationError
from broker.registry import Organisation, OrganisationRegistry
from schemas import OrganisationKind


def write_registry(directory: Path, entries: str) -> Path:
    path = directory / "organisations.yaml"
    path.write_text("organisations:\n" + textwrap.indent(textwrap.dedent(entries), "  "))
    return path


KELA = """\
- id: kela
  name: Kela
  oid: "1.2.246.10.2462460"
  kind: kela
"""


def test_shipped_registry_lists_the_five_example_organisations(
    registry: OrganisationRegistry,
) -> None:
    assert [(o.id, o.kind) for o in registry] == [
        ("sote", OrganisationKind.SOTE),
        ("kela", OrganisationKind.KELA),
        ("tyollisyys", OrganisationKind.TYOLLISYYS),
        ("typ", OrganisationKind.TYP),
        ("jarjesto", OrganisationKind.JARJESTO),
    ]


def test_shipped_oids_follow_the_business_id_arc(registry: OrganisationRegistry) -> None:
    assert all(o.oid.startswith("1.2.246.10.") for o in registry)
    assert registry.get("sote").oid.split(".")[-2] == "10"  # SOTE register: ...<y>.10.<n>
    assert registry.get("kela").oid == "1.2.246.10.2462460"  # Kela, 0246246-0


def test_lookup_by_id_and_by_oid_find_the_same_organisation(
    registry: OrganisationRegistry,
) -> None:
    kela = registry.get("kela")
    assert registry.by_oid(kela.oid) is kela
    assert kela.urn == "urn:oid:1.2.246.10.2462460"
    assert "kela" in registry
    assert len(registry) == 5


def test_unknown_id_raises_naming_the_id_and_the_known_ones(
    registry: OrganisationRegistry,
) -> None:
    with pytest.raises(UnknownOrganisationError, match=r"'ely'.*known: sote, kela"):
        registry.get("ely")


def test_unknown_oid_raises_naming_the_oid(registry: OrganisationRegistry) -> None:
    with pytest.raises(UnknownOrganisationError, match=r"'1\.2\.3'"):
        registry.by_oid("1.2.3")


def test_suffixed_registry_renames_every_id_and_keeps_the_rest(
    registry: OrganisationRegistry,
) -> None:
    suffixed = registry.with_id_suffix("t1")

    assert suffixed.ids == tuple(f"{organisation_id}-t1" for organisation_id in registry.ids)
    assert [(o.name, o.oid, o.kind) for o in suffixed] == [
        (o.name, o.oid, o.kind) for o in registry
    ]


def test_organisation_is_immutable() -> None:
    kela = Organisation(id="kela", name="Kela", oid="1.2.246.10.2462460", kind="kela")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="frozen"):
        kela.name = "Other"  # type: ignore[misc]


def test_duplicate_id_error_names_file_entry_and_field(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA + KELA.replace("2462460", "2462461"))
    with pytest.raises(ConfigurationError) as caught:
        OrganisationRegistry.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "organisations[1] (id 'kela')" in message
    assert "field 'id'" in message
    assert "already used by organisations[0]" in message


def test_duplicate_oid_error_names_file_entry_and_field(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA + KELA.replace("id: kela", "id: kela2"))
    with pytest.raises(ConfigurationError) as caught:
        OrganisationRegistry.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "organisations[1] (id 'kela2')" in message
    assert "field 'oid'" in message


def test_malformed_oid_error_names_file_entry_and_field(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA.replace("1.2.246.10.2462460", "1.2.246.10.0246246-0"))
    with pytest.raises(ConfigurationError) as caught:
        OrganisationRegistry.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "organisations[0] (id 'kela')" in message
    assert "field 'oid'" in message
    assert "is not an OID" in message


def test_an_oid_no_organisation_can_have_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA.replace("1.2.246.10.2462460", "1.50.2"))
    with pytest.raises(ConfigurationError, match=r"field 'oid': '1\.50\.2' is not an OID: under"):
        OrganisationRegistry.from_file(path)


def test_unquoted_oid_error_says_to_quote_it(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA.replace('"1.2.246.10.2462460"', "1.2"))
    with pytest.raises(ConfigurationError, match=r"field 'oid'.*quotes"):
        OrganisationRegistry.from_file(path)


def test_missing_field_error_names_file_entry_and_field(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA.replace("  kind: kela\n", ""))
    with pytest.raises(ConfigurationError) as caught:
        OrganisationRegistry.from_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "organisations[0] (id 'kela')" in message
    assert "field 'kind' is missing" in message
    assert "fix the registry file" in message


def test_entry_without_id_is_named_by_its_position(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA + KELA.replace("- id: kela\n  name", "- name"))
    with pytest.raises(ConfigurationError, match=r"organisations\[1\] \(id missing\).*'id'"):
        OrganisationRegistry.from_file(path)


def test_unknown_kind_error_lists_the_kinds(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA.replace("kind: kela", "kind: ely"))
    with pytest.raises(ConfigurationError, match=r"field 'kind'.*'sote', 'kela'"):
        OrganisationRegistry.from_file(path)


def test_misspelt_field_is_rejected(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA.replace("kind: kela", "kind: kela\n  nmae: typo"))
    with pytest.raises(ConfigurationError, match=r"field 'nmae' is not a registry field"):
        OrganisationRegistry.from_file(path)


@pytest.mark.parametrize("bad_id", ["Kela", "kela.inbox", "-kela", "k" * 41, "työ"])
def test_id_that_cannot_name_a_topic_is_rejected(tmp_path: Path, bad_id: str) -> None:
    path = write_registry(tmp_path, KELA.replace("id: kela", f"id: {bad_id}"))
    with pytest.raises(ConfigurationError, match=r"field 'id'.*is not an organisation id"):
        OrganisationRegistry.from_file(path)


def test_missing_file_error_names_the_file_and_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(
        ConfigurationError, match=r"nowhere\.yaml does not exist.*SAATTAJA_REGISTRY_FILE"
    ):
        OrganisationRegistry.from_file(path)


def test_invalid_yaml_error_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "organisations.yaml"
    path.write_text("organisations:\n  - id: kela\n    name: [unclosed\n")
    with pytest.raises(
        ConfigurationError, match=r"organisations\.yaml is not valid YAML at line \d+"
    ):
        OrganisationRegistry.from_file(path)


def test_a_second_organisations_block_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write_registry(tmp_path, KELA)
    path.write_text(path.read_text() + "organisations:\n" + textwrap.indent(KELA, "  "))
    with pytest.raises(
        ConfigurationError,
        match=r"organisations\.yaml is not valid YAML at line 6, column 1: found the key "
        r"'organisations' a second time \(first at line 1\)",
    ):
        OrganisationRegistry.from_file(path)


@pytest.mark.parametrize(
    "text", ["", "- id: kela\n", "organisations: []\n", "organisations: kela\n"]
)
def test_file_without_a_list_of_organisations_is_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "organisations.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=r"organisations\.yaml.*'organisations"):
        OrganisationRegistry.from_file(path)
