"""The access matrix of api.md: every role against every endpoint, inside and outside its
subtree.

    admin     everything
    board     records and reads within its unit's subtree
    auditor   reads everything in its subtree, histories and verification included;
              writes nothing
    reporter  quota and report reads only
    no token  401, except /health and /ready; outside your role or subtree: 403

The endpoints are taken from the application's own OpenAPI document, so a new endpoint
cannot escape the matrix: without an entry in ``ROUTES`` (or, for a candidacy command, a
body in ``COMMAND_BODIES`` and an answer in ``COMMAND_ANSWERS``) its cases fail. Each case
sends a request valid for the endpoint (so validation cannot answer before the access
rules), on fresh records where it writes, to a unit, candidacy or member either inside the
scoped tokens' commune or in a sibling commune. An allowed call must give the route's own
``Answer``: its success status, or the one domain refusal its request legitimately meets
(a command on a fresh candidacy in the source pool: ``wrong_stage``), rule included; any
other answer, a 409 or 422 among them, fails. In process (``TestClient``) on an in-memory
store, for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.e2e.support import ADMIN_TOKEN, PROBLEM_JSON, Json
from tests.scenario import ADMIN, FixedClock, make_app, person
from workflows import commands as c
from workflows.application import Admissions

# --- the world ----------------------------------------------------------------------------


# Official members on the roster of each side's branch, as in ``tests.scenario``'s tree: the
# vote bodies below count them (``eligible_official_members`` must equal the roster, ADR 0012).
OFFICIALS = 9


@dataclass
class Side:
    """One commune and what lies in it: a grassroots committee, two branches, ``OFFICIALS``
    official members in the first (``member`` is one of them) and a candidacy (reads only;
    writes get fresh records)."""

    commune: UUID
    grassroots: UUID
    branch: UUID
    other_branch: UUID
    member: UUID
    candidacy: UUID


@dataclass
class World:
    admissions: Admissions
    province: UUID
    inside: Side
    outside: Side
    tokens: dict[str, str | None] = field(default_factory=dict)
    serial: int = 0

    def side(self, inside: bool) -> Side:
        return self.inside if inside else self.outside

    def code(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def unit(self, kind: str, parent: UUID) -> UUID:
        command = c.FoundOrganisation(
            code=self.code("U"),
            name="Đơn vị mới",
            kind=kind,
            parent_id=parent,
            effective_on=date(2011, 1, 1),
        )
        return self.admissions.found_organisation(command, ADMIN).id

    def branch(self, side: Side) -> UUID:
        """A fresh branch under the side's grassroots committee, for a write to change."""
        return self.unit("branch", side.grassroots)

    def member(self, side: Side) -> UUID:
        """A fresh official member of the side's branch, for a roster write to change."""
        command = c.RegisterMember(
            full_name="Đảng viên",
            branch_id=side.branch,
            status="official",
            admitted_on=date(2000, 1, 1),
            official_on=date(2001, 1, 1),
            sex="male",
            date_of_birth=date(1970, 1, 1),
            ethnicity="Kinh",
        )
        return self.admissions.register_member(command, ADMIN).id

    def candidacy(self, side: Side) -> UUID:
        """A fresh candidacy (source pool) in the side's branch, for a command to move."""
        command = c.Nominate(
            person=person(),
            branch_id=side.branch,
            nominated_by="youth_union",
            nominated_on=date(2023, 1, 10),
        )
        return self.admissions.nominate(command, ADMIN).id


def _side(world_app: Admissions, province: UUID, name: str) -> Side:
    def found(kind: str, parent: UUID) -> UUID:
        command = c.FoundOrganisation(
            code=f"{name}-{kind}",
            name=f"{name} {kind}",
            kind=kind,
            parent_id=parent,
            effective_on=date(2011, 1, 1),
        )
        return world_app.found_organisation(command, ADMIN).id

    commune = found("commune", province)
    grassroots = found("grassroots_committee", commune)
    branch = found("branch", grassroots)
    other_branch = found("branch", grassroots)
    member, *_ = [
        world_app.register_member(
            c.RegisterMember(
                full_name="Đảng viên",
                branch_id=branch,
                status="official",
                admitted_on=date(2000, 1, 1),
                official_on=date(2001, 1, 1),
                sex="male",
                date_of_birth=date(1970, 1, 1),
                ethnicity="Kinh",
            ),
            ADMIN,
        ).id
        for _ in range(OFFICIALS)
    ]
    candidacy = world_app.nominate(
        c.Nominate(
            person=person(),
            branch_id=branch,
            nominated_by="womens_union",
            nominated_on=date(2023, 1, 10),
        ),
        ADMIN,
    ).id
    return Side(commune, grassroots, branch, other_branch, member, candidacy)


