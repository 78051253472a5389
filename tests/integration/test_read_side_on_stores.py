"""The read side and the tamper verifier on every real store: a reader instance's views
catch up with what another instance wrote (paged, by notification id), and an event
edited in the database behind the application's back is found."""

from __future__ import annotations

import sqlite3
from uuid import UUID

import orjson
import psycopg

from api.audit.verification import verify_candidacies
from projections.live import ReadSide
from projections.runner import Projections
from tests.integration.support import OpenApp
from tests.scenario import FixedClock, build_tree
from tests.unit.helpers import World, open_candidacy


def _world(open_app: OpenApp) -> World:
    clock = FixedClock()
    app = open_app(clock)
    return World(app=app, clock=clock, tree=build_tree(app))


def test_a_reader_instance_catches_up_in_pages(open_app: OpenApp) -> None:
    writer = _world(open_app)
    ids = [open_candidacy(writer, upto=n) for n in (2, 5, 9)]
    reader = ReadSide(Projections(open_app(), page_size=7), follow=False)
    assert reader.catch_up() > 7
    assert reader.lag() == 0
    later = open_candidacy(writer, upto=1)
    assert reader.lag() > 0
    reader.catch_up()
    standings = {s.candidacy_id: s for s in reader.register.standings()}
    for cid in [*ids, later]:
        state = writer.app.candidacy(cid)
        assert (standings[cid].stage, standings[cid].branch_id) == (state.stage, state.branch_id)


_WHERE = "WHERE originator_id = {p} AND originator_version = {p}"


def _forged(state: bytes) -> bytes:
    return orjson.dumps({**orjson.loads(state), "request_id": "forged"})


def _alter(store_env: dict[str, str], cid: UUID, version: int) -> None:
    """Edit one stored event's JSON in the database (a forged request id)."""
    if store_env["PERSISTENCE_MODULE"].endswith("sqlite"):
        where = _WHERE.format(p="?")
        with sqlite3.connect(store_env["SQLITE_DBNAME"]) as lite:
            (state,) = lite.execute(
                f"SELECT state FROM stored_events {where}", (cid.hex, version)
            ).fetchone()
            lite.execute(
                f"UPDATE stored_events SET state = ? {where}", (_forged(state), cid.hex, version)
            )
        return
    env, where = store_env, _WHERE.format(p="%s")
    url = (
        f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@{env['POSTGRES_HOST']}:"
        f"{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
    )
    with psycopg.connect(url, autocommit=True) as pg:
        row = pg.execute(f"SELECT state FROM ketnap_events {where}", (cid, version)).fetchone()
        assert row is not None
        pg.execute(f"UPDATE ketnap_events SET state = %s {where}", (_forged(row[0]), cid, version))


def test_an_event_edited_in_the_database_is_found(
    open_app: OpenApp, store_env: dict[str, str]
) -> None:
    world = _world(open_app)
    cid = open_candidacy(world, upto=6)
    other = open_candidacy(world, upto=3)
    clean = verify_candidacies(world.app)
    assert clean.problems == () and clean.streams_checked == 2
    _alter(store_env, cid, 3)
    result = verify_candidacies(open_app())
    assert [(p.candidacy_id, p.position, p.kind) for p in result.problems] == [(cid, 3, "altered")]
    assert verify_candidacies(world.app, [other]).problems == ()
