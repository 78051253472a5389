"""A roster import killed mid-file (SIGKILL, again and again) and run again until it
finishes records every row exactly once, on SQLite and on PostgreSQL: each batch is one
transaction with its rows' idempotency records, so a kill loses at most the batch in
flight, which the next run records; the rows already recorded are found by their keys."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from api.settings import persistence_env
from tests.scenario import build_tree, make_app
from tests.unit.test_imports import ROSTER_HEADER

ROWS = 4_000
DAY = date(2026, 10, 1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/import.db"
    url: str = request.getfixturevalue("fresh_postgres_db")
    return url


def roster_file(path: Path) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Đảng viên")
    sheet.append(ROSTER_HEADER)
    for n in range(ROWS):
        branch = "CB01" if n % 2 else "CB02"
        national_id = f"0011{n:08d}"
        sex = "Nữ" if n % 3 else "Nam"
        sheet.append([branch, f"Đảng viên Số {n}", sex, "12/03/1980", "Kinh", None,
                      national_id, "03/02/2010", "03/02/2011", None, None, None])  # fmt: skip
    book.save(path)
    return path


def national_ids(url: str) -> Counter[str]:
    app = make_app(persistence_env(url, pool_size=1))
    try:
        ids = app.roster.members_on(DAY)
        return Counter(app.member(m).national_id or "" for m in ids)
    finally:
        app.close()


def test_an_import_killed_mid_file_and_run_again_records_every_row_once(
    database_url: str, tmp_path: Path
) -> None:
    setup = make_app(persistence_env(database_url, pool_size=1))
    build_tree(setup, officials=0)
    setup.close()
    path = roster_file(tmp_path / "roster.xlsx")
    env = {**os.environ, "KETNAP_DATABASE_URL": database_url, "KETNAP_LOG_LEVEL": "WARNING"}
    ketnap = str(Path(sys.executable).parent / "ketnap")
    command = [ketnap, "import", "roster", str(path)]
    rnd = random.Random(13)
    mid_file_kills = 0
    watcher = make_app(persistence_env(database_url, pool_size=1))
    try:
        for _attempt in range(8):
            start = watcher.recorder.max_notification_id() or 0
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            # Kill only once a batch has been committed (however slow the start under load),
            # a moment later, so the kill lands in the middle of the file.
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                if (watcher.recorder.max_notification_id() or 0) > start:
                    break
                time.sleep(0.05)
            time.sleep(rnd.uniform(0.0, 0.6))
            if process.poll() is not None:
                break
            process.send_signal(signal.SIGKILL)
            process.wait()
            done = sum(national_ids(database_url).values())
            assert done <= ROWS
            if 0 < done < ROWS:
                mid_file_kills += 1
            if mid_file_kills >= 3:
                break
    finally:
        watcher.close()
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    found = national_ids(database_url)
    assert mid_file_kills >= 1, "no kill landed in the middle of the file"
    assert len(found) == ROWS  # nothing lost
    assert max(found.values()) == 1  # nothing doubled
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0
    assert f"đã có từ trước {ROWS:,}" in again.stdout
    assert sum(national_ids(database_url).values()) == ROWS
