"""Checking the chain: every record in place, unchanged, and the log's end where the head says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from consent.audit.chain import GENESIS_HASH, ChainLink, chain_hash
from consent.errors import AuditChainBrokenError

__all__ = ["ChainAnchor", "ChainProblem", "ChainProblemKind", "ChainWalk", "VerificationResult"]


class ChainProblemKind(StrEnum):
    """What verify found wrong at the first record that does not match."""

    ALTERED = "altered"
    """The record's fields do not give its hash: a value was changed after it was written."""
    DELETED = "deleted"
    """A sequence number is missing: records were removed (in the middle or from the end)."""
    REORDERED = "reordered"
    """The record does not name the one before it as its predecessor: records were moved,
    or one was replaced."""


@dataclass(frozen=True, slots=True)
class ChainAnchor:
    """A record's sequence and hash as an earlier verify printed them, kept outside the database.

    The chain alone cannot show records cut from its end when the chain head is rewound to
    match, nor a chain rewritten from some record on and hashed again: anyone with the
    database can recompute it. A hash kept elsewhere can: the record must still be there
    with that hash, and every record before it unchanged.
    """

    sequence: int
    hash: str

    def __str__(self) -> str:
        return f"{self.sequence}:{self.hash}"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """The first place where the chain breaks."""

    sequence: int
    """The first sequence number that does not match (for DELETED, the first missing one)."""
    kind: ChainProblemKind
    detail: str
    """What was found, in words an auditor can act on."""


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The outcome of verify: how far the chain held, and where it broke if it did."""

    checked: int
    """Records that matched before the first problem (all of them when whole)."""
    last_hash: str
    """Hash of the last record that matched; note it to detect later removal of the end."""
    problem: ChainProblem | None = None
    last_sequence: int | None = None
    """Sequence of the last record that matched (0 for none); ``checked`` when not given,
    as in a chain numbered without gaps."""
    chain: str = "audit chain"
    """What was verified, as the descriptions name it."""

    @property
    def anchor(self) -> ChainAnchor | None:
        """The last record that matched, to note and give back next time; None for none."""
        sequence = self.checked if self.last_sequence is None else self.last_sequence
        return ChainAnchor(sequence, self.last_hash) if sequence else None

    @property
    def ok(self) -> bool:
        """True when every record matched and the log ends where the chain head says."""
        return self.problem is None

    def describe(self) -> str:
        """One line for a person."""
        if self.problem is None:
            return f"{self.chain} whole: {self.checked} record{'' if self.checked == 1 else 's'}"
        before = {
            0: "it is the first record",
            1: "the 1 record before it matches",
        }.get(self.checked, f"the {self.checked} records before it match")
        return (
            f"{self.chain} broken at record {self.problem.sequence} ({self.problem.kind}): "
            f"{self.problem.detail}; {before}"
        )

    def raise_if_broken(self) -> None:
        """Raise AuditChainBrokenError naming the first record that does not match."""
        if self.problem is not None:
            raise AuditChainBrokenError(self.describe())


class ChainWalk:
    """Follows the records in sequence order; stops at the first that does not match.

    Kept apart from the database so that the rules can be read, and tested, on their own.
    A chain is ``numbered`` when its sequences run 1, 2, 3... without a gap, as the audit
    log's do; otherwise (the consent store's, whose older sequences a database may have
    skipped) only the links show a record removed from the middle.
    """

    __slots__ = (
        "_anchors",
        "_chain",
        "_checked",
        "_checked_before",
        "_expected",
        "_found",
        "_last",
        "_numbered",
        "_passing",
        "_previous",
        "_problem",
        "_start",
    )

    def __init__(
        self,
        anchors: Sequence[ChainAnchor] = (),
        *,
        numbered: bool = True,
        chain: str = "audit chain",
        after: ChainAnchor | None = None,
    ) -> None:
        # ``after``: a record checked before (by an earlier walk, or kept outside the
        # database); the walk goes on from it instead of from the start of the chain.
        self._start = 0 if after is None else after.sequence
        self._expected = 1 if after is None else after.sequence + 1
        self._last = 0 if after is None else after.sequence
        self._previous = GENESIS_HASH if after is None else after.hash
        self._checked = 0
        self._problem: ChainProblem | None = None
        self._anchors = {anchor.sequence: anchor for anchor in anchors}
        self._found: set[int] = set()
        # An anchor whose sequence the walk passes without finding it is reported with the
        # records checked before it: the anchors ahead, nearest last, and those counts.
        self._passing = sorted(
            (sequence for sequence in self._anchors if sequence > self._start), reverse=True
        )
        self._checked_before: dict[int, int] = {}
        self._numbered = numbered
        self._chain = chain

    @property
    def broken(self) -> bool:
        """True once a problem was found; later records are not looked at."""
        return self._problem is not None

    def step(self, fields: ChainLink, stored_hash: str) -> bool:
        """Check the next record; False (and the walk stops) when it does not match."""
        if self._problem is not None or not self._in_place(fields):
            return False
        sequence = fields["sequence"]
        if chain_hash(fields) != stored_hash:
            return self._fail(
                sequence,
                ChainProblemKind.ALTERED,
                "its fields do not give its stored hash; a value was changed after it was written",
            )
        anchor = self._anchors.get(sequence)
        if anchor is not None and anchor.hash != stored_hash:
            return self._fail(
                sequence,
                ChainProblemKind.ALTERED,
                f"its hash is not the one noted for it ({anchor}): the chain was written "
                "again up to here and hashed anew, unless the anchor was copied wrong",
            )
        if anchor is not None:
            self._found.add(sequence)
        while self._passing and self._passing[-1] <= sequence:
            passed = self._passing.pop()
            if passed < sequence:
                self._checked_before[passed] = self._checked
        self._previous = stored_hash
        self._last = sequence
        self._expected += 1
        self._checked += 1
        return True

    def unreadable(self, link: ChainLink, columns: Sequence[str]) -> None:
        """Stop at the next record, whose stored ``columns`` cannot be read as their types.

        Only a change behind the store's back leaves such a value (SQLite keeps any text in
        any column), so it is reported as altered, once its place in the chain is checked.
        """
        if self._problem is not None or not self._in_place(link):
            return
        values = f"its {', '.join(columns)}" if columns else "a value of it"
        self._fail(
            link["sequence"],
            ChainProblemKind.ALTERED,
            f"{values} cannot be read as what the column holds (a time, JSON); a value was "
            "changed after it was written",
        )

    def _in_place(self, link: ChainLink) -> bool:
        """False (and the walk stops) when the record does not come next in the chain."""
        sequence = link["sequence"]
        expected = self._expected
        before = f"record {self._last}" if self._last else "the start of the chain"
        if self._numbered and sequence != expected:
            return self._fail(
                expected,
                ChainProblemKind.DELETED,
                f"record {sequence} follows {before}; {_missing(expected, sequence - 1)}",
            )
        if link["previous_hash"] != self._previous:
            how = (
                "records were moved, or one was removed and the rest renumbered"
                if self._numbered
                else "records before it were removed, or records were moved"
            )
            return self._fail(
                sequence,
                ChainProblemKind.REORDERED,
                f"its previous hash is not the hash of {before}; {how}",
            )
        return True

    def finish(self, head_sequence: int, head_hash: str) -> VerificationResult:
        """The result, after the last record, given what the chain head says was appended."""
        walked_to = self._start + self._checked
        if self._problem is None and self._numbered and walked_to != head_sequence:
            self._fail(
                self._expected,
                ChainProblemKind.DELETED,
                f"the chain ends at record {walked_to}, but {head_sequence} "
                f"records were appended; {_missing(self._expected, head_sequence)} from the end",
            )
        elif self._problem is None and self._last != head_sequence:
            self._fail(
                self._last + 1,
                ChainProblemKind.DELETED,
                f"the chain ends at record {self._last}, but record {head_sequence} was "
                "appended last; records were removed from the end",
            )
        elif self._problem is None and self._previous != head_hash:
            self._fail(
                head_sequence,
                ChainProblemKind.ALTERED,
                "it is not the record that was appended last: its hash differs from the "
                "chain head's",
            )
            # The record named was walked, and is not one of those that match before it.
            self._checked -= 1
        lost = [
            anchor
            for anchor in self._anchors.values()
            if anchor.sequence <= head_sequence and anchor.sequence not in self._found
        ]
        if self._problem is None and lost:
            anchor = min(lost, key=lambda anchor: anchor.sequence)
            # Only the records before it: those after were written again when it went.
            self._checked = self._checked_before.get(anchor.sequence, self._checked)
            self._fail(
                anchor.sequence,
                ChainProblemKind.DELETED,
                f"record {anchor.sequence} was noted earlier ({anchor}) but is not in the "
                "chain: it was removed and the chain after it written again, unless the "
                "anchor is not this chain's (copied wrong, or from another database)",
            )
        beyond = [anchor for anchor in self._anchors.values() if anchor.sequence > head_sequence]
        if self._problem is None and beyond:
            anchor = min(beyond, key=lambda anchor: anchor.sequence)
            self._fail(
                head_sequence + 1,
                ChainProblemKind.DELETED,
                f"the chain ends at record {head_sequence}, but record {anchor.sequence} was "
                f"noted earlier ({anchor}): {_missing(head_sequence + 1, anchor.sequence)} "
                "from the end at least, and the chain head was rewound to hide it, unless the "
                "anchor is not this chain's (copied wrong, from another database, or taken "
                "from a topic someone other than the audit stream wrote; `saattaja audit "
                "check-topic` checks the topic on its own)",
            )
        return VerificationResult(
            checked=self._checked,
            last_hash=self._previous,
            problem=self._problem,
            last_sequence=self._last,
            chain=self._chain,
        )

    def _fail(self, sequence: int, kind: ChainProblemKind, detail: str) -> bool:
        self._problem = ChainProblem(sequence, kind, detail)
        return False


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"record {first} is missing"
    return f"records {first}-{last} are missing"
