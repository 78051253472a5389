"""The PostgreSQL recorder ketnap installs (workflows/postgres.py) writes in one round trip
and still takes the table lock that keeps notification ids in commit order."""

from __future__ import annotations

import threading
import time
from datetime import date

import psycopg
import pytest

from api.settings import persistence_env
from tests.scenario import ADMIN, build_tree, make_app, nominate
from workflows import commands as c
from workflows.application import ConcurrentWrite
from workflows.postgres import OrderedPostgresRecorder

pytestmark = pytest.mark.postgres


def test_saves_wait_for_the_table_lock_and_conflicts_are_refused(fresh_postgres_db: str) -> None:
    app = make_app(persistence_env(fresh_postgres_db, pool_size=2))
    try:
        assert isinstance(app.recorder, OrderedPostgresRecorder)
        tree = build_tree(app)
        cid = nominate(app, tree)
        done = threading.Event()

        def enrol() -> None:
            app.execute(cid, c.EnrolInClass(enrolled_on=date(2023, 2, 1)), ADMIN)
            done.set()

        with psycopg.connect(fresh_postgres_db) as blocker:
            blocker.execute("LOCK TABLE ketnap_events IN EXCLUSIVE MODE")
            writer = threading.Thread(target=enrol)
            writer.start()
            time.sleep(0.5)
            assert not done.is_set(), "the insert did not wait for the table lock"
            blocker.rollback()
        writer.join(timeout=10)
        assert done.is_set()
        assert app.candidacy(cid).version == 2

        stale = app.candidacy(cid).history[-1]
        with pytest.raises(ConcurrentWrite):
            app._save(stale)  # same originator and version: the unique key refuses it
        assert app.candidacy(cid).version == 2
    finally:
        app.close()
