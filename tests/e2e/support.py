"""Helpers of the end-to-end suite: a real uvicorn server on loopback, and a small client
that speaks only the public HTTP contract (api.md): JSON bodies written out by hand, never
the application's own command models, so a drift between the two shows up here."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from tests.scenario import FixedClock
from workflows.application import Admissions

ADMIN_TOKEN = "test-admin-token"
PROBLEM_JSON = "application/problem+json"
LOOPBACK = "127.0.0.1"
STARTUP_SECONDS = 15.0

Json = dict[str, Any]

# Indexes into ``official_path`` (the step that each is).
ENROL, CERTIFICATE, APPLICATION, BIOGRAPHY, INTRODUCERS = 0, 1, 2, 3, 4
VERIFY_REQUEST, VERIFY_RESULT, CERTIFY, BRANCH_VOTE, GRASSROOTS_VOTE = 5, 6, 7, 8, 9
DECISION, CEREMONY, NEW_MEMBER_CLASS, RECOGNITION_VOTE, RECOGNITION_DECISION = 10, 11, 12, 13, 14

PERSON: Json = {
    "full_name": "Nguyễn Thị Lan",
    "sex": "female",
    "date_of_birth": "2000-05-01",
    "ethnicity": "Tày",
    "religion": "Phật giáo",
    "youth_union_member": False,
    "education": "university",
    "occupation": "giáo viên",
    "national_id": "012345678901",
}


# --- the server ----------------------------------------------------------------------------


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn in a background thread on a free loopback port; yield its
    base URL once it accepts requests, and stop it (lifespan shutdown included) after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it. Without it, a socket handed to uvicorn (unlike one
    # uvicorn binds itself) sends the body after the headers only once the client's delayed
    # ACK arrives: some 40 ms per request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((LOOPBACK, 0))
    port = sock.getsockname()[1]
    # Like ``ketnap serve``: the API logs one line per request itself, no access log.
    config = uvicorn.Config(
        app, host=LOOPBACK, port=port, lifespan="on", access_log=False, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("uvicorn did not start in time")
        time.sleep(0.005)
    try:
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()


@dataclass
class Live:
    """A running server: its URL, and the application behind it (for store-level checks)."""

    store: str
    base_url: str
    admissions: Admissions
    clock: FixedClock

    def client(self, token: str | None = ADMIN_TOKEN) -> Api:
        return Api(self.base_url, token)

    def notifications(self) -> int:
        """The store's last notification id: any append anywhere moves it."""
        return self.admissions.recorder.max_notification_id() or 0


# --- the client ----------------------------------------------------------------------------


@dataclass
class HttpTree:
    """Province → commune → grassroots committee → two branches, and a grassroots branch
    under the commune; official members in the first branch. Ids as strings."""

    province: str
    commune: str
    grassroots: str
    branch: str
    other_branch: str
    grassroots_branch: str
    officials: list[str] = field(default_factory=list)


def etag(response: httpx.Response) -> str:
    value: str | None = response.headers.get("etag")
    assert value is not None, f"no ETag on {response.request.url}"
    return value


