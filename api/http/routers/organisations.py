"""The effective-dated organisation tree: found, rename, move, merge, dissolve units, and
assign residential areas to branches.

Access: admin everywhere (only an admin founds a root unit such as a province); a board
records only inside its unit's subtree as the tree stands today, both for the unit it
changes and for any unit a change points at (the parent, the unit merged into); an auditor
reads in its subtree; a reporter reads no organisation records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status

from api.http import examples as ex
from api.http.deps import ActorDep, FiguresDep, IdempotencyKey
from api.http.links import ORGANISATION_LINKS
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from api.http.problems import ApiError
from api.http.schemas import OrganisationOut, OrganisationPage, errors
from api.http.security import (
    READERS,
    WRITERS,
    AdmissionsDep,
    Principal,
    PrincipalDep,
    require,
    require_scope,
)
from domain.errors import NotFound
from domain.organisation import OrganisationState
from domain.text import matches
from workflows import commands as c
from workflows.application import Admissions

router = APIRouter(prefix="/organisations", tags=["organisations"])

READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 422)

AsOf = Annotated[
    date | None,
    Query(description="Answer as the tree stood at the end of this day (default: today)"),
]


def _out(admissions: Admissions, unit: OrganisationState, as_of: date) -> OrganisationOut:
    path = [u.id for u in admissions.path_on(unit.id, as_of)]
    return OrganisationOut.of(unit, path, as_of)


def _written(
    admissions: Admissions, unit: OrganisationState, effective_on: date
) -> OrganisationOut:
    """A write's answer: the unit as of today, or as of the change when it lies ahead."""
    return _out(admissions, unit, max(admissions.today(), effective_on))


