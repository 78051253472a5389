"""``ketnap export`` on the demo province in a SQLite file: every report writes a workbook
whose figures equal the use case's answer; the CSV has the same header; options are
checked (exit 2 naming the option), an unknown unit exits 1."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli.main import cli
from api.demo.loader import PROVINCE_ID, DemoClock, load_demo
from api.reports.statistics import candidacy_states, new_member_statistics
from api.settings import persistence_env
from api.spreadsheets.export_roster import STANDARD_COLUMNS
from projections.runner import Projections
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("export-cli")
    url = f"sqlite:///{folder}/demo.db"
    app = Admissions(persistence_env(url), clock=DemoClock(), calendar=VietnamCalendar())
    try:
        load_demo(app)
    finally:
        app.close()
    yield {"KETNAP_DATABASE_URL": url, "KETNAP_LOG_LEVEL": "WARNING"}


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["export", *args], env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["admissions", "--from", "2025-01-01", "--to", "2025-12-31"],
        ["quota", "--period", "2025"],
        ["pipeline"],
        ["deadlines"],
        ["compliance", "--period", "2025"],
        ["coverage"],
        ["certificates"],
        ["roster"],
        ["roster", "--layout", "csdl3"],
        ["statistics", "--year", "2025"],
    ],
)
def test_every_report_writes_xlsx_and_csv(
    store: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    unit = ["--organisation", str(PROVINCE_ID)]
    code, output = _run(store, *args, *unit, "-o", str(tmp_path / "r.xlsx"))
    assert code == 0, output
    sheet = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    assert sheet["A2"].value == "Đơn vị" and "(mã TU-LD)" in str(sheet["B2"].value)
    assert sheet.freeze_panes is not None
    header_row = int(sheet.freeze_panes[1:]) - 1
    headers = [c.value for c in sheet[header_row] if c.value is not None]
    code, output = _run(store, *args, *unit, "-o", str(tmp_path / "r.csv"))
    assert code == 0, output
    text = (tmp_path / "r.csv").read_bytes().decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text))) == headers
    if args == ["roster"]:
        assert headers == [c.header for c in STANDARD_COLUMNS]


def test_statistics_workbook_equals_the_use_case(store: dict[str, str], tmp_path: Path) -> None:
    code, output = _run(
        store, "statistics", "--year", "2024", "--organisation", str(PROVINCE_ID), "-o",
        str(tmp_path / "s.xlsx"),
    )  # fmt: skip
    assert code == 0, output
    app = Admissions(
        persistence_env(store["KETNAP_DATABASE_URL"]), clock=DemoClock(), calendar=VietnamCalendar()
    )
    try:
        views = Projections(app)
        views.catch_up()
        stats = new_member_statistics(candidacy_states(app), views, PROVINCE_ID, 2024)
        admitted = views.reader.grouped(
            PROVINCE_ID, "branch", start=date(2024, 1, 1), end=date(2024, 12, 31)
        )[0].counts.admitted
    finally:
        app.close()
    assert stats.total == admitted > 0
    sheet = load_workbook(tmp_path / "s.xlsx").worksheets[0]
    header_row = int(str(sheet.freeze_panes)[1:]) - 1
    first = [c.value for c in sheet[header_row + 1]][:3]
    assert first == ["1", "Tổng số đảng viên mới kết nạp", stats.total]


def test_bad_options_exit_2_naming_the_option(store: dict[str, str], tmp_path: Path) -> None:
    code, output = _run(store, "roster", "-o", str(tmp_path / "r.txt"))
    assert code == 2 and "--output" in output
    code, output = _run(store, "quota", "-o", str(tmp_path / "q.xlsx"))
    assert code == 2 and "--period" in output
    code, output = _run(store, "statistics", "-o", str(tmp_path / "s.xlsx"))
    assert code == 2 and "--year" in output
    code, output = _run(
        store, "pipeline", "--known-at", "2025-01-01", "-o", str(tmp_path / "p.csv")
    )
    assert code == 2 and "--known-at" in output
    assert not (tmp_path / "p.csv").exists()


def test_unknown_unit_exits_1(store: dict[str, str], tmp_path: Path) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    code, output = _run(store, "pipeline", "--organisation", unknown, "-o", str(tmp_path / "p.csv"))
    assert code == 1 and unknown in output


def test_the_forecast_on_the_command_line(store: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli,
        ["quotas", "forecast", "--organisation", str(PROVINCE_ID), "--period", "2025",
         "--as-of", "2025-06-30", "--known-at", "2025-06-30T23:59:59+07:00"],
        env=store,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Chỉ tiêu" in result.output and "Dự kiến" in result.output
    naive = CliRunner().invoke(
        cli,
        ["quotas", "forecast", "--organisation", str(PROVINCE_ID), "--period", "2025",
         "--known-at", "2025-06-30T23:59:59"],
        env=store,
    )  # fmt: skip
    assert naive.exit_code == 2 and "--known-at" in naive.output
