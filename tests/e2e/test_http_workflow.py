"""The workflow end to end over real HTTP, on SQLite and on PostgreSQL: a candidacy driven
from nomination to official membership with nothing but the public API, every refusal
answered with its status and ``rule`` and leaving the history untouched, invalid input,
failed votes, idempotent retries, ``If-Match`` and twenty concurrent identical commands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from domain.member_ids import member_id_for
from tests.e2e.support import (
    ADMIN_TOKEN,
    APPLICATION,
    BIOGRAPHY,
    BRANCH_VOTE,
    CEREMONY,
    DECISION,
    INTRODUCERS,
    PROBLEM_JSON,
    VERIFY_RESULT,
    Api,
    HttpTree,
    Json,
    Live,
    assert_problem,
    etag,
    nomination,
    official_path,
)

pytestmark = pytest.mark.timeout(120)

GENESIS_HASH = "0" * 64
EVENT_TYPES = [
    "CandidateNominated",
    "ClassEnrolled",
    "CertificateRecorded",
    "ApplicationSubmitted",
    "BiographySubmitted",
    "IntroducersRecorded",
    "VerificationRequested",
    "VerificationResultRecorded",
    "BiographyCertified",
    "BranchVoteHeld",
    "GrassrootsVoteHeld",
    "AdmissionDecided",
    "CeremonyHeld",
    "NewMemberClassCompleted",
    "RecognitionVoteHeld",
    "RecognitionDecided",
]
STAGES_AFTER_EACH_STEP = [
    "awareness_class",
    "certified",
    "dossier",
    "dossier",
    "dossier",
    "verification",
    "verification",
    "verification",
    "branch_approved",
    "awaiting_decision",
    "admitted",
    "probation",
    "probation",
    "recognition_review",
    "official",
]


@dataclass(frozen=True)
class Footprint:
    """What a refused command must leave as it was: the candidacy's history and ETag, and
    the store's last notification (nothing appended anywhere, roster included)."""

    history: list[Json]
    etag: str
    notifications: int


def footprint(live: Live, api: Api, cid: str) -> Footprint:
    return Footprint(api.history(cid), etag(api.candidacy(cid)), live.notifications())


def _tree(api: Api) -> HttpTree:
    return api.tree()


# --- nomination to official ---------------------------------------------------------------


def test_nomination_to_official_membership(live: Live, api: Api) -> None:
    tree = _tree(api)
    unit = api.get(f"/organisations/{tree.branch}").json()
    assert unit["path"] == [tree.province, tree.commune, tree.grassroots, tree.branch]
    assert unit["kind"] == "branch" and unit["parent_id"] == tree.grassroots

    nominated = api.nominate(tree)
    assert nominated.status_code == 201, nominated.text
    body = nominated.json()
    cid = body["id"]
    UUID(cid)
    assert body["stage"] == "source_pool" and body["version"] == 1
    assert body["branch_id"] == tree.branch
    assert etag(nominated) == '"1"'
    assert nominated.headers["location"] == f"/candidacies/{cid}"

    current = etag(nominated)
    for (segment, command), stage in zip(official_path(tree), STAGES_AFTER_EACH_STEP, strict=True):
        response = api.command(cid, segment, command, **{"If-Match": current})
        assert response.status_code == 200, f"{segment}: {response.text}"
        state = response.json()
        assert state["stage"] == stage, segment
        assert etag(response) == f'"{state["version"]}"'
        assert int(state["version"]) == int(current.strip('"')) + 1
        current = etag(response)

    read = api.candidacy(cid)
    state = read.json()
    assert etag(read) == current == f'"{len(EVENT_TYPES)}"'
    assert state["stage"] == "official"
    assert state["ceremony_on"] == "2023-06-22"
    assert state["probation_ends_on"] == "2024-06-22"
    assert state["official_on"] == state["probation_ends_on"]
    assert state["decided_on"] == "2023-06-08"
    assert state["party_age_from"] == state["decided_on"]
    assert state["deciding_body_id"] == tree.grassroots
    assert state["person"]["full_name"] == "Nguyễn Thị Lan"  # an admin sees the person
    assert state["deadlines"], "an official's deadlines are still listed (met or missed)"
    for deadline in state["deadlines"]:
        assert {"kind", "due_on", "status"} <= deadline.keys()
        date.fromisoformat(deadline["due_on"])
        assert deadline["status"] in {"met", "missed", "due", "overdue"}

    history = api.history(cid)
    assert [item["type"] for item in history] == EVENT_TYPES
    assert [item["position"] for item in history] == list(range(1, len(EVENT_TYPES) + 1))
    previous = GENESIS_HASH
    for item in history:
        for name in (
            "position",
            "type",
            "effective_on",
            "recorded_at",
            "actor",
            "role",
            "rule_set",
            "document",
            "data",
            "hash",
            "prev_hash",
        ):
            assert name in item, (name, item["type"])
        assert item["prev_hash"] == previous, f"chain broken at {item['position']}"
        assert len(item["hash"]) == 64 and int(item["hash"], 16) >= 0
        assert item["actor"] == "admin-token" and item["role"] == "admin"
        assert item["rule_set"]
        previous = item["hash"]
    assert len({item["hash"] for item in history}) == len(history)
    introduced = history[1 + INTRODUCERS]
    assert introduced["effective_on"] == "2023-03-20"
    assert introduced["document"]["form"] == "3-KNĐ"
    assert history[1 + APPLICATION]["note"] == "đơn viết tay"
    assert history[-1]["effective_on"] == "2024-07-12"

    # The roster holds the new official member; the audit finds the chain intact.
    member = api.get(f"/members/{member_id_for(UUID(cid))}").json()
    assert member["status"] == "official" and member["official_on"] == "2024-06-22"
    verified = api.get("/audit/verify", organisation_id=tree.commune).json()
    assert verified["problems"] == [] and verified["events_checked"] == len(EVENT_TYPES)
    listed = api.get("/candidacies", organisation_id=tree.commune, stage="official").json()
    assert [item["id"] for item in listed["items"]] == [cid]


