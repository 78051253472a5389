"""A candidacy's page with a form for each step its stage allows, the dossier, and the
nomination form."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.audit.refusals import refusal_detail
from api.http.routers import candidacies as candidacy_api
from api.http.routers import members as member_api
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
from domain.errors import DomainError, NotFound
from workflows import commands as c
from workflows.application import Admissions, VersionMismatch
from workflows.steps import commands_open_in

router = APIRouter(prefix="/ui", include_in_schema=False)


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
    admissions = admissions_of(request)
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
    found = answer(
        member_api.list_members(
            admissions_of(request),
            figures_of(request),
            principal,
            branch_id=branch_id,
            organisation_id=None,
            member_status=None,
            as_of=on,
            q=None,
            limit=500,
            cursor=None,
        )
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
    posted = await read_posted(request)
    return await in_thread(_record, request, candidacy_id, segment, principal, posted)


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
            admissions_of(request),
            principal,
            principal.actor(request_id_of(request)),
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
    return candidacy_api.get_dossier(candidacy_id, admissions_of(request), principal, format="pdf")


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
    admissions = admissions_of(request)
    when = Picked(None, None)
    here = unit_of(request, principal, unit_id, when)
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
        path=path_of(request, here),
        fields=inputs,
        error=(errors or {}).get("", ""),
        members=suggestions_members(request, principal, unit_id, admissions.today())
        if here.kind.value == "branch"
        else [],
        units=[],
    )


@router.post("/units/{unit_id}/nominate", response_class=HTMLResponse)
async def nominate(request: Request, unit_id: UUID, principal: Board) -> Response:
    posted = await read_posted(request)
    return await in_thread(_nominate_post, request, unit_id, principal, posted)


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
            admissions_of(request),
            principal,
            principal.actor(request_id_of(request)),
        )
    except forms.FormErrors as exc:
        return _nominate(request, principal, unit_id, posted, exc.errors, 422)
    except DomainError as exc:
        return _nominate(
            request, principal, unit_id, posted, {"": refusal_detail(exc, t.language)}, 409
        )
    return RedirectResponse(f"/ui/candidacies/{state.id}?recorded=nomination", 303)
