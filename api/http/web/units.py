"""The pages of a unit: the tree, pipeline, deadlines, quota, coverage, certificates,
roster, candidacies; search across the subtree."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.audit.refusals import refusal_detail
from api.http.problems import ApiError
from api.http.routers import candidacies as candidacy_api
from api.http.routers import members as member_api
from api.http.routers import organisations as organisation_api
from api.http.routers import quotas as quota_api
from api.http.routers import register_reports as register_api
from api.http.routers import reports as report_api
from api.http.security import (
    WRITERS,
    Principal,
)
from api.http.web import forms
from api.http.web.base import (
    Board,
    Picked,
    When,
    admissions_of,
    answer,
    check_csrf,
    figures_of,
    in_thread,
    page,
    path_of,
    read_posted,
    request_id_of,
    unit_of,
    words_for,
)
from api.reports.forecast import QuotaForecast
from api.reports.quotas import QuotaFulfilment
from domain.candidacy.state import Stage
from domain.errors import DomainError, NotFound
from workflows import commands as c

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/units", response_class=HTMLResponse)
def roots(request: Request, principal: Board, when: When) -> Response:
    admissions = admissions_of(request)
    units = organisation_api.list_organisations(
        admissions, figures_of(request), principal, as_of=when.as_of, limit=500, cursor=None
    ).items
    return page(request, "tree.html", unit=None, path=[], children=units, when=when)


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    admissions = admissions_of(request)
    here = organisation_api.get_organisation(unit_id, admissions, principal, as_of=when.as_of)
    children = organisation_api.list_organisations(
        admissions,
        figures_of(request),
        principal,
        parent_id=unit_id,
        as_of=when.as_of,
        limit=500,
        cursor=None,
    ).items
    return page(
        request, "tree.html", unit=here, path=path_of(request, here), children=children, when=when
    )


@router.get("/units/{unit_id}/pipeline", response_class=HTMLResponse)
def pipeline(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    admissions, figures = admissions_of(request), figures_of(request)
    here = unit_of(request, principal, unit_id, when)
    report = answer(
        register_api.pipeline(
            admissions, principal, figures, unit_id, as_of=when.as_of, known_at=when.known_at
        )
    )
    overdue = {
        row.candidacy_id
        for row in answer(
            register_api.open_deadlines(
                admissions,
                principal,
                figures,
                unit_id,
                status="overdue",
                as_of=when.as_of,
                known_at=when.known_at,
                limit=500,
                cursor=None,
            )
        ).items
    }
    cards = candidacy_api.list_candidacies(
        admissions, principal, figures, unit_id, as_of=when.as_of, limit=500, cursor=None
    ).items
    on = when.as_of or admissions.today()
    # In-stage-since days from the register (the pipeline report's own spans), so no
    # candidacy is folded a second time for its card.
    since_of = {s.candidacy_id: s.since for s in figures.register.standings(on, when.known_at)}
    columns: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        if card.stage.terminal:
            continue
        since = since_of.get(card.id, card.nominated_on)
        columns.setdefault(card.stage.value, []).append(
            {
                "id": card.id,
                "name": card.full_name or str(card.id)[:8],
                "days": (on - since).days,
                "overdue": card.id in overdue,
            }
        )
    order = [s.value for s in Stage if not s.terminal]
    return page(
        request,
        "pipeline.html",
        unit=here,
        path=path_of(request, here),
        report=report,
        columns=[(s, columns.get(s, [])) for s in order],
        when=when,
    )


@router.get("/units/{unit_id}/deadlines", response_class=HTMLResponse)
def deadlines(
    request: Request,
    unit_id: UUID,
    principal: Board,
    when: When,
    within: Annotated[int, Query(ge=0, le=365)] = 5,
) -> Response:
    admissions, figures = admissions_of(request), figures_of(request)
    here = unit_of(request, principal, unit_id, when)
    on = when.as_of or admissions.today()
    rows = []
    for row in answer(
        register_api.open_deadlines(
            admissions,
            principal,
            figures,
            unit_id,
            as_of=when.as_of,
            known_at=when.known_at,
            limit=500,
            cursor=None,
        )
    ).items:
        left = admissions.calendar.working_days_between(on, row.due_on)
        if row.status != "overdue" and left > within:
            continue
        state = admissions.candidacy(row.candidacy_id)
        rows.append(
            {
                "row": row,
                "left": left,
                "name": state.person.full_name,
                "branch": admissions.organisation(row.branch_id).name_on(on),
            }
        )
    return page(
        request,
        "deadlines.html",
        unit=here,
        path=path_of(request, here),
        rows=rows,
        within=within,
        on=on,
        when=when,
    )


@router.get("/units/{unit_id}/quota", response_class=HTMLResponse)
def quota(
    request: Request,
    unit_id: UUID,
    principal: Board,
    when: When,
    period: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{4})?$")] = None,
) -> Response:
    admissions = admissions_of(request)
    here = unit_of(request, principal, unit_id, when)
    period = period or str((when.as_of or admissions.today()).year)
    report: QuotaFulfilment | None
    forecast: QuotaForecast | None
    try:
        report = answer(
            quota_api.quota_fulfilment(
                unit_id,
                period,
                admissions,
                principal,
                figures_of(request),
                as_of=when.as_of,
                known_at=when.known_at,
            )
        )
        forecast = quota_api.quota_forecast(
            unit_id,
            period,
            admissions,
            principal,
            figures_of(request),
            as_of=when.as_of,
            known_at=when.known_at,
        )
    except (ApiError, NotFound) as exc:
        if isinstance(exc, ApiError) and exc.status != 404:
            raise
        report = forecast = None
    on = when.as_of or admissions.today()
    deciding = [
        {
            "row": row,
            "name": admissions.candidacy(row.candidacy_id).person.full_name,
            "branch": admissions.organisation(row.branch_id).name_on(on),
        }
        for row in ((forecast.deciding or []) if forecast else [])
    ]
    return page(
        request,
        "quota.html",
        unit=here,
        path=path_of(request, here),
        report=report,
        forecast=forecast,
        deciding=deciding,
        period=period,
        when=when,
    )


@router.get("/units/{unit_id}/coverage", response_class=HTMLResponse)
def coverage(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    here = unit_of(request, principal, unit_id, when)
    report = answer(
        report_api.residential_coverage(
            admissions_of(request),
            principal,
            figures_of(request),
            unit_id,
            as_of=when.as_of,
            known_at=when.known_at,
        )
    )
    return page(
        request, "coverage.html", unit=here, path=path_of(request, here), report=report, when=when
    )


@router.get("/units/{unit_id}/certificates", response_class=HTMLResponse)
def certificates(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    admissions = admissions_of(request)
    here = unit_of(request, principal, unit_id, when)
    report = answer(
        register_api.certificates_expiring(
            admissions,
            principal,
            figures_of(request),
            unit_id,
            within_days=90,
            include_expired=True,
            as_of=when.as_of,
            known_at=when.known_at,
            limit=500,
            cursor=None,
        )
    )
    names = {
        i.candidacy_id: admissions.candidacy(i.candidacy_id).person.full_name for i in report.items
    }
    return page(
        request,
        "certificates.html",
        unit=here,
        path=path_of(request, here),
        report=report,
        names=names,
        when=when,
    )


# --- the roster ----------------------------------------------------------------------------


def _roster(
    request: Request,
    principal: Principal,
    unit_id: UUID,
    when: Picked,
    q: str | None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    notice: str = "",
) -> HTMLResponse:
    admissions = admissions_of(request)
    here = unit_of(request, principal, unit_id, when)
    is_branch = here.kind.value == "branch"
    found = answer(
        member_api.list_members(
            admissions,
            figures_of(request),
            principal,
            branch_id=unit_id if is_branch else None,
            organisation_id=None if is_branch else unit_id,
            member_status=None,
            as_of=when.as_of,
            q=q or None,
            limit=500,
            cursor=None,
        )
    ).items
    t = words_for(request)
    form = None
    if is_branch and principal.role in WRITERS:
        form = forms.build(c.RegisterMember, t, values, errors)
        form = [f for f in form if f.name != "branch_id"]
    return page(
        request,
        "roster.html",
        status,
        unit=here,
        path=path_of(request, here),
        members=found,
        q=q or "",
        form=form,
        errors=errors or {},
        notice=notice,
        when=when,
    )


@router.get("/units/{unit_id}/roster", response_class=HTMLResponse)
def roster(
    request: Request,
    unit_id: UUID,
    principal: Board,
    when: When,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    return _roster(request, principal, unit_id, when, q)


@router.post("/units/{unit_id}/roster", response_class=HTMLResponse)
async def add_member(request: Request, unit_id: UUID, principal: Board) -> Response:
    posted = await read_posted(request)
    return await in_thread(_add_member, request, unit_id, principal, posted)


def _add_member(
    request: Request, unit_id: UUID, principal: Principal, posted: dict[str, str]
) -> Response:
    check_csrf(request, posted.pop("csrf", None))
    t = words_for(request)
    when = Picked(None, None)
    try:
        body = forms.read(c.RegisterMember, {**posted, "branch_id": str(unit_id)}, t)
        member_api.register_member(
            body,
            Response(),
            admissions_of(request),
            principal,
            principal.actor(request_id_of(request)),
        )
    except forms.FormErrors as exc:
        return _roster(request, principal, unit_id, when, None, posted, exc.errors, 422)
    except DomainError as exc:
        errors = {"": refusal_detail(exc, t.language)}
        return _roster(request, principal, unit_id, when, None, posted, errors, 409)
    return _roster(request, principal, unit_id, when, None, notice=t("recorded"))


# --- candidacies ---------------------------------------------------------------------------


@router.get("/units/{unit_id}/candidacies", response_class=HTMLResponse)
def unit_candidacies(
    request: Request,
    unit_id: UUID,
    principal: Board,
    when: When,
    stage: Stage | None = None,
) -> Response:
    here = unit_of(request, principal, unit_id, when)
    found = candidacy_api.list_candidacies(
        admissions_of(request),
        principal,
        figures_of(request),
        unit_id,
        stage=stage,
        as_of=when.as_of,
        limit=500,
        cursor=None,
    ).items
    return page(
        request,
        "candidacies.html",
        unit=here,
        path=path_of(request, here),
        found=found,
        stage=stage.value if stage else "",
        when=when,
    )


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    principal: Board,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    found: list[Any] = []
    members: list[Any] = []
    if q.strip():
        found = candidacy_api.list_candidacies(
            admissions_of(request),
            principal,
            figures_of(request),
            q=q.strip(),
            limit=100,
            cursor=None,
        ).items
        if not q.strip().isdigit():
            members = answer(
                member_api.list_members(
                    admissions_of(request),
                    figures_of(request),
                    principal,
                    branch_id=None,
                    organisation_id=None,
                    member_status=None,
                    as_of=None,
                    q=q.strip(),
                    limit=100,
                    cursor=None,
                )
            ).items
    template = "search_results.html" if request.headers.get("HX-Request") else "search.html"
    return page(request, template, q=q, found=found, members=members)
