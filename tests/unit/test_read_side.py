"""The read side as a server holds it (``projections.live.ReadSide``): the persisted
register (subtree, pipeline, deadlines) caught up by its follower only (a settled read
sees the last write, reads never write, known_at, the background follower) and the tamper
verifier on a real SQLite store edited behind the application's back."""

from __future__ import annotations

import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import orjson
import pytest

from api.audit.verification import verify_candidacies
from domain.candidacy.deadlines import deadlines
from domain.candidacy.state import Stage
from projections.live import ReadSide
from projections.register_reader import candidacies_in_subtree, open_deadlines, pipeline
from projections.runner import Projections
from tests.scenario import ADMIN, FixedClock, build_tree, make_app
from tests.unit.helpers import CALENDAR, CEREMONY, World, found_unit, make_world, open_candidacy
from workflows import commands as c

TODAY = date(2026, 11, 1)


@pytest.fixture
def world() -> World:
    return make_world()


def read_side(world: World, **options: object) -> ReadSide:
    return ReadSide(Projections(world.app), **options)  # type: ignore[arg-type]


def test_the_register_places_each_candidacy_like_the_application(world):
    ids = [open_candidacy(world, upto=n) for n in (0, 3, 8, CEREMONY + 1)]
    live = read_side(world, follow=False)
    assert live.catch_up() > 0
    assert live.catch_up() == 0 and live.lag() == 0
    assert live.position == world.app.recorder.max_notification_id()
    standings = {s.candidacy_id: s for s in live.register.standings(TODAY)}
    for cid in ids:
        state = world.app.candidacy(cid)
        assert (standings[cid].stage, standings[cid].branch_id) == (state.stage, state.branch_id)
    tree, register = live.reader.tree(), live.register
    assert candidacies_in_subtree(register, tree, world.tree.commune, TODAY) == sorted(ids, key=str)
    assert candidacies_in_subtree(register, tree, world.tree.other_branch, TODAY) == []
    probation = candidacies_in_subtree(register, tree, None, TODAY, Stage.PROBATION)
    assert probation == [ids[-1]]


def test_subtree_follows_the_tree_of_the_day_asked_about(world):
    cid = open_candidacy(world)
    other = found_unit(world.app, "XA-2", "commune", world.tree.province)
    move = c.MoveOrganisation(new_parent_id=other, effective_on=date(2024, 7, 1))
    world.app.move_organisation(world.tree.grassroots, move, ADMIN)
    live = read_side(world, follow=False)
    live.catch_up()
    tree, register = live.reader.tree(), live.register

    def within(unit: UUID, day: date) -> list[UUID]:
        return candidacies_in_subtree(register, tree, unit, TODAY, as_of=day)

    assert within(world.tree.commune, date(2024, 6, 30)) == [cid]
    assert within(other, date(2024, 6, 30)) == []
    assert within(other, date(2024, 7, 1)) == [cid]
    assert within(world.tree.commune, TODAY) == []


def test_pipeline_counts_days_since_the_step_that_entered_the_stage(world):
    first = open_candidacy(world, upto=1)  # awareness class since 2023-02-01
    open_candidacy(world, upto=1, start=date(2023, 3, 1))
    open_candidacy(world, upto=2)  # certified
    live = read_side(world, follow=False)
    live.catch_up()
    report = pipeline(live.register, live.reader.tree(), world.tree.province, TODAY)
    stages = {s.stage: s for s in report.stages}
    days = [(TODAY - date(2023, 2, 1)).days, (TODAY - date(2023, 3, 1)).days]
    assert stages[Stage.AWARENESS_CLASS].candidates == 2
    assert stages[Stage.AWARENESS_CLASS].median_days_in_stage == sum(days) / 2
    assert stages[Stage.CERTIFIED].candidates == 1
    assert stages[Stage.SOURCE_POOL].median_days_in_stage is None
    assert [s.stage for s in report.stages] == [s for s in Stage if not s.terminal]
    # A correction of the enrolment date moves the day the stage was entered.
    correction = c.CorrectRecord(position=2, changes={"enrolled_on": "2023-02-11"}, reason="nhầm")
    world.app.execute(first, correction, ADMIN)
    live.catch_up()
    tree = live.reader.tree()
    report = pipeline(live.register, tree, world.tree.province, TODAY)
    as_of = pipeline(live.register, tree, world.tree.province, TODAY, as_of=date(2023, 2, 20))
    stages = {s.stage: s for s in report.stages}
    days[0] -= 10
    assert stages[Stage.AWARENESS_CLASS].median_days_in_stage == sum(days) / 2
    # As of 2023-02-20 the third was enrolled (not yet certified) and the second nominated.
    past = {s.stage: s.candidates for s in as_of.stages}
    assert past[Stage.AWARENESS_CLASS] == 2 and past[Stage.SOURCE_POOL] == 1
    assert past[Stage.CERTIFIED] == 0


