"""Values quoted back in error messages, as far as they cannot be personal data.

A rejection reason travels into logs, dead-letter reasons and notices to the sender, each
read by more people than the event itself. A field that fails its check may hold anything a
sender's system put there by mistake, an identity code and a diagnosis too, so a value is
quoted only when it cannot carry such data; otherwise the message names the field and says
what the value is like.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

__all__ = ["echoed"]

# Digits and dots with at least one dot: a mistyped OID, never a name, an identity code
# (its century sign is a letter or a dash) or a phone number. Longer than the longest OID
# the stores keep (128) helps nobody.
_DOTTED_NUMBER: Final = re.compile(r"[0-9]*\.[0-9.]*")
_LONGEST_QUOTED: Final = 128


def echoed(value: str, *, known: Collection[str] = ()) -> str:
    """``value`` quoted when it is a dotted number or one of ``known`` codes, else described."""
    if value in known or (len(value) <= _LONGEST_QUOTED and _DOTTED_NUMBER.fullmatch(value)):
        return repr(value)
    if not value:
        return "''"
    return f"a value of {len(value)} characters (not shown: it may hold personal data)"
