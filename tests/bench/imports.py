"""Importing a roster: 100,000 rows from one .xlsx into PostgreSQL (issue 13's goal: ≤ 60 s
on this machine), through the real import (every row the application's own
``RegisterMember``, with its idempotency record; batches of about half a second in one
transaction each).

Builds a tree of 40 communes × 25 branches in a fresh database (``ketnap_bench_import`` on
the server named by ``KETNAP_BENCH_POSTGRES_URL``, an admin URL; default
``postgresql://postgres@127.0.0.1:5432/postgres``), writes the workbook, then times, in one
run: the file read alone (calamine, every cell), the dry run, the import, and the same file
again (every row found unchanged). Prints the table and the markdown for
docs/performance.md.

    .venv/bin/python -m tests.bench.imports [--rows 100000] [--sqlite]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from rich.console import Console
from rich.table import Table

from api.settings import persistence_env
from api.spreadsheets.importer import ImportReport, run_import
from api.spreadsheets.kinds import RUNNERS
from api.spreadsheets.reading import open_sheets
from tests.bench.common import machine, recreate_database, with_database
from tests.scenario import ADMIN, make_app
from tests.unit.test_imports import ROSTER_HEADER
from workflows import commands as c
from workflows.application import Admissions

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DBNAME = "ketnap_bench_import"
COMMUNES, BRANCHES = 40, 25
GOAL_SECONDS = 60.0
console = Console()
ETHNIC = ["Kinh"] * 8 + ["Tày", "Thái", "Mường", "Khmer", "H'Mông"]


def build_tree(app: Admissions) -> list[str]:
    founded = date(2000, 1, 1)

    def found(code: str, kind: str, parent: object) -> object:
        command = c.FoundOrganisation(
            code=code, name=f"Đơn vị {code}", kind=kind, parent_id=parent, effective_on=founded
        )
        return app.found_organisation(command, ADMIN).id

    province = found("T01", "province", None)
    codes = []
    for x in range(COMMUNES):
        commune = found(f"X{x:03d}", "commune", province)
        for b in range(BRANCHES):
            code = f"CB{x:03d}{b:02d}"
            found(code, "branch", commune)
            codes.append(code)
    return codes


def write_roster(path: Path, rows: int, branches: list[str]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Đảng viên")
    sheet.append(ROSTER_HEADER)
    for n in range(rows):
        born = date(1950 + n % 50, 1 + n % 12, 1 + n % 28)
        admitted = date(born.year + 20 + n % 15, 1 + (n // 12) % 12, 1 + (n // 7) % 28)
        official = date(admitted.year + 1, admitted.month, admitted.day) if n % 10 else None
        sheet.append([
            branches[n % len(branches)], f"Nguyễn Văn Số {n}", "Nữ" if n % 3 else "Nam",
            born, ETHNIC[n % len(ETHNIC)], "Phật giáo" if n % 17 == 0 else None,
            f"0{n % 96 + 1:02d}{n:09d}", admitted, official, f"{n:08d}",
            "Xã Yên Sở, Hà Nội", "Hà Nội",
        ])  # fmt: skip
    book.save(path)


def timed(label: str, run: object) -> tuple[float, ImportReport | None]:
    start = time.perf_counter()
    result = run()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    console.print(f"{label}: {seconds:.1f} s")
    return seconds, result if isinstance(result, ImportReport) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    args = parser.parse_args(argv)
    admin_url = (
        None if args.sqlite else os.environ.get("KETNAP_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    )
    info = machine(admin_url, ("eventsourcing", "psycopg", "python-calamine", "openpyxl"))
    with tempfile.TemporaryDirectory() as tmp:
        if admin_url is None:
            url = f"sqlite:///{Path(tmp) / 'import.db'}"
        else:
            recreate_database(admin_url, DBNAME)
            url = with_database(admin_url, DBNAME)
        app = make_app(persistence_env(url, pool_size=2))
        branches = build_tree(app)
        path = Path(tmp) / "roster.xlsx"
        console.print(f"writing {args.rows:,} rows ...")
        write_roster(path, args.rows, branches)
        size_mb = path.stat().st_size / 1_048_576
        layout, runner = RUNNERS["roster"]

        def read_only() -> int:
            sheet = open_sheets(path)
            return sum(1 for _ in sheet.rows)

        def importing(dry_run: bool) -> ImportReport:
            return run_import(app, layout, runner, path, actor=ADMIN, dry_run=dry_run)

        read_s, _ = timed("read the file", read_only)
        dry_s, dry = timed("dry run", lambda: importing(True))
        real_s, real = timed("import", lambda: importing(False))
        again_s, again = timed("the same file again", lambda: importing(False))
        app.close()
    assert dry and real and again
    assert (real.recorded, again.unchanged) == (args.rows, args.rows), (real, again)
    store = "SQLite" if admin_url is None else f"PostgreSQL {info.get('postgres', '')}".strip()
    table = Table(title=f"Roster import, {args.rows:,} rows ({size_mb:.1f} MB .xlsx), {store}")
    for column in ("step", "seconds", "rows/s", "goal"):
        table.add_column(column)
    lines = ["| step | seconds | rows/s | goal |", "|---|---:|---:|---|"]
    goal = "yes" if real_s <= GOAL_SECONDS else "NO"
    for label, seconds, mark in (
        ("read the file (calamine)", read_s, ""),
        ("dry run (writes nothing)", dry_s, ""),
        ("import", real_s, f"≤ {GOAL_SECONDS:.0f} s: {goal}"),
        ("same file again (all unchanged)", again_s, ""),
    ):
        rate = f"{args.rows / seconds:,.0f}"
        table.add_row(label, f"{seconds:.1f}", rate, mark)
        lines.append(f"| {label} | {seconds:.1f} | {rate} | {mark} |")
    console.print(table)
    print("\n".join(lines))
    for key, value in info.items():
        print(f"- {key}: {value}")
    return 0 if real_s <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
