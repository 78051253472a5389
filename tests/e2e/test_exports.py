"""Exports over HTTP on the demo province (in memory): every report and the roster answer
``?format=xlsx|csv`` with the right media type and an attachment; the workbook read back
with openpyxl holds the heading block, a frozen bold header row, number formats and the
same figures as the JSON answer; the CSV parses to the same rows; the statistics form's
total equals the admissions report's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.demo import data as d
from api.demo.loader import PROVINCE_ID, DemoClock, load_demo
from api.http.app import create_app
from api.settings import Settings
from api.spreadsheets.export_roster import STANDARD_COLUMNS
from domain.access import Role
from tests.scenario import ADMIN
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar

ADMIN_TOKEN = "test-admin-token"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Demo:
    def __init__(self, app: Admissions, client: TestClient) -> None:
        self.app, self.client = app, client
        self.tokens = {
            "admin": ADMIN_TOKEN,
            "reporter": app.issue_token(Role.REPORTER, PROVINCE_ID, "rep", ADMIN)[0],
        }

    def get(self, path: str, who: str = "admin", **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(path, params=params, headers=headers)


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    clock = DemoClock()
    app = Admissions(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock, calendar=VietnamCalendar()
    )
    load_demo(app)
    clock.now = NOW
    with TestClient(create_app(Settings(admin_token=ADMIN_TOKEN), admissions=app)) as client:
        yield Demo(app, client)


def _sheet(body: bytes, index: int = 0) -> Worksheet:
    book = load_workbook(io.BytesIO(body))
    sheet = book.worksheets[index]
    assert isinstance(sheet, Worksheet)
    return sheet


def _header_row(sheet: Worksheet) -> int:
    """The header row: the one the panes are frozen below."""
    frozen = sheet.freeze_panes
    assert frozen is not None and frozen.startswith("A")
    return int(frozen[1:]) - 1


def _table(sheet: Worksheet) -> tuple[list[str], list[list[Any]]]:
    row = _header_row(sheet)
    headers = [c.value for c in sheet[row] if c.value is not None]
    rows = []
    for values in sheet.iter_rows(min_row=row + 1, values_only=True):
        if all(v is None for v in values):
            break
        rows.append(list(values[: len(headers)]))
    return [str(h) for h in headers], rows


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_admissions_xlsx_equals_the_json_report(demo: Demo) -> None:
    params = {"organisation_id": str(PROVINCE_ID), "from": "2024-01-01", "to": "2025-12-31"}
    body = demo.get("/reports/admissions", limit=500, **params).json()
    response = demo.get("/reports/admissions", format="xlsx", **params)
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = _sheet(response.content)
    labels = {
        sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2).value for r in range(2, 7)
    }
    assert labels["Đơn vị"] == f"{d.BY_KEY['TU-LD'].name} (mã TU-LD)"
    assert "Kỳ" in labels and "Tình hình đến hết ngày" in labels
    assert "Theo dữ liệu đã ghi nhận đến" in labels
    header_row = _header_row(sheet)
    assert sheet.cell(row=header_row, column=1).font.b
    headers, rows = _table(sheet)
    assert headers[:3] == ["Mã đơn vị", "Tên đơn vị", "Kết nạp"]
    expected = [
        [
            i["code"],
            i["name"],
            i["admitted"],
            i["ceremonies"],
            i["recognised"],
            i["removed"],
            i["rejected"],
            i["withdrawn"],
            *i["breakdown"].values(),
        ]
        for i in body["items"]
    ]
    total = body["total"]
    expected.append(
        [
            None,
            "Tổng cộng",
            total["admitted"],
            total["ceremonies"],
            total["recognised"],
            total["removed"],
            total["rejected"],
            total["withdrawn"],
            *total["breakdown"].values(),
        ]
    )
    assert rows == expected
    assert total["admitted"] > 0
    assert sheet.cell(row=header_row + 1, column=3).number_format == "#,##0"
    # the CSV: same header and rows, no heading block
    csv_response = demo.get("/reports/admissions", format="csv", **params)
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    lines = _csv(csv_response.content)
    assert lines[0] == headers
    assert lines[1:] == [["" if v is None else str(v) for v in row] for row in expected]


def test_quota_xlsx_states_the_base_of_each_percentage(demo: Demo) -> None:
    unit = d.BY_KEY[next(iter(d.QUOTAS["2025"]))].id
    body = demo.get(f"/organisations/{unit}/quotas/2025", "reporter").json()
    response = demo.get(f"/organisations/{unit}/quotas/2025", "reporter", format="xlsx")
    assert response.status_code == 200, response.text
    sheet = _sheet(response.content)
    headers, rows = _table(sheet)
    assert "Tỷ lệ đạt (% so với chỉ tiêu)" in headers
    assert rows[0][2:4] == [body["target"], body["admitted"]]
    assert rows[0][4] == pytest.approx(body["fulfilment_percent"] / 100)
    assert sheet.cell(row=_header_row(sheet) + 1, column=5).number_format == "0.00%"
    assert len(rows) == 1 + len(body["children"])
    notes = [c.value for c in sheet["A"] if isinstance(c.value, str)]
    assert any("chỉ tiêu" in n and "÷" in n for n in notes)
    groups = _sheet(response.content, 1)
    g_headers, g_rows = _table(groups)
    assert "Tỷ lệ (% so với tổng số kết nạp)" in g_headers
    assert [r[2] for r in g_rows] == list(body["breakdown"].values())


@pytest.mark.parametrize(
    ("path", "params", "items"),
    [
        ("/reports/pipeline", {}, None),
        ("/deadlines", {}, "items"),
        ("/reports/certificates-expiring", {}, "items"),
        ("/reports/residential-coverage", {}, "items"),
        ("/reports/deadline-compliance", {"period": "2025"}, None),
    ],
)
def test_every_report_downloads_in_both_formats(
    demo: Demo, path: str, params: dict[str, str], items: str | None
) -> None:
    params = {"organisation_id": str(PROVINCE_ID), **params}
    body = demo.get(path, limit=500, **params).json() if items else None
    for fmt, media in (("xlsx", XLSX), ("csv", "text/csv; charset=utf-8")):
        response = demo.get(path, format=fmt, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media
        assert f'.{fmt}"' in response.headers["content-disposition"]
    sheet = _sheet(demo.get(path, format="xlsx", **params).content)
    headers, rows = _table(sheet)
    lines = _csv(demo.get(path, format="csv", **params).content)
    assert lines[0] == headers and len(lines) - 1 == len(rows)
    if body is not None:
        assert len(rows) == len(body[items])


def test_roster_exports_the_import_columns_and_only_to_readers(demo: Demo) -> None:
    branch = d.BY_KEY["LAT-T-1"].id
    body = demo.get("/members", branch_id=str(branch), limit=500).json()
    response = demo.get("/members", branch_id=str(branch), format="xlsx")
    assert response.status_code == 200
    headers, rows = _table(_sheet(response.content))
    assert headers == [c.header for c in STANDARD_COLUMNS]
    assert [r[1] for r in rows] == [m["full_name"] for m in body["items"]]
    assert {r[0] for r in rows} == {"LAT-T-1"}
    assert all(r[2] in ("Nam", "Nữ") for r in rows)
    official = {m["full_name"]: m["official_on"] for m in body["items"]}
    for row in rows:
        assert (row[8] is None) == (official[row[1]] is None)
    csdl = demo.get("/members", branch_id=str(branch), format="csv", layout="csdl3")
    lines = _csv(csdl.content)
    assert "Họ và tên đang dùng" in lines[0] and len(lines) - 1 == len(rows)
    assert demo.get("/members", "reporter", format="xlsx").status_code == 403


def test_statistics_form_total_equals_the_admissions_report(demo: Demo) -> None:
    params = {"organisation_id": str(PROVINCE_ID)}
    for year in (2024, 2025):
        span = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
        admitted = demo.get("/reports/admissions", **params, **span).json()["total"]["admitted"]
        stats = demo.get("/reports/new-members-statistics", "reporter", year=year, **params)
        assert stats.status_code == 200, stats.text
        body = stats.json()
        assert body["total"] == admitted
        for breakdown in ("by_age_band", "by_education", "by_sector", "by_ethnicity"):
            assert sum(c["count"] for c in body[breakdown]) == admitted
        sheet = _sheet(
            demo.get("/reports/new-members-statistics", year=year, format="xlsx", **params).content
        )
        _, rows = _table(sheet)
        assert rows[0][1] == "Tổng số đảng viên mới kết nạp" and rows[0][2] == admitted


def test_report_pages_link_their_downloads(demo: Demo) -> None:
    from tests.e2e.test_web_app import sign_in

    web = TestClient(demo.client.app, follow_redirects=False)
    assert sign_in(web, ADMIN_TOKEN).status_code == 303
    unit = PROVINCE_ID
    for report in ("pipeline", "deadlines", "quota", "coverage", "certificates", "roster"):
        page = web.get(f"/ui/units/{unit}/{report}")
        assert page.status_code == 200, report
        assert f"/ui/units/{unit}/{report}.xlsx" in page.text and "Tải xuống Excel" in page.text
        for fmt, media in (("xlsx", XLSX), ("csv", "text/csv; charset=utf-8")):
            got = web.get(f"/ui/units/{unit}/{report}.{fmt}")
            assert got.status_code == 200, (report, fmt, got.text[:200])
            assert got.headers["content-type"] == media
    direct = demo.get("/reports/residential-coverage", organisation_id=str(unit), format="csv")
    assert web.get(f"/ui/units/{unit}/coverage.csv").content == direct.content


def test_the_quota_page_links_the_periods_reports(demo: Demo) -> None:
    from tests.e2e.test_web_app import sign_in

    web = TestClient(demo.client.app, follow_redirects=False)
    assert sign_in(web, ADMIN_TOKEN).status_code == 303
    unit = PROVINCE_ID
    page = web.get(f"/ui/units/{unit}/quota", params={"period": "2025"})
    for report in ("admissions", "compliance", "statistics"):
        assert f"/ui/units/{unit}/{report}.xlsx?period=2025" in page.text, report
        for fmt, media in (("xlsx", XLSX), ("csv", "text/csv; charset=utf-8")):
            got = web.get(f"/ui/units/{unit}/{report}.{fmt}", params={"period": "2025"})
            assert got.status_code == 200, (report, fmt, got.text[:200])
            assert got.headers["content-type"] == media
    direct = demo.get(
        "/reports/new-members-statistics", year="2025", organisation_id=str(unit), format="csv"
    )
    web_csv = web.get(f"/ui/units/{unit}/statistics.csv", params={"period": "2025"})
    assert web_csv.content == direct.content


def test_the_quota_page_of_a_period_without_a_target_says_so(demo: Demo) -> None:
    from tests.e2e.test_web_app import sign_in

    web = TestClient(demo.client.app, follow_redirects=False)
    assert sign_in(web, ADMIN_TOKEN).status_code == 303
    page = web.get(f"/ui/units/{PROVINCE_ID}/quota", params={"period": "2031"})
    assert page.status_code == 200
    target = page.text.split('id="quota-target">')[1].split("<")[0]
    percent = page.text.split('id="quota-percent">')[1].split("</dd>")[0]
    assert (target, percent) == ("Chưa giao chỉ tiêu", "—")
    assert ">None<" not in page.text