PRINCIPALS = ["admin_env", "admin_issued", "board", "auditor", "reporter", "none", "unknown"]


def _world() -> World:
    admissions = make_app(clock=FixedClock())
    province = admissions.found_organisation(
        c.FoundOrganisation(code="T", name="Tỉnh", kind="province", effective_on=date(2011, 1, 1)),
        ADMIN,
    ).id
    inside = _side(admissions, province, "XA")
    outside = _side(admissions, province, "XB")
    world = World(admissions, province, inside, outside)

    def issue(role: Role, unit: UUID | None) -> str:
        return admissions.issue_token(role, unit, f"{role.value} token", ADMIN)[0]

    world.tokens = {
        "admin_env": ADMIN_TOKEN,  # KETNAP_ADMIN_TOKEN
        "admin_issued": issue(Role.ADMIN, None),
        "board": issue(Role.BOARD, inside.commune),
        "auditor": issue(Role.AUDITOR, inside.commune),
        "reporter": issue(Role.REPORTER, inside.commune),
        "none": None,
        "unknown": "ktn_not-a-token-anyone-was-given",
    }
    return world


@dataclass
class Env:
    world: World
    client: TestClient


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    world = _world()
    app = create_app(
        Settings(admin_token=ADMIN_TOKEN),
        admissions=world.admissions,
    )
    with TestClient(app) as client:
        yield Env(world, client)
    world.admissions.close()


# --- what each endpoint is, and a valid request to it -------------------------------------


class Access(Enum):
    PUBLIC = "no token needed"
    ANY = "any role"
    READ = "admin, board, auditor"
    WRITE = "admin, board"
    FIGURES = "admin, board, auditor, reporter"


ALLOWED: dict[str, set[Access]] = {
    "admin": set(Access),
    "board": {Access.PUBLIC, Access.ANY, Access.READ, Access.WRITE, Access.FIGURES},
    "auditor": {Access.PUBLIC, Access.ANY, Access.READ, Access.FIGURES},
    "reporter": {Access.PUBLIC, Access.ANY, Access.FIGURES},
}


@dataclass(frozen=True)
class Call:
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json: Json | None = None
    files: dict[str, Any] | None = None  # a multipart upload (with ``data``, its fields)
    data: dict[str, str] | None = None


Build = Callable[[World, Side], Call]


@dataclass(frozen=True)
class Answer:
    """What an allowed call answers: its status and, for a refusal, the rule that refuses."""

    status: int
    rule: str | None = None


OK, CREATED = Answer(200), Answer(201)
# The step is not open in the candidacy's stage: refused by the domain after access passed.
WRONG_STAGE = Answer(409, "wrong_stage")


@dataclass(frozen=True)
class Route:
    access: Access
    build: Build
    scoped: bool = True  # whether the request names a unit, member or candidacy
    answer: Answer = OK  # what an allowed call answers


def _get(path: str, scoped: bool = True) -> Route:
    return Route(Access.ANY, lambda w, s: Call(path), scoped)


def _unit_write(suffix: str, body: Callable[[World, Side], Json]) -> Route:
    def build(w: World, s: Side) -> Call:
        return Call(f"/organisations/{w.branch(s)}/{suffix}", json=body(w, s))

    return Route(Access.WRITE, build)


def _figures(path: str, access: Access = Access.FIGURES) -> Route:
    return Route(access, lambda w, s: Call(path, {"organisation_id": str(s.commune)}))


