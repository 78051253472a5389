"""With a cipher key, no table of the store holds a person in clear (issue 11 §1): after
the demo province and its views, every column of every table of an SQLite and a
PostgreSQL store is scanned for the names, national ids, dates of birth, ethnicities and
religions of every candidate and member."""

from __future__ import annotations

import base64
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest
from eventsourcing.cryptography import AESCipher
from psycopg import sql

from api.bootstrap import build_app, build_projections
from api.demo.loader import DemoClock, load_demo
from api.settings import Settings
from api.spreadsheets.importer import run_import
from api.spreadsheets.kinds import RUNNERS
from domain.candidacy.events import CandidacyEvent
from domain.events import DomainEvent
from domain.member import MemberRegistered
from tests.naive_figures import decode_all
from tests.scenario import ADMIN
from tests.unit.test_imports import ROSTER_HEADER, xlsx
from workflows.application import Admissions
from workflows.unit_codes import unit_codes

KEY = AESCipher.create_key(32)
# The personal fields scanned for (a member's record as imported has the last three too).
PERSONAL = ("full_name", "national_id", "ethnicity", "religion", "party_card_number",
            "hometown", "birthplace")  # fmt: skip


def _needles(app: Admissions) -> tuple[set[str], set[str]]:
    """(texts, dates of birth) that must not appear in clear: every person's name, id,
    ethnicity and religion; dates of birth that are no other event's date."""
    events: list[DomainEvent] = decode_all(app)
    texts: set[str] = set()
    births: set[str] = set()
    other_dates: set[str] = set()
    for event in events:
        data: dict[str, Any] = event.model_dump(mode="json")
        person = data.get("person") if isinstance(event, CandidacyEvent) else None
        if isinstance(event, MemberRegistered):
            person = data
        if isinstance(person, dict):
            texts |= {str(person[k]) for k in PERSONAL if person.get(k)}
            births.add(str(person["date_of_birth"]))
        other_dates |= {
            str(v)
            for k, v in data.items()
            if k != "date_of_birth" and isinstance(v, str) and len(v) == 10 and v[4] == "-"
        }
    texts = {t for t in texts if len(t) >= 3}
    return texts, births - other_dates


def _clear(value: str | bytes) -> str:
    """The text of a cell as a reader of the dump sees it. Ciphertext is random bytes and
    base64, where a short needle ("Hoa", "Tày") could turn up by chance: a sealed view row
    (``{"sealed": base64}``, checked to decode) and event bytes that are not UTF-8 hold no
    clear text and are left out of the search."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return ""  # ciphertext (with a key, the events' state)
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value
    if isinstance(data, dict) and set(data) == {"sealed"}:
        base64.b64decode(data["sealed"], validate=True)
        return ""
    return value


def _found(cells: list[tuple[str, str, str]], needles: set[str]) -> list[tuple[str, str, str]]:
    return [
        (table, column, needle)
        for table, column, value in cells
        for needle in needles
        if needle in value
    ]


def _sqlite_cells(path: Path) -> list[tuple[str, str, str]]:
    cells = []
    with closing(sqlite3.connect(path)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    raw = value if isinstance(value, bytes) else str(value)
                    cells.append((table, name, _clear(raw)))
    return cells


def _postgres_cells(url: str) -> list[tuple[str, str, str]]:
    cells = []
    with psycopg.connect(url) as pg:
        columns = pg.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ).fetchall()
        for table, column in columns:
            query = sql.SQL("SELECT {}::text FROM {}").format(
                sql.Identifier(column), sql.Identifier(table)
            )
            for (value,) in pg.execute(query):
                if value is not None:
                    cells.append((table, column, _clear(value)))
    return cells


def _demo(url: str, key: str | None, folder: Path) -> Admissions:
    """The demo province, and a roster imported from a workbook with the member's record
    (party card, hometown, birthplace), then every view caught up."""
    settings = Settings(database_url=url, cipher_key=key)
    app = build_app(settings, clock=DemoClock())
    load_demo(app)
    codes = unit_codes(app.recorder, app.mapper)
    branch = next(code for code, ids in codes.items() if app.organisation(ids[0]).kind.is_branch)
    rows: list[list[Any]] = [
        [branch, "Hoàng Thị Quỳnh Như", "Nữ", "14/09/1979", "Nùng", "Công giáo", "008179004321",
         "03/02/2004", "03/02/2005", "TDV-557733", "Thôn Nà Phặc, Hà Giang", "Bệnh viện Hà Giang"],
        [branch, "Vi Văn Thoại", "Nam", "22/11/1983", "Sán Dìu", None, None, "19/05/2008",
         None, "TDV-991188", "Xóm Đồng Tâm, Thái Nguyên", "Trạm y tế Đồng Tâm"],
    ]  # fmt: skip
    layout, runner = RUNNERS["roster"]
    path = xlsx(folder / "ds.xlsx", ROSTER_HEADER, rows)
    report = run_import(app, layout, runner, path, actor=ADMIN)
    assert (report.ok, report.recorded) == (True, 2), report.problems
    build_projections(app).catch_up()
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Any]:
    if request.param == "sqlite":
        path = tmp_path / "k.db"
        return f"sqlite:///{path}", lambda: _sqlite_cells(path)
    url: str = request.getfixturevalue("fresh_postgres_db")
    return url, lambda: _postgres_cells(url)


def test_with_a_key_no_table_holds_a_person_in_clear(
    store: tuple[str, Any], tmp_path: Path
) -> None:
    url, cells_of = store
    app = _demo(url, KEY, tmp_path)
    try:
        texts, births = _needles(app)
        assert len(texts) > 100 and len(births) > 100  # the scan looks for real people
        assert "Kinh" in texts and any(t.startswith("Nguyễn") for t in texts)
        assert {"TDV-557733", "Thôn Nà Phặc, Hà Giang", "Trạm y tế Đồng Tâm"} <= texts
        cells = cells_of()
        assert {"stored_events", "admissions_g1_source"} <= {table for table, _, _ in cells} or {
            "ketnap_events",
            "admissions_g1_source",
        } <= {table for table, _, _ in cells}
        assert _found(cells, texts) == []
        assert _found(cells, births) == []
    finally:
        app.close()


def test_the_scan_finds_people_without_a_key(tmp_path: Path) -> None:
    """The check can fail: without a key the event table holds every person in clear."""
    path = tmp_path / "plain.db"
    app = _demo(f"sqlite:///{path}", None, tmp_path)
    try:
        texts, births = _needles(app)
        cells = _sqlite_cells(path)
        # Names, ids, ethnicities, religions: only in the events (the views keep flags).
        assert {table for table, _, _ in _found(cells, texts)} == {"stored_events"}
        # Dates of birth: also in the ledger's coded sources, which only a key seals.
        found = {table for table, _, _ in _found(cells, births)}
        assert found == {"stored_events", "admissions_g1_source"}
    finally:
        app.close()
