"""Spreadsheet imports over HTTP (issue 13, api.md "Spreadsheets"): ``POST /imports/{kind}``
with a multipart ``file`` and ``dry_run``; a dry run names problems by row and column and
writes nothing, a real import records and the same file again records nothing new, a board
only within its subtree, the upload limit answered before the body is read, a refused file
422, and the problems as a workbook with the bad rows and a «Lỗi» column."""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from api.http.app import create_app
from api.settings import Settings
from api.spreadsheets.layouts import ROSTER
from domain.access import Role
from tests.e2e.support import ADMIN_TOKEN, PROBLEM_JSON, post_streamed
from tests.scenario import ADMIN
from tests.unit.helpers import World

ROSTER_HEADER = ["Mã chi bộ", "Họ và tên", "Giới tính", "Ngày sinh", "Dân tộc", "Số CCCD",
                 "Ngày vào Đảng", "Ngày chính thức"]  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(rows: list[list[Any]], header: list[str] = ROSTER_HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows() -> list[list[Any]]:
    return [
        ["CB01", "Nguyễn Thị Mai", "Nữ", "12/03/1990", "Kinh", "001190000123", "03/02/2015",
         "03/02/2016"],
        ["CB02", "Trần Văn Hùng", "Nam", "01/07/1985", "Tày", None, "19/05/2010", None],
    ]  # fmt: skip


def bad_rows() -> list[list[Any]]:
    rows = good_rows()
    rows.append(["CB99", "Lò Văn Sáu", "Nam", "01/02/1985", "Thái", None, "01/01/2020", None])
    rows.append(["CB01", "Hà Thị Bảy", "Nữ", "31/02/1985", "Kinh", None, "01/01/2020", None])
    return rows


def post(
    client: TestClient,
    data: bytes,
    name: str = "roster.xlsx",
    token: str = ADMIN_TOKEN,
    **form: Any,
) -> Any:
    return client.post(
        "/imports/roster",
        files={"file": (name, data, XLSX)},
        data={k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
        headers={"Authorization": f"Bearer {token}"},
    )


def members(world: World) -> int:
    return len(world.app.roster.members_on(date(2026, 10, 1)))


def test_a_dry_run_names_problems_by_row_and_column_and_writes_nothing(
    in_process: TestClient, world: World
) -> None:
    before, events = members(world), world.app.recorder.max_notification_id()
    response = post(in_process, workbook(bad_rows()), dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["dry_run"], report["rows"], report["recorded"]) == (True, 4, 2)
    found = {(p["row"], p["column"], p["value"], p["rule"]) for p in report["problems"]}
    assert found == {(4, "Mã chi bộ", "CB99", "unknown_unit"),
                     (5, "Ngày sinh", "31/02/1985", "invalid_date")}  # fmt: skip
    assert all(p["message"] for p in report["problems"])
    assert members(world) == before
    assert world.app.recorder.max_notification_id() == events


def test_a_real_import_records_and_the_same_file_again_records_nothing(
    in_process: TestClient, world: World
) -> None:
    before = members(world)
    first = post(in_process, workbook(good_rows()))
    assert first.status_code == 200, first.text
    assert (first.json()["recorded"], first.json()["problems"]) == (2, [])
    assert members(world) == before + 2
    again = post(in_process, workbook(good_rows()), dry_run=False)
    assert (again.json()["recorded"], again.json()["unchanged"]) == (0, 2)
    assert members(world) == before + 2


def test_a_board_imports_only_within_its_subtree_and_readers_not_at_all(
    in_process: TestClient, world: World, tokens: dict[str, str]
) -> None:
    board = world.app.issue_token(Role.BOARD, world.tree.branch, "board", ADMIN)[0]
    response = post(in_process, workbook(good_rows()), token=board)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["recorded"] == 1  # CB01, its own branch
    assert [(p["row"], p["rule"]) for p in report["problems"]] == [(3, "forbidden_scope")]
    for role in ("auditor", "reporter"):
        refused = post(in_process, workbook(good_rows()), token=tokens[role])
        assert refused.status_code == 403 and refused.json()["rule"] == "forbidden_role"


def test_an_unknown_kind_is_404_and_every_kind_of_api_md_is_read(in_process: TestClient) -> None:
    files = {"file": ("x.xlsx", workbook([]), XLSX)}
    unknown = in_process.post("/imports/people", files=files)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM_JSON
    for kind in ("tree", "quotas", "candidacies"):
        read = in_process.post(f"/imports/{kind}", files=files, data={"dry_run": "true"})
        # the roster's header is not this kind's: its own required columns are missing
        assert read.status_code == 422 and read.json()["rule"] == "missing_column", kind


def test_a_refused_file_is_422_with_its_rule(in_process: TestClient) -> None:
    pdf = post(in_process, b"%PDF-1.4 not a spreadsheet", name="report.pdf")
    assert pdf.status_code == 422 and pdf.headers["content-type"] == PROBLEM_JSON
    assert pdf.json()["rule"] == "unsupported_file"
    assert pdf.json()["problems"][0]["rule"] == "unsupported_file"
    columns = post(in_process, workbook([["A"]], header=["Họ và tên"]))
    assert columns.status_code == 422 and columns.json()["rule"] == "missing_column"


UPLOAD_HEAD = b"--b\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n\r\n"


def _upload_piece(n: int) -> bytes:
    """A multipart upload's n-th 4 KB piece: its part header first."""
    return UPLOAD_HEAD if n == 1 else b"x" * 4096


@pytest.fixture
def small(world: World) -> Iterator[TestClient]:
    app = create_app(
        Settings(admin_token=ADMIN_TOKEN, max_import_bytes=64 * 1024), admissions=world.app
    )
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        yield client


def test_an_upload_over_the_limit_is_413_before_it_is_read(small: TestClient) -> None:
    declared = post(small, b"x" * 200_000, name="big.csv")
    assert declared.status_code == 413 and declared.headers["content-type"] == PROBLEM_JSON
    # 10 MB without a Content-Length: cut at the limit (64 KB and the framing's 64 KB).
    streamed_asgi = post_streamed(
        small.app,
        "/imports/roster",
        ADMIN_TOKEN,
        "multipart/form-data; boundary=b",
        _upload_piece,
        2_500,
    )
    status, pulled = asyncio.run(streamed_asgi)
    assert status == 413 and pulled <= 34
    fine = post(small, workbook(good_rows()), dry_run=True)
    assert fine.status_code == 200


def test_the_problems_as_a_workbook(in_process: TestClient) -> None:
    response = post(in_process, workbook(bad_rows()), dry_run=True, problems_format="xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (*ROSTER_HEADER, "Lỗi")
    assert len(rows) == 3  # the header and the two bad rows, as they were
    assert rows[1][:4] == ("CB99", "Lò Văn Sáu", "Nam", "01/02/1985")
    assert rows[2][:4] == ("CB01", "Hà Thị Bảy", "Nữ", "31/02/1985")
    assert "CB99" in str(rows[1][-1]) and "Ngày sinh" in str(rows[2][-1])
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert book.worksheets[1].title == "Lỗi của tệp"


# --- the web app's import page --------------------------------------------------------------


@pytest.fixture
def web(world: World, tmp_path: Any) -> Iterator[TestClient]:
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app)
    with TestClient(app, follow_redirects=False) as client:
        app.state.web_import_dir = tmp_path / "kept"
        form = client.get("/ui/login")
        signed = client.post(
            "/ui/login",
            data={"token": ADMIN_TOKEN, "csrf": csrf_of(form.text), "next": "/ui/imports"},
        )
        assert signed.status_code == 303
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_the_web_page_previews_in_vietnamese_then_confirms(
    web: TestClient, world: World, tmp_path: Any
) -> None:
    page = web.get("/ui/imports")
    assert page.status_code == 200
    assert 'for="import-file"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert 'href="/ui/imports"' in page.text  # in the nav
    before = members(world)
    preview = web.post(
        "/ui/imports",
        data={"csrf": csrf_of(page.text), "kind": "roster"},
        files={"file": ("roster.xlsx", workbook(bad_rows()), XLSX)},
    )
    assert preview.status_code == 200, preview.text
    assert "Kết quả kiểm tra (chưa ghi gì)" in preview.text
    assert "Không có đơn vị mã" in preview.text and "CB99" in preview.text
    assert "Ngày sinh" in preview.text and "31/02/1985" in preview.text
    assert members(world) == before  # a preview writes nothing
    sha = re.search(r'action="/ui/imports/([0-9a-f]{64})/confirm"', preview.text)
    assert sha is not None
    kept = list((tmp_path / "kept").glob(f"*/{sha.group(1)}.xlsx"))
    assert len(kept) == 1  # on the server, keyed by the file's hash
    workbook_link = web.get(f"/ui/imports/{sha.group(1)}/problems.xlsx?kind=roster")
    assert workbook_link.status_code == 200
    rows = list(load_workbook(io.BytesIO(workbook_link.content)).worksheets[0].values)
    assert len(rows) == 3 and rows[0][-1] == "Lỗi"

    refused = web.post(f"/ui/imports/{sha.group(1)}/confirm", data={"kind": "roster"})
    assert refused.status_code == 403  # no CSRF token
    assert members(world) == before
    done = web.post(
        f"/ui/imports/{sha.group(1)}/confirm",
        data={"csrf": csrf_of(preview.text), "kind": "roster"},
    )
    assert done.status_code == 200, done.text
    assert "Đã nhập" in done.text
    assert members(world) == before + 2
    assert not list((tmp_path / "kept").glob(f"*/{sha.group(1)}.*"))  # deleted after
    again = web.post(
        f"/ui/imports/{sha.group(1)}/confirm",
        data={"csrf": csrf_of(preview.text), "kind": "roster"},
    )
    assert again.status_code == 404 and "hết hạn" in again.text


def test_the_web_upload_without_csrf_is_refused(web: TestClient, world: World) -> None:
    before = world.app.recorder.max_notification_id()
    response = web.post(
        "/ui/imports",
        data={"kind": "roster"},
        files={"file": ("roster.xlsx", workbook(good_rows()), XLSX)},
    )
    assert response.status_code == 403
    assert world.app.recorder.max_notification_id() == before


def test_old_uploads_are_swept(tmp_path: Any) -> None:
    from api.http.web.imports import KEEP_SECONDS, sweep

    folder = tmp_path / "someone"
    folder.mkdir()
    old, new = folder / "a.xlsx", folder / "b.xlsx"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (time.time() - KEEP_SECONDS - 5,) * 2)
    sweep(tmp_path)
    assert not old.exists() and new.exists()


def test_the_log_line_has_counts_and_never_a_value(in_process: TestClient) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        post(in_process, workbook(bad_rows()), dry_run=True)
    done = [entry for entry in logs if entry["event"] == "import.done"]
    assert len(done) == 1
    assert (done[0]["rows"], done[0]["recorded"], done[0]["problems"]) == (4, 2, 2)
    everything = str(logs)
    for value in ("Nguyễn Thị Mai", "001190000123", "CB99", "31/02/1985", "roster.xlsx"):
        assert value not in everything


def test_the_web_page_links_each_kinds_template(web: TestClient) -> None:
    page = web.get("/ui/imports")
    for kind in ("tree", "roster", "quotas", "candidacies"):
        assert f'href="/ui/imports/templates/{kind}.xlsx"' in page.text
    answer = web.get("/ui/imports/templates/roster.xlsx")
    assert answer.status_code == 200 and answer.headers["content-type"] == XLSX
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [column.header for column in ROSTER.columns]
    assert "Hướng dẫn" in book.sheetnames
    assert web.get("/ui/imports/templates/people.xlsx").status_code == 404


def test_a_member_imported_with_a_national_id_is_found_by_it(
    in_process: TestClient, world: World
) -> None:
    assert post(in_process, workbook(good_rows())).status_code == 200
    national_id = next(r[5] for r in good_rows() if r[5])
    found = in_process.get("/members", params={"q": national_id, "as_of": "2026-10-01"})
    assert found.status_code == 200, found.text
    assert len(found.json()["items"]) == 1


def test_a_web_upload_over_the_limit_is_told_on_a_page_in_vietnamese(world: World) -> None:
    app = create_app(
        Settings(admin_token=ADMIN_TOKEN, max_import_bytes=64 * 1024), admissions=world.app
    )
    before = members(world)
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/ui/login")
        signed = client.post(
            "/ui/login", data={"token": ADMIN_TOKEN, "csrf": csrf_of(form.text), "next": "/ui"}
        )
        assert signed.status_code == 303
        page = client.get("/ui/imports")
        big = b"x" * (300 * 1024)
        answer = client.post(
            "/ui/imports",
            files={"file": ("ds.csv", big, "text/csv")},
            data={"kind": "roster", "csrf": csrf_of(page.text)},
        )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "Tệp quá lớn" in answer.text and "/ui/imports" in answer.text
    assert members(world) == before
