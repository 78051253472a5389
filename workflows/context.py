"""Who is asking, and the clock: the context every command runs in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real clock (UTC). Only the composition root hands this in; tests use fixed clocks."""
    return datetime.now(UTC)


class Actor(BaseModel):
    """The person or system recording a command, in which role and unit, for which request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=40)
    unit_id: UUID | None = None
    request_id: str = Field(min_length=1, max_length=200)
