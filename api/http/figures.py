"""What the figure endpoints (quotas, reports, deadlines, audit) share: the time-travel
parameters, the unit a request covers, and the breakdown boards publish."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime

from api.http.problems import PROBLEM_RESPONSES
from api.http.security import Principal, require_scope
from workflows.application import Admissions

AsOf = Annotated[
    date | None,
    Query(
        description="Answer as things stood at the end of this day (facts effective by "
        "then). Default: now.",
        examples=["2024-12-31"],
    ),
]


def _has_utc_date(moment: datetime) -> datetime:
    """``moment`` as given, once it has a date in UTC. The stores compare instants in UTC;
    one within hours of 0001-01-01 or 9999-12-31 (``0001-01-01T00:00+14:00``) has none,
    as Python's dates stop there, and would fail far from the request, as a 500."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the instant falls outside the years 1 to 9999 in UTC") from None
    return moment


# An ISO 8601 instant with its offset, and a date in UTC.
Instant = Annotated[AwareDatetime, AfterValidator(_has_utc_date)]
KnownAt = Annotated[
    Instant | None,
    Query(
        description="Answer only from what had been recorded by this instant (ISO 8601 with "
        "offset), e.g. what a report said when it was printed. Default: now. Slower: the "
        "figures are recomputed from the store.",
        examples=["2025-01-05T08:00:00+07:00"],
    ),
]
OrganisationQuery = Annotated[
    UUID | None,
    Query(
        description="The unit whose subtree the figures cover. Default: your own unit "
        "(everything, for an admin token not tied to a unit)."
    ),
]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI error responses of an endpoint (problem+json)."""
    return {status: PROBLEM_RESPONSES[status] for status in statuses}


def covered_unit(
    admissions: Admissions, principal: Principal, organisation_id: UUID | None
) -> UUID | None:
    """The unit a request covers: the one asked for (404 if unknown, 403 outside the
    caller's subtree), else the caller's own unit; None means the whole tree."""
    if organisation_id is None:
        return principal.organisation_id
    admissions.organisation(organisation_id)
    require_scope(admissions, principal, organisation_id)
    return organisation_id