def test_deadlines_are_the_open_ones_of_the_domain(world):
    ids = [open_candidacy(world, upto=n) for n in (8, 10, 11)]
    live = read_side(world, follow=False)
    live.catch_up()
    tree = live.reader.tree()
    items = open_deadlines(live.register, tree, world.tree.province, TODAY)
    overdue = open_deadlines(live.register, tree, world.tree.province, TODAY, "overdue")
    expected = sorted(
        (d.due_on, str(cid), d.kind, d.status)
        for cid in ids
        for d in deadlines(world.app.candidacy(cid), CALENDAR, TODAY)
        if d.status in ("due", "overdue")
    )
    assert [(i.due_on, str(i.candidacy_id), i.kind, i.status) for i in items] == expected
    assert overdue and all(i.status == "overdue" for i in overdue)
    assert {i.kind for i in items} >= {"decision_due", "ceremony_due"}


def test_a_settled_read_sees_the_last_write_and_known_at_sees_the_past(world):
    live = read_side(world, poll_seconds=30)  # only a settle() wakes the follower in time
    live.start()
    try:
        assert live.settle()
        before = world.clock.now
        world.clock.advance(hours=1)
        cid = open_candidacy(world, upto=2)
        assert live.settle(timeout=10)
        assert cid in {s.candidacy_id for s in live.register.standings(TODAY)}
        assert cid not in {s.candidacy_id for s in live.register.standings(TODAY, before)}
        assert world.tree.branch in live.reader.tree(known_at=before)  # recorded earlier
    finally:
        live.stop()


def test_reads_never_write_the_views(world):
    live = read_side(world)  # follows, but its follower is not started
    open_candidacy(world, upto=2)
    assert live.position == 0
    assert live.settle(timeout=0.1) is False
    assert live.register.standings(TODAY) == [] and live.position == 0


def test_the_background_follower_catches_up_and_stops(world):
    live = read_side(world, poll_seconds=0.01)
    live.start()
    try:
        open_candidacy(world, upto=3)
        deadline = time.monotonic() + 10
        while live.position < (world.app.recorder.max_notification_id() or 0):
            assert time.monotonic() < deadline, "the follower did not catch up"
            time.sleep(0.01)
        assert live.lag() == 0
    finally:
        live.stop()
    assert live._thread is None


# --- tamper evidence on SQLite ------------------------------------------------------------


@pytest.fixture
def stored(tmp_path: Path) -> tuple[World, Path, UUID]:
    path = tmp_path / "ketnap.db"
    app = make_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    world = World(app=app, clock=FixedClock(), tree=build_tree(app))
    cid = open_candidacy(world, upto=8)  # versions 1..9
    return world, path, cid


def _rows(path: Path, cid: UUID) -> list[tuple[int, int, bytes]]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT rowid, originator_version, state FROM stored_events "
            "WHERE originator_id = ? ORDER BY originator_version",
            (cid.hex,),
        ).fetchall()


