"""Small request-scoped helpers shared by the routers."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Request

from api.http.problems import ApiError
from api.http.security import Principal, PrincipalDep
from projections.live import ReadSide
from workflows.context import Actor


def request_id(request: Request) -> str:
    rid: str = getattr(request.state, "request_id", "unknown")
    return rid


async def actor(request: Request, principal: PrincipalDep) -> Actor:
    """The envelope's who-recorded-it for this request (``async``: no thread hop)."""
    return principal.actor(request_id(request))


ActorDep = Annotated[Actor, Depends(actor)]


async def get_projections(request: Request) -> ReadSide:
    """The read side the lifespan built, as it stands (status, readiness)."""
    projections: ReadSide = request.app.state.projections
    return projections


def get_settled(request: Request) -> ReadSide:
    """The read side once its follower has applied everything stored when the request
    came in (bounded wait; see ``projections.live``): reports show the caller's own writes.
    Sync: FastAPI runs it in the thread pool, so waiting blocks no event loop."""
    projections: ReadSide = request.app.state.projections
    projections.settle()
    return projections


ProjectionsDep = Annotated[ReadSide, Depends(get_projections)]
FiguresDep = Annotated[ReadSide, Depends(get_settled)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retry safely: the same key and body return the first response and "
        "record nothing new; the same key with another body is 422.",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='The candidacy version you last saw, as its ETag ("7"); 412 if it moved on.',
    ),
]


def expected_version(if_match: str | None) -> int | None:
    """Parse an If-Match header (``"7"``, ``W/"7"`` or ``7``); 400 if malformed."""
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only, at most 18 (a version fits 64 bits): ``str.isdigit`` would take
    # "²" and ``int`` would refuse 5,000 digits, each a 500.
    if not _VERSION.fullmatch(value):
        raise ApiError(400, "Bad request", 'If-Match must be an ETag like "7"', "invalid_if_match")
    return int(value)


_VERSION = re.compile(r"[0-9]{1,18}")


__all__ = [
    "ActorDep",
    "FiguresDep",
    "IdempotencyKey",
    "IfMatch",
    "Principal",
    "ProjectionsDep",
    "expected_version",
]
