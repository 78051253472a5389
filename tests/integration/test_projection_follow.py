"""Persisted projections on every real store: a runner follows what another instance
writes (the library's ProjectionRunner over LISTEN/NOTIFY on PostgreSQL, polling on
SQLite), alongside a second writer of the same view, and ends equal to a rebuild."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from api.bootstrap import FollowedAdmissions
from domain.values import Period
from projections.follow import follow
from projections.ledger_reader import LedgerReader
from projections.runner import Projections
from tests.integration.support import OpenApp
from tests.scenario import FixedClock, build_tree
from tests.unit.helpers import World, open_candidacy


def _figures(reader: LedgerReader) -> object:
    return reader.grouped(None, "branch")


def _wait_caught_up(projections: Projections, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while projections.lag() > 0:
        assert time.monotonic() < deadline, f"not caught up: {projections.status()}"
        time.sleep(0.05)


def test_a_runner_follows_another_writer_and_equals_a_rebuild(
    open_app: OpenApp, store_env: dict[str, str]
) -> None:
    clock = FixedClock()
    app = open_app(clock)
    writer = World(app=app, clock=clock, tree=build_tree(app))
    open_candidacy(writer, upto=12)
    runner_side = Projections(open_app(), page_size=7)
    stopping = threading.Event()
    postgres = store_env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"

    def run() -> None:
        if postgres:
            follow(
                runner_side,
                FollowedAdmissions,
                dict(store_env),
                should_stop=stopping.is_set,
                check_seconds=0.5,
            )
        else:
            runner_side.run(poll_seconds=0.02, should_stop=stopping.is_set)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        _wait_caught_up(runner_side)
        # Written after the runner caught up: on PostgreSQL only the library's runner
        # (woken by NOTIFY) can apply these.
        open_candidacy(writer, upto=6)
        _wait_caught_up(runner_side)
        # More writes while the runner follows, and a second writer of the same views
        # (the API's own catch-up) racing it.
        other_reader = Projections(open_app(), page_size=3)
        for upto in (3, 9, 20):
            open_candidacy(writer, upto=upto)
            other_reader.catch_up()
        _wait_caught_up(runner_side)
    finally:
        stopping.set()
        thread.join(timeout=20)
    assert not thread.is_alive()

    fresh = Projections(open_app())
    for name in fresh.names:
        fresh.rebuild(name)
    assert fresh.lag() == 0
    assert _figures(runner_side.reader) == _figures(fresh.reader)
    period = Period.parse(str(date(2024, 1, 1).year))
    live = runner_side.reader.quota_report(writer.tree.province, period)
    rebuilt = fresh.reader.quota_report(writer.tree.province, period)
    assert live == rebuilt
    today = writer.app.today()
    assert sorted(runner_side.register.standings(today), key=str) == sorted(
        fresh.register.standings(today), key=str
    )
    assert runner_side.register.open_deadlines(today) == fresh.register.open_deadlines(today)
    assert len(runner_side.register.standings(today)) == 5


@pytest.mark.parametrize("name", ["admissions", "candidacies"])
def test_a_rebuild_swaps_in_a_generation_equal_to_the_live_one(
    open_app: OpenApp, name: str
) -> None:
    clock = FixedClock()
    app = open_app(clock)
    world = World(app=app, clock=clock, tree=build_tree(app))
    for upto in (4, 11, 16):
        open_candidacy(world, upto=upto)
    projections = Projections(open_app())
    projections.catch_up()
    before = projections.generation(name)
    today = app.today()
    standings = projections.register.standings(today)
    grouped = projections.reader.grouped(None, "child")
    assert projections.rebuild(name) == before + 1
    assert projections.generation(name) == before + 1
    assert projections.register.standings(today) == standings
    assert projections.reader.grouped(None, "child") == grouped
    assert projections.lag() == 0
