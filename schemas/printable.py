"""Text that senders supplied, as a person reads it in a table or a report.

A FHIR string may hold line feeds, carriage returns and tabs (and a Kafka header any
character): printed raw, an identifier holding one would start a line of its own, and
could pass for a line of the report around it.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["printable"]

# Cc control, Cf format, Cs surrogate, Co private use, Cn unassigned; Zl and Zp break lines.
# Other spaces (Zs: a no-break space) print as spaces and are kept.
_ESCAPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: str) -> str:
    """``text`` with what is not printable, and the backslash, escaped as Python writes them.

    Control and format characters (a bidirectional override too) and line and paragraph
    separators become ``\\n``, ``\\x1b``, ``\\u202e``; a backslash becomes two, so that no
    text sent can read as an escape.
    """
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escaped(character) for character in text)


def _escaped(character: str) -> str:
    if character == "\\" or unicodedata.category(character) in _ESCAPED_CATEGORIES:
        return character.encode("unicode_escape").decode("ascii")
    return character
