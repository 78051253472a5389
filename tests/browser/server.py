"""The server the browser tests talk to: the real application over a SQLite file holding
the demo province, served by uvicorn on a free loopback port, with a token per role.

Recording the demo takes some ten seconds, so it is done once per test run: the first
pytest process (xdist worker) that needs it records it into a file shared by the run's
workers, under a file lock, and each worker serves its own copy (SQLite's backup API, so
a write in one worker's tests is never seen by another's).
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

from api.bootstrap import build_app, build_projections
from api.demo import data as demo_data
from api.demo.loader import PROVINCE_ID, DemoClock, load_demo
from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.e2e.support import serve
from tests.scenario import ADMIN, FixedClock

# The board token's branch: Chi bộ Tổ dân phố 5 (the README's example branch).
BOARD_BRANCH_ID: UUID = demo_data.BY_KEY["P1-TDP-5"].id
DEMO_FILE = "demo.db"


@dataclass(frozen=True)
class DemoServer:
    """A running server over the demo province.

    ``base_url`` is ``http://127.0.0.1:<port>``; ``tokens`` maps ``admin`` (every unit),
    ``board`` (the branch ``board_branch_id`` only) and ``auditor`` (the province) to a
    bearer secret. The secrets are kept out of ``repr`` so that no failure report prints
    them.
    """

    base_url: str
    province_id: UUID
    board_branch_id: UUID
    tokens: dict[str, str] = field(repr=False)
    clock: FixedClock = field(repr=False)

    @property
    def netloc(self) -> str:
        """``127.0.0.1:<port>``: the one origin a page may reach."""
        return urlsplit(self.base_url).netloc

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _record_demo(target: Path) -> None:
    """Record the demo province into the SQLite file ``target`` and bring its persisted
    views up to date, so a server on it answers reports at once."""
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    app = build_app(Settings(database_url=_sqlite_url(partial)), clock=DemoClock())
    try:
        load_demo(app)
        build_projections(app).catch_up()
    finally:
        app.close()
    partial.rename(target)  # only a complete store is ever seen under its name


def shared_demo_store(directory: Path) -> Path:
    """The demo store of this test run in ``directory`` (shared by the run's workers),
    recorded by whichever worker asks first."""
    target = directory / DEMO_FILE
    with (directory / f"{DEMO_FILE}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not target.exists():
            _record_demo(target)
    return target


def copy_store(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite store ``source`` at ``target``."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@contextmanager
def serving_demo(store: Path) -> Iterator[DemoServer]:
    """Serve the SQLite store ``store`` (a copy of the demo) on a loopback port, with the
    clock fixed after the demo's last day, and issue one token per role for the tests."""
    clock = FixedClock()
    settings = Settings(database_url=_sqlite_url(store))
    admissions = build_app(settings, clock=clock)
    try:
        tokens = {
            "admin": admissions.issue_token(Role.ADMIN, None, "browser tests admin", ADMIN)[0],
            "board": admissions.issue_token(
                Role.BOARD, BOARD_BRANCH_ID, "browser tests board", ADMIN
            )[0],
            "auditor": admissions.issue_token(
                Role.AUDITOR, PROVINCE_ID, "browser tests auditor", ADMIN
            )[0],
        }
        app = create_app(settings, admissions=admissions, keep_projections_caught_up=True)
        with serve(app) as base_url:
            yield DemoServer(base_url, PROVINCE_ID, BOARD_BRANCH_ID, tokens, clock)
    finally:
        admissions.close()
