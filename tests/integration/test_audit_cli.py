"""``ketnap audit history|state|explain|export|compliance`` on each real store (an SQLite
file and a fresh PostgreSQL database), run through typer's CliRunner as a user would, with
``KETNAP_DATABASE_URL`` naming the store.

The candidacy is recorded first by an application with a fixed clock, then closed; each
command builds its own application from the settings, as ``ketnap`` does.
"""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner, Result

from api.cli.main import cli
from api.http.schemas import CandidacyOut
from api.settings import persistence_env
from domain.candidacy.deadlines import deadlines
from domain.candidacy.events import CandidacyEvent
from domain.candidacy.state import CandidacyState
from tests.scenario import ADMIN, FixedClock, build_tree, make_app, nominate, path_to_official
from workflows.application import fold
from workflows.calendar import VietnamCalendar


@dataclass
class Store:
    url: str
    kind: str
    candidacy: UUID
    grassroots: UUID
    history: tuple[CandidacyEvent, ...]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store holding one candidacy driven from nomination to official."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/audit.db"
    else:
        url = request.getfixturevalue("fresh_postgres_db")
    clock = FixedClock()
    app = make_app(persistence_env(url, pool_size=2), clock)
    try:
        tree = build_tree(app)
        cid = nominate(app, tree)
        for command in path_to_official(tree):
            clock.advance(minutes=5)
            app.execute(cid, command, ADMIN)
        history = app.candidacy(cid).history
    finally:
        app.close()
    yield Store(url, request.param, cid, tree.grassroots, history)


def run(store: Store, *args: str) -> Result:
    env = {"KETNAP_DATABASE_URL": store.url, "KETNAP_POSTGRES_POOL_SIZE": "2", "COLUMNS": "220"}
    return CliRunner().invoke(cli, ["audit", *args], env=env)


def _replayed(history: tuple[CandidacyEvent, ...], day: date) -> CandidacyState | None:
    state: CandidacyState | None = fold(None, [e for e in history if e.effective_on <= day])
    return state


def test_state_as_of_every_boundary_day_equals_a_replay(store: Store):
    days = sorted({e.effective_on + timedelta(days=d) for e in store.history for d in (-1, 0)})
    calendar = VietnamCalendar()
    for day in days:
        result = run(store, "state", str(store.candidacy), "--as-of", day.isoformat(), "--json")
        expected = _replayed(store.history, day)
        if expected is None:
            assert result.exit_code == 1 and "did not exist yet" in result.output, day
            continue
        assert result.exit_code == 0, result.output
        out = CandidacyOut.of(
            expected, deadlines(expected, calendar, day), with_person=True, as_of=day
        )
        assert json.loads(result.stdout) == out.model_dump(mode="json"), day


