"""No personal data reaches the logs, and every request leaves one useful log line.

The server runs as ``ketnap serve`` runs it (``api.logging.configure_logging``: JSON lines
on stderr); the test captures the process's stderr and stdout (file descriptors included)
while it records and reads a candidacy full of personal data over HTTP, including requests
that fail validation with that data in their bodies.

``ketnap serve`` itself, in a subprocess, writes nothing but JSON lines of one shape on
stderr: uvicorn's own lines (start-up, a bad request, shutdown) included.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import structlog

from api.logging import configure_logging
from domain.access import Role
from tests.e2e.support import (
    ADMIN_TOKEN,
    LOOPBACK,
    PERSON,
    STARTUP_SECONDS,
    Api,
    Json,
    Live,
    assert_problem,
    nomination,
    official_path,
)
from tests.scenario import ADMIN

pytestmark = pytest.mark.timeout(60)

MEMBER = {
    "full_name": "Trần Văn Hùng",
    "date_of_birth": "1968-02-14",
    "ethnicity": "Mường",
    "religion": "Công giáo",
}
SECRETS = [
    PERSON["full_name"],
    PERSON["ethnicity"],
    PERSON["religion"],
    PERSON["national_id"],
    MEMBER["full_name"],
    MEMBER["ethnicity"],
    MEMBER["religion"],
    # Dates of birth, in every spelling a log might use.
    "2000-05-01",
    "2000-5-1",
    "01/05/2000",
    "1/5/2000",
    "05/01/2000",
    "01-05-2000",
    "01.05.2000",
    "2000/05/01",
    "20000501",
    "May 1, 2000",
    "1 May 2000",
    "1968-02-14",
    "14/02/1968",
    "02/14/1968",
    "19680214",
]
REQUEST_FIELDS = {"request_id", "actor", "role", "route", "status", "duration_ms", "method"}


def spellings(secret: str) -> set[str]:
    """``secret`` as it may appear in a log: as is, JSON-escaped (``\\u1ec5``), decomposed
    into combining marks, and without its diacritics."""
    nfd = unicodedata.normalize("NFD", secret)
    ascii_only = "".join(ch for ch in nfd if not unicodedata.combining(ch)).replace("đ", "d")
    return {secret, json.dumps(secret)[1:-1], nfd, json.dumps(nfd)[1:-1], ascii_only}


def _uncache_loggers() -> None:
    """Forget the loggers structlog cached on first use under an earlier configuration
    (``cache_logger_on_first_use``), so this test's configuration applies to them."""
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "api":
            continue
        logger = getattr(module, "log", None)
        if type(logger).__name__ == "BoundLoggerLazyProxy":
            vars(logger).pop("bind", None)


@pytest.fixture
def json_logs() -> Iterator[None]:
    """Logging configured as in production, restored to structlog's defaults after."""
    configure_logging("INFO", json=True)
    _uncache_loggers()
    yield
    structlog.reset_defaults()
    _uncache_loggers()


def _lines(text: str) -> list[Json]:
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            assert isinstance(record, dict)
            records.append(record)
    return records


