"""The legal-bases file: off unless configured, and every mistake named by file, entry and field."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from consent.errors import LegalBasisConfigurationError
from consent.legal_bases import LegalBases, load_legal_bases
from schemas import DataCategory, OrganisationKind
from tests.conftest import REPO_ROOT

SHIPPED = REPO_ROOT / "deploy" / "legal-bases.yaml"

ENTRY = """\
legal_bases:
  - id: typ-381-2023
    law: "Laki työllistymistä edistävästä monialaisesta yhteispalvelusta 381/2023, 9 §"
    sender_kind: tyollisyys
    recipient_kind: typ
    categories: [referral, plan]
    overrides_refusal: false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "legal-bases.yaml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(LegalBasisConfigurationError) as caught:
        load_legal_bases(path)
    return str(caught.value)


def test_shipped_file_switches_nothing_on() -> None:
    assert len(load_legal_bases(SHIPPED)) == 0


def test_shipped_examples_are_valid_once_uncommented(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    example = text[text.index("# legal_bases:\n") :]
    uncommented = "\n".join(
        line.removeprefix("#").removeprefix(" ") for line in example.splitlines()
    )
    bases = load_legal_bases(write(tmp_path, uncommented))
    assert len(bases) >= 2
    assert all(basis.law for basis in bases)


@pytest.mark.parametrize("text", ["", "# nothing\n", "legal_bases:\n", "legal_bases: []\n"])
def test_no_list_or_an_empty_one_means_no_bases(tmp_path: Path, text: str) -> None:
    assert len(load_legal_bases(write(tmp_path, text))) == 0


def test_entry_is_found_by_sender_kind_recipient_kind_and_category(tmp_path: Path) -> None:
    bases = load_legal_bases(write(tmp_path, ENTRY))
    found = bases.applicable(OrganisationKind.TYOLLISYYS, OrganisationKind.TYP, DataCategory.PLAN)
    assert [basis.id for basis in found] == ["typ-381-2023"]
    assert found[0].overrides_refusal is False
    assert (
        bases.applicable(OrganisationKind.TYP, OrganisationKind.TYOLLISYYS, DataCategory.PLAN) == ()
    )


def test_none_has_no_bases() -> None:
    assert list(LegalBases.none()) == []


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    message = error_of(missing)
    assert str(missing) in message
    assert "SAATTAJA_LEGAL_BASES_FILE" in message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "legal_bases:\n  - id: [unclosed\n"))
    assert "not valid YAML at line" in message


def test_a_field_given_twice_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY + "    overrides_refusal: true\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 8" in message
    assert "found the key 'overrides_refusal' a second time (first at line 7)" in message


def test_missing_field_names_the_entry_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, ENTRY.replace("    overrides_refusal: false\n", ""))
    message = error_of(path)
    assert str(path) in message
    assert "legal_bases[0] (id 'typ-381-2023')" in message
    assert "field 'overrides_refusal' is missing" in message


def test_unknown_organisation_kind_names_the_field(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, ENTRY.replace("recipient_kind: typ", "recipient_kind: te")))
    assert "field 'recipient_kind'" in message


def test_unknown_category_names_the_field(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, ENTRY.replace("[referral, plan]", "[referral, health]")))
    assert "field 'categories.1'" in message


def test_the_consent_category_is_refused_as_never_disclosed(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, ENTRY.replace("[referral, plan]", "[referral, consent]")))
    assert "field 'categories': 'consent' cannot be disclosed" in message


def test_overrides_refusal_must_be_true_or_false(tmp_path: Path) -> None:
    message = error_of(
        write(tmp_path, ENTRY.replace("overrides_refusal: false", "overrides_refusal: maybe"))
    )
    assert "field 'overrides_refusal'" in message
    assert "write true or false" in message


def test_misspelt_field_is_refused(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, ENTRY.replace("overrides_refusal:", "overrides_refusals:")))
    assert "field 'overrides_refusals' is not a legal-basis field" in message


def test_entry_that_is_not_a_mapping_is_named(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "legal_bases:\n  - just text\n"))
    assert "legal_bases[0] (id missing): expected a mapping" in message


def test_list_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    assert "must be a list" in error_of(write(tmp_path, "legal_bases: everything\n"))


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    assert "unknown top-level key(s) legal_basis" in error_of(write(tmp_path, "legal_basis: []\n"))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    twice = ENTRY + ENTRY.removeprefix("legal_bases:\n")
    message = error_of(write(tmp_path, twice))
    assert "legal_bases[1] (id 'typ-381-2023'): field 'id'" in message
    assert "already used by legal_bases[0]" in message
