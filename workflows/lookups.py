"""What a candidacy command's handler may look up: the tree, the roster, the calendar and
today's date. ``Admissions`` provides it; a handler sees only this (no import circle, and
a test can hand in something smaller)."""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.member import MemberState
from domain.organisation import OrganisationState


class Roster(Protocol):
    def official_members(self, branch_id: UUID, day: date) -> list[UUID]:
        """The branch's official members at the end of ``day``."""
        ...


class Lookups(Protocol):
    """The facts outside a candidacy that its rules need."""

    @property
    def calendar(self) -> WorkingCalendar: ...

    @property
    def roster(self) -> Roster: ...

    def today(self) -> date:
        """The current day in Vietnam (from the injected clock)."""
        ...

    def organisation(self, organisation_id: UUID) -> OrganisationState: ...

    def member(self, member_id: UUID) -> MemberState: ...

    def path_on(self, organisation_id: UUID, day: date) -> list[OrganisationState]:
        """The units from the root down to ``organisation_id`` on ``day``."""
        ...

    def grassroots_of(self, branch_id: UUID, day: date) -> UUID | None:
        """The grassroots organisation of a branch on ``day``."""
        ...
