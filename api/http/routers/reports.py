"""The figures boards report: admissions per branch or per unit, residential coverage (the
pipeline and deadlines are in ``api.http.routers.register_reports``).

Every figure counts a fact by its own effective date, for the units on its branch's path on
that date. Figures are readable by every role within its subtree; deadlines name
candidacies, so only admins, boards and auditors read them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.http.deps import FiguresDep
from api.http.downloads import ExportFormat, FormatQuery, download, spreadsheet_responses
from api.http.figures import (
    AsOf,
    KnownAt,
    OrganisationQuery,
    covered_unit,
    problem_responses,
)
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from api.http.problems import ApiError
from api.http.security import FIGURES, AdmissionsDep, PrincipalDep, require
from api.reports import admissions as admissions_use
from api.reports import coverage as coverage_use
from api.reports.admissions import AdmissionsReportPage, AdmissionsRow
from api.reports.common import Pager, every_item
from api.reports.coverage import BranchCoverageRow, CoverageReport
from api.reports.statistics import NewMemberStatistics, candidacy_states, new_member_statistics
from api.spreadsheets import export
from api.spreadsheets.export_statistics import statistics_export
from projections.reports import GroupBy

router = APIRouter(tags=["reports"])
_ERRORS = problem_responses(401, 403, 404, 422)
_GROUP_BY = "One row per branch, or per unit directly under `organisation_id`."
__all__ = ["AdmissionsReportPage", "AdmissionsRow", "BranchCoverageRow", "CoverageReport"]


@router.get(
    "/reports/admissions",
    response_model=AdmissionsReportPage,
    summary="Admissions, ceremonies, recognitions, removals, rejections per branch or unit",
    responses={**_ERRORS, **spreadsheet_responses()},
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
    format: FormatQuery = ExportFormat.JSON,
) -> AdmissionsReportPage | Response:
    """Facts dated within [from, to], each for the branch the candidacy belonged to that
    day and the units above it then; rows ordered by unit code. Branches and child units
    without facts get zero rows. `as_of` caps `to`."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    end = min(to, as_of) if to and as_of else to or as_of
    if from_ and end and end < from_:
        raise ApiError(422, "Invalid request", "`to` is before `from`", "invalid_input")
    page: Pager = every_item
    if not format.spreadsheet:
        page = lambda items, key: paginate(items, key, limit, cursor)  # noqa: E731
    today = admissions.today()
    report = admissions_use.admissions_figures(
        projections,
        unit,
        today,
        group_by=group_by,
        start=from_,
        end=end,
        known_at=known_at,
        page=page,
    )
    if not format.spreadsheet:
        return report
    tree = projections.reader.tree(known_at)
    return download(export.admissions_export(report, tree, today), format)


@router.get(
    "/reports/residential-coverage",
    response_model=CoverageReport,
    summary="Residential areas without members or an own branch; branches below 3 members",
    responses={**_ERRORS, **spreadsheet_responses()},
)
def residential_coverage(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    format: FormatQuery = ExportFormat.JSON,
) -> CoverageReport | Response:
    """The branches of the subtree on the day (today, or `as_of`) with their members and
    the residential areas they cover; an area counts as without members when no branch
    covering it had one (the roster knows members' branches, not their homes)."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    report = coverage_use.residential_coverage(
        projections, unit, as_of or admissions.today(), known_at
    )
    if not format.spreadsheet:
        return report
    return download(export.coverage_export(report, projections.reader.tree(known_at)), format)


@router.get(
    "/reports/new-members-statistics",
    response_model=NewMemberStatistics,
    summary="The yearly statistics of new members (Hướng dẫn 11-HD/BTCTW's breakdowns)",
    responses={**_ERRORS, **spreadsheet_responses()},
    operation_id="get_new_members_statistics",
)
def new_members_statistics(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    year: Annotated[int, Query(ge=1930, le=9999, description="The calendar year.")],
    organisation_id: OrganisationQuery = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    format: FormatQuery = ExportFormat.JSON,
) -> NewMemberStatistics | Response:
    """The members admitted in `year` (by decision date) in the subtree as it stood on each
    decision's day, with their breakdowns by sex, ethnicity, religion, age band (18–30,
    31–40, 41–50, 51–60, over 60, on the decision date), education and sector; every
    percentage is of the year's total. The total equals `GET /reports/admissions`'s
    `admitted` over the year. Counts only, no person: every role reads it within its
    subtree. Reads every candidacy in the store."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    states = candidacy_states(admissions, as_of, known_at)
    report = new_member_statistics(states, projections, unit, year, as_of=as_of, known_at=known_at)
    if not format.spreadsheet:
        return report
    tree = projections.reader.tree(known_at)
    return download(statistics_export(report, tree), format)