def _walk(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield str(value)


def test_no_personal_data_reaches_the_logs(
    live: Live, api: Api, json_logs: None, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()  # only what this test's requests log
    ids: dict[str, str] = {}

    def rid(name: str) -> dict[str, str]:
        ids[name] = f"e2e-{name}-{uuid4().hex[:12]}"
        return {"X-Request-ID": ids[name]}

    tree = api.tree()
    roster = {
        "branch_id": tree.branch,
        "status": "official",
        "admitted_on": "1995-01-01",
        "official_on": "1996-01-01",
        "sex": "male",
        **MEMBER,
    }
    member = api.post("/members", roster, **rid("member"))
    assert member.status_code == 201, member.text
    assert member.headers["x-request-id"] == ids["member"]

    nominated = api.post("/candidacies", nomination(tree), **rid("nominate"))
    assert nominated.status_code == 201, nominated.text
    assert nominated.headers["x-request-id"] == ids["nominate"]
    cid = nominated.json()["id"]
    assert nominated.json()["person"]["national_id"] == PERSON["national_id"]
    for index, (segment, body) in enumerate(official_path(tree)[:4]):
        response = api.command(cid, segment, body, **rid(f"step{index}"))
        assert response.status_code == 200, response.text
        assert response.headers["x-request-id"] == ids[f"step{index}"]
    refused = api.command(cid, "ceremony", {"held_on": "2023-04-01"}, **rid("refused"))
    assert_problem(refused, 409, "wrong_stage")

    # Reads that answer with the person, the roster entry and the history.
    for name, path in [
        ("read", f"/candidacies/{cid}"),
        ("history", f"/candidacies/{cid}/history"),
        ("list", f"/candidacies?organisation_id={tree.commune}"),
        ("roster", f"/members/{member.json()['id']}"),
    ]:
        response = api.http.get(path, headers=rid(name))
        assert response.status_code == 200, response.text
        assert PERSON["full_name"] in response.text or MEMBER["full_name"] in response.text

    # Invalid input carrying personal data: 422, and nothing of it echoed or logged.
    invalid_bodies = {
        "invalid_education": nomination(tree, education="phd"),
        "invalid_national_id": nomination(tree, national_id="01234567890123"),
        "invalid_dob": nomination(tree, date_of_birth="2000-05-01T25:61"),
        "invalid_member": roster | {"ethnicity": "Martian"},
    }
    for name, body in invalid_bodies.items():
        path = "/members" if name == "invalid_member" else "/candidacies"
        response = api.post(path, body, **rid(name))
        problem = assert_problem(response, 422)
        for secret in (PERSON["full_name"], PERSON["national_id"], MEMBER["full_name"]):
            assert secret not in response.text, (name, problem)

    # A board and a caller without a token: their lines say who they were.
    secret, token = live.admissions.issue_token(Role.BOARD, UUID(tree.commune), "board", ADMIN)
    board = live.client(secret)
    assert board.http.get(f"/candidacies/{cid}", headers=rid("board")).status_code == 200
    board.close()
    anonymous = live.client(None)
    assert anonymous.http.get(f"/candidacies/{cid}", headers=rid("anonymous")).status_code == 401
    # An X-Request-ID that is not a plain id is replaced, not echoed nor logged.
    unsafe = anonymous.http.get("/health", headers={"X-Request-ID": "not a plain id; drop me"})
    generated = unsafe.headers["x-request-id"]
    UUID(generated)
    plain = anonymous.http.get("/health")
    UUID(plain.headers["x-request-id"])
    anonymous.close()

    captured = capfd.readouterr()
    text = captured.err + captured.out

    # 1. No personal data, in any spelling, anywhere in what was written.
    records = _lines(captured.err)
    values = [value for record in records for value in _walk(record)]
    for secret in SECRETS:
        for spelling in spellings(secret):
            assert spelling not in text, f"{spelling!r} reached the logs"
            assert not any(spelling in value for value in values), f"{spelling!r} was logged"
    assert "drop me" not in text

    # 2. One request line per request, with its id, who, the route template, status, time.
    requests = [r for r in records if r.get("event") == "request"]
    assert requests, f"no request lines in {text[:2000]!r}"
    for record in requests:
        assert record.keys() >= REQUEST_FIELDS, record
        assert isinstance(record["duration_ms"], int | float) and record["duration_ms"] >= 0
        assert cid not in record["route"], "the route is the template, not the path"
        assert record["level"] == "info" and "timestamp" in record
    by_id = {r["request_id"]: r for r in requests}
    assert len(by_id) == len(requests), "every request has its own id"
    for name, request_id in ids.items():
        assert request_id in by_id, f"no log line for {name}"
    expected = {
        "member": ("POST", "/members", 201, "admin-token", "admin"),
        "nominate": ("POST", "/candidacies", 201, "admin-token", "admin"),
        "step0": (
            "POST",
            "/candidacies/{candidacy_id}/class-enrolment",
            200,
            "admin-token",
            "admin",
        ),
        "refused": ("POST", "/candidacies/{candidacy_id}/ceremony", 409, "admin-token", "admin"),
        "history": ("GET", "/candidacies/{candidacy_id}/history", 200, "admin-token", "admin"),
        "invalid_education": ("POST", "/candidacies", 422, "admin-token", "admin"),
        "board": ("GET", "/candidacies/{candidacy_id}", 200, f"token:{str(token.id)[:8]}", "board"),
        "anonymous": ("GET", "/candidacies/{candidacy_id}", 401, None, None),
    }
    for name, (method, route, status, actor, role) in expected.items():
        record = by_id[ids[name]]
        got = (record["method"], record["route"], record["status"], record["actor"], record["role"])
        assert got == (method, route, status, actor, role), (name, record)
    assert by_id[generated]["route"] == "/health"

    # 3. The request id is kept with what it recorded.
    history = api.history(cid)
    assert history[0]["request_id"] == ids["nominate"]
    assert [item["request_id"] for item in history[1:]] == [ids[f"step{i}"] for i in range(4)]


def test_request_metrics_are_labelled_by_route_template(live: Live, api: Api) -> None:
    tree = api.tree(officials=2)
    cid = api.open_candidacy(tree, upto=1)
    api.candidacy(cid)
    assert api.get("/no/such/route").status_code == 404
    metrics = api.get("/metrics")
    assert metrics.status_code == 200
    lines = [line for line in metrics.text.splitlines() if line.startswith("ketnap_")]
    assert any('route="/candidacies/{candidacy_id}/class-enrolment"' in line for line in lines)
    assert any('route="/candidacies/{candidacy_id}"' in line for line in lines)
    assert any('route="<unmatched>"' in line for line in lines)
    for unit_or_candidacy in (cid, tree.branch, tree.commune):
        assert unit_or_candidacy not in metrics.text, "an id became a metric label"


LINE_KEYS = {"timestamp", "level", "logger", "event"}
SERVE = "from api.cli.main import main; main()"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"ketnap serve exited with {process.returncode}"
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("ketnap serve did not answer /health in time")


def test_served_process_writes_json_lines_only(tmp_path: Path) -> None:
    port = _free_port()
    base_url = f"http://{LOOPBACK}:{port}"
    env = {
        **os.environ,
        "KETNAP_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "KETNAP_ADMIN_TOKEN": ADMIN_TOKEN,
        "KETNAP_LOG_LEVEL": "INFO",
        "KETNAP_LOG_JSON": "true",
    }
    command = [sys.executable, "-c", SERVE, "serve", "--host", LOOPBACK, "--port", str(port)]
    err_path, out_path = tmp_path / "stderr.log", tmp_path / "stdout.log"
    with err_path.open("wb") as err, out_path.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
    try:
        _wait_healthy(process, base_url)
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        # Personal data in a body that fails validation: answered 422, logged by no one.
        body = {"full_name": PERSON["full_name"], "national_id": PERSON["national_id"]}
        response = httpx.post(f"{base_url}/candidacies", json=body, headers=headers)
        assert response.status_code == 422, response.text
        # Not HTTP at all: uvicorn itself logs a warning.
        with socket.create_connection((LOOPBACK, port), timeout=5) as raw:
            raw.sendall(b"NOT HTTP\r\n\r\n")
            raw.recv(1024)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl+C, as a person stops it
        try:
            process.wait(timeout=STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0

    text = err_path.read_text(encoding="utf-8")
    records = []
    for line in text.splitlines():
        record = json.loads(line)  # every line, not only those that look like JSON
        assert isinstance(record, dict) and record.keys() >= LINE_KEYS, line
        records.append(record)
    for secret in (PERSON["full_name"], PERSON["national_id"]):
        for spelling in spellings(secret):
            assert spelling not in text, f"{spelling!r} reached the logs"

    uvicorn_events = [r["event"] for r in records if r["logger"] == "uvicorn.error"]
    assert f"Started server process [{process.pid}]" in uvicorn_events
    assert "Application startup complete." in uvicorn_events
    assert f"Uvicorn running on {base_url} (Press CTRL+C to quit)" in uvicorn_events
    assert "Shutting down" in uvicorn_events
    assert f"Finished server process [{process.pid}]" in uvicorn_events
    invalid = [r for r in records if r["event"] == "Invalid HTTP request received."]
    assert [(r["logger"], r["level"]) for r in invalid] == [("uvicorn.error", "warning")]
    requests = [r for r in records if r["event"] == "request"]
    assert {(r["logger"], r["route"], r["status"]) for r in requests} >= {
        ("ketnap.api", "/health", 200),
        ("ketnap.api", "/candidacies", 422),
    }
    assert "color_message" not in text, "uvicorn's extra fields are not rendered"
    # What a person reads (the address banner) goes to stdout, never into the log stream.
    assert f"ketnap API at {base_url}" in out_path.read_text(encoding="utf-8")