def _fresh_subscription(w: World, s: Side) -> str:
    """The path of a new subscription of the side's commune (each DELETE ends its own)."""
    command = c.SubscribeReminders(channel="email", address="bantochuc@xa.vn")
    sub = w.admissions.subscribe_reminders(s.commune, command, ADMIN)
    return f"/organisations/{s.commune}/reminder-subscriptions/{sub.id}"


ON = "2024-01-15"
ROSTER_CSV = (
    "Mã chi bộ,Họ và tên,Giới tính,Ngày sinh,Dân tộc,Ngày vào Đảng\n"
    "XA-branch,Nguyễn Văn An,Nam,01/01/1990,Kinh,01/01/2015\n"
).encode()
ROUTES: dict[tuple[str, str], Route] = {
    # A dry run of one roster row; the subtree is checked row by row (a row outside is a
    # ``forbidden_scope`` problem in a 200 report: tests/e2e/test_imports_http.py).
    ("POST", "/imports/{kind}"): Route(
        Access.WRITE,
        lambda w, s: Call(
            "/imports/roster",
            files={"file": ("roster.csv", ROSTER_CSV, "text/csv")},
            data={"dry_run": "true"},
        ),
        scoped=False,
    ),
    ("GET", "/health"): Route(Access.PUBLIC, lambda w, s: Call("/health"), scoped=False),
    ("GET", "/ready"): Route(Access.PUBLIC, lambda w, s: Call("/ready"), scoped=False),
    # ops.py: any role may scrape the metrics (no personal data, no unit).
    ("GET", "/metrics"): Route(Access.ANY, lambda w, s: Call("/metrics"), scoped=False),
    ("POST", "/organisations"): Route(
        Access.WRITE,
        lambda w, s: Call(
            "/organisations",
            json={
                "code": w.code("N"),
                "name": "Chi bộ mới",
                "kind": "branch",
                "parent_id": str(s.grassroots),
                "effective_on": ON,
            },
        ),
        answer=CREATED,
    ),
    ("GET", "/members"): Route(
        Access.READ, lambda w, s: Call("/members", {"organisation_id": str(s.grassroots)})
    ),
    ("GET", "/organisations"): Route(
        Access.READ, lambda w, s: Call("/organisations", {"parent_id": str(s.grassroots)})
    ),
    ("GET", "/organisations/{organisation_id}"): Route(
        Access.READ, lambda w, s: Call(f"/organisations/{s.branch}")
    ),
    ("POST", "/organisations/{organisation_id}/renames"): _unit_write(
        "renames", lambda w, s: {"name": "Chi bộ đổi tên", "effective_on": ON}
    ),
    ("POST", "/organisations/{organisation_id}/moves"): _unit_write(
        "moves",
        lambda w, s: {
            "new_parent_id": str(w.unit("grassroots_committee", s.commune)),
            "effective_on": ON,
        },
    ),
    ("POST", "/organisations/{organisation_id}/merges"): _unit_write(
        "merges", lambda w, s: {"into_id": str(s.other_branch), "effective_on": ON}
    ),
    ("POST", "/organisations/{organisation_id}/dissolution"): _unit_write(
        "dissolution", lambda w, s: {"effective_on": ON}
    ),
    ("POST", "/organisations/{organisation_id}/residential-areas"): _unit_write(
        "residential-areas",
        lambda w, s: {
            "code": w.code("A"),
            "name": "Thôn Nà Lừa",
            "kind": "thon",
            "effective_on": ON,
        },
    ),
    ("POST", "/members"): Route(
        Access.WRITE,
        lambda w, s: Call(
            "/members",
            json={
                "full_name": "Đảng viên mới",
                "branch_id": str(s.branch),
                "status": "official",
                "admitted_on": "2010-01-01",
                "official_on": "2011-01-01",
                "sex": "female",
                "date_of_birth": "1980-01-01",
                "ethnicity": "Kinh",
            },
        ),
        answer=CREATED,
    ),
    ("GET", "/members/{member_id}"): Route(Access.READ, lambda w, s: Call(f"/members/{s.member}")),
    ("POST", "/members/{member_id}/departure"): Route(
        Access.WRITE,
        lambda w, s: Call(
            f"/members/{w.member(s)}/departure", json={"left_on": ON, "reason": "died"}
        ),
    ),
    ("POST", "/members/{member_id}/transfers"): Route(
        Access.WRITE,
        lambda w, s: Call(
            f"/members/{w.member(s)}/transfers",
            json={"to_branch_id": str(s.other_branch), "effective_on": ON},
        ),
    ),
    ("POST", "/candidacies"): Route(
        Access.WRITE,
        lambda w, s: Call(
            "/candidacies",
            json={
                "person": person(),
                "branch_id": str(s.branch),
                "nominated_by": "branch",
                "nominated_on": "2023-01-10",
            },
        ),
        answer=CREATED,
    ),
    ("GET", "/candidacies"): Route(
        Access.READ, lambda w, s: Call("/candidacies", {"organisation_id": str(s.commune)})
    ),
    ("GET", "/candidacies/{candidacy_id}"): Route(
        Access.READ, lambda w, s: Call(f"/candidacies/{s.candidacy}")
    ),
    ("GET", "/candidacies/{candidacy_id}/history"): Route(
        Access.READ, lambda w, s: Call(f"/candidacies/{s.candidacy}/history")
    ),
    ("GET", "/candidacies/{candidacy_id}/dossier"): Route(
        Access.READ, lambda w, s: Call(f"/candidacies/{s.candidacy}/dossier")
    ),
    ("PUT", "/organisations/{organisation_id}/quotas/{period}"): Route(
        Access.WRITE,
        lambda w, s: Call(
            f"/organisations/{s.commune}/quotas/2024",
            json={"target": 5, "sub_targets": {"women": 2}},
        ),
    ),
    ("GET", "/organisations/{organisation_id}/quotas/{period}"): Route(
        Access.FIGURES, lambda w, s: Call(f"/organisations/{s.commune}/quotas/2024")
    ),
    # The forecast is figures; the candidacies that decide it are named for READ roles only.
    ("GET", "/organisations/{organisation_id}/quotas/{period}/forecast"): Route(
        Access.FIGURES, lambda w, s: Call(f"/organisations/{s.commune}/quotas/2024/forecast")
    ),
    # Reminders (issue 14): a unit's board (or an admin) manages its subscriptions and
    # previews its digest (names in it: not for reporters; writes: not for auditors).
    ("POST", "/organisations/{organisation_id}/reminder-subscriptions"): Route(
        Access.WRITE,
        lambda w, s: Call(
            f"/organisations/{s.commune}/reminder-subscriptions",
            json={"channel": "email", "address": "bantochuc@xa.vn"},
        ),
        answer=CREATED,
    ),
    ("GET", "/organisations/{organisation_id}/reminder-subscriptions"): Route(
        Access.WRITE, lambda w, s: Call(f"/organisations/{s.commune}/reminder-subscriptions")
    ),
    ("DELETE", "/organisations/{organisation_id}/reminder-subscriptions/{subscription_id}"): Route(
        Access.WRITE, lambda w, s: Call(_fresh_subscription(w, s))
    ),
    ("GET", "/organisations/{organisation_id}/reminder-digest"): Route(
        Access.WRITE,
        lambda w, s: Call(f"/organisations/{s.commune}/reminder-digest", {"on": ON}),
    ),
    ("GET", "/reports/admissions"): _figures("/reports/admissions"),
    ("GET", "/reports/pipeline"): _figures("/reports/pipeline"),
    # The yearly statistics of new members are figures (counts, no names).
    ("GET", "/reports/new-members-statistics"): Route(
        Access.FIGURES,
        lambda w, s: Call(
            "/reports/new-members-statistics", {"organisation_id": str(s.commune), "year": "2024"}
        ),
    ),
    ("GET", "/reports/residential-coverage"): _figures("/reports/residential-coverage"),
    # Expiring certificates name candidacies: read like records.
    ("GET", "/reports/certificates-expiring"): _figures(
        "/reports/certificates-expiring", Access.READ
    ),
    # Deadlines name candidacies: read like records (admin, board, auditor), not a report.
    ("GET", "/deadlines"): _figures("/deadlines", Access.READ),
    ("GET", "/audit/verify"): _figures("/audit/verify", Access.READ),
    # The compliance report names candidacies too: read like records.
    ("GET", "/reports/deadline-compliance"): Route(
        Access.READ,
        lambda w, s: Call(
            "/reports/deadline-compliance", {"organisation_id": str(s.commune), "period": "2024"}
        ),
    ),
}

