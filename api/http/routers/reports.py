"""The figures boards report: admissions per branch or per unit, residential coverage (the
pipeline and deadlines are in ``api.http.routers.register_reports``).

Every figure counts a fact by its own effective date, for the units on its branch's path on
that date. Figures are readable by every role within its subtree; deadlines name
candidacies, so only admins, boards and auditors read them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.http import examples as ex
from api.http.deps import FiguresDep
from api.http.figures import (
    AsOf,
    BreakdownOut,
    KnownAt,
    OrganisationQuery,
    covered_unit,
    problem_responses,
)
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from api.http.problems import ApiError
from api.http.security import FIGURES, AdmissionsDep, PrincipalDep, require
from projections.coverage import coverage
from projections.figures import UnitFigures
from projections.reports import GroupBy, admissions_report, row_key
from projections.tree import OrganisationTree

router = APIRouter(tags=["reports"])
_ERRORS = problem_responses(401, 403, 404, 422)
_GROUP_BY = "One row per branch, or per unit directly under `organisation_id`."
_UNIT = ex.REPORT_UNIT_ID


class AdmissionsRow(BaseModel):
    """The facts of one unit, counted by their own dates."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "organisation_id": _UNIT,
                "code": "LAT-T-1",
                "name": "Chi bộ thôn Đạ Nghịt",
                "admitted": 3,
                "ceremonies": 3,
                "recognised": 2,
                "removed": 0,
                "rejected": 1,
                "withdrawn": 0,
                "breakdown": {
                    "women": 2,
                    "ethnic_minority": 3,
                    "religious": 1,
                    "youth_union": 2,
                    "aged_30_or_under": 2,
                },
            }
        }
    )

    organisation_id: UUID | None
    code: str | None
    name: str
    admitted: int
    ceremonies: int
    recognised: int
    removed: int
    rejected: int
    withdrawn: int
    breakdown: BreakdownOut


class AdmissionsReportPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    organisation_id: UUID | None
    group_by: GroupBy
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    known_at: datetime | None = None
    total: AdmissionsRow = Field(description="The whole subtree over the same dates.")
    items: list[AdmissionsRow]
    next_cursor: str | None


def _row(tree: OrganisationTree, unit: UnitFigures, day: date, name: str) -> AdmissionsRow:
    unit_id, counts = unit.organisation_id, unit.counts
    code = tree.unit(unit_id).code if unit_id is not None and unit_id in tree else None
    return AdmissionsRow(
        organisation_id=unit_id,
        code=code,
        name=name,
        admitted=counts.admitted,
        ceremonies=counts.ceremonies,
        recognised=counts.recognised,
        removed=counts.removed,
        rejected=counts.rejected,
        withdrawn=counts.withdrawn,
        breakdown=BreakdownOut.of(unit.breakdown),
    )


def _name(tree: OrganisationTree, unit_id: UUID | None, day: date) -> str:
    return "Tổng cộng" if unit_id is None else tree.display_name(unit_id, day)


@router.get(
    "/reports/admissions",
    response_model=AdmissionsReportPage,
    summary="Admissions, ceremonies, recognitions, removals, rejections per branch or unit",
    responses=_ERRORS,
)
def admissions_figures(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    from_: Annotated[date | None, Query(alias="from", description="First day (inclusive).")] = None,
    to: Annotated[date | None, Query(description="Last day (inclusive).")] = None,
    group_by: Annotated[GroupBy, Query(description=_GROUP_BY)] = GroupBy.BRANCH,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AdmissionsReportPage:
    """Facts dated within [from, to], each for the branch the candidacy belonged to that
    day and the units above it then; rows ordered by unit code. Branches and child units
    without facts get zero rows. `as_of` caps `to`."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    end = min(to, as_of) if to and as_of else to or as_of
    if from_ and end and end < from_:
        raise ApiError(422, "Invalid request", "`to` is before `from`", "invalid_input")
    today = admissions.today()
    report, tree = admissions_report(
        projections.reader,
        unit,
        group_by,
        start=from_,
        end=end,
        today=today,
        known_at=known_at,
    )
    rows, next_cursor = paginate(
        report.rows, lambda r: row_key(tree, r.organisation_id), limit, cursor
    )
    day = min(end or today, today)
    items = [_row(tree, r, day, _name(tree, r.organisation_id, day)) for r in rows]
    total = _row(tree, report.total, day, _name(tree, unit, day))
    return AdmissionsReportPage(
        organisation_id=unit,
        group_by=group_by,
        from_=from_,
        to=end,
        known_at=known_at,
        total=total,
        items=items,
        next_cursor=next_cursor,
    )


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


@router.get(
    "/reports/residential-coverage",
    response_model=CoverageReport,
    summary="Residential areas without members or an own branch; branches below 3 members",
    responses=_ERRORS,
)
def residential_coverage(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> CoverageReport:
    """The branches of the subtree on the day (today, or `as_of`) with their members and
    the residential areas they cover; an area counts as without members when no branch
    covering it had one (the roster knows members' branches, not their homes)."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    on = as_of or admissions.today()
    ledger = projections.reader
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
