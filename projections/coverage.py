"""Residential-area coverage and branch strength (domain.md, "The organisation tree").

Boards report, for a unit's subtree on a day:

- areas with no party member ("thôn, tổ dân phố chưa có đảng viên"): the roster records
  each member's branch, not where they live, so an area counts as having no member when
  no branch covering it had a member (official or probationary) that day;
- areas without a branch of their own ("chi bộ sinh hoạt ghép"): areas whose branch
  covers more than one area that day;
- branches below the three official members a branch needs.

Everything is read from the persisted ledger (the tree from its organisation events, the
roster from its member spans), so ``as_of`` and ``known_at`` need no replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from projections.tree import OrganisationTree

MIN_OFFICIAL_MEMBERS = 3

__all__ = ["MIN_OFFICIAL_MEMBERS", "BranchCoverage", "Coverage", "coverage"]


@dataclass(frozen=True, slots=True)
class BranchCoverage:
    branch_id: UUID
    code: str
    name: str
    official_members: int
    probationary_members: int
    areas: tuple[str, ...]  # area codes covered that day

    @property
    def shares_branch(self) -> bool:
        """One branch for several areas (chi bộ sinh hoạt ghép)."""
        return len(self.areas) > 1

    @property
    def below_minimum(self) -> bool:
        return self.official_members < MIN_OFFICIAL_MEMBERS


@dataclass(frozen=True, slots=True)
class Coverage:
    organisation_id: UUID | None
    on: date
    branches: tuple[BranchCoverage, ...]

    @property
    def areas(self) -> int:
        return len({a for b in self.branches for a in b.areas})

    @property
    def areas_without_members(self) -> tuple[str, ...]:
        with_members = {
            a for b in self.branches if b.official_members + b.probationary_members for a in b.areas
        }
        return tuple(sorted({a for b in self.branches for a in b.areas} - with_members))

    @property
    def areas_sharing_a_branch(self) -> tuple[str, ...]:
        return tuple(sorted({a for b in self.branches if b.shares_branch for a in b.areas}))

    @property
    def branches_below_minimum(self) -> tuple[UUID, ...]:
        return tuple(b.branch_id for b in self.branches if b.below_minimum)


def coverage(
    tree: OrganisationTree,
    organisation_id: UUID | None,
    day: date,
    members: dict[UUID, tuple[int, int]],
) -> Coverage:
    """The branches in the subtree on ``day`` with their members and areas that day."""
    rows = []
    for unit in tree.units():
        if not unit.kind.is_branch or not unit.exists_on(day):
            continue
        if not tree.within(unit.id, organisation_id, day):
            continue
        official, probationary = members.get(unit.id, (0, 0))
        areas = tuple(sorted(a.code for a in unit.areas if a.since <= day))
        rows.append(
            BranchCoverage(unit.id, unit.code, unit.name_on(day), official, probationary, areas)
        )
    rows.sort(key=lambda b: (b.code, str(b.branch_id)))
    return Coverage(organisation_id, day, tuple(rows))