# ``POST /candidacies/{candidacy_id}/<command>``: a valid body of each command.
COMMAND_BODIES: dict[str, Callable[[Side], Json]] = {
    "class-enrolment": lambda s: {"enrolled_on": "2023-02-01"},
    "certificate": lambda s: {"issued_on": "2023-03-03", "number": "CN-1", "issuer": "TTCT"},
    "application": lambda s: {"submitted_on": "2023-03-10"},
    "biography": lambda s: {"submitted_on": "2023-03-15"},
    "introducers": lambda s: {
        "introducers": [{"member_id": str(s.member), "known_since": "2020-01-01"}],
        "document": {"form": "3-KNĐ", "number": "1", "dated": "2023-03-20"},
    },
    "verifications": lambda s: {"subject": "candidate", "requested_on": "2023-03-25"},
    "biography-certification": lambda s: {"certified_on": "2023-04-29"},
    "branch-votes": lambda s: {
        "held_on": "2023-05-09",
        "eligible_official_members": 9,
        "in_favour": 8,
    },
    "subunit-appraisal": lambda s: {"appraised_on": "2023-05-12"},
    "grassroots-votes": lambda s: {"held_on": "2023-05-19", "committee_members": 7, "in_favour": 6},
    "decision-extension": lambda s: {"granted_on": "2023-06-01", "working_days": 30},
    "admission-decision": lambda s: {
        "decided_on": "2023-06-08",
        "deciding_body_id": str(s.grassroots),
        "decision": "admit",
    },
    "ceremony": lambda s: {"held_on": "2023-06-22"},
    "helper-assignment": lambda s: {"member_id": str(s.member), "assigned_on": "2023-06-22"},
    "new-member-class": lambda s: {"completed_on": "2023-08-21", "certificate_number": "BD-1"},
    "discipline": lambda s: {"decided_on": "2023-09-01", "kind": "reprimand"},
    "recognition-votes": lambda s: {
        "held_on": "2024-06-25",
        "eligible_official_members": 9,
        "in_favour": 9,
    },
    "recognition-decision": lambda s: {
        "decided_on": "2024-07-12",
        "deciding_body_id": str(s.grassroots),
        "decision": "recognise",
    },
    "transfer": lambda s: {"to_branch_id": str(s.other_branch), "effective_on": "2023-02-01"},
    "withdrawal": lambda s: {"effective_on": "2023-02-01", "reason": "chuyển công tác"},
    "corrections": lambda s: {
        "position": 1,
        "changes": {"nominated_on": "2023-01-11"},
        "reason": "ghi nhầm ngày",
    },
}
# What each command answers, once access passed, on the fresh candidacy it is sent to (in the
# source pool, nominated on 2023-01-10): recorded where the step is open there (the class
# enrolment, the helper, a withdrawal, a correction), refused for the stage otherwise.
COMMAND_ANSWERS: dict[str, Answer] = {
    "class-enrolment": OK,
    "certificate": WRONG_STAGE,
    "application": WRONG_STAGE,
    "biography": WRONG_STAGE,
    "introducers": WRONG_STAGE,
    "verifications": WRONG_STAGE,
    "biography-certification": WRONG_STAGE,
    "branch-votes": WRONG_STAGE,
    "subunit-appraisal": WRONG_STAGE,
    "grassroots-votes": WRONG_STAGE,
    "decision-extension": WRONG_STAGE,
    "admission-decision": WRONG_STAGE,
    "ceremony": WRONG_STAGE,
    "helper-assignment": OK,
    "new-member-class": WRONG_STAGE,
    "discipline": WRONG_STAGE,
    "recognition-votes": WRONG_STAGE,
    "recognition-decision": WRONG_STAGE,
    "transfer": WRONG_STAGE,  # between stages 4 and 10 only
    "withdrawal": OK,
    "corrections": OK,
}
COMMAND_PREFIX = "/candidacies/{candidacy_id}/"


