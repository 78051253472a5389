"""Tamper evidence on every real store (SQLite and PostgreSQL): a small history is folded
into the audit digest, then edited with SQL behind the application's back, the way an
attacker with database access would. Each edit is found by a fresh application instance
(another process: nothing remembered in memory), with its kind and, where the store still
allows, the candidacy and position named; an untouched store verifies clean.

Window 10 keeps several checkpoints in a history of ~40 events."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.audit.verification import Verification, verify_candidacies, verify_store
from api.cli.main import cli
from api.http.app import create_app
from api.settings import Settings
from projections.digest import GlobalDigest
from projections.digest_store import STREAMS
from tests.integration.support import OpenApp
from tests.scenario import FixedClock, Tree, build_tree
from tests.unit.helpers import World, open_candidacy
from workflows.application import Admissions

WINDOW = 10


class Raw:
    """Plain SQL on the test's database, bypassing the application (the attacker)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.sqlite = env["PERSISTENCE_MODULE"].endswith("sqlite")
        if self.sqlite:
            self.url = f"sqlite:///{env['SQLITE_DBNAME']}"
            self.path = env["SQLITE_DBNAME"]
        else:
            self.url = (
                f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@"
                f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}"
            )
        self.names = {
            "t": "stored_events" if self.sqlite else "ketnap_events",
            "id": "rowid" if self.sqlite else "notification_id",
            "p": "?" if self.sqlite else "%s",
        }

    def run(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        query = statement.format(**self.names)
        if self.sqlite:
            with closing(sqlite3.connect(self.path)) as db, db:
                return db.execute(query, args).fetchall()
        with psycopg.connect(self.url, autocommit=True) as pg:
            cursor = pg.execute(query, args)
            return cursor.fetchall() if cursor.description else []

    def key(self, cid: UUID) -> Any:
        return cid.hex if self.sqlite else cid

    def row(self, cid: UUID, version: int) -> tuple[int, str, bytes]:
        ((nid, topic, state),) = self.run(
            "SELECT {id}, topic, state FROM {t} WHERE originator_id = {p} "
            "AND originator_version = {p}",
            self.key(cid),
            version,
        )
        return nid, topic, bytes(state)

    def set_state(self, cid: UUID, version: int, state: bytes, topic: str | None = None) -> None:
        topic = topic or self.row(cid, version)[1]
        self.run(
            "UPDATE {t} SET state = {p}, topic = {p} WHERE originator_id = {p} "
            "AND originator_version = {p}",
            state,
            topic,
            self.key(cid),
            version,
        )

    def delete(self, cid: UUID, version: int | None = None) -> None:
        if version is None:
            self.run("DELETE FROM {t} WHERE originator_id = {p}", self.key(cid))
        else:
            self.run(
                "DELETE FROM {t} WHERE originator_id = {p} AND originator_version = {p}",
                self.key(cid),
                version,
            )

    def delete_newest(self, count: int) -> list[tuple[Any, int]]:
        newest = self.run(
            "SELECT {id}, originator_id, originator_version FROM {t} ORDER BY {id} DESC LIMIT {p}",
            count,
        )
        for nid, _, _ in newest:
            self.run("DELETE FROM {t} WHERE {id} = {p}", nid)
        return [(oid, version) for _, oid, version in newest]


@dataclass
class Scene:
    open_app: OpenApp
    app: Admissions
    raw: Raw
    tree: Tree
    a: UUID  # positions 1..9
    b: UUID  # positions 1..6
    c: UUID  # positions 1..4, the newest events of the store


@pytest.fixture
def scene(open_app: OpenApp, store_env: dict[str, str]) -> Scene:
    clock = FixedClock()
    app = open_app(clock)
    # Four officials: none of these candidacies reaches a branch vote.
    world = World(app=app, clock=clock, tree=build_tree(app, officials=4))
    a, b, c = (open_candidacy(world, upto=n) for n in (8, 5, 3))
    digest = GlobalDigest(app, window=WINDOW)
    stored = len(app.recorder.select_notifications(1, limit=10_000))
    assert digest.catch_up() == stored == 10 + 9 + 6 + 4  # tree and roster, then a, b, c
    assert digest.lag() == 0 and digest.catch_up() == 0
    return Scene(open_app, app, Raw(store_env), world.tree, a, b, c)


def verify(scene: Scene, **kwargs: Any) -> Verification:
    """Verify from a fresh application instance, as another process would."""
    fresh = scene.open_app()
    return verify_store(fresh, GlobalDigest(fresh, window=WINDOW), **kwargs)


def about(result: Verification, stream: UUID) -> set[tuple[int | None, str]]:
    return {(p.position, p.kind) for p in result.problems if p.stream_id == stream}


def global_kinds(result: Verification) -> set[str]:
    return {p.kind for p in result.problems if p.aggregate == "store"}


def test_an_untouched_store_verifies_clean(scene: Scene) -> None:
    result = verify(scene)
    assert result.problems == ()
    assert (result.events_checked, result.streams_checked, result.store_events_read) == (19, 3, 29)
    digest = result.digest
    assert digest is not None and digest.store_wide
    assert (digest.position, digest.events, digest.checkpoints) == (
        scene.app.recorder.max_notification_id(),
        29,
        3,
    )
    assert digest.tip is not None and len(digest.tip) == 64


def test_one_byte_changed_in_an_event_is_named(scene: Scene) -> None:
    _, _, state = scene.raw.row(scene.a, 4)
    at = state.index(b'"request_id":"req-test"') + len(b'"request_id":"req-tes')
    forged = state[:at] + b"u" + state[at + 1 :]
    assert (
        len(forged) == len(state) and sum(x != y for x, y in zip(state, forged, strict=True)) == 1
    )
    scene.raw.set_state(scene.a, 4, forged)
    result = verify(scene)
    assert about(result, scene.a) == {(4, "altered")}
    assert about(result, scene.b) == about(result, scene.c) == set()
    assert global_kinds(result) == {"altered"}


def test_one_byte_changed_in_the_newest_event_of_a_stream_is_named(scene: Scene) -> None:
    # No later event names its hash and it still decodes: only the digest can tell.
    _, _, state = scene.raw.row(scene.c, 4)
    scene.raw.set_state(scene.c, 4, state.replace(b'"req-test"', b'"req-tesu"'))
    assert verify_candidacies(scene.open_app()).problems == ()
    result = verify(scene)
    assert about(result, scene.c) == {(4, "altered")}
    assert global_kinds(result) == {"altered"}


def test_bytes_re_encoded_with_the_same_content_are_found(scene: Scene) -> None:
    _, _, state = scene.raw.row(scene.a, 3)
    scene.raw.set_state(scene.a, 3, b"{ " + state[1:])  # same JSON, other bytes
    assert verify_candidacies(scene.open_app()).problems == ()
    result = verify(scene)
    assert about(result, scene.a) == {(None, "altered")}  # the candidacy, not the position
    assert [p.candidacy_id for p in result.problems if p.aggregate == "candidacy"] == [scene.a]


def test_a_deleted_event_is_named(scene: Scene) -> None:
    scene.raw.delete(scene.a, 5)
    result = verify(scene)
    assert about(result, scene.a) == {(5, "removed")}
    assert global_kinds(result) == {"removed"}


def test_deleted_newest_events_are_named(scene: Scene) -> None:
    deleted = scene.raw.delete_newest(2)
    assert {(UUID(str(oid)), version) for oid, version in deleted} == {(scene.c, 4), (scene.c, 3)}
    assert verify_candidacies(scene.open_app()).problems == ()  # a shorter chain is still valid
    result = verify(scene)
    assert about(result, scene.c) == {(3, "removed"), (4, "removed")}
    tip = [p for p in result.problems if p.aggregate == "store" and "newest" in p.detail]
    assert len(tip) == 1 and tip[0].kind == "removed"
    assert about(result, scene.a) == about(result, scene.b) == set()


def test_swapped_events_are_named(scene: Scene) -> None:
    _, t5, s5 = scene.raw.row(scene.a, 5)
    _, t6, s6 = scene.raw.row(scene.a, 6)
    scene.raw.set_state(scene.a, 5, s6, t6)
    scene.raw.set_state(scene.a, 6, s5, t5)
    result = verify(scene)
    kinds = about(result, scene.a)
    assert kinds and {kind for _, kind in kinds} == {"reordered"}
    assert {position for position, _ in kinds} <= {5, 6, 7}
    assert global_kinds(result) == {"altered"}


def test_swapped_versions_are_named(scene: Scene) -> None:
    update = (
        "UPDATE {t} SET originator_version = {p} WHERE originator_id = {p} "
        "AND originator_version = {p}"
    )
    for old, new in ((5, 1000), (6, 5), (1000, 6)):
        scene.raw.run(update, new, scene.raw.key(scene.a), old)
    result = verify(scene)
    kinds = about(result, scene.a)
    assert kinds and {kind for _, kind in kinds} == {"reordered"}
    assert global_kinds(result) == {"altered"}


def test_a_deleted_candidacy_is_named(scene: Scene) -> None:
    scene.raw.delete(scene.b)
    assert verify_candidacies(scene.open_app()).problems == ()  # nothing left to chain
    result = verify(scene)
    (problem,) = [p for p in result.problems if p.stream_id == scene.b]
    assert (problem.candidacy_id, problem.position, problem.kind) == (scene.b, 6, "removed")
    assert "whole candidacy" in problem.detail
    assert global_kinds(result) == {"removed"}
    assert result.streams_checked == 2


def test_a_deleted_candidacy_with_its_digest_row_is_still_caught(scene: Scene) -> None:
    scene.raw.delete(scene.b)
    scene.raw.run(f"DELETE FROM {STREAMS} WHERE originator_id = {{p}}", scene.raw.key(scene.b))
    result = verify(scene)
    assert about(result, scene.b) == set()  # its name is gone with the row...
    removed = [p for p in result.problems if p.aggregate == "store" and p.kind == "removed"]
    assert removed and sum(int(p.detail.split(" of the ")[0].split()[-1]) for p in removed) == 6


def test_an_anchor_catches_a_digest_rewritten_to_match(scene: Scene) -> None:
    clean = verify(scene).digest
    assert clean is not None and clean.tip is not None
    anchor = {clean.position: clean.tip}
    assert verify(scene, anchors=anchor).problems == ()
    scene.raw.delete_newest(2)
    GlobalDigest(scene.open_app(), window=WINDOW).rebuild()  # the attacker re-certifies
    assert verify(scene).problems == ()  # the limit: nothing in the database disagrees
    result = verify(scene, anchors=anchor)
    assert [(p.aggregate, p.kind) for p in result.problems] == [("store", "removed")]


def test_an_organisation_is_verified_without_the_global_order(scene: Scene) -> None:
    scene.raw.delete(scene.b)
    scene.raw.delete(scene.a, 5)
    result = verify(scene, candidacy_ids=[scene.a])
    assert result.digest is not None and not result.digest.store_wide
    assert {p.stream_id for p in result.problems} == {scene.a}
    assert about(result, scene.a) == {(5, "removed")}


def test_the_digest_does_not_depend_on_paging_or_on_who_folds_it(
    scene: Scene, open_app: OpenApp
) -> None:
    for _ in range(3):
        open_candidacy(World(app=scene.app, clock=FixedClock(), tree=scene.tree), upto=8)
    reference = GlobalDigest(scene.app, window=WINDOW)
    assert reference.lag() > 0
    workers = [GlobalDigest(open_app(), window=WINDOW, page_size=7) for _ in range(3)]
    threads = [threading.Thread(target=w.catch_up) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    folded = reference.checkpoints()
    assert reference.lag() == 0 and folded[-1].total == 29 + 27
    reference.rebuild()  # one big page
    assert reference.checkpoints() == folded
    assert verify(scene).problems == ()


def test_verifying_while_another_process_writes_and_catches_up_finds_nothing(
    scene: Scene, open_app: OpenApp
) -> None:
    writer = open_app()
    world = World(app=writer, clock=FixedClock(), tree=scene.tree)
    stop, written = threading.Event(), list[UUID]()

    def write() -> None:
        digest = GlobalDigest(writer, window=WINDOW, page_size=3)  # many small commits
        while not stop.is_set() and len(written) < 40:
            written.append(open_candidacy(world, upto=2))
            digest.catch_up()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        results = [verify(scene) for _ in range(6)]
    finally:
        stop.set()
        thread.join()
    assert written and all(r.problems == () for r in results)
    assert verify(scene).problems == ()


def test_the_http_endpoint_reports_tampering(scene: Scene) -> None:
    api = create_app(Settings(admin_token="t0ken"), admissions=scene.open_app())
    headers = {"Authorization": "Bearer t0ken"}
    with TestClient(api) as client:
        clean = client.get("/audit/verify", headers=headers).json()
        assert clean["problems"] == [] and clean["global_digest"]["store_wide"] is True
        assert (clean["events_checked"], clean["store_events_read"]) == (19, 29)
        scoped = client.get(
            "/audit/verify", headers=headers, params={"organisation_id": str(scene.tree.commune)}
        ).json()
        assert scoped["global_digest"]["store_wide"] is False
        assert scoped["streams_checked"] == 3 and scoped["problems"] == []
        scene.raw.delete(scene.b)
        body = client.get("/audit/verify", headers=headers).json()
        named = [p for p in body["problems"] if p["candidacy_id"] == str(scene.b)]
        assert [(p["position"], p["kind"]) for p in named] == [(6, "removed")]
        assert {p["aggregate"] for p in body["problems"]} == {"candidacy", "store"}


def test_the_command_line_exit_codes(scene: Scene) -> None:
    runner = CliRunner()
    env = {"KETNAP_DATABASE_URL": scene.raw.url, "KETNAP_LOG_LEVEL": "WARNING"}

    def run(*args: str) -> Any:
        return runner.invoke(cli, ["audit", "verify", *args], env=env)

    clean = run()
    assert clean.exit_code == 0, clean.output
    assert "No problem" in clean.output and "Anchor" in clean.output
    anchor = clean.output.split("--anchor): ")[1].split()[0]
    assert run("--anchor", anchor).exit_code == 0
    assert run("--organisation", str(scene.tree.province)).exit_code == 0
    open_candidacy(World(app=scene.app, clock=FixedClock(), tree=scene.tree), upto=1)
    scene.raw.delete(scene.b)
    found = run()
    assert found.exit_code == 1
    assert str(scene.b) in found.output and "removed" in found.output
    assert run("--no-catch-up").exit_code == 1
    assert run("--organisation", "not-a-uuid").exit_code == 2
    assert run("--organisation", "00000000-0000-4000-8000-000000000000").exit_code == 2
    assert run("--anchor", "12:xyz").exit_code == 2
    assert run("--anchor", anchor, "--organisation", str(scene.tree.province)).exit_code == 2
