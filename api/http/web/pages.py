"""The board's web app: server-rendered pages under ``/ui`` (Jinja2, htmx for the partial
updates), served by ``ketnap serve`` itself.

Every page calls the same use case as the API operation it shows (the router functions of
``api.http.routers``, with the signed-in principal), so roles, subtree scope, ``as_of`` and
``known_at`` mean exactly what they mean in the API, and a refusal is the API's refusal in
the reader's language. No page has logic of its own beyond laying the answer out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.audit.refusals import refusal_detail
from api.http.deps import get_settled
from api.http.figures import Instant
from api.http.problems import ApiError
from api.http.routers import audit as audit_api
from api.http.routers import candidacies as candidacy_api
from api.http.routers import members as member_api
from api.http.routers import organisations as organisation_api
from api.http.routers import quotas as quota_api
from api.http.routers import register_reports as register_api
from api.http.routers import reports as report_api
from api.http.security import (
    WRITERS,
    Principal,
    client_address,
    principal_for,
)
from api.http.web import forms
from api.http.web.i18n import VI, Words, day
from api.http.web.session import (
    COOKIE,
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    Sealer,
    Session,
    new_session,
    same,
    set_cookie,
)
from domain.candidacy.state import Stage
from domain.errors import DomainError, NotFound
from projections.live import ReadSide
from workflows import commands as c
from workflows.application import Admissions, VersionMismatch
from workflows.handlers import commands_open_in

log = structlog.get_logger("ketnap.web")
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["day"] = day
templates.env.globals["quote"] = quote

router = APIRouter(prefix="/ui", include_in_schema=False)

# --- who is signed in ----------------------------------------------------------------------


class SignInNeeded(Exception):
    """No valid session: go to the sign-in page, then back to ``next``."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(next_path)
        self.next_path, self.reason = next_path, reason


def _admissions(request: Request) -> Admissions:
    admissions: Admissions = request.app.state.admissions
    return admissions


