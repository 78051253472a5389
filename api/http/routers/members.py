"""The roster of existing members (introducers and helpers must be official members).

The roster holds personal data: registering answers with the id alone, and reading a member
gives what a board needs to name an introducer or helper (name, branch, status, dates),
never birth date, sex, ethnicity or religion.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response, status

from api.http import examples as ex
from api.http.deps import ActorDep, IdempotencyKey
from api.http.links import MEMBER_LINKS
from api.http.schemas import MemberCreated, MemberOut, errors
from api.http.security import READERS, WRITERS, AdmissionsDep, PrincipalDep, require, require_scope
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
