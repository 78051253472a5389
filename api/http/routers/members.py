"""The roster of existing members (introducers and helpers must be official members).

The roster holds personal data: registering answers with the id alone, and reading a member
gives what a board needs to name an introducer or helper (name, branch, status, dates),
never birth date, sex, ethnicity or religion.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, Field

from api.http import examples as ex
from api.http.deps import ActorDep, FiguresDep, IdempotencyKey
from api.http.downloads import ExportFormat, FormatQuery, download, spreadsheet_responses
from api.http.links import MEMBER_LINKS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from api.http.schemas import MemberCreated, MemberOut, errors
from api.http.security import READERS, WRITERS, AdmissionsDep, PrincipalDep, require, require_scope
from api.reports.roster import roster, roster_key
from api.spreadsheets.export_roster import RosterLayout, roster_export
from workflows import commands as c

router = APIRouter(prefix="/members", tags=["members"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberCreated,
    summary="Register a member in the roster",
    description="Enters an existing official or probationary member of a branch (an imported "
    "roster). A board registers members of branches in its subtree only. `admitted_on` and "
    "`official_on` may be any day from the Party's founding (1930-02-03) on.",
    responses={**errors(400, 401, 403, 404, 409, 422), 201: {"links": MEMBER_LINKS}},
    operation_id="register_member",
)
def register_member(
    body: Annotated[c.RegisterMember, Body(openapi_examples=ex.REGISTER_MEMBER)],
    response: Response,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> MemberCreated:
    require(principal, *WRITERS)
    require_scope(admissions, principal, body.branch_id)
    member = admissions.register_member(body, actor, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/members/{member.id}"
    return MemberCreated(id=member.id)


class MemberPage(BaseModel):
    """A page of the roster, ordered by name then id."""

    items: list[MemberOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done")


@router.get(
    "",
    response_model=MemberPage,
    summary="The roster of a branch or a subtree, as of a day; search by name",
    description="The members on the roster at the end of `as_of` (default today: admitted "
    "by then, not left) in `branch_id`, or in every branch of your subtree (of "
    "`organisation_id` when given); `status` official or probationary on that day; `q` "
    "keeps the members whose name holds every word of it, diacritics and case ignored "
    '("nguyen thi mai" finds "Nguyễn Thị Mai"). Each item is the member\'s record '
    "as it stands now. Ordered by name; paged by `limit` and `cursor`.",
    responses={**errors(401, 403, 404, 422), **spreadsheet_responses()},
    operation_id="list_members",
)
def list_members(
    admissions: AdmissionsDep,
    projections: FiguresDep,
    principal: PrincipalDep,
    branch_id: Annotated[UUID | None, Query(description="One branch")] = None,
    organisation_id: Annotated[
        UUID | None, Query(description="Every branch under this unit (default: your unit)")
    ] = None,
    member_status: Annotated[
        Literal["official", "probationary"] | None,
        Query(alias="status", description="Official or probationary on `as_of`"),
    ] = None,
    as_of: Annotated[date | None, Query(description="End of this day (default today)")] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Words of the name, or a national id"),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    format: FormatQuery = ExportFormat.JSON,
    layout: Annotated[
        RosterLayout,
        Query(
            description="With `format=xlsx|csv`: `standard`, the roster import's columns "
            "(the file imports back), or `csdl3`, the member record of CSDL đảng viên 3.0 "
            "(docs/csdl-3.0.md)."
        ),
    ] = RosterLayout.STANDARD,
) -> MemberPage | Response:
    # Readers are exactly the roles that may see the person (``sees_person``): a
    # spreadsheet carries the member's record (birth, ethnicity, religion, CCCD).
    require(principal, *READERS)
    day = as_of or admissions.today()
    root = None
    if branch_id is not None:
        admissions.organisation(branch_id)  # 404 for an unknown unit
        require_scope(admissions, principal, branch_id)
    else:
        root = organisation_id or principal.organisation_id
        if root is not None:
            admissions.organisation(root)
            require_scope(admissions, principal, root)
    members = roster(
        admissions, projections, day, branch_id=branch_id, root=root, status=member_status, q=q
    )
    if format.spreadsheet:
        tree = projections.reader.tree()
        sheet = roster_export(members, tree, branch_id or root, day, layout)
        return download(sheet, format)
    page, next_cursor = paginate(members, roster_key, limit, cursor)
    return MemberPage(items=[MemberOut.of(m) for m in page], next_cursor=next_cursor)


@router.get(
    "/{member_id}",
    response_model=MemberOut,
    summary="A member, as far as a board needs",
    description="Name, branch, status and admission and recognition dates of a member whose "
    "branch lies in your subtree.",
    responses={**errors(401, 403, 404, 422), 200: {"links": MEMBER_LINKS}},
    operation_id="get_member",
)
def get_member(member_id: UUID, admissions: AdmissionsDep, principal: PrincipalDep) -> MemberOut:
    require(principal, *READERS)
    member = admissions.member(member_id)
    require_scope(admissions, principal, member.branch_id)
    return MemberOut.of(member)


@router.post(
    "/{member_id}/departure",
    response_model=MemberOut,
    summary="Record that a member left",
    description="The member left on `left_on` (died, transferred out of this party "
    "organisation, dropped out, resigned, expelled, removed): from the next day they count in "
    "no branch vote. A probationary member who came from a candidacy leaves through the "
    "candidacy (withdrawal, removal). Needs write access to the member's branch.",
    responses={**errors(400, 401, 403, 404, 409, 422), 200: {"links": MEMBER_LINKS}},
    operation_id="record_member_departure",
)
def record_member_departure(
    member_id: UUID,
    body: c.RecordMemberDeparture,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> MemberOut:
    require(principal, *WRITERS)
    require_scope(admissions, principal, admissions.member(member_id).branch_id)
    member = admissions.record_member_departure(
        member_id, body, actor, idempotency_key=idempotency_key
    )
    return MemberOut.of(member)


@router.post(
    "/{member_id}/transfers",
    response_model=MemberOut,
    summary="Move a member to another branch",
    description="The member belongs to `to_branch_id` from `effective_on` (chuyển sinh hoạt "
    "đảng chính thức): branch votes count them there from that day. Needs write access to "
    "both branches.",
    responses={**errors(400, 401, 403, 404, 409, 422), 200: {"links": MEMBER_LINKS}},
    operation_id="transfer_member",
)
def transfer_member(
    member_id: UUID,
    body: c.TransferMember,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> MemberOut:
    require(principal, *WRITERS)
    require_scope(admissions, principal, admissions.member(member_id).branch_id)
    require_scope(admissions, principal, body.to_branch_id)
    member = admissions.transfer_member(member_id, body, actor, idempotency_key=idempotency_key)
    return MemberOut.of(member)
