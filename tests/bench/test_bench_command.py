"""`python -m bench`: a mistyped argument costs no run."""

from __future__ import annotations

import pytest

from bench.__main__ import main


def test_an_argument_it_does_not_take_prints_the_usage_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--events", "100"])
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("usage: python -m bench")
    assert "machine speed" not in captured.out


def test_help_says_what_a_run_does_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    assert "codec and router benchmarks" in capsys.readouterr().out