def assert_problem(response: httpx.Response, status: int, rule: str | None = None) -> Json:
    """``response`` is an RFC 9457 problem with ``status`` (and ``rule``, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: Json = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


class Api:
    """An HTTP client of one ketnap server, authenticated with one token."""

    def __init__(self, base_url: str, token: str | None = ADMIN_TOKEN) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=30.0)

    def close(self) -> None:
        self.http.close()

    # raw calls

    def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return self.http.post(path, json=body, headers=headers)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def command(self, cid: str, segment: str, body: Json, **headers: str) -> httpx.Response:
        return self.post(f"/candidacies/{cid}/{segment}", body, **headers)

    # calls that must succeed

    def created(self, path: str, body: Json, **headers: str) -> Json:
        response = self.post(path, body, **headers)
        assert response.status_code == 201, response.text
        created: Json = response.json()
        return created

    def candidacy(self, cid: str) -> httpx.Response:
        response = self.get(f"/candidacies/{cid}")
        assert response.status_code == 200, response.text
        return response

    def history(self, cid: str) -> list[Json]:
        response = self.get(f"/candidacies/{cid}/history")
        assert response.status_code == 200, response.text
        items: list[Json] = response.json()["items"]
        return items

    def step(self, cid: str, segment: str, body: Json, **headers: str) -> Json:
        response = self.command(cid, segment, body, **headers)
        assert response.status_code == 200, f"{segment}: {response.text}"
        state: Json = response.json()
        return state

    # building a world through the API

    def found(self, code: str, kind: str, parent: str | None, on: str = "2011-01-01") -> str:
        body = {
            "code": code,
            "name": f"Đơn vị {code}",
            "kind": kind,
            "parent_id": parent,
            "effective_on": on,
        }
        unit_id: str = self.created("/organisations", body)["id"]
        return unit_id

    def member(self, branch: str, **overrides: Any) -> str:
        body: Json = {
            "full_name": "Đảng viên Hà",
            "branch_id": branch,
            "status": "official",
            "admitted_on": "2000-01-01",
            "official_on": "2001-01-01",
            "sex": "male",
            "date_of_birth": "1970-01-01",
            "ethnicity": "Kinh",
        }
        body.update(overrides)
        member_id: str = self.created("/members", body)["id"]
        return member_id

    def tree(self, prefix: str = "", officials: int = 9) -> HttpTree:
        province = self.found(f"{prefix}T01", "province", None)
        commune = self.found(f"{prefix}X01", "commune", province)
        grassroots = self.found(f"{prefix}DU01", "grassroots_committee", commune)
        branch = self.found(f"{prefix}CB01", "branch", grassroots)
        other = self.found(f"{prefix}CB02", "branch", grassroots)
        gbranch = self.found(f"{prefix}CBCS01", "grassroots_branch", commune)
        tree = HttpTree(province, commune, grassroots, branch, other, gbranch)
        tree.officials = [self.member(branch) for _ in range(officials)]
        return tree

    def nominate(
        self,
        tree: HttpTree,
        on: str = "2023-01-10",
        headers: dict[str, str] | None = None,
        **person: Any,
    ) -> httpx.Response:
        body = nomination(tree, on, **person)
        return self.post("/candidacies", body, **(headers or {}))

    def open_candidacy(
        self,
        tree: HttpTree,
        upto: int = 0,
        nominated_on: str = "2023-01-10",
        start: date = date(2023, 2, 1),
        **person: Any,
    ) -> str:
        """Nominate, then run the first ``upto`` steps of ``official_path`` over HTTP."""
        response = self.nominate(tree, nominated_on, **person)
        assert response.status_code == 201, response.text
        cid: str = response.json()["id"]
        for segment, body in official_path(tree, start)[:upto]:
            self.step(cid, segment, body)
        return cid


def nomination(tree: HttpTree, on: str = "2023-01-10", **person: Any) -> Json:
    return {
        "person": {**PERSON, **person},
        "branch_id": tree.branch,
        "nominated_by": "womens_union",
        "nominated_on": on,
        "helper_member_id": tree.officials[0],
    }


def official_path(tree: HttpTree, start: date = date(2023, 2, 1)) -> list[tuple[str, Json]]:
    """Every command from the source pool to official membership, as ``(segment, body)``,
    dated from ``start`` (the dates of ``tests.scenario.path_to_official``)."""
    day = start

    def after(days: int) -> str:
        nonlocal day
        day += timedelta(days=days)
        return day.isoformat()

    enrolled = after(0)
    certificate = after(30)
    application = after(7)
    biography = after(5)
    introduced = after(5)
    known = (day - timedelta(days=800)).isoformat()
    requested, cleared, certified = after(5), after(30), after(5)
    branch_vote, grassroots_vote, decided = after(10), after(10), after(20)
    ceremony = day + timedelta(days=14)
    new_member_class = after(14 + 60)
    probation_end = date(ceremony.year + 1, ceremony.month, ceremony.day)
    return [
        ("class-enrolment", {"enrolled_on": enrolled}),
        ("certificate", {"issued_on": certificate, "number": "CN-0001", "issuer": "TTCT huyện"}),
        ("application", {"submitted_on": application, "note": "đơn viết tay"}),
        ("biography", {"submitted_on": biography}),
        (
            "introducers",
            {
                "introducers": [
                    {"member_id": tree.officials[0], "known_since": known},
                    {"member_id": tree.officials[1], "known_since": known},
                ],
                # api.md: the introduction is dated by its document.
                "document": {"form": "3-KNĐ", "number": "GT-01", "dated": introduced},
            },
        ),
        ("verifications", {"subject": "candidate", "requested_on": requested}),
        ("verifications", {"subject": "candidate", "result": "cleared", "recorded_on": cleared}),
        ("biography-certification", {"certified_on": certified}),
        (
            "branch-votes",
            {
                "held_on": branch_vote,
                "eligible_official_members": 9,
                "in_favour": 8,
                "document": {"form": "7-KNĐ", "number": "12-NQ/CB", "dated": branch_vote},
            },
        ),
        ("grassroots-votes", {"held_on": grassroots_vote, "committee_members": 7, "in_favour": 6}),
        (
            "admission-decision",
            {"decided_on": decided, "deciding_body_id": tree.grassroots, "decision": "admit"},
        ),
        ("ceremony", {"held_on": ceremony.isoformat()}),
        ("new-member-class", {"completed_on": new_member_class, "certificate_number": "BD-0001"}),
        (
            "recognition-votes",
            {
                "held_on": (probation_end + timedelta(days=3)).isoformat(),
                "eligible_official_members": 9,
                "in_favour": 9,
            },
        ),
        (
            "recognition-decision",
            {
                "decided_on": (probation_end + timedelta(days=20)).isoformat(),
                "deciding_body_id": tree.grassroots,
                "decision": "recognise",
            },
        ),
    ]


async def post_streamed(
    app: Any, path: str, token: str, content_type: str, piece: Any, chunks: int
) -> tuple[int, int]:
    """A POST of ``chunks`` body pieces (``piece(n)`` the n-th, from 1) without a
    Content-Length, straight over ASGI (the test client buffers a body first): the answer's
    status and how many pieces the app pulled."""
    pulled = 0
    started: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": piece(pulled), "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", content_type.encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    return started[0], pulled
