"""The auditor's view of one candidacy (in memory): ``as_of``/``known_at`` on every boundary
of a full history equal a replay of the events up to it, a correction applies from the day
it restates, every check is explained, and the dossier (JSON and PDF) carries the timeline,
forms, votes, deadlines and chain verification. The same reads over HTTP (the history, the
auditor's subtree, the audit log lines): ``tests/e2e/test_audit_dossier.py``.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from uuid import UUID

import pytest
from pypdf import PdfReader

from api.audit.dossier import dossier_for
from api.audit.dossier_text import explain_check
from api.documents.pdf import render_pdf
from domain.candidacy.events import state_as_of
from domain.events import recorded_day
from domain.rules import CheckResult
from tests.scenario import ADMIN, nominate, path_to_official
from tests.unit.helpers import (
    BRANCH_VOTE,
    CERTIFICATE,
    World,
    boundary_days,
    drive_to_official,
    make_world,
    replay,
    version_of,
)
from workflows import commands as c


@pytest.fixture
def world() -> World:
    return make_world()


# --- time travel ------------------------------------------------------------------------------


def test_as_of_every_boundary_day_equals_a_replay_up_to_that_day(world: World):
    cid = drive_to_official(world)
    history = world.app.candidacy(cid).history
    days = boundary_days(history)
    assert len(days) >= 2 * len(history)
    for day in days:
        expected = replay(history, lambda e, day=day: e.effective_on <= day)
        assert state_as_of(history, day) == expected, day
        assert (world.app.candidacy_as_of(cid, day) if expected else None) == expected


def test_known_at_every_recording_boundary_equals_a_replay_of_what_was_recorded(world: World):
    cid = drive_to_official(world)
    history = world.app.candidacy(cid).history
    instants = sorted(
        {e.timestamp + d for e in history for d in (-timedelta(seconds=1), timedelta(0))}
    )
    assert len(instants) == 2 * len(history)
    for moment in instants:
        expected = replay(history, lambda e, moment=moment: e.timestamp <= moment)
        assert state_as_of(history, known_at=moment) == expected, moment


def test_as_of_applies_a_correction_from_the_day_it_restates(world: World):
    cid = drive_to_official(world)
    certificate = version_of(CERTIFICATE)
    world.app.execute(
        cid,
        c.CorrectRecord(
            position=certificate,
            changes={"number": "CN-0002"},
            reason="số giấy chứng nhận ghi nhầm",
        ),
        ADMIN,
    )
    history = world.app.candidacy(cid).history
    issued_on = history[certificate - 1].effective_on
    then = state_as_of(history, issued_on)
    assert then is not None and then.certificate is not None
    assert then.certificate.number == "CN-0002"
    before = state_as_of(history, issued_on, known_at=history[-1].timestamp - timedelta(seconds=1))
    assert before is not None and before.certificate is not None
    assert before.certificate.number == "CN-0001"


def test_explain_check_states_the_parameters_in_vietnamese_and_english():
    check = CheckResult(
        rule="certificate_expired",
        passed=True,
        rule_set="294-QĐ/TW",
        detail="certificate 58 months old on 2025-09-01, limit 60 (valid through 2025-11-01, "
        "294-QĐ/TW)",
        params={"age_months": 58, "limit_months": 60, "expires_on": "2025-11-01"},
    )
    line = explain_check(check)
    assert line.startswith("✓ Hiệu lực giấy chứng nhận")
    assert "giấy chứng nhận 58 tháng, giới hạn 60 tháng (hiệu lực đến 01/11/2025)" in line
    assert "Quy định 294-QĐ/TW" in line and "certificate 58 months old" in line
    failed = explain_check(check.model_copy(update={"passed": False, "blocking": False}))
    assert failed.startswith("✗ (không chặn)")


# --- the dossier ------------------------------------------------------------------------------


def test_the_json_dossier_has_the_timeline_forms_votes_deadlines_and_chain(world: World):
    cid = drive_to_official(world)
    dossier = dossier_for(world.app, cid)
    body = dossier.model_dump(mode="json")
    assert set(body) == {
        "summary",
        "deadlines_on",
        "timeline",
        "documents",
        "votes",
        "deadlines",
        "verification",
    }
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
    assert forms == [
        "CN-NTVĐ",
        "1-KNĐ",
        "2-KNĐ",
        "3-KNĐ",
        "20-KNĐ",
        "6-KNĐ",
        "8-KNĐ",
        "9-KNĐ",
        "13-KNĐ",
        "16-KNĐ",
    ]
    assert body["documents"][0]["number"] == "CN-0001"
    votes = [
        (v["body"], v["form"], v["in_favour"], v["eligible"], v["passed"]) for v in body["votes"]
    ]
    assert votes == [
        ("branch", "6-KNĐ", 8, 9, True),
        ("grassroots", "8-KNĐ", 6, 7, True),
        ("recognition", "13-KNĐ", 9, 9, True),
    ]
    kinds = {d["kind"]: d["status"] for d in body["deadlines"]}
    assert kinds["decision_due"] == "met" and kinds["ceremony_due"] == "met"
    assert kinds["recognition_vote_due"] == "met"
    assert body["verification"] == {"intact": True, "events_checked": 16, "problems": []}


def test_the_dossier_depends_on_the_events_alone(world: World):
    cid = drive_to_official(world)
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
    cid = drive_to_official(world)
    data = render_pdf(dossier_for(world.app, cid))
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    for heading in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "HỒ SƠ KẾT NẠP ĐẢNG VIÊN",
        "Diễn biến",
        "Tài liệu",
        "Biểu quyết",
        "Thời hạn",
        "Kết quả kiểm tra tính toàn vẹn",
    ):
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
    failed = c.RecordBranchVote(held_on=date(2023, 5, 5), eligible_official_members=9, in_favour=5)
    vote_at = BRANCH_VOTE
    for command in [*path[:vote_at], failed, *path[vote_at:14]]:
        world.app.execute(cid, command, ADMIN)
    recognised = path[13]
    assert isinstance(recognised, c.RecordRecognitionVote)
    world.app.execute(
        cid,
        c.RecordGrassrootsVote(
            held_on=recognised.held_on + timedelta(days=2), committee_members=7, in_favour=7
        ),
        ADMIN,
    )
    dossier = dossier_for(world.app, cid)
    votes = [(v.form, v.passed, v.attempt) for v in dossier.votes]
    assert votes == [
        ("6-KNĐ", False, 1),
        ("6-KNĐ", True, 2),
        ("8-KNĐ", True, 1),
        ("13-KNĐ", True, 1),
        ("15-KNĐ", True, 2),
    ]
    assert dossier.timeline[-1].form == "15-KNĐ"
    text = _pdf_text(render_pdf(dossier))
    assert "Không đạt" in text and "15-KNĐ" in text