def route_for(method: str, path: str) -> Route | None:
    """The expectation of an OpenAPI operation, or None when the matrix lacks one."""
    if (method, path) in ROUTES:
        return ROUTES[(method, path)]
    segment = path.removeprefix(COMMAND_PREFIX)
    if method == "POST" and path.startswith(COMMAND_PREFIX) and segment in COMMAND_BODIES:
        body = COMMAND_BODIES[segment]

        def build(w: World, s: Side) -> Call:
            return Call(f"/candidacies/{w.candidacy(s)}/{segment}", json=body(s))

        return Route(Access.WRITE, build, answer=COMMAND_ANSWERS[segment])
    return None


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the application's OpenAPI document."""
    schema = create_app(Settings(admin_token=ADMIN_TOKEN)).openapi()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


OPERATIONS = _operations()


# --- the expectations ---------------------------------------------------------------------


def expected(principal: str, route: Route, inside: bool) -> str:
    """``allowed``, ``forbidden`` (403) or ``unauthenticated`` (401)."""
    if principal in ("none", "unknown"):
        return "allowed" if route.access is Access.PUBLIC else "unauthenticated"
    role = "admin" if principal.startswith("admin") else principal
    if route.access not in ALLOWED[role]:
        return "forbidden"
    if role != "admin" and route.scoped and not inside:
        return "forbidden"
    return "allowed"


