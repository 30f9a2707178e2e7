"""The adapter's state file carries its layout version; a newer layout is refused, not misread.
A new one is its owner's only."""

from __future__ import annotations

import re
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from adapters.sdk import AdapterConfigurationError
from adapters.sdk.store import LAYOUT_VERSION, AdapterStore


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        return version


def entries(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}


async def test_a_new_state_file_carries_the_layout_version_of_this_code(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"

    await (await AdapterStore.open(state_file)).close()

    assert user_version(state_file) == LAYOUT_VERSION


async def test_a_file_from_before_versions_were_stamped_is_brought_up_to_this_layout(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "state.db"
    await (await AdapterStore.open(state_file)).close()
    with closing(sqlite3.connect(state_file)) as older:
        older.execute("DROP TABLE adapter_retry_requests")
        older.execute("PRAGMA user_version = 0")
        older.commit()

    await (await AdapterStore.open(state_file)).close()

    assert user_version(state_file) == LAYOUT_VERSION
    assert "adapter_retry_requests" in tables(state_file)


async def test_a_file_of_a_newer_layout_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    state_file = tmp_path / "state.db"
    await (await AdapterStore.open(state_file)).close()
    with closing(sqlite3.connect(state_file)) as newer:
        newer.execute(f"PRAGMA user_version = {LAYOUT_VERSION + 1}")
        newer.execute("DROP TABLE adapter_retry_requests")  # a layout this code does not know
        newer.commit()

    with pytest.raises(AdapterConfigurationError, match=f"layout version {LAYOUT_VERSION + 1}"):
        await AdapterStore.open(state_file)

    assert user_version(state_file) == LAYOUT_VERSION + 1
    assert "adapter_retry_requests" not in tables(state_file)


async def test_a_folder_given_as_the_state_file_is_refused_as_a_setting_to_fix(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        AdapterConfigurationError,
        match=re.escape(f"state file {tmp_path} is a folder: set SAATTAJA_ADAPTER_STATE_FILE"),
    ):
        await AdapterStore.open(tmp_path)

    assert entries(tmp_path) == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
async def test_a_new_state_file_and_its_log_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    # It holds the organisation's events about its clients; a umask of 0022 would make it
    # world-readable.
    state_file = tmp_path / "state.db"
    store = await AdapterStore.open(state_file)
    try:
        # The -wal and -shm files exist while a connection is open and has written.
        async with store.transaction("probing"):
            modes = {
                suffix: _mode(state_file.with_name(state_file.name + suffix))
                for suffix in ("", "-wal", "-shm")
            }
    finally:
        await store.close()

    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_state_file_keeps_the_mode_its_operator_gave_it(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "state.db"
    await (await AdapterStore.open(state_file)).close()
    state_file.chmod(0o640)

    await (await AdapterStore.open(state_file)).close()

    assert _mode(state_file) == 0o640
