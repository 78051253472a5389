"""A digest is sent once on PostgreSQL, whoever runs: two runners racing on one store
(each its own application, as two server processes), and a ``ketnap reminders run``
SIGKILLed while a delivery is in flight then run again. The claim is written before the
send, so the second runner finds it; a claim whose process died is left alone until its
lease ends, then sent again (the one duplicate ADR 0024 accepts: the receiver may have got
it before the crash)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from api.reminders.runner import Outcome, run_due
from api.settings import persistence_env
from domain.candidacy.deadlines import deadlines
from projections.runner import Projections
from tests.scenario import ADMIN, build_tree, drive, make_app, nominate, path_to_official
from tests.unit.test_reminders import BRANCH_VOTE, CALENDAR, SECRET, Hook, deliverer
from workflows import commands as c
from workflows.application import Admissions

pytestmark = pytest.mark.postgres


@dataclass
class Store:
    url: str
    commune: UUID
    day: date  # a working day two working days before the candidacy's decision is due


@pytest.fixture
def store(fresh_postgres_db: str) -> Iterator[Store]:
    app = make_app(persistence_env(fresh_postgres_db, pool_size=2))
    try:
        tree = build_tree(app)
        cid = nominate(app, tree, full_name="Hoàng Thị Mai")
        drive(app, cid, path_to_official(tree), upto=BRANCH_VOTE)
        state = app.candidacy(cid)
        [due] = [d.due_on for d in deadlines(state, CALENDAR, date(2023, 4, 1))
                 if d.kind == "decision_due"]  # fmt: skip
        day = due - timedelta(days=3)
        while not CALENDAR.is_working_day(day):
            day -= timedelta(days=1)
        yield Store(fresh_postgres_db, tree.commune, day)
    finally:
        app.close()


def subscribe(url: str, commune: UUID, hook: Hook) -> UUID:
    app = make_app(persistence_env(url, pool_size=1))
    try:
        command = c.SubscribeReminders(channel="webhook", address=hook.url, secret=SECRET)
        return app.subscribe_reminders(commune, command, ADMIN).id
    finally:
        app.close()


@pytest.fixture
def hooks() -> Iterator[list[Hook]]:
    receivers = [Hook() for _ in range(3)]
    yield receivers
    for receiver in receivers:
        receiver.close()


def test_two_runners_racing_send_each_digest_once(store: Store, hooks: list[Hook]) -> None:
    for hook in hooks:
        subscribe(store.url, store.commune, hook)
    apps = [make_app(persistence_env(store.url, pool_size=2)) for _ in range(2)]
    views = [Projections(app) for app in apps]
    for each in views:  # one after the other: the views' tables are created on first use
        each.catch_up()
    start = threading.Barrier(2)
    outcomes: list[list[Outcome]] = [[], []]

    def runner(n: int, app: Admissions) -> None:
        start.wait()
        outcomes[n] = run_due(app, views[n], store.day, deliverer())

    threads = [threading.Thread(target=runner, args=(n, a)) for n, a in enumerate(apps)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for app in apps:
            app.close()
    assert [len(h.requests) for h in hooks] == [1, 1, 1]
    statuses = sorted(o.status for run in outcomes for o in run)
    assert statuses == ["sent"] * 3 + ["skipped"] * 3


def _run(env: dict[str, str], day: date) -> subprocess.CompletedProcess[str]:
    ketnap = str(Path(sys.executable).parent / "ketnap")
    return subprocess.run(
        [ketnap, "reminders", "run", "--on", day.isoformat()],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_run_killed_mid_send_sends_nothing_twice_but_the_send_in_flight(
    store: Store, hooks: list[Hook]
) -> None:
    in_flight = hooks[1]
    ids = [subscribe(store.url, store.commune, hook) for hook in hooks]
    env = {**os.environ, "KETNAP_DATABASE_URL": store.url, "KETNAP_LOG_LEVEL": "WARNING"}
    ketnap = str(Path(sys.executable).parent / "ketnap")
    in_flight.hold.set()  # it receives the digest and never answers: the kill lands there
    process = subprocess.Popen(
        [ketnap, "reminders", "run", "--on", store.day.isoformat()],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not in_flight.requests and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        assert in_flight.requests, "the run never reached the second subscription"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
    in_flight.hold.clear()
    in_flight.released.set()
    assert [len(h.requests) for h in hooks] == [1, 1, 0]

    again = _run(env, store.day)  # the claim in flight is within its lease: left alone
    assert again.returncode == 0, again.stderr
    assert [len(h.requests) for h in hooks] == [1, 1, 1]
    assert "skipped" in again.stdout and "0 failed" in again.stdout

    after_lease = _run({**env, "KETNAP_REMINDER_LEASE_MINUTES": "0"}, store.day)
    assert after_lease.returncode == 0, after_lease.stderr
    assert [len(h.requests) for h in hooks] == [1, 2, 1]  # only the send in flight again

    app = make_app(persistence_env(store.url, pool_size=1))
    try:
        states = [app.digest(sid, store.day) for sid in ids]
    finally:
        app.close()
    assert [(s.status, s.claims) for s in states if s] == [("sent", 1), ("sent", 2), ("sent", 1)]
    assert _run(env, store.day).stdout.count("skipped") == 3
    assert [len(h.requests) for h in hooks] == [1, 2, 1]
