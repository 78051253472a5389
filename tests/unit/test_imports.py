"""Imports of the tree, the roster and quotas from .xlsx and .csv (issue 13): through the
application's own commands, a dry run that writes nothing and names every problem, the
same file twice recording nothing new, and a changed row refused."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from api.spreadsheets.importer import ImportReport, run_import
from api.spreadsheets.kinds import RUNNERS
from api.spreadsheets.layouts import Kind
from domain.values import Period
from tests.scenario import ADMIN, build_tree, make_app
from workflows.application import Admissions

ROSTER_HEADER = [
    "Mã chi bộ",
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Dân tộc",
    "Tôn giáo",
    "Số CCCD",
    "Ngày vào Đảng",
    "Ngày chính thức",
    "Số thẻ đảng viên",
    "Quê quán",
    "Nơi sinh",
]


def xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Dữ liệu"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def csv_file(path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run(app: Admissions, kind: Kind, path: Path, dry_run: bool = False) -> ImportReport:
    layout, runner = RUNNERS[kind]
    return run_import(app, layout, runner, path, actor=ADMIN, dry_run=dry_run, batch_seconds=0)


def members(app: Admissions) -> list[Any]:
    return app.roster.members_on(date(2026, 10, 1))


def roster_rows() -> list[list[Any]]:
    return [
        ["CB01", "Nguyễn Thị Mai", "Nữ", "12/03/1990", "Kinh", None, "001190000123",
         "03/02/2015", "03/02/2016", "12345678", "Xã Yên Sở, Hà Nội", "Hà Nội"],
        ["CB01", "Trần Văn Hùng", "Nam", date(1985, 7, 1), "Tày", "Phật giáo", "001085000456",
         datetime(2010, 5, 19), None, None, None, None],
        ["CB02", "Lò Thị Xuân", "nu", 33000, "Thái", None, None, "2019-09-02", "2020-09-02",
         None, None, None],
    ]  # fmt: skip


def test_a_roster_imports_through_the_application_and_twice_records_nothing_new(
    tmp_path: Path,
) -> None:
    app = make_app()
    build_tree(app, officials=0)
    path = xlsx(tmp_path / "roster.xlsx", ROSTER_HEADER, roster_rows())
    before = len(members(app))
    dry = run(app, "roster", path, dry_run=True)
    assert (dry.ok, dry.rows, dry.recorded, dry.unchanged) == (True, 3, 3, 0)
    assert len(members(app)) == before  # a dry run writes nothing

    first = run(app, "roster", path)
    assert (first.ok, first.recorded, first.unchanged) == (True, 3, 0)
    assert len(members(app)) == before + 3
    again = run(app, "roster", path)
    assert (again.ok, again.recorded, again.unchanged) == (True, 0, 3)
    assert len(members(app)) == before + 3

    mai = next(app.member(m) for m in members(app) if app.member(m).national_id == "001190000123")
    assert (mai.full_name, mai.sex, mai.date_of_birth) == (
        "Nguyễn Thị Mai",
        "female",
        date(1990, 3, 12),
    )
    assert (mai.status, mai.official_on, mai.party_card_number) == (
        "official",
        date(2016, 2, 3),
        "12345678",
    )
    assert (mai.hometown, mai.birthplace) == ("Xã Yên Sở, Hà Nội", "Hà Nội")
    xuan = next(app.member(m) for m in members(app) if app.member(m).full_name == "Lò Thị Xuân")
    assert xuan.date_of_birth == date(1990, 5, 7)  # Excel serial 33000


def test_a_dry_run_names_every_problem_by_row_and_column_and_writes_nothing(
    tmp_path: Path,
) -> None:
    app = make_app()
    build_tree(app, officials=0)
    rows = roster_rows()
    rows[0][0] = "CB99"  # unknown branch
    rows[1][3] = "31/02/1985"  # no such day
    rows[2][4] = "Klingon"  # not an ethnic group
    rows.append(list(rows[0]))  # a duplicate of the first row
    rows[3][0] = "CB01"
    rows.append(["CB01", "Phạm Văn Nam", "Nam", "01/01/1990", "Kinh", None, "=A1", "01/01/2020",
                 None, None, None, None])  # fmt: skip
    path = xlsx(tmp_path / "bad.xlsx", [*ROSTER_HEADER, "Ghi chú riêng"], rows)
    report = run(app, "roster", path, dry_run=True)
    found = {(p.row, p.column, p.rule) for p in report.problems}
    assert (2, "Mã chi bộ", "unknown_unit") in found
    assert (3, "Ngày sinh", "invalid_date") in found
    assert (4, "Dân tộc", "invalid_choice") in found
    assert (6, "Số CCCD", "formula_not_allowed") in found
    assert report.ignored_columns == ["Ghi chú riêng"]
    assert all(p.message for p in report.problems)
    assert members(app) == []
    # the duplicate of row 2 (now in CB01) is a new member, not a problem
    assert report.recorded == 1


def test_missing_columns_are_named_and_nothing_is_read(tmp_path: Path) -> None:
    app = make_app()
    path = csv_file(tmp_path / "r.csv", ["Họ và tên", "Giới tính"], [["A", "Nam"]])
    report = run(app, "roster", path, dry_run=True)
    assert {p.column for p in report.problems if p.rule == "missing_column"} >= {
        "Mã chi bộ",
        "Ngày sinh",
        "Dân tộc",
        "Ngày vào Đảng",
    }
    assert report.rows == 0


def test_a_row_changed_since_its_import_is_a_problem_not_a_second_member(
    tmp_path: Path,
) -> None:
    app = make_app()
    build_tree(app, officials=0)
    rows = roster_rows()
    assert run(app, "roster", xlsx(tmp_path / "a.xlsx", ROSTER_HEADER, rows)).recorded == 3
    rows[0][1] = "Nguyễn Thị Mây"
    report = run(app, "roster", xlsx(tmp_path / "b.xlsx", ROSTER_HEADER, rows))
    assert [(p.row, p.rule) for p in report.problems] == [(2, "changed_since_import")]
    assert (report.recorded, report.unchanged) == (0, 2)
    assert len(members(app)) == 3


def test_a_csv_in_windows_1258_with_semicolons_imports(tmp_path: Path) -> None:
    app = make_app()
    build_tree(app, officials=0)
    path = tmp_path / "r.csv"
    lines = [
        ";".join(ROSTER_HEADER),
        "CB01;Hà Văn Dũng;Nam;05/06/1980;Kinh;;;01/01/2005;01/01/2006;;;",
    ]
    path.write_bytes(cp1258("\r\n".join(lines) + "\r\n"))
    report = run(app, "roster", path)
    assert (report.ok, report.recorded) == (True, 1), report.problems
    assert app.member(members(app)[0]).full_name == "Hà Văn Dũng"


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: a letter's tone as a combining mark after the letter
    (with its circumflex, breve or horn kept on it when the code page has that letter)."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base, marks = parts[0], parts[1:]
        for mark in "\u0302\u0306\u031b":  # circumflex, breve, horn stay on the letter
            if mark in marks:
                base, marks = unicodedata.normalize("NFC", base + mark), marks.replace(mark, "")
        out += (base + marks).encode("cp1258")
    return bytes(out)


TREE_HEADER = ["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên", "Ngày thành lập",
               "Thay đổi", "Ngày thay đổi", "Sáp nhập vào"]  # fmt: skip


def test_a_tree_imports_parents_after_children_in_the_file_and_its_changes(
    tmp_path: Path,
) -> None:
    app = make_app()
    rows = [
        ["CB1", "Chi bộ 1", "Chi bộ", "DU1", "01/01/2000", None, None, None],
        ["DU1", "Đảng ủy cơ sở 1", "Đảng bộ cơ sở", "X1", "01/01/2000", None, None, None],
        ["X1", "Đảng bộ xã 1", "Đảng bộ xã", "T1", "01/01/2000", None, None, None],
        ["T1", "Tỉnh 1", "Đảng bộ tỉnh", None, "01/01/1990", None, None, None],
        ["CB2", "Chi bộ 2", "chi bo", "DU1", "01/01/2000", None, None, None],
        ["CB2", "Chi bộ 2", None, None, None, "Sáp nhập", "01/07/2025", "CB1"],
        ["CB1", "Chi bộ Một", None, None, None, "Đổi tên", "01/01/2024", None],
    ]
    path = xlsx(tmp_path / "tree.xlsx", TREE_HEADER, rows)
    dry = run(app, "tree", path, dry_run=True)
    assert (dry.ok, dry.recorded) == (True, 7), dry.problems
    report = run(app, "tree", path)
    assert (report.ok, report.recorded) == (True, 7), report.problems
    again = run(app, "tree", path)
    assert (again.recorded, again.unchanged) == (0, 7)
    from workflows.unit_codes import unit_codes

    codes = unit_codes(app.recorder, app.mapper)
    cb1 = app.organisation(codes["CB1"][0])
    assert cb1.name_on(date(2024, 6, 1)) == "Chi bộ Một"
    cb2 = app.organisation(codes["CB2"][0])
    assert not cb2.exists_on(date(2025, 7, 2))


def test_a_tree_row_whose_parent_is_unknown_is_named(tmp_path: Path) -> None:
    app = make_app()
    rows = [["CB1", "Chi bộ 1", "Chi bộ", "NOPE", "01/01/2000", None, None, None]]
    report = run(app, "tree", xlsx(tmp_path / "t.xlsx", TREE_HEADER, rows), dry_run=True)
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (2, "Mã đơn vị cấp trên", "unknown_unit")
    ]


def test_quotas_import_and_a_changed_target_revises(tmp_path: Path) -> None:
    app = make_app()
    build_tree(app, officials=0)
    header = ["Mã đơn vị", "Kỳ", "Chỉ tiêu", "Nữ", "Dân tộc thiểu số", "Đoàn viên"]
    rows: list[list[Any]] = [
        ["X01", 2025, 40, 20, 5, 10],
        ["T01", "2020-2025", "1.200", None, None, None],
    ]
    path = xlsx(tmp_path / "q.xlsx", header, rows)
    assert run(app, "quotas", path).recorded == 2
    assert run(app, "quotas", path).unchanged == 2
    rows[0][2] = 45
    assert run(app, "quotas", xlsx(tmp_path / "q2.xlsx", header, rows)).recorded == 1
    from workflows.unit_codes import unit_codes

    x01 = unit_codes(app.recorder, app.mapper)["X01"][0]
    quota = app.quota(x01, Period.parse("2025"))
    assert quota is not None and quota.target == 45
    # the first file again does not put the target back: its rows were recorded once
    again = run(app, "quotas", path)
    assert (again.recorded, again.unchanged) == (0, 2)
    quota = app.quota(x01, Period.parse("2025"))
    assert quota is not None and quota.target == 45


@pytest.mark.parametrize("name", ["r.xls", "r.pdf"])
def test_a_file_of_another_kind_is_refused_with_a_message(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0junk")
    report = run(make_app(), "roster", path, dry_run=True)
    assert [p.rule for p in report.problems] == ["unsupported_file"]


# --- past candidacies ---------------------------------------------------------------------

CANDIDACY_HEADER = ["Mã hồ sơ", "Bước", "Ngày", "Mã chi bộ", "Họ và tên", "Giới tính",
                    "Ngày sinh", "Dân tộc", "Trình độ", "Nguồn giới thiệu", "Số biểu quyết",
                    "Số tán thành", "Kết quả", "Cấp quyết định", "Số giấy chứng nhận",
                    "Nơi cấp", "Số văn bản", "Chi tiết (JSON)"]  # fmt: skip


def candidacy_rows(ref: str, tree: Any) -> list[list[Any]]:
    """One candidacy from nomination to official membership as a file's rows: the columns
    where the layout has one, the rest of each command in its JSON details."""
    from api.spreadsheets.candidacies import DAY_FIELD
    from tests.scenario import path_to_official
    from workflows import commands as c

    segments = {command: segment for segment, command in c.CANDIDACY_COMMANDS.items()}
    rows: list[list[Any]] = [
        [ref, "Giới thiệu quần chúng ưu tú vào nguồn", "10/01/2023", "CB01", "Nguyễn Thị Lan",
         "Nữ", "01/05/2000", "Tày", "Đại học", "Hội Liên hiệp Phụ nữ", None, None, None, None,
         None, None, None, json.dumps({"helper_member_id": str(tree.officials[0])})],
    ]  # fmt: skip
    for command in path_to_official(tree):
        data = command.model_dump(mode="json", exclude_defaults=True)
        day_field = "recorded_on" if "result" in data else DAY_FIELD[type(command)]
        day = data.pop(day_field)
        voters = data.pop("eligible_official_members", None) or data.pop("committee_members", None)
        in_favour = data.pop("in_favour", None)
        outcome = data.pop("decision", None) or data.pop("result", None)
        body = data.pop("deciding_body_id", None)
        number = data.pop("number", None) or data.pop("certificate_number", None)
        issuer = data.pop("issuer", None)
        code = {str(tree.grassroots): "DU01", str(tree.commune): "X01"}.get(body or "")
        rows.append(
            [ref, segments[type(command)], day, None, None, None, None, None, None, None,
             voters, in_favour, outcome, code, number, issuer, None,
             json.dumps(data) if data else None]
        )  # fmt: skip
    return rows


def test_past_candidacies_import_step_by_step_to_official_membership(tmp_path: Path) -> None:
    from domain.candidacy.state import Stage
    from domain.member_ids import member_id_for

    app = make_app()
    tree = build_tree(app)
    rows = candidacy_rows("HS-001", tree)
    rows[1:] = reversed(rows[1:])  # the file's order does not matter, the days do
    path = xlsx(tmp_path / "c.xlsx", CANDIDACY_HEADER, rows)
    dry = run(app, "candidacies", path, dry_run=True)
    assert (dry.ok, dry.recorded) == (True, len(rows)), dry.problems
    assert app.roster.members_on(date(2026, 10, 1)) == sorted(tree.officials)

    report = run(app, "candidacies", path)
    assert (report.ok, report.recorded) == (True, len(rows)), report.problems
    from api.spreadsheets.importer import row_id

    state = app.candidacy(row_id("cand:HS-001"))
    assert state.stage == Stage.OFFICIAL
    assert state.person.full_name == "Nguyễn Thị Lan"
    assert app.member(member_id_for(state.id)).status == "official"
    again = run(app, "candidacies", path)
    assert (again.recorded, again.unchanged) == (0, len(rows))


def test_a_step_the_rules_refuse_is_named_and_the_roster_override_records_an_old_vote(
    tmp_path: Path,
) -> None:
    app = make_app()
    tree = build_tree(app)
    rows = candidacy_rows("HS-002", tree)
    vote = next(r for r in rows if r[1] == "branch-votes")
    vote[10], vote[11] = 5, 4  # five official members then, not the nine on the roster
    header = [*CANDIDACY_HEADER, "Không đối chiếu danh sách (lý do)"]
    for r in rows:
        r.append(None)
    path = xlsx(tmp_path / "c.xlsx", header, rows)
    report = run(app, "candidacies", path, dry_run=True)
    problem = report.problems[0]
    assert problem.row == rows.index(vote) + 2
    assert problem.rule == "eligible_count_mismatch"
    assert report.recorded == rows.index(vote)  # the steps before it; none after it
    later = [(p.row, p.rule) for p in report.problems[1:]]
    assert later == [
        (n + 2, "earlier_step_refused") for n in range(rows.index(vote) + 1, len(rows))
    ]

    vote_row = rows.index(vote)
    rows[vote_row][16] = "12-NQ/CB"  # the resolution's number, the override's document
    rows[vote_row][-1] = "Danh sách đảng viên năm 2023 chưa được nhập"
    report = run(app, "candidacies", xlsx(tmp_path / "c2.xlsx", header, rows))
    assert (report.ok, report.recorded) == (True, len(rows)), report.problems


def test_a_member_already_on_the_roster_is_recognised_however_recorded(tmp_path: Path) -> None:
    from workflows import commands as c

    app = make_app()
    tree = build_tree(app, officials=0)
    app.register_member(
        c.RegisterMember(full_name="Nguyễn Thị Mai", branch_id=tree.branch, status="official",
                         admitted_on=date(2015, 2, 3), official_on=date(2016, 2, 3), sex="female",
                         date_of_birth=date(1990, 3, 12), ethnicity="Kinh"),
        ADMIN,
    )  # fmt: skip
    rows = roster_rows()
    rows[0][6] = None  # no CCCD: found by name and birth date
    rows[0][1] = "nguyễn  thị mai"  # another spelling of the same name
    report = run(app, "roster", xlsx(tmp_path / "a.xlsx", ROSTER_HEADER, rows))
    assert (report.ok, report.recorded, report.unchanged) == (True, 2, 1), report.problems
    rows[0][7] = "03/02/2014"  # the file says another admission day than the roster
    report = run(app, "roster", xlsx(tmp_path / "b.xlsx", ROSTER_HEADER, rows))
    assert [(p.row, p.column, p.rule) for p in report.problems] == [
        (2, "Ngày vào Đảng", "differs_from_roster")
    ]
    assert len(members(app)) == 3


def test_a_later_file_holds_only_the_later_steps_of_a_recorded_candidacy(tmp_path: Path) -> None:
    from api.spreadsheets.importer import row_id
    from domain.candidacy.state import Stage

    app = make_app()
    tree = build_tree(app)
    rows = candidacy_rows("HS-003", tree)
    first, later = rows[:6], rows[6:]
    assert run(app, "candidacies", xlsx(tmp_path / "a.xlsx", CANDIDACY_HEADER, first)).ok
    report = run(app, "candidacies", xlsx(tmp_path / "b.xlsx", CANDIDACY_HEADER, later))
    assert (report.ok, report.recorded) == (True, len(later)), report.problems
    assert app.candidacy(row_id("cand:HS-003")).stage == Stage.OFFICIAL
    unknown = [["HS-404", *r[1:]] for r in later[:2]]
    report = run(app, "candidacies", xlsx(tmp_path / "c.xlsx", CANDIDACY_HEADER, unknown))
    assert [p.rule for p in report.problems] == ["nomination_first", "earlier_step_refused"]


def test_input_that_cannot_be_true_is_named_in_vietnamese(tmp_path: Path) -> None:
    app = make_app()
    build_tree(app, officials=0)
    rows = roster_rows()
    rows[0][3] = "07/08/2030"  # born after the admission
    rows[1][7], rows[1][8] = "19/05/2010", "01/01/2009"  # official before admission
    rows[2][7] = "01/01/1920"  # before the Party's founding
    report = run(app, "roster", xlsx(tmp_path / "r.xlsx", ROSTER_HEADER, rows), dry_run=True)
    messages = {p.row: p.message for p in report.problems}
    assert "Ngày vào Đảng trước ngày sinh" in messages[2]
    assert "Ngày chính thức trước ngày vào Đảng" in messages[3]
    assert "03/02/1930" in messages[4]
    assert not any("cannot" in m for m in messages.values())


def test_spellings_boards_write_are_read(tmp_path: Path) -> None:
    app = make_app()
    build_tree(app, officials=0)
    rows = roster_rows()
    rows[0][0] = "cb01"  # the code in another case
    rows[0][4] = "Mông"  # H'Mông, as many boards write it
    rows[1][4] = "Ê-đê"
    rows[1][5] = "Không"  # no religion
    rows[2][4] = "Klingon"
    report = run(app, "roster", xlsx(tmp_path / "r.xlsx", ROSTER_HEADER, rows))
    assert [(p.row, p.rule) for p in report.problems] == [(4, "invalid_choice")]
    assert len(report.problems[0].message) < 120  # not the 54 names
    found = {app.member(m).full_name: app.member(m) for m in members(app)}
    assert found["Nguyễn Thị Mai"].ethnicity == "H'Mông"
    assert (found["Trần Văn Hùng"].ethnicity, found["Trần Văn Hùng"].religion) == ("Ê Đê", None)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert [p.rule for p in run(app, "roster", empty).problems] == ["empty_file"]