def _execute(path: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute(sql, args).rowcount == 1


def _kinds(world: World, cid: UUID, witness: bool = False) -> set[tuple[int | None, str]]:
    seen = world.app.candidacy(cid).history if witness else None
    result = verify_candidacies(world.app, [cid], (lambda _: seen) if witness else None)
    assert result.streams_checked == 1
    return {(p.position, p.kind) for p in result.problems}


def test_an_untouched_store_verifies(stored):
    world, _, _ = stored
    result = verify_candidacies(world.app)
    assert result.problems == ()
    assert result.events_checked == 9 and result.streams_checked == 1


def _edit(state: bytes, **changes: object) -> bytes:
    return orjson.dumps({**orjson.loads(state), **changes})


def test_an_altered_event_is_found(stored):
    world, path, cid = stored
    rows = _rows(path, cid)
    assert len(rows) == 9
    forged = _edit(rows[3][2], request_id="forged")
    _execute(path, "UPDATE stored_events SET state = ? WHERE rowid = ?", forged, rows[3][0])
    assert _kinds(world, cid) == {(4, "altered")}


def test_an_edit_the_event_would_not_serialise_to_is_found_even_last(stored):
    world, path, cid = stored
    rowid, _, state = _rows(path, cid)[-1]
    assert b'"certified_on":"2023-04-29"' in state
    for forged in (
        state.replace(b'"certified_on":"2023-04-29"', b'"certified_on":"2023-04-29T00:00:00"'),
        _edit(state, forged=True),  # no such field: it no longer decodes
        b"garbage",
    ):
        _execute(path, "UPDATE stored_events SET state = ? WHERE rowid = ?", forged, rowid)
        assert _kinds(world, cid) == {(9, "altered")}


def test_a_removed_event_is_found(stored):
    world, path, cid = stored
    rows = _rows(path, cid)
    _execute(path, "DELETE FROM stored_events WHERE rowid = ?", rows[4][0])
    assert _kinds(world, cid) == {(5, "removed")}


def test_a_truncated_tail_is_found_while_the_witness_remembers_it(stored):
    world, path, cid = stored
    seen = world.app.candidacy(cid).history
    _execute(path, "DELETE FROM stored_events WHERE rowid = ?", _rows(path, cid)[-1][0])
    assert _kinds(world, cid) == set()  # the chain alone cannot tell (a later issue)
    result = verify_candidacies(world.app, [cid], lambda _: seen)
    assert {(p.position, p.kind) for p in result.problems} == {(9, "removed")}


def test_reordered_events_are_found(stored):
    world, path, cid = stored
    rows = _rows(path, cid)
    with sqlite3.connect(path) as db:
        (t5, s5), (t6, s6) = (
            db.execute("SELECT topic, state FROM stored_events WHERE rowid = ?", (r[0],)).fetchone()
            for r in rows[4:6]
        )
    _execute(
        path, "UPDATE stored_events SET topic = ?, state = ? WHERE rowid = ?", t6, s6, rows[4][0]
    )
    _execute(
        path, "UPDATE stored_events SET topic = ?, state = ? WHERE rowid = ?", t5, s5, rows[5][0]
    )
    kinds = _kinds(world, cid)
    assert (5, "reordered") in kinds or (6, "reordered") in kinds
    assert {kind for _, kind in kinds} == {"reordered"}


def test_swapped_versions_are_found_by_the_global_order(stored):
    world, path, cid = stored
    rows = _rows(path, cid)
    _execute(path, "UPDATE stored_events SET originator_version = 99 WHERE rowid = ?", rows[2][0])
    _execute(path, "UPDATE stored_events SET originator_version = 3 WHERE rowid = ?", rows[3][0])
    _execute(path, "UPDATE stored_events SET originator_version = 4 WHERE rowid = ?", rows[2][0])
    kinds = _kinds(world, cid)
    assert (4, "reordered") in kinds
    assert {kind for _, kind in kinds} == {"reordered"}


def test_the_views_skip_what_no_longer_decodes(stored):
    world, path, cid = stored
    rowid = _rows(path, cid)[-1][0]
    _execute(path, "UPDATE stored_events SET state = ? WHERE rowid = ?", b"garbage", rowid)
    live = read_side(world, follow=False)
    live.catch_up()
    assert live.undecodable == [rowid]
    later = world.clock.now + timedelta(days=1)
    assert cid in {s.candidacy_id for s in live.register.standings(TODAY, later)}
