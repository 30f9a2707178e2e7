"""A hand-written YAML configuration file: each way it can be wrong is said in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from consent.configuration import ConfigurationFile, describe_problem


class _ExampleFileError(ValueError):
    """The error the file kind under test raises."""


_FILE = ConfigurationFile(
    name="example file",
    error=_ExampleFileError,
    if_missing="set SAATTAJA_EXAMPLE_FILE",
    if_unreadable=", or point SAATTAJA_EXAMPLE_FILE at another one",
)


def test_a_file_that_is_not_utf_8_is_refused_saying_what_else_to_do(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("nimi: Säätiö".encode("latin-1"))

    with pytest.raises(
        _ExampleFileError, match=r"cannot be read .*UTF-8 text file, or point SAATTAJA_EXAMPLE"
    ):
        _FILE.read(path)


def test_a_missing_file_says_which_setting_names_it(tmp_path: Path) -> None:
    with pytest.raises(
        _ExampleFileError, match=r"example file .*missing\.yaml does not exist: set SAATTAJA"
    ):
        _FILE.read(tmp_path / "missing.yaml")


def test_the_document_is_what_the_yaml_says(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text("entries:\n  - id: a\n", encoding="utf-8")
    assert _FILE.read(path) == {"entries": [{"id": "a"}]}


def test_a_key_given_twice_in_one_mapping_is_refused_naming_the_line_and_the_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("entries:\n  - id: a\n    id: b\n", encoding="utf-8")

    with pytest.raises(
        _ExampleFileError,
        match=r"twice\.yaml is not valid YAML at line 3, column 5: found the key 'id' a second "
        r"time \(first at line 2\)",
    ):
        _FILE.read(path)


def test_a_key_merged_in_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "merged.yaml"
    path.write_text("base: &base {a: 1, b: 2}\nentry:\n  <<: *base\n  b: 3\n", encoding="utf-8")

    assert _FILE.read(path)["entry"] == {"a": 1, "b": 3}


def test_an_error_of_a_hinted_type_carries_its_hint() -> None:
    error = {"loc": ("oid",), "type": "string_type", "msg": "Input should be a valid string"}

    described = describe_problem(
        error, entry="registry", fields="id and oid", type_hints={"string_type": "quote it"}
    )

    assert described == "field 'oid': Input should be a valid string (quote it)"
