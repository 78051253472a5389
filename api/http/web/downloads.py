"""The report pages' "Tải xuống Excel / CSV" links: ``/ui/units/{id}/{report}.xlsx|csv``
answers the page's own API operation asked with ``format`` (the same use case, the same
access checks, the same spreadsheet as ``?format=`` on the API), for the session's
principal and the page's as_of / known_at."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.http.downloads import ExportFormat
from api.http.pagination import MAX_LIMIT
from api.http.routers import compliance as compliance_api
from api.http.routers import members as member_api
from api.http.routers import quotas as quota_api
from api.http.routers import register_reports as register_api
from api.http.routers import reports as report_api
from api.http.security import Principal
from api.http.web.base import Board, Picked, When, admissions_of, figures_of, unit_of
from domain.values import Period
from projections.reports import GroupBy

router = APIRouter(prefix="/ui", include_in_schema=False)

Report = Literal[
    "pipeline",
    "deadlines",
    "quota",
    "coverage",
    "certificates",
    "roster",
    "admissions",
    "compliance",
    "statistics",
]


@router.get("/units/{unit_id}/{report}.{fmt}")
def download(
    request: Request,
    unit_id: UUID,
    report: Report,
    fmt: Literal["xlsx", "csv"],
    principal: Board,
    when: When,
    period: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{4})?$")] = None,
) -> Response:
    admissions, figures = admissions_of(request), figures_of(request)
    here = unit_of(request, principal, unit_id, when)
    as_of, known_at, format = when.as_of, when.known_at, ExportFormat(fmt)
    answer: object
    if report == "pipeline":
        answer = register_api.pipeline(
            admissions, principal, figures, unit_id, as_of, known_at, format
        )
    elif report == "deadlines":
        answer = register_api.open_deadlines(
            admissions, principal, figures, unit_id, None, as_of, known_at, MAX_LIMIT, None, format
        )
    elif report == "certificates":
        answer = register_api.certificates_expiring(
            admissions, principal, figures, unit_id, 90, True, as_of, known_at, MAX_LIMIT, None,
            format,
        )  # fmt: skip
    elif report == "coverage":
        answer = report_api.residential_coverage(
            admissions, principal, figures, unit_id, as_of, known_at, format
        )
    elif report in ("quota", "admissions", "compliance", "statistics"):
        wanted = period or str((as_of or admissions.today()).year)
        answer = _for_period(request, principal, unit_id, report, wanted, when, format)
    else:
        is_branch = here.kind.value == "branch"
        answer = member_api.list_members(
            admissions,
            figures,
            principal,
            branch_id=unit_id if is_branch else None,
            organisation_id=None if is_branch else unit_id,
            member_status=None,
            as_of=as_of,
            q=None,
            limit=MAX_LIMIT,
            cursor=None,
            format=format,
        )
    assert isinstance(answer, Response)  # asked with a spreadsheet format
    return answer


def _for_period(
    request: Request,
    principal: Principal,
    unit_id: UUID,
    report: str,
    period: str,
    when: Picked,
    format: ExportFormat,
) -> object:
    """The reports of a period (the quota page's): the quota with its children, the
    admissions by child unit over the period, deadline compliance, and the year's
    statistics of new members (the period's last year)."""
    admissions, figures = admissions_of(request), figures_of(request)
    as_of, known_at = when.as_of, when.known_at
    if report == "quota":
        return quota_api.quota_fulfilment(
            unit_id, period, admissions, principal, figures, as_of, known_at, format
        )
    span = Period.parse(period)
    if report == "admissions":
        return report_api.admissions_figures(
            admissions, principal, figures, unit_id, span.starts_on, span.ends_on, GroupBy.CHILD,
            as_of, known_at, MAX_LIMIT, None, format,
        )  # fmt: skip
    if report == "compliance":
        return compliance_api.deadline_compliance(
            admissions, principal, figures, period, unit_id, format
        )
    return report_api.new_members_statistics(
        admissions, principal, figures, span.ends_on.year, unit_id, as_of, known_at, format
    )