def _sealer(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.web_sealer
    return sealer


def words_for(request: Request) -> Words:
    return Words(request.cookies.get(LANGUAGE_COOKIE, VI))


def signed_in(request: Request) -> Principal:
    """The principal of the session's token, authenticated again now as the API does (a
    revoked or expired token ends the session at once); else ``SignInNeeded``."""
    session = _sealer(request).open(request.cookies.get(COOKIE))
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None:
        raise SignInNeeded(here)
    try:
        principal = principal_for(
            session.token,
            client_address(request),
            request.app.state.settings,
            _admissions(request),
            request.app.state.auth_limit,
        )
    except ApiError as exc:
        if exc.status == 401:
            raise SignInNeeded(here, "session_ended") from exc
        raise
    structlog.contextvars.bind_contextvars(actor=principal.name, role=principal.role.value)
    request.state.session = session
    request.state.principal = principal
    return principal


Board = Annotated[Principal, Depends(signed_in)]


def _session(request: Request) -> Session:
    session: Session = request.state.session
    return session


def check_csrf(request: Request, csrf: str | None) -> None:
    if not same(csrf, _session(request).csrf):
        raise ApiError(403, "Forbidden", "the form's CSRF token is missing or wrong", "csrf")


# --- rendering -----------------------------------------------------------------------------


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with what every page needs."""
    t = words_for(request)
    session: Session | None = getattr(request.state, "session", None)
    principal: Principal | None = getattr(request.state, "principal", None)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": t.language,
            "principal": principal,
            "csrf": session.csrf if session else "",
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            "home": _home(principal),
            **context,
        },
        status_code=status,
    )
    response.headers["Content-Language"] = t.language
    response.headers["Cache-Control"] = "no-store"
    return response


def _home(principal: Principal | None) -> str:
    if principal is not None and principal.organisation_id is not None:
        return f"/ui/units/{principal.organisation_id}"
    return "/ui/units"


def _figures(request: Request) -> ReadSide:
    return get_settled(request)


def _query(**params: Any) -> str:
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


# --- sign in and out, language -------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def start(request: Request, principal: Board) -> Response:
    return RedirectResponse(_home(principal), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/ui/", reason: str = "") -> Response:
    nonce = __import__("secrets").token_urlsafe(24)
    response = page(request, "login.html", login_csrf=nonce, next=_safe_next(next), reason=reason)
    set_cookie(response, LOGIN_COOKIE, nonce, 600, secure=_secure(request))
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    t = words_for(request)
    if not same(csrf, request.cookies.get(LOGIN_COOKIE)):
        return _login_again(request, next, t("bad_form"), 403)
    settings = request.app.state.settings
    try:
        principal = principal_for(
            token.strip(),
            client_address(request),
            settings,
            _admissions(request),
            request.app.state.auth_limit,
        )
    except ApiError as exc:
        message = exc.detail
        if t.language == VI:
            message = {401: "Mã truy cập không đúng, đã bị thu hồi hoặc đã hết hạn."}.get(
                exc.status, "Đăng nhập sai quá nhiều lần: thử lại sau ít phút."
            )
        response = _login_again(request, next, message, exc.status)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
    log.info("web.signed_in", actor=principal.name, role=principal.role.value)
    session = new_session(token.strip(), settings.session_hours)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    max_age = settings.session_hours * 3600
    set_cookie(redirect, COOKIE, _sealer(request).seal(session), max_age, secure=_secure(request))
    redirect.delete_cookie(LOGIN_COOKIE, path="/ui")
    return redirect


def _login_again(request: Request, next: str, error: str, status: int) -> HTMLResponse:
    nonce = __import__("secrets").token_urlsafe(24)
    response = page(
        request, "login.html", status, login_csrf=nonce, next=_safe_next(next), error=error
    )
    set_cookie(response, LOGIN_COOKIE, nonce, 600, secure=_secure(request))
    return response


@router.post("/logout")
def logout(
    request: Request, principal: Board, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/language/{language}")
def switch_language(language: str, next: str = "/ui/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if language in ("vi", "en"):
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/ui", samesite="strict"
        )
    return response


def _safe_next(path: str) -> str:
    """Only a path of the web app itself (no open redirect)."""
    return path if path.startswith("/ui/") and not path.startswith("//") else "/ui/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


# --- the tree and a unit -------------------------------------------------------------------


@dataclass(frozen=True)
class Picked:
    """The day and instant a page is shown for (None: today, everything recorded)."""

    as_of: date | None
    known_at: datetime | None

    def query(self, **more: Any) -> str:
        known = self.known_at.isoformat() if self.known_at else None
        return _query(as_of=self.as_of, known_at=known, **more)


def picked(
    as_of: Annotated[date | None, Query()] = None,
    known_at: Annotated[Instant | None, Query()] = None,
) -> Picked:
    return Picked(as_of, known_at)


When = Annotated[Picked, Depends(picked)]


@router.get("/units", response_class=HTMLResponse)
def roots(request: Request, principal: Board, when: When) -> Response:
    admissions = _admissions(request)
    units = organisation_api.list_organisations(
        admissions, _figures(request), principal, as_of=when.as_of, limit=500, cursor=None
    ).items
    return page(request, "tree.html", unit=None, path=[], children=units, when=when)


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    admissions = _admissions(request)
    here = organisation_api.get_organisation(unit_id, admissions, principal, as_of=when.as_of)
    children = organisation_api.list_organisations(
        admissions,
        _figures(request),
        principal,
        parent_id=unit_id,
        as_of=when.as_of,
        limit=500,
        cursor=None,
    ).items
    return page(
        request, "tree.html", unit=here, path=_path(request, here), children=children, when=when
    )


def _path(request: Request, unit: Any) -> list[tuple[UUID, str]]:
    admissions = _admissions(request)
    on = unit.as_of
    return [(i, admissions.organisation(i).name_on(on)) for i in unit.path]


def _unit(request: Request, principal: Principal, unit_id: UUID, when: Picked) -> Any:
    return organisation_api.get_organisation(
        unit_id, _admissions(request), principal, as_of=when.as_of
    )


@router.get("/units/{unit_id}/pipeline", response_class=HTMLResponse)
def pipeline(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    admissions, figures = _admissions(request), _figures(request)
    here = _unit(request, principal, unit_id, when)
    report = register_api.pipeline(
        admissions, principal, figures, unit_id, as_of=when.as_of, known_at=when.known_at
    )
    overdue = {
        row.candidacy_id
        for row in register_api.open_deadlines(
            admissions,
            principal,
            figures,
            unit_id,
            status="overdue",
            as_of=when.as_of,
            known_at=when.known_at,
            limit=500,
            cursor=None,
        ).items
    }
    cards = candidacy_api.list_candidacies(
        admissions, principal, figures, unit_id, as_of=when.as_of, limit=500, cursor=None
    ).items
    on = when.as_of or admissions.today()
    columns: dict[str, list[dict[str, Any]]] = {}
    for card in cards:
        if card.stage.terminal:
            continue
        state = admissions.candidacy(card.id)
        since = max(
            (e.effective_on for e in state.history if e.effective_on <= on),
            default=card.nominated_on,
        )
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
        path=_path(request, here),
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
    admissions, figures = _admissions(request), _figures(request)
    here = _unit(request, principal, unit_id, when)
    on = when.as_of or admissions.today()
    rows = []
    for row in register_api.open_deadlines(
        admissions,
        principal,
        figures,
        unit_id,
        as_of=when.as_of,
        known_at=when.known_at,
        limit=500,
        cursor=None,
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
        path=_path(request, here),
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
    admissions = _admissions(request)
    here = _unit(request, principal, unit_id, when)
    period = period or str((when.as_of or admissions.today()).year)
    try:
        report = quota_api.quota_fulfilment(
            unit_id,
            period,
            admissions,
            principal,
            _figures(request),
            as_of=when.as_of,
            known_at=when.known_at,
        )
    except (ApiError, NotFound) as exc:
        if isinstance(exc, ApiError) and exc.status != 404:
            raise
        report = None
    return page(
        request,
        "quota.html",
        unit=here,
        path=_path(request, here),
        report=report,
        period=period,
        when=when,
    )


@router.get("/units/{unit_id}/coverage", response_class=HTMLResponse)
def coverage(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    here = _unit(request, principal, unit_id, when)
    report = report_api.residential_coverage(
        _admissions(request),
        principal,
        _figures(request),
        unit_id,
        as_of=when.as_of,
        known_at=when.known_at,
    )
    return page(
        request, "coverage.html", unit=here, path=_path(request, here), report=report, when=when
    )


@router.get("/units/{unit_id}/certificates", response_class=HTMLResponse)
def certificates(request: Request, unit_id: UUID, principal: Board, when: When) -> Response:
    admissions = _admissions(request)
    here = _unit(request, principal, unit_id, when)
    report = register_api.certificates_expiring(
        admissions,
        principal,
        _figures(request),
        unit_id,
        within_days=90,
        include_expired=True,
        as_of=when.as_of,
        known_at=when.known_at,
        limit=500,
        cursor=None,
    )
    names = {
        i.candidacy_id: admissions.candidacy(i.candidacy_id).person.full_name for i in report.items
    }
    return page(
        request,
        "certificates.html",
        unit=here,
        path=_path(request, here),
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
    admissions = _admissions(request)
    here = _unit(request, principal, unit_id, when)
    is_branch = here.kind.value == "branch"
    found = member_api.list_members(
        admissions,
        _figures(request),
        principal,
        branch_id=unit_id if is_branch else None,
        organisation_id=None if is_branch else unit_id,
        member_status=None,
        as_of=when.as_of,
        q=q or None,
        limit=500,
        cursor=None,
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
        path=_path(request, here),
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
    posted = await _posted(request)
    return await _in_thread(_add_member, request, unit_id, principal, posted)


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
            _admissions(request),
            principal,
            principal.actor(_request_id(request)),
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
    here = _unit(request, principal, unit_id, when)
    found = candidacy_api.list_candidacies(
        _admissions(request),
        principal,
        _figures(request),
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
        path=_path(request, here),
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
            _admissions(request), principal, _figures(request), q=q.strip(), limit=100, cursor=None
        ).items
        if not q.strip().isdigit():
            members = member_api.list_members(
                _admissions(request),
                _figures(request),
                principal,
                branch_id=None,
                organisation_id=None,
                member_status=None,
                as_of=None,
                q=q.strip(),
                limit=100,
                cursor=None,
            ).items
    template = "search_results.html" if request.headers.get("HX-Request") else "search.html"
    return page(request, template, q=q, found=found, members=members)


def _candidacy(
    request: Request,
    principal: Principal,
    candidacy_id: UUID,
    when: Picked,
    *,
    open_form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    notice: str = "",
) -> HTMLResponse:
    admissions = _admissions(request)
    t = words_for(request)
    view = candidacy_api.get_candidacy(
        candidacy_id, Response(), admissions, principal, as_of=when.as_of, known_at=when.known_at
    )
    history = candidacy_api.get_history(
        candidacy_id, Response(), admissions, principal, explain=True
    )
    on = view.as_of
    branch = admissions.organisation(view.branch_id)
    steps = []
    current = admissions.candidacy(candidacy_id)
    if principal.role in WRITERS and when.as_of is None and when.known_at is None:
        suggestions = _suggestions(admissions, current.branch_id, on)
        for segment in commands_open_in(current.stage):
            command = c.CANDIDACY_COMMANDS[segment]
            mine = segment == open_form
            steps.append(
                {
                    "segment": segment,
                    "label": t.segment(segment),
                    "inputs": forms.build(
                        command,
                        t,
                        values if mine else None,
                        errors if mine else None,
                        suggestions=suggestions,
                    ),
                    "open": mine,
                    "error": (errors or {}).get("", "") if mine else "",
                }
            )
    return page(
        request,
        "candidacy.html",
        status,
        view=view,
        history=history.items,
        branch_name=branch.name_on(on),
        steps=steps,
        notice=notice,
        when=when,
        current_version=current.version,
        members=suggestions_members(request, principal, current.branch_id, on),
        units=_units_near(admissions, current.branch_id, on),
    )


def _suggestions(admissions: Admissions, branch_id: UUID, on: date) -> dict[str, str]:
    return {
        "member_id": "members",
        "helper_member_id": "members",
        "deciding_body_id": "units",
        "to_branch_id": "units",
    }


def suggestions_members(
    request: Request, principal: Principal, branch_id: UUID, on: date
) -> list[tuple[str, str]]:
    """The branch's members on ``on`` for the member fields' suggestions (id, name)."""
    found = member_api.list_members(
        _admissions(request),
        _figures(request),
        principal,
        branch_id=branch_id,
        organisation_id=None,
        member_status=None,
        as_of=on,
        q=None,
        limit=500,
        cursor=None,
    ).items
    return [(str(m.id), m.full_name) for m in found]


def _units_near(admissions: Admissions, branch_id: UUID, on: date) -> list[tuple[str, str]]:
    """The units above the branch on ``on``, for the deciding body's suggestions."""
    return [(str(u.id), u.name_on(on)) for u in admissions.path_on(branch_id, on)]


@router.get("/candidacies/{candidacy_id}", response_class=HTMLResponse)
def candidacy(request: Request, candidacy_id: UUID, principal: Board, when: When) -> Response:
    return _candidacy(request, principal, candidacy_id, when)


@router.post("/candidacies/{candidacy_id}/{segment}", response_class=HTMLResponse)
async def record(request: Request, candidacy_id: UUID, segment: str, principal: Board) -> Response:
    posted = await _posted(request)
    return await _in_thread(_record, request, candidacy_id, segment, principal, posted)


def _record(
    request: Request,
    candidacy_id: UUID,
    segment: str,
    principal: Principal,
    posted: dict[str, str],
) -> Response:
    check_csrf(request, posted.pop("csrf", None))
    command = c.CANDIDACY_COMMANDS.get(segment)
    if command is None:
        raise NotFound(f"no command '{segment}'")
    t = words_for(request)
    version = posted.pop("version", "")
    when = Picked(None, None)
    try:
        body = forms.read(command, posted, t)
        candidacy_api.record_step(
            _admissions(request),
            principal,
            principal.actor(_request_id(request)),
            request.app.state.metrics,
            candidacy_id,
            segment,
            body,
            expected_version=int(version) if version.isdigit() else None,
        )
    except forms.FormErrors as exc:
        return _candidacy(
            request,
            principal,
            candidacy_id,
            when,
            open_form=segment,
            values=posted,
            errors=exc.errors,
            status=422,
        )
    except VersionMismatch:
        return _candidacy(
            request,
            principal,
            candidacy_id,
            when,
            open_form=segment,
            values=posted,
            errors={"": t("stale")},
            status=412,
        )
    except DomainError as exc:
        errors = {"": refusal_detail(exc, t.language)}
        field = _field_of(command, exc)
        if field:
            errors[field] = refusal_detail(exc, t.language)
        return _candidacy(
            request,
            principal,
            candidacy_id,
            when,
            open_form=segment,
            values=posted,
            errors=errors,
            status=409,
        )
    response = RedirectResponse(f"/ui/candidacies/{candidacy_id}?recorded={segment}", 303)
    return response


# The field a refusal concerns, by rule code (else the step's date field).
RULE_FIELDS = {
    "vote_threshold": "in_favour",
    "eligible_count_mismatch": "eligible_official_members",
    "no_eligible_members": "eligible_official_members",
    "branch_too_small": "eligible_official_members",
    "introducer_not_official": "introducers",
    "introducers_incomplete": "introducers",
    "introducer_acquaintance_too_short": "introducers",
    "introducer_not_in_same_unit": "introducers",
    "helper_not_official": "member_id",
    "not_competent": "deciding_body_id",
    "same_branch": "to_branch_id",
    "extension_not_allowed": "working_days",
    "invalid_correction": "changes",
}


def _field_of(command: type[c.Command], exc: DomainError) -> str:
    fields = command.model_fields
    named = RULE_FIELDS.get(exc.rule)
    if named in fields:
        return named
    dates = [n for n, f in fields.items() if f.annotation is date and f.is_required()]
    return dates[0] if dates else ""


@router.get("/candidacies/{candidacy_id}/dossier.pdf")
def dossier_pdf(request: Request, candidacy_id: UUID, principal: Board) -> Response:
    return candidacy_api.get_dossier(candidacy_id, _admissions(request), principal, format="pdf")


@router.get("/units/{unit_id}/nominate", response_class=HTMLResponse)
def nominate_form(request: Request, unit_id: UUID, principal: Board) -> Response:
    return _nominate(request, principal, unit_id)


def _nominate(
    request: Request,
    principal: Principal,
    unit_id: UUID,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    admissions = _admissions(request)
    when = Picked(None, None)
    here = _unit(request, principal, unit_id, when)
    t = words_for(request)
    inputs = [
        i
        for i in forms.build(
            c.Nominate,
            t,
            values,
            errors,
            suggestions=_suggestions(admissions, unit_id, admissions.today()),
        )
        if i.name not in ("branch_id", "readmission")
    ]
    return page(
        request,
        "nominate.html",
        status,
        unit=here,
        path=_path(request, here),
        fields=inputs,
        error=(errors or {}).get("", ""),
        members=suggestions_members(request, principal, unit_id, admissions.today())
        if here.kind.value == "branch"
        else [],
        units=[],
    )


@router.post("/units/{unit_id}/nominate", response_class=HTMLResponse)
async def nominate(request: Request, unit_id: UUID, principal: Board) -> Response:
    posted = await _posted(request)
    return await _in_thread(_nominate_post, request, unit_id, principal, posted)


def _nominate_post(
    request: Request, unit_id: UUID, principal: Principal, posted: dict[str, str]
) -> Response:
    check_csrf(request, posted.pop("csrf", None))
    t = words_for(request)
    try:
        body = forms.read(c.Nominate, {**posted, "branch_id": str(unit_id)}, t)
        state = candidacy_api.nominate(
            body,
            Response(),
            _admissions(request),
            principal,
            principal.actor(_request_id(request)),
        )
    except forms.FormErrors as exc:
        return _nominate(request, principal, unit_id, posted, exc.errors, 422)
    except DomainError as exc:
        return _nominate(
            request, principal, unit_id, posted, {"": refusal_detail(exc, t.language)}, 409
        )
    return RedirectResponse(f"/ui/candidacies/{state.id}?recorded=nomination", 303)


# --- the auditor's view --------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, principal: Board) -> Response:
    report = audit_api.verify(
        _admissions(request), principal, _figures(request), principal.organisation_id
    )
    return page(request, "audit.html", report=report)


# --- plumbing ------------------------------------------------------------------------------


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _in_thread(func: Any, *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    response: Response = await run_in_threadpool(func, *args)
    return response


def _request_id(request: Request) -> str:
    rid: str = getattr(request.state, "request_id", "unknown")
    return rid
