"""The roster's export imports back to the same roster (issue 13): ``ketnap import roster``
into one store, ``ketnap export roster`` out of it, and that file imported into a second
store with the same tree gives the same members field by field; imported again into the
first store it records nothing new."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli.main import cli
from api.settings import persistence_env
from tests.scenario import build_tree, make_app
from tests.unit.test_imports import ROSTER_HEADER, roster_rows, xlsx
from workflows.unit_codes import unit_codes

DAY = date(2026, 10, 1)


def store(folder: Path, name: str, officials: int = 0) -> dict[str, str]:
    """A store with the scenario's tree and ``officials`` members registered through the
    application (as the API or the web app registers them), not by an import."""
    url = f"sqlite:///{folder}/{name}.db"
    app = make_app(persistence_env(url))
    build_tree(app, officials=officials)
    app.close()
    return {"KETNAP_DATABASE_URL": url, "KETNAP_LOG_LEVEL": "WARNING"}


def ketnap(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def members(env: dict[str, str]) -> set[tuple[Any, ...]]:
    app = make_app(persistence_env(env["KETNAP_DATABASE_URL"]))
    try:
        code = {u: c for c, ids in unit_codes(app.recorder, app.mapper).items() for u in ids}
        found = set()
        for member_id in app.roster.members_on(DAY):
            m = app.member(member_id)
            found.add(
                (code[m.branch_id], m.full_name, m.sex, m.date_of_birth, m.ethnicity, m.religion,
                 m.national_id, m.admitted_on, m.official_on, m.status, m.party_card_number,
                 m.hometown, m.birthplace)
            )  # fmt: skip
        return found
    finally:
        app.close()


def test_the_rosters_export_imports_back_to_the_same_roster(tmp_path: Path) -> None:
    first, second = store(tmp_path, "first", officials=3), store(tmp_path, "second")
    rows = roster_rows()
    rows.append(["CB02", "Y Bih Niê", "Nam", "01/02/1975", "Ê Đê", "Tin Lành", "066075000111",
                 "19/05/2000", "19/05/2001", "A-0099/TW", "Buôn Ma Thuột", "Đắk Lắk"])  # fmt: skip
    source = xlsx(tmp_path / "roster.xlsx", ROSTER_HEADER, rows)
    ketnap(first, "import", "roster", str(source))
    original = members(first)
    assert len(original) == len(rows) + 3

    exported = tmp_path / "export.xlsx"
    ketnap(first, "export", "roster", "--as-of", DAY.isoformat(), "-o", str(exported))
    output = ketnap(second, "import", "roster", str(exported))
    assert f"đã ghi {len(rows) + 3}" in output
    assert members(second) == original

    # into the store it came from: everyone is on the roster already, however recorded
    again = ketnap(first, "import", "roster", str(exported))
    assert f"đã ghi 0 · đã có từ trước {len(rows) + 3} · lỗi 0" in again
    assert members(first) == original

    as_csv = tmp_path / "export.csv"
    ketnap(first, "export", "roster", "--as-of", DAY.isoformat(), "-o", str(as_csv))
    assert "đã ghi 0" in ketnap(first, "import", "roster", str(as_csv))
