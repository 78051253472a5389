"""The audit use cases, each one function HTTP and CLI both call (ADR 0013), asked
directly: the state as of a day and as known at an instant, the history with every check
explained in Vietnamese, the dossier's content, and verification (scoped and store-wide)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from api.audit.dossier import dossier_for
from api.audit.history import history_items
from api.audit.state import state_view
from api.audit.verification import verify
from domain.candidacy.state import Stage
from domain.errors import NotFound
from projections.runner import Projections
from tests.scenario import ADMIN, FixedClock, build_tree, make_app
from tests.unit.helpers import BRANCH_VOTE, World, make_world, open_candidacy
from workflows import commands as c


@pytest.fixture
def world() -> World:
    return make_world()


def test_state_as_of_a_day_and_as_known_at_an_instant(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE + 1)
    current = world.app.candidacy(cid)
    now = state_view(world.app, current, with_person=True)
    assert now.stage == Stage.BRANCH_APPROVED and now.as_of == world.app.today()
    enrolled = current.class_enrolled_on
    assert enrolled is not None
    before = state_view(world.app, current, as_of=enrolled - timedelta(days=1), with_person=True)
    assert before.stage == Stage.SOURCE_POOL and before.class_enrolled_on is None
    assert before.as_of == enrolled - timedelta(days=1)
    hidden = state_view(world.app, current, with_person=False)
    assert hidden.person is None and now.person is not None
    # Known at an instant before a correction: the uncorrected value.
    recorded = world.clock.now
    world.clock.advance(hours=1)
    moved = enrolled + timedelta(days=2)
    fix = c.CorrectRecord(position=2, changes={"enrolled_on": moved.isoformat()}, reason="nhầm")
    corrected = world.app.execute(cid, fix, ADMIN)
    assert state_view(world.app, corrected, with_person=True).class_enrolled_on == moved
    then = state_view(world.app, corrected, known_at=recorded, with_person=True)
    assert then.class_enrolled_on == enrolled and then.known_at == recorded
    with pytest.raises(NotFound, match="did not exist yet"):
        state_view(world.app, corrected, as_of=date(2000, 1, 1), with_person=True)


def test_the_history_explains_every_check_in_vietnamese(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE + 1)
    history = world.app.candidacy(cid).history
    plain = history_items(history, with_person=False, explain=False)
    explained = history_items(history, with_person=False, explain=True)
    assert [i.position for i in plain] == list(range(1, len(history) + 1))
    assert all(i.explanation is None for i in plain)
    vote = next(i for i in explained if i.type == "BranchVoteHeld")
    assert vote.explanation and len(vote.explanation) == len(vote.checks)
    assert any("2/3" in line and "tán thành" in line for line in vote.explanation), vote.explanation
    assert all(i.data.get("person") is None for i in explained)


def test_the_dossier_carries_the_candidacy_and_its_clean_chain(world: World) -> None:
    cid = open_candidacy(world, upto=BRANCH_VOTE + 1)
    dossier = dossier_for(world.app, cid)
    assert dossier.summary.stage == Stage.BRANCH_APPROVED
    chain = dossier.verification
    assert chain.intact and chain.events_checked == len(world.app.candidacy(cid).history)
    assert dossier.summary.branch_name


def test_verification_scoped_and_store_wide_finds_a_tampered_event(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    app = make_app({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    world = World(app=app, clock=FixedClock(), tree=build_tree(app))
    inside = open_candidacy(world, upto=4)
    views = Projections(app)
    views.catch_up()
    clean = verify(app, views)
    assert clean.problems == () and clean.digest is not None and clean.digest.store_wide
    scoped = verify(app, views, world.tree.commune)
    assert scoped.streams_checked == 1 and not (scoped.digest and scoped.digest.store_wide)
    assert verify(app, views, world.tree.other_branch).streams_checked == 0
    with closing(sqlite3.connect(path)) as db, db:
        where = "WHERE originator_id = ? AND originator_version = 3"
        (state,) = db.execute(f"SELECT state FROM stored_events {where}", (inside.hex,)).fetchone()
        forged = orjson.dumps({**orjson.loads(state), "request_id": "forged"})
        db.execute(f"UPDATE stored_events SET state = ? {where}", (forged, inside.hex))
    found = verify(app, views, world.tree.commune)
    assert [(p.candidacy_id, p.position, p.kind) for p in found.problems] == [
        (inside, 3, "altered")
    ]
