"""Errors of the file-drop adapter.

SaattajaAdapterError (adapters.sdk)
└── FileDropError
    ├── FolderError (OSError-like: a folder is missing or cannot be written)
    └── OutgoingWriteError (a received event could not be written; the SDK retries it)
"""

from __future__ import annotations

from adapters.sdk import SaattajaAdapterError

__all__ = ["FileDropError", "FolderError", "OutgoingWriteError"]


class FileDropError(SaattajaAdapterError):
    """Root of the file-drop adapter's errors."""


class FolderError(FileDropError, RuntimeError):
    """The drop folder or the outgoing folder is missing or cannot be written."""


class OutgoingWriteError(FileDropError, RuntimeError):
    """A received event or notice could not be written to the outgoing folder."""
