"""Crash safety of the persisted ledger: a runner process catching up is killed with
SIGKILL at random moments, again and again, and restarted each time until it has caught
up; the view it leaves must equal a from-scratch rebuild exactly (the net ledger row for
row, recording times included, and every quota report), on PostgreSQL and on SQLite.

Each page is applied in one transaction together with its tracking record, so a kill at
any moment loses the page in flight (applied again on restart) and never half of it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.settings import persistence_env
from domain.values import Period
from projections.ledger import NAME as LEDGER
from projections.runner import Projections
from tests.naive_figures import NaiveFigures, TickingClock, Units, admit, decode_all, found
from tests.scenario import ADMIN, make_app
from tests.unit.test_ledger_properties import ledger_sums, quota_as_naive
from workflows import commands as c
from workflows.application import Admissions

ROOT = Path(__file__).resolve().parents[2]
PAGE_SIZE = 20
CANDIDACIES = 160  # about 2,300 stored events
PERIODS = [Period.parse(p) for p in ("2023", "2024", "2025", "2026", "2021-2025")]

# The runner: the application from KETNAP_DATABASE_URL, the ledger caught up in small
# pages, a line on stdout per page applied.
RUNNER = """
import sys
from api.bootstrap import build_app
from projections.runner import Projections
from api.settings import Settings
from projections.ledger import NAME

app = build_app(Settings())
projections = Projections(app, page_size=int(sys.argv[1]))
print("started", flush=True)
projections.catch_up(NAME, progress=lambda done, total: print(done, total, flush=True))
print("done", flush=True)
app.close()
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/crash.db"
    url: str = request.getfixturevalue("fresh_postgres_db")
    return url


@pytest.fixture
def app(database_url: str) -> Iterator[Admissions]:
    clock = TickingClock(now=datetime(2026, 11, 1, 1, 0, tzinfo=UTC))
    application = make_app(persistence_env(database_url, pool_size=2), clock=clock)
    yield application
    application.close()


def fill(app: Admissions, rnd: random.Random) -> Units:
    """A store of a few thousand events: admissions in four branches over 2023-2026 with
    corrections, quotas set and re-set, and tree changes recorded among them (some
    effective before admissions already recorded)."""
    units = Units()
    for code, kind, parent in [
        ("T01", "province", None),
        ("H1", "district", "T01"),
        ("H2", "district", "T01"),
        ("X1", "commune", "H1"),
        ("X2", "commune", "H2"),
        ("DU1", "grassroots_committee", "X1"),
        ("DU2", "grassroots_committee", "X2"),
        ("CB1", "branch", "DU1"),
        ("CB2", "branch", "DU1"),
        ("CB3", "branch", "DU2"),
        ("CB4", "branch", "DU2"),
    ]:
        found(app, units, code, kind, parent)
    branches = ["CB1", "CB2", "CB3", "CB4"]
    for i in range(CANDIDACIES):
        decided = date(2023, 1, 2) + timedelta(days=rnd.randrange(3 * 365 + 200))
        cid = admit(
            app,
            units,
            branches[i % 4],
            decided,
            "T01",
            sex=rnd.choice(["male", "female"]),
            ethnicity=rnd.choice(["Kinh", "Kinh", "Tày", "Thái"]),
        )
        if i % 7 == 0:
            shifted = decided + timedelta(days=rnd.choice([-20, -5, 5, 20]))
            if shifted <= date(2026, 10, 31):
                correction = c.CorrectRecord(
                    position=12, changes={"decided_on": shifted.isoformat()}, reason="nhầm ngày"
                )
                app.execute(cid, correction, ADMIN)
        if i % 40 == 0:
            period = Period.parse(str(2023 + (i // 40) % 4))
            for unit in ("T01", "H1", "DU2", "CB3"):
                app.set_quota(units[unit], period, c.SetQuota(target=rnd.randrange(5, 40)), ADMIN)
        if i == 60:  # a branch moved, effective before admissions already recorded
            command = c.MoveOrganisation(new_parent_id=units["DU2"], effective_on=date(2024, 7, 1))
            app.move_organisation(units["CB2"], command, ADMIN)
        if i == 110:  # the 2025 reform: communes up to the province, districts dissolved
            for commune in ("X1", "X2"):
                move = c.MoveOrganisation(new_parent_id=units["T01"], effective_on=date(2025, 7, 1))
                app.move_organisation(units[commune], move, ADMIN)
            for district in ("H1", "H2"):
                dissolve = c.DissolveOrganisation(effective_on=date(2025, 7, 1))
                app.dissolve_organisation(units[district], dissolve, ADMIN)
    return units


def start_runner(database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "KETNAP_DATABASE_URL": database_url, "KETNAP_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(PAGE_SIZE)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def coarse_sums(projections: Projections, generation: int) -> Counter[tuple[str, str, str]]:
    """Net delta per (unit, kind, effective day)."""
    found: Counter[tuple[str, str, str]] = Counter()
    for key, n in ledger_sums(projections, generation).items():
        _, unit, _, _, _, kind, on, *_ = key
        found[(unit, kind, on)] += n
    return +found  # zeros dropped


def reports(projections: Projections, units: Units) -> dict[tuple[str, str], Any]:
    return {
        (code, period.key): projections.reader.quota_report(units[code], period)
        for code in units.ids
        for period in PERIODS
    }


def test_killed_runner_resumes_to_exactly_what_a_rebuild_gives(
    app: Admissions, database_url: str
) -> None:
    rnd = random.Random(20250701)
    units = fill(app, rnd)
    newest = int(app.recorder.max_notification_id() or 0)
    assert newest > 2000
    observer = Projections(app, page_size=PAGE_SIZE)  # reads what the runners leave

    positions = []
    kills = 0
    finished = False
    while not finished:
        assert kills < 200, "the runner never finishes"
        runner = start_runner(database_url)
        assert runner.stdout is not None
        assert runner.stdout.readline().strip() == "started"
        # Let it apply a random number of pages, then kill it wherever it is.
        for _ in range(rnd.randrange(1, 12)):
            line = runner.stdout.readline()
            if not line or line.strip() == "done":
                finished = True
                break
        if runner.poll() is None and not finished:
            runner.send_signal(signal.SIGKILL)
            kills += 1
            assert runner.wait(timeout=60) == -signal.SIGKILL
        else:
            rest, _ = runner.communicate(timeout=300)
            finished = True
            assert runner.returncode == 0, rest[-200:]
        runner.stdout.close()
        positions.append(observer.view(LEDGER, 1).max_tracking_id(app.name) or 0)
    assert kills >= 3, f"only {kills} kills before the runner finished"
    assert positions == sorted(positions), positions  # nothing committed was lost
    assert positions[-1] == newest

    assert observer.view(LEDGER, 1).max_tracking_id(app.name) == newest
    assert observer.generation(LEDGER) == 1

    live_rows = ledger_sums(observer, 1)
    live_reports = reports(observer, units)
    rebuilt = Projections(app, page_size=1000)
    assert rebuilt.rebuild(LEDGER) == 2
    assert ledger_sums(rebuilt, 2) == live_rows
    assert coarse_sums(rebuilt, 2) == coarse_sums(observer, 1)
    assert reports(rebuilt, units) == live_reports
    assert any(r.admitted for r in live_reports.values())
    # And both are the naive recomputation's.
    naive = NaiveFigures(decode_all(app))
    for (code, key), report in live_reports.items():
        assert quota_as_naive(report) == naive.quota_report(units[code], Period.parse(key))
