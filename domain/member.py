"""The roster of existing members: who is official since when, and in which branch.

Introducers and helpers must be official members; imported rosters and candidates who
complete admission both land here.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from domain.events import ChainedState, DomainEvent
from domain.values import NationalId, PartyCardNumber, PlaceText, Sex

MemberStatus = Literal["official", "probationary", "left"]


class MemberState(ChainedState):
    """A party member as the roster knows them. Personal fields are sensitive."""

    full_name: str
    branch_id: UUID
    status: MemberStatus
    admitted_on: date
    official_on: date | None
    sex: Sex
    date_of_birth: date
    ethnicity: str
    religion: str | None = None
    candidacy_id: UUID | None = None
    left_on: date | None = None
    left_reason: str | None = None
    readmitted: bool = False
    # The member this one was re-admitted as (re-admission happens once only).
    readmitted_as: UUID | None = None
    # The party member's record as CSDL đảng viên 3.0 holds it (issue 13), when imported.
    national_id: str | None = None
    party_card_number: str | None = None
    hometown: str | None = None
    birthplace: str | None = None

    def official_on_day(self, day: date) -> date | None:
        """The official date when the member is official on ``day``, else None."""
        if self.official_on is None or self.official_on > day:
            return None
        if self.left_on is not None and self.left_on <= day:
            return None
        return self.official_on


class MemberEvent(DomainEvent):
    """Base of roster events."""


class MemberRegistered(MemberEvent):
    """A member entered in the roster (imported, or from a completed admission)."""

    date_field: ClassVar[str] = "admitted_on"
    full_name: str = Field(min_length=1, max_length=200)
    branch_id: UUID
    status: Literal["official", "probationary"]
    admitted_on: date
    official_on: date | None = None
    sex: Sex
    date_of_birth: date
    ethnicity: str
    religion: str | None = None
    candidacy_id: UUID | None = None
    readmitted: bool = False
    # The day the member joined this branch, when the roster says so (ADR 0012).
    in_branch_since: date | None = None
    # The party member's record (CSDL đảng viên 3.0's fields; issue 13). Sensitive.
    national_id: NationalId | None = None
    party_card_number: PartyCardNumber | None = None
    hometown: PlaceText | None = None
    birthplace: PlaceText | None = None
    added_fields: ClassVar[frozenset[str]] = frozenset(
        {"in_branch_since", "national_id", "party_card_number", "hometown", "birthplace"}
    )

    @model_validator(mode="after")
    def _official_has_date(self) -> MemberRegistered:
        if self.status == "official" and self.official_on is None:
            raise ValueError("official_on is required for an official member")
        if self.official_on is not None and self.official_on < self.admitted_on:
            raise ValueError("official_on cannot precede admitted_on")
        return self

    def evolve(self, state: MemberState | None) -> MemberState:
        return MemberState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            full_name=self.full_name,
            branch_id=self.branch_id,
            status=self.status,
            admitted_on=self.admitted_on,
            official_on=self.official_on,
            sex=self.sex,
            date_of_birth=self.date_of_birth,
            ethnicity=self.ethnicity,
            religion=self.religion,
            candidacy_id=self.candidacy_id,
            readmitted=self.readmitted,
            national_id=self.national_id,
            party_card_number=self.party_card_number,
            hometown=self.hometown,
            birthplace=self.birthplace,
        )


class MemberRecognised(MemberEvent):
    """A probationary member became official (as of the day probation ended)."""

    date_field: ClassVar[str] = "official_on"
    official_on: date

    def evolve(self, state: MemberState) -> MemberState:
        return state.model_copy(update={"status": "official", "official_on": self.official_on})


class MemberTransferred(MemberEvent):
    date_field: ClassVar[str] = "transferred_on"
    branch_id: UUID
    transferred_on: date

    def evolve(self, state: MemberState) -> MemberState:
        return state.model_copy(update={"branch_id": self.branch_id})


class MemberLeft(MemberEvent):
    """The member left the Party (removed, expelled, dropped out, resigned, died)."""

    date_field: ClassVar[str] = "left_on"
    left_on: date
    reason: str = Field(min_length=1, max_length=100)

    def evolve(self, state: MemberState) -> MemberState:
        return state.model_copy(
            update={"status": "left", "left_on": self.left_on, "left_reason": self.reason}
        )


class MemberRecordRestated(MemberEvent):
    """A correction of the candidacy behind this member moved its admission or official
    date; the roster follows (the candidacy's correction carries the reason)."""

    date_field: ClassVar[str] = "restated_on"
    restated_on: date
    admitted_on: date
    official_on: date | None = None

    def evolve(self, state: MemberState) -> MemberState:
        return state.model_copy(
            update={"admitted_on": self.admitted_on, "official_on": self.official_on}
        )


class MemberReadmitted(MemberEvent):
    """A former member was admitted again (as ``readmitted_as``): re-admission is once
    only, so this membership cannot lead to another."""

    date_field: ClassVar[str] = "readmitted_on"
    readmitted_on: date
    readmitted_as: UUID

    def evolve(self, state: MemberState) -> MemberState:
        return state.model_copy(update={"readmitted_as": self.readmitted_as})
