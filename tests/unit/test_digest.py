"""The audit digest without a database server: checkpoints do not depend on how the store
is paged, the in-memory store keeps one like the others, and an encrypted SQLite store is
digested and verified over its ciphertext (an altered row no longer decrypts)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher
from pydantic import SecretStr

from api.audit.verification import verify_store
from api.bootstrap import build_app
from api.settings import Settings
from projections.digest import GlobalDigest
from projections.digest_check import GENESIS, chain, leaf
from projections.runner import Projections
from tests.scenario import FixedClock, build_tree
from tests.unit.helpers import World, make_world, open_candidacy


@pytest.fixture
def world() -> World:
    world = make_world()
    for upto in (8, 3, 5):
        open_candidacy(world, upto=upto)
    return world


def test_checkpoints_do_not_depend_on_the_page_size(world: World) -> None:
    app = world.app
    stored = app.recorder.select_notifications(1, limit=1000)
    expected = GENESIS
    for notification in stored:
        expected = chain(expected, leaf(notification))
    folded = []
    for page_size in (1, 7, 10, 1000):
        digest = GlobalDigest(app, window=10, page_size=page_size)
        digest.store.reset()
        assert digest.catch_up() == len(stored) and digest.lag() == 0
        folded.append(digest.checkpoints())
    assert all(checkpoints == folded[0] for checkpoints in folded)
    tip = folded[0][-1]
    assert tip.digest == expected.hex()  # the tip is the plain chain over every event
    windows = [c.events for c in folded[0]]
    assert len(stored) == 34 and windows == [10, 10, 10, 4]
    assert [c.seq for c in folded[0]] == [1, 2, 3, 4]
    assert tip.total == len(stored) and tip.last_notification_id == stored[-1].id


def test_the_in_memory_store_keeps_a_digest_beside_the_other_views(world: World) -> None:
    projections = Projections(world.app)
    digest = projections.digest
    assert digest.position() == 0 and "audit_digest" in projections.names
    projections.catch_up("audit_digest")
    clean = verify_store(world.app, digest)
    assert clean.problems == () and clean.digest is not None and clean.digest.store_wide
    cid = open_candidacy(world, upto=1)
    assert digest.lag() == 2 and digest.catch_up() == 2
    marks = digest.streams([cid])
    assert marks[cid].events == 2 and marks[cid].last_version == 2
    assert marks[cid].topic.endswith(":CandidateNominated")


def test_an_encrypted_store_is_digested_over_its_ciphertext(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.db"
    settings = Settings(database_url=url, cipher_key=SecretStr(AESCipher.create_key(32)))
    clock = FixedClock()
    app = build_app(settings, clock=clock)
    try:
        world = World(app=app, clock=clock, tree=build_tree(app))
        cid = open_candidacy(world, upto=4)
        digest = GlobalDigest(app)
        digest.catch_up()
        assert verify_store(app, digest).problems == ()
        with closing(sqlite3.connect(tmp_path / "k.db")) as db, db:
            (state,) = db.execute(
                "SELECT state FROM stored_events WHERE originator_id = ? "
                "AND originator_version = 3",
                (cid.hex,),
            ).fetchone()
            flipped = state[:-1] + bytes([state[-1] ^ 1])
            db.execute(
                "UPDATE stored_events SET state = ? WHERE originator_id = ? "
                "AND originator_version = 3",
                (flipped, cid.hex),
            )
        result = verify_store(app, digest)
        named = {(p.candidacy_id, p.position, p.kind) for p in result.problems}
        assert (cid, 3, "altered") in named
        assert any(p.aggregate == "store" and p.kind == "altered" for p in result.problems)
    finally:
        app.close()
