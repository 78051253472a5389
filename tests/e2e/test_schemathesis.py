"""Property-based fuzzing of the whole HTTP API from its own OpenAPI schema (schemathesis).

Every operation of ``/openapi.json`` is called with generated requests, valid and invalid
(schemathesis's examples, coverage and fuzzing phases), as an admin (``Authorization:
Bearer``), through the ASGI app, on an in-memory store that already holds a small tree, a
roster, candidacies at several stages and a quota. The stored ids are those of the schema's
own examples (``api.http.examples``), so the examples phase hits real resources; generated
ids in paths and bodies are mostly swapped for stored ones, and periods for real ones three
times in four (hooks below), so commands reach the rules instead of stopping at 404 or 422.

Every response must:

- never be a server error (``not_a_server_error``: no error path answers 500);
- as an error (status >= 400), be ``application/problem+json`` with ``type``, ``title``,
  ``status`` (equal to the HTTP status) and ``detail`` (``problem_details`` below);
- conform to the schema: a documented status, content type and headers, and a body that
  validates against the response schema (``response_schema_conformance``);
- refuse requests without a valid token, answer 405 with a full ``Allow`` to methods a path
  does not have, and the other default checks, except the two excluded below.

Hypothesis runs derandomized with a small budget per operation, so a run is reproducible
and takes about half a minute. ``KETNAP_FUZZ_EXAMPLES=300 KETNAP_FUZZ_RANDOM=1`` fuzzes
deeper with fresh seeds, by hand.
"""

from __future__ import annotations

import os
import zlib
from datetime import date
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckContext, Response

from api.http import examples as ex
from api.http.app import create_app
from api.http.problems import PROBLEM_JSON
from api.settings import Settings
from domain.values import Period
from tests.scenario import ADMIN, FixedClock, Tree, drive, make_app, path_to_official, person
from workflows import commands as c
from workflows.application import Admissions

pytestmark = pytest.mark.timeout(120)

ADMIN_TOKEN = "schemathesis-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Examples per operation in the fuzzing phase (the examples and coverage phases add theirs).
MAX_EXAMPLES = int(os.environ.get("KETNAP_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = os.environ.get("KETNAP_FUZZ_RANDOM") != "1"
PERIODS = ("2023", "2024", "2020-2025")


# --- the world the fuzzer runs against ----------------------------------------------------


class World:
    """Ids of what is stored, by the kind of thing a path or body field names."""

    def __init__(self) -> None:
        self.organisations: list[UUID] = []
        self.branches: list[UUID] = []
        self.members: list[UUID] = []
        self.candidacies: list[UUID] = []
        self.spare: UUID | None = None  # a candidacy the fuzzer never names

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
    if kind in ("branch", "grassroots_branch"):
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


admissions = make_app(clock=FixedClock())
world = build_world(admissions)
api = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=admissions)

schema = schemathesis.openapi.from_asgi("/openapi.json", api)
schema.config.checks.update(
    excluded_check_names=[
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
)


# --- steering generated values to stored ones ---------------------------------------------


def _stored(field: str, value: Any) -> Any:
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


def _steer(value: Any, field: str = "") -> Any:
    if isinstance(value, dict):
        return {key: _steer(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_steer(item, field) for item in value]
    return _stored(field, value)


def _period(value: Any) -> Any:
    """A real period three times in four (the path's schema allows any string)."""
    if not isinstance(value, str):
        return value
    slot = zlib.crc32(value.encode("utf-8", "surrogatepass")) % (len(PERIODS) + 1)
    return value if slot == len(PERIODS) else PERIODS[slot]


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    return {
        name: _period(value) if name == "period" else _steer(value, name)
        for name, value in path_parameters.items()
    }


@schema.hook
def map_body(context: Any, body: Any) -> Any:
    return _steer(body)


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


# --- the tests ----------------------------------------------------------------------------


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api(case: Case[Any]) -> None:
    case.call_and_validate(headers=AUTH, additional_checks=[problem_details])


NESTED: Any = 0
for _ in range(300):  # deeper than orjson writes (254)
    NESTED = [NESTED]


CORRECTIONS = "/candidacies/{candidacy_id}/corrections"
QUOTA = "/organisations/{organisation_id}/quotas/{period}"
REASON = "Biên bản ghi nhầm"


@pytest.mark.parametrize(
    ("path", "method", "body", "retry_of"),
    [
        # Integers beyond 64 bits, which the store's JSON encoder cannot write (found by
        # fuzzing: 500 on saving the quota, or on fingerprinting a retried correction).
        (QUOTA, "PUT", {"target": 2**64}, None),
        (QUOTA, "PUT", {"target": 1, "sub_targets": {"women": 2**64}}, None),
        (QUOTA, "PUT", {"target": "9" * 30}, None),
        (CORRECTIONS, "POST", {"position": 9, "changes": {"x": 2**70}, "reason": REASON}, None),
        # A retry under an Idempotency-Key already used: the body is fingerprinted first.
        (
            CORRECTIONS,
            "POST",
            {"position": 9, "changes": {"x": 2**70}, "reason": REASON},
            "2023-05-01",
        ),
        (
            CORRECTIONS,
            "POST",
            {"position": 2**64, "changes": {"x": 1}, "reason": REASON},
            "2023-05-02",
        ),
        # Nesting deeper than the store's encoder goes.
        (
            CORRECTIONS,
            "POST",
            {"position": 9, "changes": {"x": NESTED}, "reason": REASON},
            "2023-05-03",
        ),
    ],
)
def test_values_the_store_cannot_hold_are_refused(
    path: str, method: str, body: dict[str, Any], retry_of: str | None
) -> None:
    """422 problem+json, not 500. With ``retry_of``, the request retries (same
    Idempotency-Key, another body) a correction of the biography certification's date."""
    operation = schema[path][method]
    known = {"organisation_id": ex.PROVINCE_ID, "period": "2024", "candidacy_id": str(world.spare)}
    parameters = {k: v for k, v in known.items() if "{" + k + "}" in path}
    headers = dict(AUTH)
    if retry_of is not None:
        headers["Idempotency-Key"] = f"retry-of-{retry_of}"
        first: dict[str, Any] = {
            "position": 9,
            "changes": {"certified_on": retry_of},
            "reason": REASON,
        }
        recorded = operation.Case(
            path_parameters=parameters, body=first, media_type="application/json"
        ).call(headers=headers)
        assert recorded.status_code == 200, recorded.text
    case = operation.Case(path_parameters=parameters, body=body, media_type="application/json")
    response = case.call_and_validate(headers=headers, additional_checks=[problem_details])
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("path", "method", "allow"),
    [
        ("/candidacies", "DELETE", "GET, POST"),  # two routes on one path
        ("/organisations/{organisation_id}/quotas/{period}", "POST", "GET, PUT"),
        ("/health", "PUT", "GET"),
    ],
)
def test_405_lists_every_method_of_the_path(path: str, method: str, allow: str) -> None:
    """``Allow`` names the methods of every route on the path, not just the first's."""
    operation = next(iter(schema[path].values()))
    parameters = {"organisation_id": ex.PROVINCE_ID, "period": "2024"}
    case = operation.Case(
        method=method,
        path_parameters={k: v for k, v in parameters.items() if "{" + k + "}" in path},
    )
    response = case.call(headers=AUTH)
    assert response.status_code == 405, response.text
    assert response.headers.get("allow") == [allow]
    problem_details(None, response, case)  # type: ignore[arg-type]