# --- refusals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A candidacy brought to a step, and the command a rule refuses there."""

    rule: str
    setup: Callable[[Api, HttpTree], str]
    segment: str
    body: Callable[[Api, HttpTree], Json]


def _at(upto: int, **options: Any) -> Callable[[Api, HttpTree], str]:
    return lambda api, tree: api.open_candidacy(tree, upto=upto, **options)


def _vote(held_on: str, eligible: int = 9, in_favour: int = 8) -> Callable[[Api, HttpTree], Json]:
    return lambda api, tree: {
        "held_on": held_on,
        "eligible_official_members": eligible,
        "in_favour": in_favour,
    }


def _introducers(status: str, known_since: str) -> Callable[[Api, HttpTree], Json]:
    def body(api: Api, tree: HttpTree) -> Json:
        second = tree.officials[1]
        if status == "probationary":
            second = api.member(
                tree.branch, status="probationary", admitted_on="2022-09-01", official_on=None
            )
        return {
            "introducers": [
                {"member_id": tree.officials[0], "known_since": "2020-01-01"},
                {"member_id": second, "known_since": known_since},
            ],
            "document": {"form": "3-KNĐ", "number": "GT-02", "dated": "2023-03-20"},
        }

    return body


REFUSALS = [
    Refusal("wrong_stage", _at(APPLICATION), "ceremony", lambda a, t: {"held_on": "2023-03-20"}),
    # 17 years 4 months on the vote date.
    Refusal(
        "age_out_of_range",
        _at(BRANCH_VOTE, date_of_birth="2006-01-01"),
        "branch-votes",
        _vote("2023-05-09"),
    ),
    # The certificate of 2018-03-03 is 62 months old on 2023-05-09.
    Refusal(
        "certificate_expired",
        _at(BRANCH_VOTE, nominated_on="2018-01-10", start=date(2018, 2, 1)),
        "branch-votes",
        _vote("2023-05-09"),
    ),
    Refusal(
        "introducer_not_official",
        _at(INTRODUCERS),
        "introducers",
        _introducers("probationary", "2020-01-01"),
    ),
    Refusal(
        "introducer_acquaintance_too_short",
        _at(INTRODUCERS),
        "introducers",
        _introducers("official", "2022-12-01"),
    ),
    # The roster has 9; a count taken from a document (roster override) of 2 is too small.
    Refusal(
        "branch_too_small",
        _at(BRANCH_VOTE),
        "branch-votes",
        lambda a, t: {
            **_vote("2023-05-09", 2, 2)(a, t),
            "roster_override": {
                "reason": "danh sách chưa nhập",
                "document": {"form": "6-KNĐ", "number": "1"},
            },
        },
    ),
    # Decision received 2023-06-08: the ceremony was due by 2023-07-20.
    Refusal("ceremony_overdue", _at(CEREMONY), "ceremony", lambda a, t: {"held_on": "2023-08-30"}),
    # A sibling branch is not a committee above the candidate's branch.
    Refusal(
        "not_competent",
        _at(DECISION),
        "admission-decision",
        lambda a, t: {
            "decided_on": "2023-06-08",
            "deciding_body_id": t.other_branch,
            "decision": "admit",
        },
    ),
]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r.rule for r in REFUSALS])
def test_a_refused_command_answers_409_with_its_rule_and_appends_nothing(
    live: Live, api: Api, refusal: Refusal
) -> None:
    tree = _tree(api)
    cid = refusal.setup(api, tree)
    body = refusal.body(api, tree)
    before = footprint(live, api, cid)

    response = api.command(cid, refusal.segment, body)

    problem = assert_problem(response, 409, refusal.rule)
    assert problem["type"].endswith(refusal.rule)
    assert "etag" not in response.headers
    assert footprint(live, api, cid) == before
    # Sent again, with the (unchanged) version: refused the same way, still nothing.
    again = api.command(cid, refusal.segment, body, **{"If-Match": before.etag})
    assert_problem(again, 409, refusal.rule)
    assert footprint(live, api, cid) == before


