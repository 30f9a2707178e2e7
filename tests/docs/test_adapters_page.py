"""docs/adapters.md stays true: its reference is generated, its example is the tested file."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, Final

import pytest

from adapters.sdk import AdapterRegistry
from docs.examples.askel_adapter import AskelSettings
from docs.generate_settings_reference import (
    EXAMPLE_FILE,
    PAGE,
    SECTIONS,
    Section,
    main,
    render_page,
    settings_table,
)
from tests.conftest import REPO_ROOT

_EXAMPLE_BLOCK: Final = re.compile(
    r"<!-- example:begin -->\n```python\n(.*?)```\n<!-- example:end -->", re.DOTALL
)


def test_the_page_is_what_the_generator_writes() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert render_page(page) == page, (
        "docs/adapters.md is stale: run python -m docs.generate_settings_reference --write"
    )


def test_the_example_on_the_page_is_the_tested_file_verbatim() -> None:
    [shown] = _EXAMPLE_BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert shown == EXAMPLE_FILE.read_text(encoding="utf-8")


def test_the_worked_example_is_under_100_lines_settings_model_included() -> None:
    assert len(EXAMPLE_FILE.read_text(encoding="utf-8").splitlines()) < 100


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.model)
def test_each_setting_of_each_section_is_on_the_page(section: Section) -> None:
    page = PAGE.read_text(encoding="utf-8")
    module, _, name = section.model.partition(":")
    model = getattr(importlib.import_module(module), name)
    prefix = str(model.model_config.get("env_prefix"))
    fields = section.fields or tuple(model.model_fields)
    missing = [f for f in fields if f"`{prefix}{f}`".upper() not in page]
    assert missing == []


def test_check_exits_1_on_a_stale_page_and_0_once_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "adapters.md"
    page = PAGE.read_text(encoding="utf-8")
    stale.write_text(page.replace("Pause between reads of changes.", "Hand-edited."))
    assert main(["--check", "--page", str(stale)]) == 1
    assert "is stale" in capsys.readouterr().err
    assert main(["--write", "--page", str(stale)]) == 0
    assert main(["--check", "--page", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == page


def test_a_table_shows_variable_default_and_description_of_any_settings_model() -> None:
    rows = settings_table(AskelSettings).splitlines()
    assert rows[0] == "| variable | default | meaning |"
    assert (
        "| `SAATTAJA_ASKEL_URL` | **required** | Base URL of Askel's API, e.g. "
        "https://askel.example/api. |"
    ) in rows
    assert "| `SAATTAJA_ASKEL_POLL_SECONDS` | `10` | Pause between reads of changes. |" in rows


def test_python_m_check_passes_on_the_committed_page() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "docs.generate_settings_reference", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr


_PYPROJECT_BLOCK: Final = re.compile(
    r"<!-- pyproject:begin -->\n```toml\n(.*?)```\n<!-- pyproject:end -->", re.DOTALL
)


def _shown_pyproject() -> dict[str, Any]:
    [shown] = _PYPROJECT_BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    return tomllib.loads(shown)


def test_the_pages_pyproject_has_what_pip_install_needs() -> None:
    pyproject = _shown_pyproject()
    # Without a version setuptools refuses to build: "`project` must contain ['version']".
    assert {"name", "version"} <= pyproject["project"].keys()
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"


def test_the_pages_entry_point_makes_the_example_adapter(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("SAATTAJA_ASKEL_URL", "http://askel.invalid/api")
    # As installed beside the page's pyproject.toml: askel_adapter.py at the top level.
    clean_environment.syspath_prepend(str(EXAMPLE_FILE.parent))
    installed = [
        EntryPoint(name=name, value=value, group=group)
        for group, points in _shown_pyproject()["project"]["entry-points"].items()
        for name, value in points.items()
    ]
    clean_environment.setattr(
        "adapters.sdk.registry.entry_points",
        lambda group: [point for point in installed if point.group == group],
    )

    adapter = AdapterRegistry.from_entry_points().create("askel")

    assert type(adapter).__name__ == "AskelAdapter"
    assert adapter.name == "askel"


_HARNESS_BLOCK: Final = re.compile(
    r"<!-- harness-test:begin -->\n```python\n(.*?)```\n<!-- harness-test:end -->", re.DOTALL
)


def test_the_harness_test_on_the_page_is_the_tested_file_from_its_first_import() -> None:
    [shown] = _HARNESS_BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    tested = (REPO_ROOT / "tests" / "docs" / "test_askel_harness.py").read_text(encoding="utf-8")
    assert shown == tested[tested.index("from datetime import datetime") :]
