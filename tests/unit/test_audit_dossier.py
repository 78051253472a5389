"""The auditor's view of one candidacy (in memory): ``as_of``/``known_at`` on every boundary
of a full history equal a replay of the events up to it (shared function and HTTP), the
history shows corrections against what they restate and explains its checks, the dossier
(JSON and PDF) carries the timeline, forms, votes, deadlines and chain verification, the
auditor reads only within its subtree, and every audit read is logged without personal data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from structlog.testing import capture_logs

from api.dossier import dossier_for
from api.dossier_text import explain_check
from api.http.app import create_app
from api.http.schemas import CandidacyOut
from api.pdf import render_pdf
from api.settings import Settings
from domain.access import Role
from domain.candidacy.deadlines import deadlines
from domain.candidacy.events import CandidacyEvent, state_as_of
from domain.candidacy.state import CandidacyState
from domain.events import recorded_day
from domain.rules import CheckResult
from tests.scenario import ADMIN, nominate, path_to_official
from tests.unit.helpers import BRANCH_VOTE, CERTIFICATE, World, make_world, version_of
from workflows import commands as c
from workflows.application import fold

ADMIN_TOKEN = "test-admin-token"
PERSONAL = ("Nguyễn Thị Lan", "2000-05-01", "Tày")


def _official(world: World, *, hours_between: float = 1) -> UUID:
    """Nominate and drive the happy path to official, one recording hour apart per step."""
    cid = nominate(world.app, world.tree)
    for command in path_to_official(world.tree):
        world.clock.advance(hours=hours_between)
        world.app.execute(cid, command, ADMIN)
    return cid


def _replay(history: tuple[CandidacyEvent, ...], keep: Any) -> CandidacyState | None:
    """The independent answer: fold, event by event, only the events ``keep`` accepts."""
    state: CandidacyState | None = fold(None, [e for e in history if keep(e)])
    return state


def _boundary_days(history: tuple[CandidacyEvent, ...]) -> list[date]:
    """Each effective day, the day before and the day after it."""
    days = {e.effective_on + timedelta(days=d) for e in history for d in (-1, 0, 1)}
    return sorted(days)


@dataclass
class Http:
    client: TestClient
    tokens: dict[str, str]

    def get(self, path: str, who: str = "admin", **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(path, params=params, headers=headers)


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture
def http(world: World) -> Iterator[Http]:
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app,
                     keep_projections_caught_up=False)  # fmt: skip
    tokens = {
        "admin": ADMIN_TOKEN,
        "auditor": world.app.issue_token(Role.AUDITOR, world.tree.grassroots, "aud", ADMIN)[0],
        "outsider": world.app.issue_token(Role.AUDITOR, world.tree.grassroots_branch, "out", ADMIN)[
            0
        ],
    }
    with TestClient(app) as client:
        yield Http(client, tokens)


# --- time travel ------------------------------------------------------------------------------


def test_as_of_every_boundary_day_equals_a_replay_up_to_that_day(world: World, http: Http):
    cid = _official(world)
    history = world.app.candidacy(cid).history
    days = _boundary_days(history)
    assert len(days) >= 2 * len(history)
    for day in days:
        expected = _replay(history, lambda e, day=day: e.effective_on <= day)
        assert state_as_of(history, day) == expected, day
        assert (world.app.candidacy_as_of(cid, day) if expected else None) == expected
        response = http.get(f"/candidacies/{cid}", as_of=day.isoformat())
        if expected is None:
            assert response.status_code == 404, day
            continue
        assert response.status_code == 200, response.text
        out = CandidacyOut.of(expected, deadlines(expected, world.app.calendar, day),
                              with_person=True, as_of=day)  # fmt: skip
        assert response.json() == out.model_dump(mode="json"), day
        assert response.headers["etag"] == f'"{expected.version}"'


def test_known_at_every_recording_boundary_equals_a_replay_of_what_was_recorded(
    world: World, http: Http
):
    cid = _official(world)
    history = world.app.candidacy(cid).history
    instants = sorted({e.timestamp + d for e in history for d in (-timedelta(seconds=1),
                                                                   timedelta(0))})  # fmt: skip
    for moment in instants:
        expected = _replay(history, lambda e, moment=moment: e.timestamp <= moment)
        assert state_as_of(history, known_at=moment) == expected, moment
        response = http.get(f"/candidacies/{cid}", known_at=moment.isoformat())
        assert response.status_code == (200 if expected else 404), moment
        if expected is not None:
            assert response.json()["version"] == expected.version


def test_as_of_applies_a_correction_from_the_day_it_restates(world: World):
    cid = _official(world)
    certificate = version_of(CERTIFICATE)
    world.app.execute(
        cid, c.Correction(position=certificate, changes={"number": "CN-0002"},
                          reason="số giấy chứng nhận ghi nhầm"), ADMIN,
    )  # fmt: skip
    history = world.app.candidacy(cid).history
    issued_on = history[certificate - 1].effective_on
    then = state_as_of(history, issued_on)
    assert then is not None and then.certificate is not None
    assert then.certificate.number == "CN-0002"
    before = state_as_of(history, issued_on, known_at=history[-1].timestamp - timedelta(seconds=1))
    assert before is not None and before.certificate is not None
    assert before.certificate.number == "CN-0001"


# --- history over HTTP ------------------------------------------------------------------------


def test_history_shows_every_field_corrections_and_explained_checks(world: World, http: Http):
    cid = _official(world)
    certificate = version_of(CERTIFICATE)
    world.app.execute(
        cid, c.Correction(position=certificate, changes={"number": "CN-0002"},
                          reason="số giấy chứng nhận ghi nhầm",
                          document={"form": "CV", "number": "17-CV/ĐU", "dated": "2026-11-01"}),
        ADMIN,
    )  # fmt: skip
    plain = http.get(f"/candidacies/{cid}/history").json()["items"]
    assert all(item["explanation"] is None for item in plain)
    items = http.get(f"/candidacies/{cid}/history", explain="true").json()["items"]
    assert [item["position"] for item in items] == list(range(1, len(items) + 1))
    fields = {"position", "type", "effective_on", "recorded_at", "actor", "role", "unit_id",
              "request_id", "rule_set", "document", "data", "hash", "prev_hash", "checks",
              "restates", "restated_by", "explanation"}  # fmt: skip
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


def test_explain_check_states_the_parameters_in_vietnamese_and_english():
    check = CheckResult(
        rule="certificate_expired", passed=True, rule_set="294-QĐ/TW",
        detail="certificate 58 months old on 2025-09-01, limit 60 (valid through 2025-11-01, "
        "294-QĐ/TW)", params={"age_months": 58, "limit_months": 60, "expires_on": "2025-11-01"},
    )  # fmt: skip
    line = explain_check(check)
    assert line.startswith("✓ Hiệu lực giấy chứng nhận")
    assert "giấy chứng nhận 58 tháng, giới hạn 60 tháng (hiệu lực đến 01/11/2025)" in line
    assert "Quy định 294-QĐ/TW" in line and "certificate 58 months old" in line
    failed = explain_check(check.model_copy(update={"passed": False, "blocking": False}))
    assert failed.startswith("✗ (không chặn)")


# --- access and the audit trail ---------------------------------------------------------------


def test_every_audit_read_is_logged_with_who_what_and_when_but_no_personal_data(
    world: World, http: Http
):
    cid = _official(world)
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
    cid = _official(world)
    version = world.app.candidacy(cid).version
    for path in (f"/candidacies/{cid}/history", f"/candidacies/{cid}"):
        refused = http.get(path, who="outsider", as_of="2023-06-30")
        assert refused.status_code == 403 and refused.json()["rule"] == "forbidden_scope"
    headers = {"Authorization": f"Bearer {http.tokens['auditor']}"}
    write = http.client.post(f"/candidacies/{cid}/withdrawal", headers=headers,
                             json={"effective_on": "2026-10-01", "reason": "thử"})  # fmt: skip
    assert write.status_code == 403 and write.json()["rule"] == "forbidden_role"
    nominated = http.client.post("/candidacies", headers=headers, json={
        "person": {"full_name": "X", "sex": "male", "date_of_birth": "2000-01-01",
                   "ethnicity": "Kinh", "youth_union_member": False, "education": "university"},
        "branch_id": str(world.tree.branch), "nominated_by": "branch",
        "nominated_on": "2026-10-01",
    })  # fmt: skip
    assert nominated.status_code == 403 and nominated.json()["rule"] == "forbidden_role"
    assert world.app.candidacy(cid).version == version


# --- the dossier ------------------------------------------------------------------------------


def test_the_json_dossier_has_the_timeline_forms_votes_deadlines_and_chain(world: World):
    cid = _official(world)
    dossier = dossier_for(world.app, cid)
    body = dossier.model_dump(mode="json")
    assert set(body) == {"summary", "deadlines_on", "timeline", "documents", "votes",
                         "deadlines", "verification"}  # fmt: skip
    state = world.app.candidacy(cid)
    assert body["summary"]["stage"] == "official" and body["summary"]["version"] == 16
    assert body["summary"]["last_hash"] == state.last_hash
    assert body["summary"]["branch_name"] == "Đơn vị CB01"
    # Deadlines are judged on the day the newest event was recorded: the events decide.
    newest = recorded_day(state.history[-1].timestamp)  # 2026-11-02 in Vietnam
    assert body["deadlines_on"] == newest.isoformat() == "2026-11-02"
    assert len(body["timeline"]) == 16 and body["timeline"][0]["label"].startswith("Giới thiệu")
    assert all(step["explanation"] for step in body["timeline"])
    assert "person" not in body["timeline"][0]["data"]
    forms = [d["form"] for d in body["documents"]]
    assert forms == ["CN-NTVĐ", "1-KNĐ", "2-KNĐ", "3-KNĐ", "20-KNĐ", "6-KNĐ", "8-KNĐ", "9-KNĐ",
                     "13-KNĐ", "16-KNĐ"]  # fmt: skip
    assert body["documents"][0]["number"] == "CN-0001"
    votes = [(v["body"], v["form"], v["in_favour"], v["eligible"], v["passed"])
             for v in body["votes"]]  # fmt: skip
    assert votes == [("branch", "6-KNĐ", 8, 9, True), ("grassroots", "8-KNĐ", 6, 7, True),
                     ("recognition", "13-KNĐ", 9, 9, True)]  # fmt: skip
    kinds = {d["kind"]: d["status"] for d in body["deadlines"]}
    assert kinds["decision_due"] == "met" and kinds["ceremony_due"] == "met"
    assert kinds["recognition_vote_due"] == "met"
    assert body["verification"] == {"intact": True, "events_checked": 16, "problems": []}


def test_the_dossier_depends_on_the_events_alone(world: World):
    cid = _official(world)
    first = dossier_for(world.app, cid)
    world.clock.advance(days=400)  # a year later, nothing recorded
    again = dossier_for(world.app, cid)
    assert again == first
    assert render_pdf(again) == render_pdf(first)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"[ \t]+", " ", text)


def test_the_pdf_reads_back_with_vietnamese_headings_forms_and_dates(world: World):
    cid = _official(world)
    data = render_pdf(dossier_for(world.app, cid))
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    for heading in ("ĐẢNG CỘNG SẢN VIỆT NAM", "HỒ SƠ KẾT NẠP ĐẢNG VIÊN", "Diễn biến", "Tài liệu",
                    "Biểu quyết", "Thời hạn", "Kết quả kiểm tra tính toàn vẹn"):  # fmt: skip
        assert heading in text, heading
    for form in ("1-KNĐ", "2-KNĐ", "3-KNĐ", "6-KNĐ", "8-KNĐ", "9-KNĐ", "13-KNĐ", "16-KNĐ"):
        assert form in text, form
    state = world.app.candidacy(cid)
    assert state.decided_on is not None and state.official_on is not None
    for day in (state.nominated_on, state.decided_on, state.official_on):
        assert day.strftime("%d/%m/%Y") in text, day
    assert "Quyết định kết nạp đảng viên" in text and "Chuỗi mã băm nguyên vẹn" in text
    assert "Nguyễn Thị Lan" in text  # the summary names the person; diacritics survive
    assert str(cid) in text


def test_an_unknown_candidacy_has_no_dossier(world: World):
    from domain.errors import NotFound

    with pytest.raises(NotFound, match="candidacy"):
        dossier_for(world.app, UUID(int=7))


def test_a_refused_vote_and_a_grassroots_recognition_are_printed_with_their_forms(world: World):
    cid = nominate(world.app, world.tree)
    path = list(path_to_official(world.tree))
    failed = c.BranchVote(held_on=date(2023, 5, 5), eligible_official_members=9, in_favour=5)
    vote_at = BRANCH_VOTE
    for command in [*path[:vote_at], failed, *path[vote_at:14]]:
        world.app.execute(cid, command, ADMIN)
    recognised = path[13]
    assert isinstance(recognised, c.RecognitionVote)
    world.app.execute(cid, c.GrassrootsVote(held_on=recognised.held_on + timedelta(days=2),
                                            committee_members=7, in_favour=7), ADMIN)  # fmt: skip
    dossier = dossier_for(world.app, cid)
    votes = [(v.form, v.passed, v.attempt) for v in dossier.votes]
    assert votes == [("6-KNĐ", False, 1), ("6-KNĐ", True, 2), ("8-KNĐ", True, 1),
                     ("13-KNĐ", True, 1), ("15-KNĐ", True, 2)]  # fmt: skip
    assert dossier.timeline[-1].form == "15-KNĐ"
    text = _pdf_text(render_pdf(dossier))
    assert "Không đạt" in text and "15-KNĐ" in text


def test_verifying_over_http_is_an_audit_read(world: World, http: Http):
    _official(world)
    with capture_logs() as logs:
        assert http.get("/audit/verify", who="auditor").status_code == 200
    [line] = [entry for entry in logs if entry["event"] == "audit.read"]
    assert line["what"] == "verify" and line["role"] == "auditor" and line["via"] == "http"
    assert line["at"] == world.clock.now.isoformat()


def test_the_dossier_over_http_as_json_and_pdf(world: World, http: Http):
    cid = _official(world)
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