def test_invalid_input_unknown_ids_and_routes_are_problems(live: Live, api: Api) -> None:
    tree = _tree(api)
    cid = api.open_candidacy(tree)
    before = footprint(live, api, cid)

    missing = assert_problem(api.command(cid, "class-enrolment", {}), 422)
    assert any(error["loc"][-1] == "enrolled_on" for error in missing["errors"])
    bad_date = assert_problem(
        api.command(cid, "class-enrolment", {"enrolled_on": "2023-02-30"}), 422
    )
    assert "enrolled_on" in bad_date["detail"]
    unknown_enum = api.command(
        cid, "verifications", {"subject": "neighbour", "requested_on": "2023-02-01"}
    )
    assert_problem(unknown_enum, 422)
    extra_field = api.command(cid, "class-enrolment", {"enrolled_on": "2023-02-01", "x": 1})
    assert_problem(extra_field, 422)
    malformed = api.http.post(
        f"/candidacies/{cid}/class-enrolment",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code in (400, 422)
    assert malformed.headers["content-type"] == PROBLEM_JSON
    bad_person = nomination(tree) | {"nominated_by": "communist_youth_league"}
    assert_problem(api.post("/candidacies", bad_person), 422)
    bad_education = nomination(tree, education="phd")
    assert_problem(api.post("/candidacies", bad_education), 422)
    bad_kind = {
        "code": "Q",
        "name": "Q",
        "kind": "county",
        "parent_id": tree.province,
        "effective_on": "2020-01-01",
    }
    assert_problem(api.post("/organisations", bad_kind), 422)
    assert footprint(live, api, cid) == before

    unknown = str(uuid4())
    assert_problem(api.get(f"/candidacies/{unknown}"), 404)
    assert_problem(api.get(f"/candidacies/{unknown}/history"), 404)
    assert_problem(api.command(unknown, "class-enrolment", {"enrolled_on": "2023-02-01"}), 404)
    assert_problem(api.get(f"/organisations/{unknown}"), 404)
    assert_problem(api.get("/candidacies/not-a-uuid"), 422)
    assert_problem(api.get("/no/such/route"), 404)
    assert_problem(api.command(cid, "coronation", {"held_on": "2023-02-01"}), 404)
    assert footprint(live, api, cid) == before


def test_votes_count_against_the_roster_and_an_override_is_shown(live: Live, api: Api) -> None:
    """Issue 9 §2 over HTTP: a count the roster contradicts is 409 naming both numbers;
    exclusions and an override are recorded, shown in the history and listed as a
    departure in the deadline-compliance report."""
    tree = _tree(api)
    cid = api.open_candidacy(tree, upto=BRANCH_VOTE)
    before = footprint(live, api, cid)
    wrong = api.command(
        cid,
        "branch-votes",
        {"held_on": "2023-05-09", "eligible_official_members": 11, "in_favour": 9},
    )
    problem = assert_problem(wrong, 409, "eligible_count_mismatch")
    assert "counts 11" in problem["detail"] and "roster has 9" in problem["detail"]
    assert footprint(live, api, cid) == before
    excluded = [{"member_id": tree.officials[-1], "reason": "temporarily_transferred"}]
    failed = api.step(
        cid,
        "branch-votes",
        {
            "held_on": "2023-05-09",
            "eligible_official_members": 8,
            "in_favour": 5,
            "excluded_members": excluded,
        },
    )
    assert failed["failed_branch_votes"] == 1
    override = {
        "reason": "Danh sách năm 2023 chưa nhập",
        "document": {"form": "6-KNĐ", "number": "07-NQ/CB", "dated": "2023-05-20"},
    }
    passed = api.step(
        cid,
        "branch-votes",
        {
            "held_on": "2023-05-20",
            "eligible_official_members": 12,
            "in_favour": 10,
            "roster_override": override,
        },
    )
    assert passed["stage"] == "branch_approved"
    history = api.history(cid)
    assert history[-2]["data"]["excluded_members"] == excluded
    assert history[-2]["data"]["roster_official_members"] == 9
    assert history[-1]["data"]["roster_override"] == override
    assert any(ch["rule"] == "roster_override" for ch in history[-1]["checks"])
    report = api.get("/reports/deadline-compliance", organisation_id=tree.province, period="2023")
    assert report.status_code == 200, report.text
    departures = report.json()["departures"]
    assert [(d["candidacy_id"], d["on"], d["reason"]) for d in departures] == [
        (cid, "2023-05-20", override["reason"])
    ]


def test_a_failed_branch_vote_is_recorded_as_an_attempt(live: Live, api: Api) -> None:
    tree = _tree(api)
    cid = api.open_candidacy(tree, upto=BRANCH_VOTE)
    before = footprint(live, api, cid)

    response = api.command(
        cid,
        "branch-votes",
        {"held_on": "2023-05-09", "eligible_official_members": 9, "in_favour": 5},
    )

    assert response.status_code == 200, response.text
    state = response.json()
    assert state["stage"] == "verification"
    assert state["failed_branch_votes"] == 1
    assert state["votes"][-1]["passed"] is False
    assert state["votes"][-1]["attempt"] == 1
    assert etag(response) == f'"{len(before.history) + 1}"'
    history = api.history(cid)
    assert history[:-1] == before.history
    assert history[-1]["type"] == "BranchVoteHeld"
    assert history[-1]["data"]["in_favour"] == 5
    threshold = next(ch for ch in history[-1]["checks"] if ch["rule"] == "vote_threshold")
    assert threshold["passed"] is False and threshold["blocking"] is False
    # A later vote that passes moves it on.
    again = {"held_on": "2023-05-20", "eligible_official_members": 9, "in_favour": 7}
    passed = api.step(cid, "branch-votes", again)
    assert passed["stage"] == "branch_approved" and passed["votes"][-1]["attempt"] == 2


# --- idempotency and If-Match -------------------------------------------------------------


def test_an_idempotent_retry_returns_the_first_response_and_records_nothing(
    live: Live, api: Api
) -> None:
    tree = _tree(api)
    cid = api.open_candidacy(tree, upto=APPLICATION)
    segment, body = official_path(tree)[APPLICATION]
    key = {"Idempotency-Key": f"retry-{uuid4()}"}

    first = api.command(cid, segment, body, **key)
    assert first.status_code == 200, first.text
    after_first = footprint(live, api, cid)
    again = api.command(cid, segment, body, **key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert etag(again) == etag(first)
    assert footprint(live, api, cid) == after_first

    # Still the first answer once the candidacy has moved on.
    api.step(cid, *official_path(tree)[BIOGRAPHY])
    moved = footprint(live, api, cid)
    late = api.command(cid, segment, body, **key)
    assert (late.status_code, late.json()) == (first.status_code, first.json())
    assert footprint(live, api, cid) == moved

    other = api.command(cid, segment, {"submitted_on": "2023-03-11"}, **key)
    assert_problem(other, 422, "idempotency_key_reused")
    assert footprint(live, api, cid) == moved

    # Creations too: one candidacy, one member, however often they are retried.
    nominate_key = {"Idempotency-Key": f"nominate-{uuid4()}"}
    created = api.nominate(tree, headers=nominate_key)
    assert created.status_code == 201, created.text
    notifications = live.notifications()
    retried = api.nominate(tree, headers=nominate_key)
    assert (retried.status_code, retried.json()) == (201, created.json())
    assert live.notifications() == notifications
    assert_problem(
        api.nominate(tree, on="2023-01-11", headers=nominate_key), 422, "idempotency_key_reused"
    )
    member_key = {"Idempotency-Key": f"member-{uuid4()}"}
    member = {
        "full_name": "Đảng viên Hà",
        "branch_id": tree.branch,
        "status": "official",
        "admitted_on": "2000-01-01",
        "official_on": "2001-01-01",
        "sex": "male",
        "date_of_birth": "1970-01-01",
        "ethnicity": "Kinh",
    }
    registered = api.post("/members", member, **member_key)
    assert registered.status_code == 201
    notifications = live.notifications()
    assert api.post("/members", member, **member_key).json() == registered.json()
    assert live.notifications() == notifications
    assert_problem(
        api.post(
            "/members", member | {"status": "probationary", "official_on": None}, **member_key
        ),
        422,
        "idempotency_key_reused",
    )


def test_a_stale_if_match_is_refused_with_412(live: Live, api: Api) -> None:
    tree = _tree(api)
    cid = api.open_candidacy(tree, upto=APPLICATION)
    current = api.candidacy(cid)
    version = current.json()["version"]
    assert etag(current) == f'"{version}"' == etag(api.get(f"/candidacies/{cid}/history"))
    segment, body = official_path(tree)[APPLICATION]
    before = footprint(live, api, cid)

    for stale in (f'"{version - 1}"', f'W/"{version - 1}"', f'"{version + 1}"'):
        response = api.command(cid, segment, body, **{"If-Match": stale})
        assert_problem(response, 412, "version_mismatch")
        assert footprint(live, api, cid) == before
    for malformed in ("yesterday", '"' + "9" * 5000 + '"', '"-1"', '"1.0"', '""'):
        refused = api.command(cid, segment, body, **{"If-Match": malformed})
        assert_problem(refused, 400, "invalid_if_match")
    assert footprint(live, api, cid) == before

    accepted = api.command(cid, segment, body, **{"If-Match": f'"{version}"'})
    assert accepted.status_code == 200, accepted.text
    assert etag(accepted) == f'"{version + 1}"'
    # The ETag just seen is now stale for anyone still holding the earlier one.
    next_segment, next_body = official_path(tree)[BIOGRAPHY]
    late = api.command(cid, next_segment, next_body, **{"If-Match": f'"{version}"'})
    assert_problem(late, 412)
    assert len(api.history(cid)) == version + 1


# --- concurrency --------------------------------------------------------------------------

CONCURRENT = 20


def test_twenty_concurrent_identical_commands_one_succeeds(live: Live, api: Api) -> None:
    tree = _tree(api)
    cid = api.open_candidacy(tree, upto=VERIFY_RESULT)
    current = api.candidacy(cid)
    assert current.json()["stage"] == "verification"
    version = etag(current)
    before = footprint(live, api, cid)
    body = {"subject": "father", "requested_on": "2023-04-01"}
    barrier = threading.Barrier(CONCURRENT)
    clients = [live.client(ADMIN_TOKEN) for _ in range(CONCURRENT)]
    for client in clients:  # connect before the race, so the barrier releases requests only
        assert client.get("/health").status_code == 200

    def send(client: Api) -> httpx.Response:
        barrier.wait(timeout=30)
        return client.command(cid, "verifications", body, **{"If-Match": version})

    try:
        with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
            responses = list(pool.map(send, clients))
    finally:
        for client in clients:
            client.close()

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, statuses
    assert set(statuses) <= {200, 409, 412}, statuses
    for response in responses:
        if response.status_code != 200:
            problem = assert_problem(response, response.status_code)
            assert problem["rule"] in ("version_mismatch", "concurrent_write"), problem
    winner = next(r for r in responses if r.status_code == 200)
    history = api.history(cid)
    assert len(history) == len(before.history) + 1
    assert history[:-1] == before.history
    assert history[-1]["type"] == "VerificationRequested"
    assert history[-1]["data"]["subject"] == "father"
    assert etag(winner) == etag(api.candidacy(cid)) == f'"{len(history)}"'
    assert live.notifications() == before.notifications + 1
