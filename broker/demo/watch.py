"""After the journey: the decisions the router makes on records people feed by hand."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from broker.demo.stack import DemoStack
from consent.audit import AuditFilter, AuditRecord

__all__ = ["DecisionWatch"]


class DecisionWatch:
    """Reads the audit log from where it last stopped; the new decisions grouped per event."""

    def __init__(self, stack: DemoStack) -> None:
        self._stack = stack
        self._after = 0

    async def skip_seen(self) -> None:
        """Start after the last decision now on record (the journey's)."""
        await self.new_decisions()

    async def new_decisions(self) -> list[Sequence[AuditRecord]]:
        """Decisions appended since the previous call, one list per event, in log order."""
        audit = self._stack.audit
        assert audit is not None  # noqa: S101 - set by stack.start()
        by_event: dict[uuid.UUID, list[AuditRecord]] = {}
        # The log is append-only and sequences grow: everything after the last one seen is new.
        async for record in audit.query(AuditFilter()):
            if record.sequence > self._after:
                by_event.setdefault(record.event_id, []).append(record)
                self._after = record.sequence
        return list(by_event.values())
