"""Text senders supplied, shown to a person: nothing in it can break or fake a line."""

from __future__ import annotations

import pytest

from schemas import printable


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ('A;B,"ö"\nx', 'A;B,"ö"\\nx'),
        ("tab\there\r", "tab\\there\\r"),
        ("\x1b[2Kred", "\\x1b[2Kred"),
        ("right\u202eto left", "right\\u202eto left"),
        ("one\u2028two\x85three", "one\\u2028two\\x85three"),
    ],
    ids=["line feed", "tab and carriage return", "terminal escape", "bidi override", "breaks"],
)
def test_characters_that_do_not_print_are_escaped(sent: str, shown: str) -> None:
    assert printable(sent) == shown


def test_a_backslash_is_doubled_so_that_no_text_reads_as_an_escape() -> None:
    assert printable("A\\nx") == "A\\\\nx"


def test_printable_text_is_kept_as_it_is() -> None:
    text = "Kelan päätös 2025/ÅÄÖ\u00a0§ 12 \u2013 \u201cok\u201d"  # no-break space, dash

    assert printable(text) == text
