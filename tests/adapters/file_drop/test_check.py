"""check(): what stops the adapter from using its folders, in words."""

from __future__ import annotations

import shutil
from pathlib import Path

from adapters.file_drop import FileDropAdapter, FileDropSettings


async def test_check_finds_nothing_wrong_with_writable_folders(settings: FileDropSettings) -> None:
    assert await FileDropAdapter(settings).check() == []


async def test_check_reports_a_missing_folder_and_the_setting_to_fix(
    settings: FileDropSettings,
) -> None:
    shutil.rmtree(settings.outgoing_folder)

    [problem] = await FileDropAdapter(settings).check()

    assert problem == (
        f"folder {settings.outgoing_folder} does not exist: create it or point the setting "
        "at it (set SAATTAJA_FILE_DROP_OUTGOING_FOLDER)"
    )


async def test_check_reports_a_file_where_a_folder_should_be(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "drop"
    not_a_folder.write_text("")
    settings = FileDropSettings(drop_folder=not_a_folder, outgoing_folder=tmp_path)

    assert await FileDropAdapter(settings).check() == [
        f"{not_a_folder} is not a folder (set SAATTAJA_FILE_DROP_DROP_FOLDER)"
    ]


async def test_check_leaves_no_file_behind(settings: FileDropSettings) -> None:
    await FileDropAdapter(settings).check()
    assert list(settings.drop_folder.iterdir()) == []
