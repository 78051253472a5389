"""Candidacies: nominate, read (as of a day, as known at an instant), list a subtree, read
the full history, and one ``POST /candidacies/{id}/<command>`` per command of api.md.

Access follows the candidacy's current branch: admin everywhere, board and auditor within
their unit's subtree as it stands today (the auditor reads only), reporter not at all.
Every answer about one candidacy carries ``ETag: "<version>"``; commands honour ``If-Match``
(412 when the candidacy moved on) and ``Idempotency-Key`` (a retry answers the first
response and records nothing).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, Response, status

from api.audit.dossier import dossier_for
from api.audit.history import history_items
from api.audit.state import state_view
from api.audit.trail import AuditRead, audit_read
from api.documents.pdf import render_pdf
from api.http import examples as ex
from api.http.deps import ActorDep, FiguresDep, IdempotencyKey, IfMatch, expected_version
from api.http.figures import Instant
from api.http.links import CANDIDACY_LINKS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from api.http.schemas import (
    CandidacyOut,
    CandidacyPage,
    CandidacySummary,
    HistoryOut,
    errors,
)
from api.http.security import (
    READERS,
    WRITERS,
    AdmissionsDep,
    Principal,
    PrincipalDep,
    require,
    require_scope,
)
from api.metrics import Metrics
from domain.candidacy.events import state_as_of
from domain.candidacy.state import CandidacyState, Stage
from domain.errors import DomainError
from domain.text import matches
from projections.register_reader import candidacies_in_subtree
from workflows import commands as c
from workflows.application import Admissions
from workflows.context import Actor

router = APIRouter(prefix="/candidacies", tags=["candidacies"])

READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 422)
COMMAND_ERRORS = errors(400, 401, 403, 404, 409, 412, 422)
ETAG_HEADER = {
    "ETag": {"description": 'The candidacy\'s version, e.g. `"7"`', "schema": {"type": "string"}}
}
# The answer about one candidacy: its ETag, and the links to what may follow.
CANDIDACY_ANSWER = {"headers": ETAG_HEADER, "links": CANDIDACY_LINKS}


def sees_person(principal: Principal) -> bool:
    """Personal data goes to admin, board and auditor of the candidacy's subtree. Callers
    check the subtree first; this says whether the role may see the person at all."""
    return principal.role in READERS


def _answer(
    response: Response,
    admissions: Admissions,
    principal: Principal,
    state: CandidacyState,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> CandidacyOut:
    """The candidacy with its deadlines on ``as_of`` (default today), and its ETag."""
    response.headers["ETag"] = f'"{state.version}"'
    return _out(admissions, principal, state, as_of, known_at)


def _out(
    admissions: Admissions,
    principal: Principal,
    state: CandidacyState,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> CandidacyOut:
    return state_view(
        admissions,
        state,
        as_of=as_of,
        known_at=known_at,
        with_person=sees_person(principal),
        model=CandidacyOut,
    )


def _answered(admissions: Admissions, principal: Principal, state: CandidacyState) -> Response:
    """A command's answer, the new state and its ETag, serialized here once.

    Returning a ``Response`` skips FastAPI's check of the returned value against the
    response model, which for a ``def`` endpoint runs in the thread pool: one more thread
    hop per command. ``CandidacyOut`` is the response model, so the check would prove
    nothing."""
    content = _out(admissions, principal, state).model_dump_json(by_alias=True)
    return Response(content, media_type="application/json", headers={"ETag": f'"{state.version}"'})


def _readable(admissions: Admissions, principal: Principal, candidacy_id: UUID) -> CandidacyState:
    """The current candidacy, once the principal may read it (403 outside the subtree)."""
    require(principal, *READERS)
    state = admissions.candidacy(candidacy_id)
    require_scope(admissions, principal, state.branch_id)
    return state


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CandidacyOut,
    summary="Nominate a candidate (stage 1, source pool)",
    description="Opens a candidacy in the source pool of `branch_id`, nominated by a mass "
    "organisation or the branch. A helper member, if named, must be an official member "
    "(`helper_not_official`). The branch must lie in a board's subtree.",
    responses={**WRITE_ERRORS, 201: CANDIDACY_ANSWER},
    operation_id="nominate_candidate",
)
def nominate(
    body: Annotated[c.Nominate, Body(openapi_examples=ex.NOMINATE)],
    response: Response,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> CandidacyOut:
    require(principal, *WRITERS)
    require_scope(admissions, principal, body.branch_id)
    state = admissions.nominate(body, actor, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/candidacies/{state.id}"
    return _answer(response, admissions, principal, state)


# --- listing ----------------------------------------------------------------------------


@router.get(
    "",
    response_model=CandidacyPage,
    summary="Candidacies in a subtree",
    description="Candidacies whose branch lies under `organisation_id` (default: your unit; "
    "an admin without one lists every candidacy) as the tree stands today, or as they and "
    "the tree stood at the end of `as_of`; optionally in one `stage`; with `q`, only the "
    'candidates whose name holds every word of it, diacritics and case ignored ("nguyen '
    'thi mai" finds "Nguyễn Thị Mai"), or whose national id it is (9 or 12 digits); '
    "ordered by id. Follow `next_cursor` for the next page.",
    responses=READ_ERRORS,
    operation_id="list_candidacies",
)
def list_candidacies(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: Annotated[
        UUID | None, Query(description="The subtree's root (default: your unit)")
    ] = None,
    stage: Annotated[Stage | None, Query(description="Only candidacies in this stage")] = None,
    as_of: Annotated[date | None, Query(description="End of this day (default: now)")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Words of the name, or a national id"),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> CandidacyPage:
    require(principal, *READERS)
    root = organisation_id or principal.organisation_id
    if root is not None:
        admissions.organisation(root)  # 404 for an unknown unit
        require_scope(admissions, principal, root)
    ledger = projections.reader
    ids = candidacies_in_subtree(
        projections.register, ledger.tree(), root, admissions.today(), stage, as_of=as_of
    )
    with_person = sees_person(principal)
    if q is not None:
        ids = [s.id for s in admissions.candidacies(ids) if _found(s, q.strip())]
    page_ids, next_cursor = paginate(ids, lambda i: (str(i),), limit, cursor)
    page = [_as_of(state, as_of) for state in admissions.candidacies(page_ids)]
    return CandidacyPage(
        items=[CandidacySummary.of(s, with_person=with_person) for s in page],
        next_cursor=next_cursor,
    )


def _found(state: CandidacyState, q: str) -> bool:
    """Whether the candidate is the one searched for: by national id (all digits), else by
    the words of the name, diacritics and case ignored."""
    if q.isdigit():
        return state.person.national_id == q
    return matches(q, state.person.full_name)


def _as_of(state: CandidacyState, as_of: date | None) -> CandidacyState:
    """The candidacy at the end of ``as_of`` (as it stands now when None)."""
    if as_of is None:
        return state
    then = state_as_of(state.history, as_of)
    assert then is not None, "the register listed it as of that day"
    return then


# --- one candidacy ------------------------------------------------------------------------


@router.get(
    "/{candidacy_id}",
    response_model=CandidacyOut,
    summary="A candidacy, as of a day and as known at an instant",
    description="The candidacy as it stood at the end of `as_of` from what had been recorded "
    "by `known_at` (both default to now), with its deadlines on `as_of`: each "
    "`{kind, due_on, status}` with status `met`, `missed`, `due` or `overdue`.",
    responses={**READ_ERRORS, 200: CANDIDACY_ANSWER},
    operation_id="get_candidacy",
)
def get_candidacy(
    candidacy_id: UUID,
    response: Response,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    as_of: Annotated[date | None, Query(description="End of this day (default: today)")] = None,
    known_at: Annotated[
        Instant | None, Query(description="Recorded by this instant, with offset")
    ] = None,
) -> CandidacyOut:
    state = _readable(admissions, principal, candidacy_id)
    if as_of is not None or known_at is not None:
        _audited(admissions, principal, "state", candidacy_id, as_of=as_of, known_at=known_at)
    answer = _out(admissions, principal, state, as_of, known_at)
    response.headers["ETag"] = f'"{answer.version}"'
    return answer


@router.get(
    "/{candidacy_id}/history",
    response_model=HistoryOut,
    summary="Every recorded event of a candidacy",
    description="The events in order, as recorded (never edited): effective day, recording "
    "instant, who recorded it in which role and unit, the request, the rule set it was "
    "checked under, the document, the checks that ran with their parameters (`checks`, "
    "always), and the hash chain (`hash` is the event's SHA-256 content hash, `prev_hash` its "
    "predecessor's). A correction names the position it restates in `restates`; the event it "
    "restates lists the corrections in `restated_by`. With `explain=true` each event also "
    "carries `explanation`: one readable line per check (Vietnamese from the parameters, the "
    "rule set, the recorded English detail). Every call is logged as an audit read.",
    responses={**READ_ERRORS, 200: {"headers": ETAG_HEADER}},
    operation_id="get_candidacy_history",
)
def get_history(
    candidacy_id: UUID,
    response: Response,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    explain: Annotated[
        bool, Query(description="Add a readable `explanation` of the checks to each event")
    ] = False,
) -> HistoryOut:
    state = _readable(admissions, principal, candidacy_id)
    _audited(admissions, principal, "history", candidacy_id)
    response.headers["ETag"] = f'"{state.version}"'
    items = history_items(state.history, with_person=sees_person(principal), explain=explain)
    return HistoryOut(candidacy_id=state.id, version=state.version, items=items)


@router.get(
    "/{candidacy_id}/dossier",
    summary="The candidacy's dossier as an inspector prints it (JSON or PDF)",
    description="The timeline, the documents referenced by form code (1-KNĐ … 16-KNĐ), the "
    "votes, the deadlines met or missed, and the verification of the candidacy's hash chain "
    "(as `ketnap audit export`). `format=pdf` answers `application/pdf` with Vietnamese "
    "labels; the same events give the same bytes. Open deadlines are judged on "
    "`deadlines_on` (default: the day the newest event was recorded). Admins, boards and "
    "auditors within their subtree; every call is logged as an audit read.",
    responses={
        **READ_ERRORS,
        200: {
            "content": {"application/json": {}, "application/pdf": {}},
            "description": "The dossier",
        },
    },
    operation_id="get_candidacy_dossier",
)
def get_dossier(
    candidacy_id: UUID,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "pdf"], Query(description="json or pdf")] = "json",
    deadlines_on: Annotated[
        date | None, Query(description="The day open deadlines are judged on.")
    ] = None,
) -> Response:
    _readable(admissions, principal, candidacy_id)
    _audited(admissions, principal, "export", candidacy_id, format=format)
    dossier = dossier_for(admissions, candidacy_id, deadlines_on)
    if format == "pdf":
        headers = {"Content-Disposition": f'inline; filename="ho-so-{candidacy_id}.pdf"'}
        return Response(render_pdf(dossier), media_type="application/pdf", headers=headers)
    return Response(dossier.model_dump_json(), media_type="application/json")


def _audited(
    admissions: Admissions,
    principal: Principal,
    what: AuditRead,
    candidacy_id: UUID,
    **target: object,
) -> None:
    """Log an audit read of one candidacy by ``principal``."""
    audit_read(
        what,
        actor=principal.name,
        role=principal.role.value,
        at=admissions.clock(),
        via="http",
        candidacy_id=candidacy_id,
        **target,
    )


# --- commands -----------------------------------------------------------------------------

COMMAND_NOTE = (
    "\n\nAnswers 200 with the new state and its ETag. A rule that refuses the command answers "
    "409 with its `rule` and records nothing; a failed vote is recorded, not refused. Send "
    '`If-Match: "<version>"` to be refused with 412 if the candidacy moved on, and '
    "`Idempotency-Key` to retry safely."
)


def record_step(
    admissions: Admissions,
    principal: Principal,
    actor: Actor,
    metrics: Metrics,
    candidacy_id: UUID,
    segment: str,
    body: c.Command,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> CandidacyState:
    """Record one step of a candidacy for ``principal``: the one use case behind
    ``POST /candidacies/{id}/<segment>`` and the web app's forms. 403 outside the role or
    subtree (a transfer's receiving branch too); the domain's refusal raised as it is."""
    require(principal, *WRITERS)
    if principal.organisation_id is not None:  # reaches a subtree only: check it
        current = admissions.candidacy(candidacy_id)
        require_scope(admissions, principal, current.branch_id)
        if isinstance(body, c.TransferCandidacy):  # the receiving branch must be the board's too
            require_scope(admissions, principal, body.to_branch_id)
    try:
        state = admissions.execute(
            candidacy_id,
            body,
            actor,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )
    except DomainError as exc:
        metrics.commands.labels(segment, exc.rule).inc()
        raise
    metrics.commands.labels(segment, "recorded").inc()
    return state


def _command_route(segment: str, command: type[c.Command]) -> None:
    """Register ``POST /candidacies/{id}/<segment>`` with ``command`` as its typed body."""
    summary, examples = ex.COMMANDS.get(segment, (segment.replace("-", " ").capitalize(), {}))
    name = "candidacy_" + segment.replace("-", "_")

    def endpoint(
        request: Request,
        candidacy_id: UUID,
        body: Any,
        admissions: AdmissionsDep,
        principal: PrincipalDep,
        actor: ActorDep,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        version = expected_version(if_match)
        state = record_step(
            admissions,
            principal,
            actor,
            request.app.state.metrics,
            candidacy_id,
            segment,
            body,
            expected_version=version,
            idempotency_key=idempotency_key,
        )
        return _answered(admissions, principal, state)

    # The body's type is the command class, so OpenAPI documents each body on its own.
    endpoint.__annotations__["body"] = Annotated[command, Body(openapi_examples=examples)]
    endpoint.__name__ = name
    router.add_api_route(
        f"/{{candidacy_id}}/{segment}",
        endpoint,
        methods=["POST"],
        response_model=CandidacyOut,
        status_code=status.HTTP_200_OK,
        summary=summary,
        description=(command.__doc__ or summary).strip() + COMMAND_NOTE,
        responses={**COMMAND_ERRORS, 200: CANDIDACY_ANSWER},
        operation_id=name,
        name=name,
    )


for _segment, _command in c.CANDIDACY_COMMANDS.items():
    _command_route(_segment, _command)
