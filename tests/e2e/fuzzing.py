"""What the schemathesis runs share: the world the fuzzer runs against, the steering of
generated ids to stored ones, the problem+json check and the budget.

``fuzzed()`` builds an in-memory store holding a small tree, a roster, candidacies at
several stages and a quota, and the app over it; ``schema_of`` its OpenAPI schema, with the
checks configured and the steering hooks installed. The stored ids are those of the schema's own
examples (``api.http.examples``), so the examples phase hits real resources; generated ids
in paths and bodies are mostly swapped for stored ones, and periods for real ones three
times in four, so commands reach the rules instead of stopping at 404 or 422; some days and
instants in queries go to the calendar's edges (year 1, year 9999), where conversions
overflow. Units, members and candidacies the API creates during a run join the pools
(``World.record``), and a stateful scenario's dates move forward (``World.day``).

The budget comes from the environment: ``KETNAP_FUZZ_EXAMPLES`` (Hypothesis examples per
operation, or scenarios of the state machine; the examples and coverage phases add theirs),
``KETNAP_FUZZ_STEPS`` (steps per scenario) and ``KETNAP_FUZZ_RANDOM=1`` (fresh seeds;
derandomized otherwise, so a run is reproducible). ``make fuzz`` raises them.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import schemathesis
from fastapi import FastAPI
from schemathesis import Case, CheckContext, Response
from schemathesis.specs.openapi.schemas import OpenApiSchema

from api.http import examples as ex
from api.http.app import create_app
from api.http.problems import PROBLEM_JSON
from api.settings import Settings
from domain.values import Period
from tests.scenario import ADMIN, FixedClock, Tree, drive, make_app, path_to_official, person
from workflows import commands as c
from workflows.application import Admissions

ADMIN_TOKEN = "schemathesis-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MAX_EXAMPLES = int(os.environ.get("KETNAP_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("KETNAP_FUZZ_RANDOM") != "1"
PERIODS = ("2023", "2024", "2020-2025")
BRANCH_KINDS = ("branch", "grassroots_branch")
# The first day a stateful scenario's dates are steered to (after every seeded event), the
# steps it moves on by between requests, and the last day (the FixedClock's yesterday).
FIRST_DAY = date(2025, 1, 6)
DAY_STEPS = (0, 1, 7, 30, 90, 400)
LAST_DAY = date(2026, 10, 31)
# Summed over the run by tests/e2e/conftest.py and printed at its end.
REQUESTS_PROPERTY = "schemathesis_requests"

# Checks excluded from every run, and why (every other default check runs).
EXCLUDED_CHECKS = [
    # Schema-valid is not always valid here: api.md answers 422 to input the schema
    # cannot describe (a cursor the API did not give out, a period that is no year or
    # term, an Idempotency-Key reused with another body, a correction that changes
    # nothing), which this check counts as "valid data rejected".
    "positive_data_acceptance",
    # Request bodies are validated by pydantic in its default (lax) mode, which takes
    # 0 as 1970-01-01, "5" as 5 and 1 as true. JSON Schema calls those invalid, so this
    # check flags the coercion, not a bug. Invalid input is still generated (negative
    # mode) for every other check: no 500, problem+json, a documented status.
    "negative_data_rejection",
]


# --- the world the fuzzer runs against ----------------------------------------------------


class World:
    """Ids of what is stored, by the kind of thing a path or body field names."""

    def __init__(self) -> None:
        self.organisations: list[UUID] = []
        self.branches: list[UUID] = []
        self.members: list[UUID] = []
        self.candidacies: list[UUID] = []
        self.spare: UUID | None = None  # a candidacy the fuzzer never names
        # The day the next request's dates are steered to (None: dates stay as generated).
        # A scenario of the stateful run has its own world, so its days can move forward.
        self.day: date | None = None

    def pool(self, field: str) -> list[UUID]:
        """The stored ids a field of this name may name (empty: leave it as generated)."""
        if field in ("branch_id", "to_branch_id"):
            return self.branches
        if field in (
            "organisation_id",
            "parent_id",
            "new_parent_id",
            "into_id",
            "deciding_body_id",
        ):
            return self.organisations
        if field in ("member_id", "helper_member_id", "previous_member_id"):
            return self.members
        if field == "candidacy_id":
            return self.candidacies
        return []

    def record(self, case: Case[Any], response: Response) -> None:
        """A unit, member or candidacy the API just created joins its pool."""
        if response.status_code != 201 or case.method != "POST":
            return
        created = UUID(response.json()["id"])
        if case.path == "/organisations":
            self.organisations.append(created)
            if isinstance(case.body, dict) and case.body.get("kind") in BRANCH_KINDS:
                self.branches.append(created)
        elif case.path == "/members":
            self.members.append(created)
        elif case.path == "/candidacies":
            self.candidacies.append(created)


def _found(
    app: Admissions, world: World, uid: str, code: str, kind: str, parent: UUID | None
) -> UUID:
    command = c.FoundOrganisation(
        id=UUID(uid),
        code=code,
        name=f"Đơn vị {code}",
        kind=kind,
        parent_id=parent,
        effective_on=date(2011, 1, 1),
    )
    unit = app.found_organisation(command, ADMIN).id
    world.organisations.append(unit)
    if kind in BRANCH_KINDS:
        world.branches.append(unit)
    return unit


def build_world(app: Admissions) -> World:
    """Province → commune → grassroots committee → two branches, and a grassroots branch;
    four official members; candidacies in the source pool, at verification, after the
    biography certification, in probation (the example candidacy) and official; a quota."""
    world = World()
    province = _found(app, world, ex.PROVINCE_ID, "T01", "province", None)
    commune = _found(app, world, ex.COMMUNE_ID, "X01", "commune", province)
    grassroots = _found(app, world, ex.GRASSROOTS_ID, "DU01", "grassroots_committee", commune)
    branch = _found(app, world, ex.BRANCH_ID, "CB01", "branch", grassroots)
    other = _found(app, world, ex.OTHER_BRANCH_ID, "CB02", "branch", grassroots)
    own = _found(
        app, world, "2f6f0c1e-6a43-5c1b-9f0e-0d6a1b7a1007", "CBCS01", "grassroots_branch", commune
    )
    members = (
        ex.MEMBER_ID,
        ex.SECOND_MEMBER_ID,
        "7d1c3a52-58e1-4c0e-8a43-3c5b2f0a2003",
        "7d1c3a52-58e1-4c0e-8a43-3c5b2f0a2004",
    )
    for i, uid in enumerate(members):
        member = app.register_member(
            c.RegisterMember(
                id=UUID(uid),
                full_name=f"Đảng viên {i}",
                branch_id=branch,
                status="official",
                admitted_on=date(2000, 1, 1),
                official_on=date(2001, 1, 1),
                sex="male",
                date_of_birth=date(1970, 1, 1),
                ethnicity="Kinh",
            ),
            ADMIN,
        )
        world.members.append(member.id)
    tree = Tree(province, commune, grassroots, branch, other, own, officials=world.members)
    steps = {
        ex.CANDIDACY_ID: 12,
        "b3e1f0d2-1c4a-4f59-9d3e-6a7b8c9d3002": 0,
        "b3e1f0d2-1c4a-4f59-9d3e-6a7b8c9d3003": 6,
        "b3e1f0d2-1c4a-4f59-9d3e-6a7b8c9d3004": 8,
        "b3e1f0d2-1c4a-4f59-9d3e-6a7b8c9d3005": 15,
    }
    spare = "b3e1f0d2-1c4a-4f59-9d3e-6a7b8c9d3006"
    for i, (uid, upto) in enumerate([*steps.items(), (spare, 8)]):
        nominated = app.nominate(
            c.Nominate(
                id=UUID(uid),
                person=person(full_name=f"Ứng viên {i}"),
                branch_id=branch,
                nominated_by="womens_union",
                nominated_on=date(2023, 1, 10),
                helper_member_id=world.members[0],
            ),
            ADMIN,
        )
        drive(app, nominated.id, path_to_official(tree), upto=upto)
        if uid == spare:
            world.spare = nominated.id
        else:
            world.candidacies.append(nominated.id)
    app.set_quota(province, Period.parse("2023"), c.SetQuota(target=3), ADMIN)
    return world


# --- steering generated values to stored ones ---------------------------------------------


def _stored(world: World, field: str, value: Any) -> Any:
    """A stored id in place of a generated UUID, picked by the generated value (so a run
    stays deterministic); one value in len(pool) + 1 is kept, to reach the 404 paths too.
    A value that is no UUID is an invalid input the API must refuse: it is kept."""
    pool = world.pool(field)
    if not pool or not isinstance(value, str):
        return value
    try:
        generated = UUID(value)
    except ValueError:
        return value
    slot = generated.int % (len(pool) + 1)
    return value if slot == len(pool) else str(pool[slot])


def _dated(world: World, field: str, value: Any) -> Any:
    """Three times in four, a generated day becomes ``world.day`` (so a scenario's commands
    come in order, none after the clock's today): a birth 25 years and a first
    acquaintance 800 days before it, as a nomination and an introduction need."""
    if world.day is None or not isinstance(value, str) or len(value) != 10:
        return value
    try:
        date.fromisoformat(value)
    except ValueError:
        return value
    if zlib.crc32(value.encode()) % 4 == 3:
        return value
    before = {"date_of_birth": 9_131, "known_since": 800}.get(field, 0)
    return (world.day - timedelta(days=before)).isoformat()


def _steer(world: World, value: Any, field: str = "") -> Any:
    if isinstance(value, dict):
        return {key: _steer(world, item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_steer(world, item, field) for item in value]
    return _dated(world, field, _stored(world, field, value))


def _next_day(world: World, body: Any) -> None:
    """Move ``world.day`` on by 0 to 400 days, picked by the generated body."""
    if world.day is None:
        return
    step = DAY_STEPS[zlib.crc32(repr(body).encode("utf-8", "surrogatepass")) % len(DAY_STEPS)]
    world.day = min(world.day + timedelta(days=step), LAST_DAY)


def _period(value: Any) -> Any:
    """A real period three times in four (the path's schema allows any string)."""
    if not isinstance(value, str):
        return value
    slot = zlib.crc32(value.encode("utf-8", "surrogatepass")) % (len(PERIODS) + 1)
    return value if slot == len(PERIODS) else PERIODS[slot]


# The edges of Python's calendar, where date arithmetic and time zone conversions overflow.
EDGE_DAYS = ("0001-01-01", "9999-12-31")
EDGE_INSTANTS = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z")


def _edge(value: Any) -> Any:
    """A generated day (one in four) or instant (three in eight) moved to an edge of the
    calendar: Hypothesis seldom draws an instant whose offset crosses it."""
    if not isinstance(value, str):
        return value
    slot = zlib.crc32(value.encode("utf-8", "surrogatepass")) % 8
    if len(value) == 10 and slot < len(EDGE_DAYS):
        return EDGE_DAYS[slot]
    if "T" in value and slot < len(EDGE_INSTANTS):
        return EDGE_INSTANTS[slot]
    return value


def install_steering(schema: OpenApiSchema, world: Callable[[], World]) -> None:
    """Swap generated ids and periods for those of ``world()``, the world the request goes
    to (values a link supplied are not generated, so the hooks never see them: they reach
    the request as the link gave them)."""

    @schema.hook
    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return path_parameters
        return {
            name: _period(value) if name == "period" else _steer(world(), value, name)
            for name, value in path_parameters.items()
        }

    @schema.hook
    def map_query(context: Any, query: dict[str, Any] | None) -> Any:
        if not query:
            return query
        return {name: _edge(value) for name, value in query.items()}

    @schema.hook
    def map_body(context: Any, body: Any) -> Any:
        current = world()
        _next_day(current, body)
        return _steer(current, body)


# --- checks -------------------------------------------------------------------------------


def problem_details(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every error is RFC 9457 problem+json with type, title, status and detail."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, (
        f"{response.status_code} answered with content type {content_type!r}, not {PROBLEM_JSON}"
    )
    try:
        problem = response.json()
    except ValueError as exc:
        raise AssertionError(f"{response.status_code}: the problem is not JSON") from exc
    assert isinstance(problem, dict), f"the problem is not an object: {problem!r}"
    missing = [key for key in ("type", "title", "status", "detail") if key not in problem]
    assert not missing, f"the problem lacks {missing}: {problem}"
    assert problem["status"] == response.status_code, f"status differs: {problem}"
    return True


# --- one fuzzed application -----------------------------------------------------------------


@dataclass
class Fuzzed:
    """An in-memory store with the world in it, and the app over it."""

    admissions: Admissions
    world: World
    app: FastAPI


def fuzzed() -> Fuzzed:
    """A fresh store, the world in it and the app over it."""
    admissions = make_app(clock=FixedClock())
    world = build_world(admissions)
    return Fuzzed(
        admissions, world, create_app(Settings(admin_token=ADMIN_TOKEN), admissions=admissions)
    )


def schema_of(app: FastAPI, world: Callable[[], World]) -> OpenApiSchema:
    """The app's OpenAPI schema, with the checks configured and generated ids steered to
    those of ``world()``."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.checks.update(excluded_check_names=EXCLUDED_CHECKS)
    install_steering(schema, world)
    return schema


class RequestCount:
    """The requests one fuzzing test sent (the ``request_count`` fixture of conftest.py)."""

    def __init__(self) -> None:
        self.sent = 0