def send(env: Env, principal: str, method: str, call: Call) -> httpx.Response:
    token = env.world.tokens[principal]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response: httpx.Response = env.client.request(
        method,
        call.path,
        params=call.params,
        json=call.json,
        files=call.files,
        data=call.data,
        headers=headers,
    )
    return response


def assert_outcome(response: httpx.Response, outcome: str, what: str, answer: Answer = OK) -> None:
    """``response`` is the ``outcome``; when allowed, exactly the route's ``answer``."""
    status = response.status_code
    if outcome == "unauthenticated":
        assert status == 401, f"{what}: {status} {response.text}"
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers.get("www-authenticate") == "Bearer"
    elif outcome == "forbidden":
        assert status == 403, f"{what}: {status} {response.text}"
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["rule"] in ("forbidden_role", "forbidden_scope")
    else:
        # The answer the route's request is expected to meet, refusal and rule included:
        # any other (an unexpected 409 or 422, a 401 or 403, a server error) fails.
        rule = None
        if status >= 400:
            assert response.headers["content-type"] == PROBLEM_JSON, f"{what}: {response.text}"
            rule = response.json().get("rule")
        assert Answer(status, rule) == answer, f"{what}: expected {answer}: {response.text}"


def test_every_operation_has_an_expectation() -> None:
    missing = [f"{m} {p}" for m, p in OPERATIONS if route_for(m, p) is None]
    assert not missing, f"endpoints missing from the access matrix: {missing}"
    stale = [f"{m} {p}" for m, p in ROUTES if (m, p) not in OPERATIONS]
    assert not stale, f"matrix entries for endpoints that no longer exist: {stale}"
    segments = {p.removeprefix(COMMAND_PREFIX) for _, p in OPERATIONS}
    assert not set(COMMAND_BODIES) - segments, "command bodies for commands that do not exist"
    assert set(COMMAND_ANSWERS) == set(COMMAND_BODIES), "a command without its answer"


@pytest.mark.parametrize("where", ["inside", "outside"])
@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_access(env: Env, method: str, path: str, principal: str, where: str) -> None:
    route = route_for(method, path)
    if route is None:
        pytest.fail(f"{method} {path} has no expectation in the access matrix")
    inside = where == "inside"
    call = route.build(env.world, env.world.side(inside))
    outcome = expected(principal, route, inside)
    assert_outcome(
        send(env, principal, method, call),
        outcome,
        f"{principal} {method} {call.path} ({where}): expected {outcome}",
        route.answer,
    )


# --- requests that straddle the subtree's edge --------------------------------------------


def _board(env: Env, method: str, path: str, json: Any = None, **params: str) -> httpx.Response:
    return send(env, "board", method, Call(path, params, json))


