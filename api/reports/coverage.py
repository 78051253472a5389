"""Residential-area coverage (``GET /reports/residential-coverage``, its page, its
export): the branches of a subtree on a day, their members and the areas they cover."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.reports.common import Views
from projections.coverage import coverage


class BranchCoverageRow(BaseModel):
    branch_id: UUID
    code: str
    name: str
    official_members: int
    probationary_members: int
    residential_areas: list[str] = Field(description="Codes of the areas it covers that day.")
    shares_branch: bool = Field(description="Covers several areas (chi bộ sinh hoạt ghép).")
    below_minimum: bool = Field(description="Fewer than 3 official members.")


class CoverageReport(BaseModel):
    organisation_id: UUID | None
    on: date
    known_at: datetime | None = None
    branches: int
    residential_areas: int
    areas_without_members: list[str] = Field(
        description="Areas no covering branch had a member for (thôn trắng đảng viên)."
    )
    areas_sharing_a_branch: list[str] = Field(description="Areas without a branch of their own.")
    branches_below_minimum: int = Field(description="Branches with fewer than 3 official members.")
    items: list[BranchCoverageRow]


def residential_coverage(
    views: Views, unit: UUID | None, on: date, known_at: datetime | None = None
) -> CoverageReport:
    """Coverage of ``unit``'s subtree (None: everything) on day ``on``, from what was
    recorded by ``known_at``; the caller has checked access."""
    ledger = views.reader
    result = coverage(ledger.tree(known_at), unit, on, ledger.members_by_branch(on, known_at))
    return CoverageReport(
        organisation_id=unit,
        on=on,
        known_at=known_at,
        branches=len(result.branches),
        residential_areas=result.areas,
        areas_without_members=list(result.areas_without_members),
        areas_sharing_a_branch=list(result.areas_sharing_a_branch),
        branches_below_minimum=len(result.branches_below_minimum),
        items=[
            BranchCoverageRow(
                branch_id=b.branch_id,
                code=b.code,
                name=b.name,
                official_members=b.official_members,
                probationary_members=b.probationary_members,
                residential_areas=list(b.areas),
                shares_branch=b.shares_branch,
                below_minimum=b.below_minimum,
            )
            for b in result.branches
        ],
    )
