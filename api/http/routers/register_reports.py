"""Reports from the candidacy register: the pipeline, the deadline register and the
certificates about to expire (``api.http.routers.reports`` has the admissions figures and
residential coverage). Deadlines name candidacies, so only admins, boards and auditors
read them.
"""

from __future__ import annotations

from typing import Annotated, Literal

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
from api.http.security import FIGURES, READERS, AdmissionsDep, PrincipalDep, require
from api.reports import register as register_use
from api.reports.common import Pager, every_item
from api.reports.register import (
    DeadlineRow,
    DeadlinesPage,
    ExpiringCertificate,
    ExpiringCertificatesPage,
    PipelineReport,
    StageRow,
)
from api.spreadsheets import export

router = APIRouter(tags=["reports"])
_ERRORS = problem_responses(401, 403, 404, 422)
__all__ = [
    "DeadlineRow",
    "DeadlinesPage",
    "ExpiringCertificate",
    "ExpiringCertificatesPage",
    "PipelineReport",
    "StageRow",
]


def _pager(fmt: ExportFormat, limit: int, cursor: str | None) -> Pager:
    """Every row for a spreadsheet, else the page ``limit`` and ``cursor`` ask for."""
    if fmt.spreadsheet:
        return every_item
    return lambda items, key: paginate(items, key, limit, cursor)


@router.get(
    "/reports/pipeline",
    response_model=PipelineReport,
    summary="Candidates per stage and the median days they have spent in it",
    responses={**_ERRORS, **spreadsheet_responses()},
)
def pipeline(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    format: FormatQuery = ExportFormat.JSON,
) -> PipelineReport | Response:
    """The candidacies whose branch lies in the subtree (as the tree stands today, or on
    `as_of`), counted by their stage."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    report = register_use.pipeline(
        projections, unit, admissions.today(), as_of=as_of, known_at=known_at
    )
    if not format.spreadsheet:
        return report
    return download(export.pipeline_export(report, projections.reader.tree(known_at)), format)


@router.get(
    "/deadlines",
    response_model=DeadlinesPage,
    summary="Open deadlines (due or overdue) of the candidacies in a subtree",
    responses={**_ERRORS, **spreadsheet_responses()},
)
def open_deadlines(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    status: Annotated[Literal["due", "overdue"] | None, Query(description="Only these.")] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    format: FormatQuery = ExportFormat.JSON,
) -> DeadlinesPage | Response:
    """Deadlines derived from each candidacy's facts (decision within 60 working days of the
    branch resolution, ceremony within 30 of receiving the decision, ...), judged today
    or at the end of `as_of`; ordered by due date. Admins, boards and auditors."""
    require(principal, *READERS)
    unit = covered_unit(admissions, principal, organisation_id)
    report = register_use.open_deadlines(
        projections,
        unit,
        admissions.today(),
        status=status,
        as_of=as_of,
        known_at=known_at,
        page=_pager(format, limit, cursor),
    )
    if not format.spreadsheet:
        return report
    tree = projections.reader.tree(known_at)
    return download(export.deadlines_export(report, tree, unit), format)


@router.get(
    "/reports/certificates-expiring",
    response_model=ExpiringCertificatesPage,
    summary="Awareness-class certificates about to expire before the branch vote",
    responses={**_ERRORS, **spreadsheet_responses()},
)
def certificates_expiring(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    within_days: Annotated[int, Query(ge=0, le=3660, description="Horizon in days.")] = 90,
    include_expired: Annotated[bool, Query(description="Also those already expired.")] = True,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    format: FormatQuery = ExportFormat.JSON,
) -> ExpiringCertificatesPage | Response:
    """Candidacies whose certificate (CN-NTVĐ) has not yet served a branch vote and
    expires within `within_days` of today (or of `as_of`), soonest first; expired ones
    too unless `include_expired=false`. Admins, boards and auditors."""
    require(principal, *READERS)
    unit = covered_unit(admissions, principal, organisation_id)
    report = register_use.certificates_expiring(
        projections,
        unit,
        admissions.today(),
        within_days=within_days,
        include_expired=include_expired,
        as_of=as_of,
        known_at=known_at,
        page=_pager(format, limit, cursor),
    )
    if not format.spreadsheet:
        return report
    tree = projections.reader.tree(known_at)
    return download(export.certificates_export(report, tree, unit), format)