def test_a_board_cannot_reach_out_of_its_subtree_through_a_body(env: Env) -> None:
    w = env.world
    inside, outside = w.inside, w.outside
    cases = [
        (
            "POST",
            f"/organisations/{w.branch(inside)}/moves",
            {"new_parent_id": str(outside.grassroots), "effective_on": ON},
        ),
        (
            "POST",
            f"/organisations/{w.branch(outside)}/moves",
            {"new_parent_id": str(inside.grassroots), "effective_on": ON},
        ),
        (
            "POST",
            f"/organisations/{w.branch(inside)}/merges",
            {"into_id": str(outside.branch), "effective_on": ON},
        ),
        (
            "POST",
            f"/candidacies/{w.candidacy(inside)}/transfer",
            {"to_branch_id": str(outside.branch), "effective_on": "2023-02-01"},
        ),
        (
            "POST",
            "/organisations",
            {
                "code": w.code("P"),
                "name": "Tỉnh mới",
                "kind": "province",
                "parent_id": None,
                "effective_on": ON,
            },
        ),
        (
            "POST",
            "/organisations",
            {
                "code": w.code("C"),
                "name": "Xã mới",
                "kind": "commune",
                "parent_id": str(w.province),
                "effective_on": ON,
            },
        ),
    ]
    for method, path, body in cases:
        before = w.admissions.recorder.max_notification_id()
        assert_outcome(_board(env, method, path, body), "forbidden", f"{path} {body}")
        assert w.admissions.recorder.max_notification_id() == before


def test_the_subtree_is_below_the_unit_not_above_it(env: Env) -> None:
    w = env.world
    for principal in ("board", "auditor", "reporter"):
        for path, params in [
            (f"/organisations/{w.province}/quotas/2024", {}),
            ("/reports/pipeline", {"organisation_id": str(w.province)}),
        ]:
            assert_outcome(send(env, principal, "GET", Call(path, params)), "forbidden", path)
    for principal in ("board", "auditor"):
        assert_outcome(
            send(env, principal, "GET", Call(f"/organisations/{w.province}")),
            "forbidden",
            "the province",
        )
    assert_outcome(
        _board(env, "PUT", f"/organisations/{w.province}/quotas/2024", {"target": 1}),
        "forbidden",
        "the province's quota",
    )


def test_lists_and_reports_default_to_the_callers_subtree(env: Env) -> None:
    w = env.world
    for principal in ("board", "auditor"):
        listed = send(env, principal, "GET", Call("/candidacies", {"limit": "500"}))
        assert listed.status_code == 200, listed.text
        branches = {item["branch_id"] for item in listed.json()["items"]}
        assert str(w.inside.branch) in branches
        assert str(w.outside.branch) not in branches
        verified = send(env, principal, "GET", Call("/audit/verify")).json()
        every = send(env, "admin_env", "GET", Call("/audit/verify")).json()
        assert 0 < verified["streams_checked"] < every["streams_checked"]
    pipeline = send(env, "reporter", "GET", Call("/reports/pipeline")).json()
    assert pipeline["organisation_id"] == str(w.inside.commune)


def test_a_reporter_sees_no_person_and_an_auditor_sees_one(env: Env) -> None:
    cid = env.world.inside.candidacy
    assert send(env, "reporter", "GET", Call(f"/candidacies/{cid}")).status_code == 403
    audited = send(env, "auditor", "GET", Call(f"/candidacies/{cid}"))
    assert audited.status_code == 200
    assert audited.json()["person"]["full_name"] == person()["full_name"]
    history = send(env, "auditor", "GET", Call(f"/candidacies/{cid}/history")).json()
    assert history["items"][0]["hash"] and history["items"][0]["type"] == "CandidateNominated"


def test_only_a_bearer_token_authenticates(env: Env) -> None:
    path = f"/candidacies/{env.world.inside.candidacy}"
    for authorization in (
        f"Basic {ADMIN_TOKEN}",
        ADMIN_TOKEN,
        "Bearer",
        "Bearer ",
        f"Bearer {ADMIN_TOKEN}x",
        f"Token {ADMIN_TOKEN}",
    ):
        response = env.client.get(path, headers={"Authorization": authorization})
        assert_outcome(response, "unauthenticated", repr(authorization))
    assert env.client.get(path, headers={"Authorization": f"bearer {ADMIN_TOKEN}"}).is_success
