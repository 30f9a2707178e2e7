"""Prometheus's own programs, which `make test` unpacks beside the interpreter, and the rules."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Final

import pytest

__all__ = ["ALERTS", "needs", "tool"]

ALERTS: Final = (
    Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "saattaja-alerts.yaml"
)
"""The alerting rules deploy/ ships."""


def tool(name: str) -> str | None:
    """The path of ``prometheus`` or ``promtool``: beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def needs(name: str) -> pytest.MarkDecorator:
    """Skip where the program is missing, except in CI, where the test then fails."""
    return pytest.mark.skipif(
        tool(name) is None and os.environ.get("CI") != "true",
        reason=f"{name} is not installed: `make test` unpacks it from Debian's prometheus package",
    )
