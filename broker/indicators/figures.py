"""The figures an indicator shows: a value, or the mark that it was suppressed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Count", "Measure"]


_SUPPRESSED = "True when the figure rests on too few clients to be shown; its value is then None."


class Count(BaseModel):
    """A number of referrals, clients, hints or episodes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int | None
    suppressed: bool = Field(default=False, description=_SUPPRESSED)


class Measure(BaseModel):
    """A derived figure (a rate, hours, a percentile); None when there is nothing to derive from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | None
    suppressed: bool = Field(default=False, description=_SUPPRESSED)
