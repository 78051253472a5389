"""``GET /reports/deadline-compliance``: how many steps of a unit's candidacies met the
regulation's working-day limits in a period, which did not, and by how many working days
(``domain.compliance``; the same report as ``ketnap audit compliance``).

The report names candidacies, so it is read like records (admin, board, auditor within
their subtree), not like a figure report; every call is logged as an audit read.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.audit.compliance import compliance_for
from api.audit.trail import audit_read
from api.http.deps import ProjectionsDep
from api.http.downloads import ExportFormat, FormatQuery, download, spreadsheet_responses
from api.http.figures import problem_responses
from api.http.problems import ApiError
from api.http.security import READERS, AdmissionsDep, PrincipalDep, require, require_scope
from api.spreadsheets.export import compliance_export
from domain.compliance import ComplianceReport
from domain.values import Period

router = APIRouter(tags=["reports"])


@router.get(
    "/reports/deadline-compliance",
    response_model=ComplianceReport,
    summary="Deadline compliance of a unit's candidacies in a period",
    description="For the candidacies whose branch lay in the subtree of `organisation_id` on "
    "each step's day: admission decisions within 60 working days of the branch resolution "
    "(plus an extension granted), ceremonies within 30 working days of receiving the "
    "decision, recognition votes within 30 working days after probation ends, recognition "
    "decisions within 30 working days of that vote (plus an extension), each under the rule "
    "set in force on its basis day. A step taken in the period is `met` or `missed`; a step "
    "not taken whose limit fell in the period and had passed by the cut-off (the period's "
    "end, or today) is `overdue`. `working_days_over` counts working days past the limit "
    "(weekends, public holidays and Tết excluded). Reads every candidacy in the store.",
    responses={**problem_responses(400, 401, 403, 404, 422), **spreadsheet_responses()},
    operation_id="get_deadline_compliance",
)
def deadline_compliance(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: ProjectionsDep,
    period: Annotated[
        str, Query(description="A year (`2025`) or a term (`2020-2025`)", examples=["2025"])
    ],
    organisation_id: Annotated[
        UUID | None, Query(description="The subtree's root (default: your unit)")
    ] = None,
    format: FormatQuery = ExportFormat.JSON,
) -> ComplianceReport | Response:
    require(principal, *READERS)
    try:
        wanted = Period.parse(period)
    except ValueError as exc:
        raise ApiError(422, "Invalid request", f"period: {exc}", "invalid_period") from exc
    unit = organisation_id or principal.organisation_id
    if unit is None:
        raise ApiError(
            422,
            "Invalid request",
            "organisation_id: required for a token not tied to a unit",
            "organisation_required",
        )
    admissions.organisation(unit)  # 404 for an unknown unit
    require_scope(admissions, principal, unit)
    audit_read(
        "compliance",
        actor=principal.name,
        role=principal.role.value,
        at=admissions.clock(),
        via="http",
        organisation_id=unit,
        period=wanted.key,
    )
    report = compliance_for(admissions, unit, wanted)
    if not format.spreadsheet:
        return report
    return download(compliance_export(report, projections.reader.tree()), format)
