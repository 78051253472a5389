"""``ketnap import``: exit 0 when every row is recorded or already there, 1 when a row has a
problem (the others recorded; ``--problems`` writes the rows to fix), 2 when the file is
refused; ``--dry-run`` writes nothing; ``ketnap import template`` writes each kind's
template."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli.main import cli
from api.settings import persistence_env
from api.spreadsheets.layouts import KINDS
from tests.scenario import build_tree, make_app
from tests.unit.test_imports import ROSTER_HEADER, roster_rows, xlsx


def store(folder: Path) -> dict[str, str]:
    url = f"sqlite:///{folder}/cli.db"
    app = make_app(persistence_env(url))
    build_tree(app, officials=0)
    app.close()
    return {"KETNAP_DATABASE_URL": url, "KETNAP_LOG_LEVEL": "WARNING"}


def ketnap(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def members(env: dict[str, str]) -> int:
    from datetime import date

    app = make_app(persistence_env(env["KETNAP_DATABASE_URL"]))
    try:
        return len(app.roster.members_on(date(2026, 10, 1)))
    finally:
        app.close()


def test_exit_codes_dry_run_and_the_problems_file(tmp_path: Path) -> None:
    env = store(tmp_path)
    rows = roster_rows()
    rows[1][3] = "31/02/1985"
    path = xlsx(tmp_path / "ds.xlsx", ROSTER_HEADER, rows)
    code, output = ketnap(env, "import", "roster", str(path), "--dry-run")
    assert code == 1 and "chạy thử" in output and "Ngày sinh" in output
    assert members(env) == 0

    problems = tmp_path / "loi.xlsx"
    code, output = ketnap(env, "import", "roster", str(path), "--problems", str(problems))
    assert code == 1 and members(env) == 2
    sheet = load_workbook(problems).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "Lỗi" and header[:-1] == ROSTER_HEADER
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(values) == 1 and values[0][1] == "Trần Văn Hùng"
    assert "không phải ngày có thật" in str(values[0][-1])

    rows[1][3] = "01/07/1985"  # fixed: the file again records only that row
    code, output = ketnap(
        env, "import", "roster", str(xlsx(tmp_path / "ds2.xlsx", ROSTER_HEADER, rows))
    )
    assert code == 0 and "đã ghi 1 · đã có từ trước 2 · lỗi 0" in output
    assert members(env) == 3


def test_a_refused_file_exits_2_and_names_why(tmp_path: Path) -> None:
    env = store(tmp_path)
    big = xlsx(tmp_path / "big.xlsx", ROSTER_HEADER, roster_rows() * 50)
    code, output = ketnap({**env, "KETNAP_MAX_IMPORT_BYTES": "2048"}, "import", "roster", str(big))
    assert code == 2 and "file_too_large" in output and "KETNAP_MAX_IMPORT_BYTES" in output
    other = tmp_path / "ds.ods"
    other.write_bytes(b"PK\x03\x04")
    code, output = ketnap(env, "import", "roster", str(other))
    assert code == 2 and "unsupported_file" in output
    assert members(env) == 0


def test_every_kind_has_a_template(tmp_path: Path) -> None:
    for kind in KINDS:
        out = tmp_path / f"{kind}.xlsx"
        code, output = ketnap({}, "import", "template", kind, "-o", str(out))
        assert code == 0, output
        book = load_workbook(out)
        assert book.sheetnames[2] == "Hướng dẫn"
        assert book.worksheets[0].freeze_panes == "A2"
    code, output = ketnap({}, "import", "template", "people", "-o", str(tmp_path / "x.xlsx"))
    assert code == 2