def _may_record(admissions: Admissions, principal: Principal, *units: UUID | None) -> None:
    """403 unless the principal records, and every named unit lies in its subtree. A root
    unit (no parent) is the admin's alone."""
    require(principal, *WRITERS)
    for unit in units:
        if unit is None:
            if principal.organisation_id is not None:
                raise ApiError(
                    403,
                    "Forbidden",
                    "only an admin founds a unit without a parent",
                    "forbidden_scope",
                )
        else:
            require_scope(admissions, principal, unit)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationOut,
    summary="Found a unit",
    description="Founds a unit under `parent_id` on `effective_on` (a province or the "
    "central level may have no parent; admin only). The parent must exist that day and rank "
    "above the unit; no district may be founded from 2025-07-01 (Quy định 294-QĐ/TW). The "
    "tree has its real history: `effective_on` may be any day from the Party's founding "
    "(1930-02-03) on, here and in every change below; an earlier day answers 422.",
    responses={**WRITE_ERRORS, 201: {"links": ORGANISATION_LINKS}},
    operation_id="found_organisation",
)
def found_organisation(
    body: Annotated[c.FoundOrganisation, Body(openapi_examples=ex.FOUND_ORGANISATION)],
    response: Response,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> OrganisationOut:
    _may_record(admissions, principal, body.parent_id)
    unit = admissions.found_organisation(body, actor, idempotency_key=idempotency_key)
    response.headers["Location"] = f"/organisations/{unit.id}"
    return _written(admissions, unit, body.effective_on)


@router.get(
    "",
    response_model=OrganisationPage,
    summary="Units under a unit (or the roots) as of a day; search by code or name",
    description="The units directly under `parent_id` as the tree stood at the end of "
    "`as_of` (default today); without `parent_id`, the roots (for a token tied to a unit: "
    "that unit). With `q`, every unit below `parent_id` (or in your subtree) whose code or "
    'name holds every word of `q`, diacritics and case ignored ("dang uy xa" finds '
    '"Đảng ủy xã"). Ordered by code; paged by `limit` and `cursor`.',
    responses=READ_ERRORS,
    operation_id="list_organisations",
)
def list_organisations(
    admissions: AdmissionsDep,
    projections: FiguresDep,
    principal: PrincipalDep,
    parent_id: Annotated[UUID | None, Query(description="The unit whose children to list")] = None,
    as_of: AsOf = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=100, description="Words of a code or name")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> OrganisationPage:
    require(principal, *READERS)
    day = as_of or admissions.today()
    if parent_id is not None:
        admissions.organisation(parent_id)  # 404 for an unknown unit
        require_scope(admissions, principal, parent_id)
    tree = projections.reader.tree()
    base = parent_id or principal.organisation_id
    if q is not None:
        ids = tree.descendants_on(base, day)
        if base is not None and parent_id is None:
            ids = [base, *ids]  # a scoped token searches its own unit too
        units = [tree.unit(i) for i in ids if i in tree]
        units = [u for u in units if matches(q, u.code, u.name_on(day))]
    elif parent_id is None and principal.organisation_id is not None:
        units = [tree.unit(principal.organisation_id)] if principal.organisation_id in tree else []
    else:
        units = [tree.unit(i) for i in tree.children_on(parent_id, day)]
    units.sort(key=lambda u: (u.code, str(u.id)))
    page, next_cursor = paginate(units, lambda u: (u.code, str(u.id)), limit, cursor)
    return OrganisationPage(
        items=[OrganisationOut.of(u, tree.path_on(u.id, day), day) for u in page],
        next_cursor=next_cursor,
    )


@router.get(
    "/{organisation_id}",
    response_model=OrganisationOut,
    summary="A unit as of a day",
    description="The unit's name, parent, path from the root and residential areas as they "
    "stood at the end of `as_of` (default today). 404 if the unit was founded later.",
    responses={**READ_ERRORS, 200: {"links": ORGANISATION_LINKS}},
    operation_id="get_organisation",
)
def get_organisation(
    organisation_id: UUID,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    as_of: AsOf = None,
) -> OrganisationOut:
    require(principal, *READERS)
    unit = admissions.organisation(organisation_id)
    require_scope(admissions, principal, organisation_id)
    day = as_of or admissions.today()
    if day < unit.founded_on:
        raise NotFound(f"organisation {organisation_id} was founded on {unit.founded_on}")
    return _out(admissions, unit, day)


# --- changes to an existing unit ----------------------------------------------------------
# One route per change; each checks the unit (and any unit the body points at) against the
# caller's subtree, then runs the application method with the idempotency key.

Change = Callable[..., OrganisationState]


def _change(
    path: str,
    command: type[c.Command],
    run: Callable[[Admissions], Change],
    summary: str,
    description: str,
    examples: ex.Examples,
    points_at: str | None = None,
) -> None:
    operation = _snake(command.__name__)

    def endpoint(
        organisation_id: UUID,
        body: Any,
        admissions: AdmissionsDep,
        principal: PrincipalDep,
        actor: ActorDep,
        idempotency_key: IdempotencyKey = None,
    ) -> OrganisationOut:
        others = [getattr(body, points_at)] if points_at else []
        _may_record(admissions, principal, organisation_id, *others)
        unit = run(admissions)(organisation_id, body, actor, idempotency_key=idempotency_key)
        return _written(admissions, unit, body.effective_on)

    endpoint.__annotations__["body"] = Annotated[command, Body(openapi_examples=examples)]
    endpoint.__name__ = operation
    router.add_api_route(
        f"/{{organisation_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=OrganisationOut,
        summary=summary,
        description=description,
        responses={**WRITE_ERRORS, 200: {"links": ORGANISATION_LINKS}},
        operation_id=operation,
        name=operation,
    )


def _snake(name: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


_change(
    "renames",
    c.RenameOrganisation,
    lambda a: a.rename_organisation,
    "Rename a unit",
    "The unit takes `name` from `effective_on`; reports before that day keep the old name.",
    ex.RENAME_ORGANISATION,
)
_change(
    "moves",
    c.MoveOrganisation,
    lambda a: a.move_organisation,
    "Move a unit under another",
    "From `effective_on` the unit sits under `new_parent_id`. Facts keep the path in force on "
    "their own date. A board needs both the unit and the new parent in its subtree.",
    ex.MOVE_ORGANISATION,
    points_at="new_parent_id",
)
_change(
    "merges",
    c.MergeOrganisation,
    lambda a: a.merge_organisation,
    "Merge a unit into another",
    "The unit ends on `effective_on`, merged into `into_id` (a unit of the same level).",
    ex.MERGE_ORGANISATION,
    points_at="into_id",
)
_change(
    "dissolution",
    c.DissolveOrganisation,
    lambda a: a.dissolve_organisation,
    "Dissolve a unit",
    "The unit ends on `effective_on` (exclusive).",
    ex.DISSOLVE_ORGANISATION,
)
_change(
    "residential-areas",
    c.AssignResidentialArea,
    lambda a: a.assign_area,
    "Assign a residential area to a branch",
    "The branch covers the thôn, làng, buôn or tổ dân phố from `effective_on`; several "
    "branches may share one area (chi bộ sinh hoạt ghép).",
    ex.ASSIGN_AREA,
)
