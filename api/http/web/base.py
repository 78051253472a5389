"""What every page of the web app shares: who is signed in, the day a page is shown for,
rendering a template, reading a posted form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode
from uuid import UUID

import structlog
from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from api.http.deps import get_settled
from api.http.problems import ApiError
from api.http.routers import organisations as organisation_api
from api.http.security import (
    Principal,
    client_address,
    principal_for,
)
from api.http.web.i18n import VI, Words, day, instant, parse_day, parse_instant
from api.http.web.session import (
    COOKIE,
    LANGUAGE_COOKIE,
    Sealer,
    Session,
    same,
)
from projections.live import ReadSide
from workflows.application import Admissions

log = structlog.get_logger("ketnap.web")
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["day"] = day
templates.env.filters["instant"] = instant
# What the browser accepts in a day field before sending it (the server parses it again).
templates.env.globals["day_pattern"] = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"
templates.env.globals["quote"] = quote

# --- who is signed in ----------------------------------------------------------------------


class SignInNeeded(Exception):
    """No valid session: go to the sign-in page, then back to ``next``."""

    def __init__(self, next_path: str, reason: str = "") -> None:
        super().__init__(next_path)
        self.next_path, self.reason = next_path, reason


def admissions_of(request: Request) -> Admissions:
    admissions: Admissions = request.app.state.admissions
    return admissions


def sealer_of(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.web_sealer
    return sealer


def words_for(request: Request) -> Words:
    return Words(request.cookies.get(LANGUAGE_COOKIE, VI))


def signed_in(request: Request) -> Principal:
    """The principal of the session's token, authenticated again now as the API does (a
    revoked or expired token ends the session at once); else ``SignInNeeded``."""
    session = sealer_of(request).open(request.cookies.get(COOKIE))
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None:
        raise SignInNeeded(here)
    try:
        principal = principal_for(
            session.token,
            client_address(request),
            request.app.state.settings,
            admissions_of(request),
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


def session_of(request: Request) -> Session:
    session: Session = request.state.session
    return session


def check_csrf(request: Request, csrf: str | None) -> None:
    if not same(csrf, session_of(request).csrf):
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
            "home": home_of(principal),
            **context,
        },
        status_code=status,
    )
    response.headers["Content-Language"] = t.language
    response.headers["Cache-Control"] = "no-store"
    return response


def home_of(principal: Principal | None) -> str:
    if principal is not None and principal.organisation_id is not None:
        return f"/ui/units/{principal.organisation_id}"
    return "/ui/units"


T = TypeVar("T")


def answer(value: T | Response) -> T:
    """The JSON answer of an API operation a page called without ``format`` (the
    operation answers a download only when asked for one)."""
    if isinstance(value, Response):
        raise TypeError("a page asked an API operation for its JSON answer, got a download")
    return value


def figures_of(request: Request) -> ReadSide:
    return get_settled(request)


def query_string(**params: Any) -> str:
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


# --- sign in and out, language -------------------------------------------------------------


def safe_next(path: str) -> str:
    """Only a path of the web app itself (no open redirect)."""
    return path if path.startswith("/ui/") and not path.startswith("//") else "/ui/"


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


# --- the day shown -------------------------------------------------------------------


@dataclass(frozen=True)
class Picked:
    """The day and instant a page is shown for (None: today, everything recorded)."""

    as_of: date | None
    known_at: datetime | None

    def query(self, **more: Any) -> str:
        known = self.known_at.isoformat() if self.known_at else None
        return query_string(as_of=self.as_of, known_at=known, **more)


def picked(
    as_of: Annotated[str | None, Query(max_length=40)] = None,
    known_at: Annotated[str | None, Query(max_length=40)] = None,
) -> Picked:
    """The pickers' values as a board types them (dd/mm/yyyy, ``dd/mm/yyyy hh:mm`` in
    Vietnam's time) or as links carry them (ISO 8601); a bad one is a 422 naming it."""
    try:
        on = parse_day(as_of) if as_of and as_of.strip() else None
    except ValueError:
        raise ApiError(
            422, "Unprocessable Content", "as_of: not a day (dd/mm/yyyy)", "as_of"
        ) from None
    try:
        moment = parse_instant(known_at) if known_at and known_at.strip() else None
        if moment is not None:
            moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(
            422, "Unprocessable Content", "known_at: not an instant (dd/mm/yyyy hh:mm)", "known_at"
        ) from None
    return Picked(on, moment)


When = Annotated[Picked, Depends(picked)]


def path_of(request: Request, unit: Any) -> list[tuple[UUID, str]]:
    admissions = admissions_of(request)
    on = unit.as_of
    return [(i, admissions.organisation(i).name_on(on)) for i in unit.path]


def unit_of(request: Request, principal: Principal, unit_id: UUID, when: Picked) -> Any:
    return organisation_api.get_organisation(
        unit_id, admissions_of(request), principal, as_of=when.as_of
    )


async def read_posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def in_thread(func: Any, *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    response: Response = await run_in_threadpool(func, *args)
    return response


def request_id_of(request: Request) -> str:
    rid: str = getattr(request.state, "request_id", "unknown")
    return rid
