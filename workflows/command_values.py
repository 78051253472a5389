"""The value objects command bodies are made of (an introducer named, a Youth Union
resolution, a re-admission's facts, a member left out of a vote, a roster override)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.candidacy.state import ExclusionReason
from domain.values import DocumentRef


class ReadmissionFacts(BaseModel):
    """Re-admission: the earlier membership this candidacy follows."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    previous_member_id: UUID
    left_on: date | None = None
    left_reason: str | None = None
    first_admitted_on: date | None = None
    consent_reference: str = Field(min_length=1, max_length=100)
    record_cleared_on: date | None = None


class IntroducerRef(BaseModel):
    """An official member introducing the candidate (3-KNĐ), known to them since a day."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    member_id: UUID
    known_since: date


class Resolution(BaseModel):
    """The Youth Union executive committee's resolution introducing the candidate (4-KNĐ)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    number: str = Field(min_length=1, max_length=80)
    dated: date


class ExcludedMemberRef(BaseModel):
    """An official member of the branch the vote leaves out of its count, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    member_id: UUID
    reason: ExclusionReason


class RosterOverrideIn(BaseModel):
    """Count a vote without the roster (its roster is not loaded yet): why, and on which
    document the count rests. Recorded, shown in the history, listed as a departure."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    document: DocumentRef
