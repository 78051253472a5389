"""A unit's reminders page: its subscriptions to the deadline digest (subscribe, end) and
the digest its board would get today, over the API's own operations
(``routers/reminders.py``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.audit.dossier_text import DEADLINE_LABELS
from api.audit.refusals import refusal_detail
from api.http.routers import reminders as reminder_api
from api.http.web.base import (
    Board,
    Picked,
    admissions_of,
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
from api.reminders.message import left_words
from domain.errors import DomainError
from workflows import commands as c

router = APIRouter(prefix="/ui", include_in_schema=False)
FIELDS = ("channel", "address", "secret", "frequency", "days_ahead", "hour")


def _page(
    request: Request,
    principal: Any,
    unit_id: UUID,
    posted: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    admissions = admissions_of(request)
    when = Picked(None, None)
    here = unit_of(request, principal, unit_id, when)
    subs = reminder_api.list_subscriptions(unit_id, admissions, principal).items
    digest = reminder_api.preview_digest(unit_id, admissions, principal, figures_of(request))
    return page(
        request,
        "reminders.html",
        status,
        unit=here,
        path=path_of(request, here),
        when=when,
        subscriptions=subs,
        digest=digest,
        labels=DEADLINE_LABELS,
        left_words=left_words,
        posted=posted or {},
        error=error,
    )


@router.get("/units/{unit_id}/reminders", response_class=HTMLResponse)
def reminders(request: Request, unit_id: UUID, principal: Board) -> Response:
    return _page(request, principal, unit_id)


@router.post("/units/{unit_id}/reminders", response_class=HTMLResponse)
async def subscribe(request: Request, unit_id: UUID, principal: Board) -> Response:
    posted = await read_posted(request)
    return await in_thread(_subscribe, request, unit_id, principal, posted)


def _subscribe(request: Request, unit_id: UUID, principal: Any, posted: dict[str, str]) -> Response:
    check_csrf(request, posted.pop("csrf", None))
    body = {k: v for k, v in posted.items() if k in FIELDS and v.strip()}
    admissions = admissions_of(request)
    try:
        command = c.SubscribeReminders.model_validate(body)
        reminder_api.subscribe(
            unit_id,
            command,
            Response(),
            admissions,
            principal,
            principal.actor(request_id_of(request)),
        )
    except ValidationError as exc:
        error = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        posted.pop("secret", None)  # never sent back to the browser
        return _page(request, principal, unit_id, posted, error, 422)
    except DomainError as exc:
        error = refusal_detail(exc, words_for(request).language)
        return _page(request, principal, unit_id, posted, error, 409)
    return RedirectResponse(f"/ui/units/{unit_id}/reminders", status_code=303)


@router.post("/units/{unit_id}/reminders/{subscription_id}/end", response_class=HTMLResponse)
async def end(request: Request, unit_id: UUID, subscription_id: UUID, principal: Board) -> Response:
    posted = await read_posted(request)
    return await in_thread(_end, request, unit_id, subscription_id, principal, posted)


def _end(
    request: Request,
    unit_id: UUID,
    subscription_id: UUID,
    principal: Any,
    posted: dict[str, str],
) -> Response:
    check_csrf(request, posted.pop("csrf", None))
    reminder_api.end_subscription(
        unit_id,
        subscription_id,
        admissions_of(request),
        principal,
        principal.actor(request_id_of(request)),
    )
    return RedirectResponse(f"/ui/units/{unit_id}/reminders", status_code=303)