def test_state_as_known_at_an_instant(store: Store):
    tenth = store.history[9]
    result = run(
        store, "state", str(store.candidacy), "--known-at", tenth.timestamp.isoformat(), "--json"
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["version"] == 10 and body["known_at"] == tenth.timestamp.isoformat().replace(
        "+00:00", "Z"
    )
    table = run(store, "state", str(store.candidacy), "--as-of", "2023-06-30")
    assert table.exit_code == 0 and "probation" in table.stdout and "ceremony_on" in table.stdout


def test_history_lists_every_event_with_its_envelope_and_hash(store: Store):
    result = run(store, "history", str(store.candidacy))
    assert result.exit_code == 0, result.output
    for text in (
        "CandidateNominated",
        "RecognitionDecided",
        "24-QĐ/TW",
        "admin@test",
        "req-test",
        store.history[-1].content_hash()[:16],
    ):
        assert text in result.stdout, text
    items = json.loads(run(store, "history", str(store.candidacy), "--json").stdout)
    assert [i["position"] for i in items] == list(range(1, 17))
    assert items[-1]["hash"] == store.history[-1].content_hash()


def test_explain_prints_each_step_with_its_checks_and_parameters(store: Store):
    result = run(store, "explain", str(store.candidacy))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "#10" in out and "Nghị quyết chi bộ đề nghị kết nạp (branch resolution)" in out
    assert "tháng, giới hạn 60 tháng" in out and "8/9 tán thành, cần 2/3" in out
    assert "Quy định 24-QĐ/TW" in out and "months old on" in out
    assert "23 tuổi 0 tháng, quy định từ 18 đến 60 tuổi" in out


def test_export_json_and_pdf(store: Store, tmp_path: Path):
    printed = run(store, "export", str(store.candidacy), "--format", "json")
    assert printed.exit_code == 0, printed.output
    dossier = json.loads(printed.stdout)
    assert dossier["verification"] == {"intact": True, "events_checked": 16, "problems": []}
    assert {d["form"] for d in dossier["documents"]} >= {"1-KNĐ", "6-KNĐ", "9-KNĐ", "16-KNĐ"}
    target = tmp_path / "hs.json"
    assert run(store, "export", str(store.candidacy), "--output", str(target)).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == dossier
    pdf = tmp_path / "hs.pdf"
    result = run(store, "export", str(store.candidacy), "--format", "pdf", "-o", str(pdf))
    assert result.exit_code == 0, result.output
    text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    for expected in ("HỒ SƠ KẾT NẠP ĐẢNG VIÊN", "Biểu quyết", "6-KNĐ", "9-KNĐ", "08/06/2023"):
        assert expected in text, expected


def test_compliance_table_and_json(store: Store):
    result = run(
        store, "compliance", "--organisation", str(store.grassroots), "--period", "2023", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["steps"], report["met"], report["missed"]) == (2, 2, 0)  # decision, ceremony
    table = run(store, "compliance", "--organisation", str(store.grassroots), "--period", "2023")
    assert "Quyết định kết nạp" in table.stdout and "Không có bước nào quá hạn" in table.stdout


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("history", str(UUID(int=5))), 1, "unknown candidacy"),
        (("export", str(UUID(int=5)), "--format", "pdf"), 1, "unknown candidacy"),
        (("history", "not-a-uuid"), 2, "ID"),
        (("state", "{cid}", "--as-of", "31/12/2024"), 2, "--as-of"),
        (("state", "{cid}", "--known-at", "2025-01-05T08:00:00"), 2, "--known-at"),
        (("state", "{cid}", "--known-at", "0001-01-01T00:00:00+14:00"), 2, "years 1 to 9999"),
        (("export", "{cid}", "--format", "docx"), 2, "--format"),
        (
            ("compliance", "--organisation", str(UUID(int=5)), "--period", "2025"),
            1,
            "unknown organisation",
        ),
        (("compliance", "--organisation", "{org}", "--period", "twenty"), 2, "--period"),
    ],
)
def test_clear_errors(store: Store, args: tuple[str, ...], code: int, says: str):
    filled = [a.format(cid=store.candidacy, org=store.grassroots) for a in args]
    result = run(store, *filled)
    assert result.exit_code == code, result.output
    assert says in result.output


def test_every_cli_read_is_logged_without_personal_data(store: Store, tmp_path: Path):
    cid = str(store.candidacy)
    results = [
        run(store, "history", cid),
        run(store, "state", cid, "--as-of", "2023-06-30"),
        run(store, "explain", cid),
        run(store, "export", cid, "--format", "pdf", "-o", str(tmp_path / "x.pdf")),
        run(store, "compliance", "--organisation", str(store.grassroots), "--period", "2023"),
    ]
    reads: list[dict[str, Any]] = []
    for result in results:
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
        reads += [line for line in lines if line["event"] == "audit.read"]
    assert [r["what"] for r in reads] == ["history", "state", "explain", "export", "compliance"]
    assert all(r["via"] == "cli" and r["role"] == "operator" for r in reads)
    assert all(r["actor"].startswith("cli:") and r["at"] and r["timestamp"] for r in reads)
    assert all(r["candidacy_id"] == cid for r in reads[:4])
    assert reads[1]["as_of"] == "2023-06-30" and reads[3]["format"] == "pdf"
    assert reads[4]["organisation_id"] == str(store.grassroots) and reads[4]["period"] == "2023"
    assert all("Nguyễn" not in str(r) for r in reads)


def test_an_altered_stored_event_shows_in_the_dossier(store: Store):
    if store.kind != "sqlite":
        pytest.skip(
            "the byte edit is done with sqlite3 here; tamper tests on PostgreSQL "
            "belong to the verifier's suite"
        )
    path = store.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:  # the certificate's number, edited in place
        changed = db.execute(
            "UPDATE stored_events SET state = CAST(REPLACE(CAST(state AS TEXT), 'CN-0001', "
            "'CN-0009') AS BLOB) WHERE CAST(state AS TEXT) LIKE '%CN-0001%'"
        ).rowcount
    assert changed == 1
    dossier = json.loads(run(store, "export", str(store.candidacy)).stdout)
    assert dossier["verification"]["intact"] is False
    assert 3 in {p["position"] for p in dossier["verification"]["problems"]}
