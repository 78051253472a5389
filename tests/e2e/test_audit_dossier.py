"""The auditor's view of one candidacy over HTTP, in process on an in-memory store:
``as_of``/``known_at`` on every boundary of a full history answer a replay of the events up
to it, the history shows corrections against what they restate and explains its checks,
the auditor reads only within its subtree, the dossier comes as JSON and PDF, and every
audit read is logged without personal data. The shared functions behind these reads:
``tests/unit/test_audit_dossier.py``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from structlog.testing import capture_logs

from api.audit.dossier import dossier_for
from api.http.schemas import CandidacyOut
from domain.candidacy.deadlines import deadlines
from tests.scenario import ADMIN
from tests.unit.helpers import (
    BRANCH_VOTE,
    CERTIFICATE,
    World,
    boundary_days,
    drive_to_official,
    replay,
    version_of,
)
from workflows import commands as c

PERSONAL = ("Nguyễn Thị Lan", "2000-05-01", "Tày")


@dataclass
class Http:
    client: TestClient
    tokens: dict[str, str]

    def get(self, path: str, who: str = "admin", **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(path, params=params, headers=headers)


@pytest.fixture
def http(in_process: TestClient, tokens: dict[str, str]) -> Http:
    return Http(in_process, tokens)


# --- time travel ------------------------------------------------------------------------------


def test_as_of_every_boundary_day_answers_a_replay_up_to_that_day(world: World, http: Http):
    cid = drive_to_official(world)
    history = world.app.candidacy(cid).history
    for day in boundary_days(history):
        expected = replay(history, lambda e, day=day: e.effective_on <= day)
        response = http.get(f"/candidacies/{cid}", as_of=day.isoformat())
        if expected is None:
            assert response.status_code == 404, day
            continue
        assert response.status_code == 200, response.text
        out = CandidacyOut.of(
            expected, deadlines(expected, world.app.calendar, day), with_person=True, as_of=day
        )
        assert response.json() == out.model_dump(mode="json"), day
        assert response.headers["etag"] == f'"{expected.version}"'


def test_known_at_every_recording_boundary_answers_a_replay_of_what_was_recorded(
    world: World, http: Http
):
    cid = drive_to_official(world)
    history = world.app.candidacy(cid).history
    instants = sorted(
        {e.timestamp + d for e in history for d in (-timedelta(seconds=1), timedelta(0))}
    )
    for moment in instants:
        expected = replay(history, lambda e, moment=moment: e.timestamp <= moment)
        response = http.get(f"/candidacies/{cid}", known_at=moment.isoformat())
        assert response.status_code == (200 if expected else 404), moment
        if expected is not None:
            assert response.json()["version"] == expected.version


# --- the history ------------------------------------------------------------------------------


def test_history_shows_every_field_corrections_and_explained_checks(world: World, http: Http):
    cid = drive_to_official(world)
    certificate = version_of(CERTIFICATE)
    world.app.execute(
        cid,
        c.CorrectRecord(
            position=certificate,
            changes={"number": "CN-0002"},
            reason="số giấy chứng nhận ghi nhầm",
            document={"form": "CV", "number": "17-CV/ĐU", "dated": "2026-11-01"},
        ),
        ADMIN,
    )
    plain = http.get(f"/candidacies/{cid}/history").json()["items"]
    assert all(item["explanation"] is None for item in plain)
    items = http.get(f"/candidacies/{cid}/history", explain="true").json()["items"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    fields = {
        "position",
        "type",
        "effective_on",
        "recorded_at",
        "actor",
        "role",
        "unit_id",
        "request_id",
        "rule_set",
        "document",
        "data",
        "hash",
        "prev_hash",
        "checks",
        "restates",
        "restated_by",
        "explanation",
    }
    assert fields <= items[0].keys()
    for before, after in pairwise(items):
        assert after["prev_hash"] == before["hash"]
    correction = items[-1]
    assert correction["type"] == "Corrected" and correction["restates"] == certificate
    assert correction["document"]["number"] == "17-CV/ĐU"
    assert items[certificate - 1]["restated_by"] == [correction["position"]]
    assert items[certificate - 1]["data"]["number"] == "CN-0001"  # the original, unedited
    assert all(item["restated_by"] == [] for item in items if item["position"] != certificate)
    vote = items[version_of(BRANCH_VOTE) - 1]
    assert vote["type"] == "BranchVoteHeld" and vote["rule_set"] == "24-QĐ/TW"
    certificate_check = next(ch for ch in vote["checks"] if ch["rule"] == "certificate_expired")
    assert certificate_check["params"]["limit_months"] == 60
    months = certificate_check["params"]["age_months"]
    lines = "\n".join(vote["explanation"])
    assert f"giấy chứng nhận {months} tháng, giới hạn 60 tháng" in lines
    assert "Quy định 24-QĐ/TW" in lines and f"certificate {months} months old" in lines
    assert "8/9 tán thành, cần 2/3" in lines


# --- access and the audit trail ---------------------------------------------------------------


def test_every_audit_read_is_logged_with_who_what_and_when_but_no_personal_data(
    world: World, http: Http
):
    cid = drive_to_official(world)
    with capture_logs() as logs:
        _audit_reads(http, cid)
    reads = [entry for entry in logs if entry["event"] == "audit.read"]
    assert [r["what"] for r in reads] == ["history", "state"]
    for entry in reads:
        assert entry["role"] == "auditor" and entry["actor"].startswith("token:")
        assert entry["candidacy_id"] == str(cid) and entry["via"] == "http"
        assert entry["at"] == world.clock.now.isoformat()
        assert not any(p in str(entry) for p in PERSONAL)
    assert reads[1]["as_of"] == "2023-06-30"


def _audit_reads(http: Http, cid: UUID) -> None:
    assert http.get(f"/candidacies/{cid}/history", who="auditor").status_code == 200
    assert http.get(f"/candidacies/{cid}", who="auditor", as_of="2023-06-30").status_code == 200
    assert http.get(f"/candidacies/{cid}", who="auditor").status_code == 200  # not an audit read


def test_the_auditor_reads_only_and_only_its_subtree(world: World, http: Http):
    cid = drive_to_official(world)
    version = world.app.candidacy(cid).version
    for path in (f"/candidacies/{cid}/history", f"/candidacies/{cid}"):
        refused = http.get(path, who="outsider", as_of="2023-06-30")
        assert refused.status_code == 403 and refused.json()["rule"] == "forbidden_scope"
    headers = {"Authorization": f"Bearer {http.tokens['auditor']}"}
    write = http.client.post(
        f"/candidacies/{cid}/withdrawal",
        headers=headers,
        json={"effective_on": "2026-10-01", "reason": "thử"},
    )
    assert write.status_code == 403 and write.json()["rule"] == "forbidden_role"
    nominated = http.client.post(
        "/candidacies",
        headers=headers,
        json={
            "person": {
                "full_name": "X",
                "sex": "male",
                "date_of_birth": "2000-01-01",
                "ethnicity": "Kinh",
                "youth_union_member": False,
                "education": "university",
            },
            "branch_id": str(world.tree.branch),
            "nominated_by": "branch",
            "nominated_on": "2026-10-01",
        },
    )
    assert nominated.status_code == 403 and nominated.json()["rule"] == "forbidden_role"
    assert world.app.candidacy(cid).version == version


# --- the dossier and verification -----------------------------------------------------------


def test_verifying_over_http_is_an_audit_read(world: World, http: Http):
    drive_to_official(world)
    with capture_logs() as logs:
        assert http.get("/audit/verify", who="auditor").status_code == 200
    [line] = [entry for entry in logs if entry["event"] == "audit.read"]
    assert line["what"] == "verify" and line["role"] == "auditor" and line["via"] == "http"
    assert line["at"] == world.clock.now.isoformat()


def test_the_dossier_over_http_as_json_and_pdf(world: World, http: Http):
    cid = drive_to_official(world)
    with capture_logs() as logs:
        as_json = http.get(f"/candidacies/{cid}/dossier", who="auditor")
        as_pdf = http.get(f"/candidacies/{cid}/dossier", who="auditor", format="pdf")
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    assert as_json.json() == dossier_for(world.app, cid).model_dump(mode="json")
    assert as_pdf.status_code == 200 and as_pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert "HỒ SƠ KẾT NẠP ĐẢNG VIÊN" in text and "9-KNĐ" in text
    reads = [entry for entry in logs if entry["event"] == "audit.read"]
    assert [(r["what"], r["format"]) for r in reads] == [("export", "json"), ("export", "pdf")]
    assert http.get(f"/candidacies/{cid}/dossier", who="auditor", format="doc").status_code == 422
