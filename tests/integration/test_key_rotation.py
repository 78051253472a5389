"""``ketnap keys rotate`` (issue 11 §1) on SQLite and PostgreSQL: every stored event ends
under the new key and none under the old; the store verifies, the views and the key check
work with the new key alone; a rotation killed mid-way resumes without re-encrypting
anything twice; a store that does not verify is refused before anything is rewritten."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment
from pydantic import SecretStr
from typer.testing import CliRunner

from api.audit.verification import verify
from api.bootstrap import build_app, build_projections
from api.cli.main import cli
from api.settings import Settings
from projections.ledger import NAME as LEDGER
from projections.register import NAME as REGISTER
from tests.scenario import FixedClock, build_tree, nominate
from workflows import key_rotation
from workflows.keys import key_status, record_key_check

OLD, NEW = AESCipher.create_key(32), AESCipher.create_key(32)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/k.db"
    found: str = request.getfixturevalue("fresh_postgres_db")
    return found


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The library reads KETNAP_CIPHER_KEY from the environment over what it is given.
    monkeypatch.delenv("KETNAP_CIPHER_KEY", raising=False)
    monkeypatch.delenv("KETNAP_PREVIOUS_CIPHER_KEY", raising=False)


def _app(url: str, key: str | None, previous: str | None = None) -> Any:
    settings = Settings(
        database_url=url,
        cipher_key=SecretStr(key) if key else None,
        previous_cipher_key=SecretStr(previous) if previous else None,
    )
    return build_app(settings, clock=FixedClock())


def _written(url: str) -> int:
    app = _app(url, OLD)
    try:
        tree = build_tree(app, officials=3)
        for n in range(4):
            nominate(app, tree, full_name=f"Nguyễn Thị Mai {n}")
        record_key_check(app)
        build_projections(app).catch_up()
        return int(app.recorder.max_notification_id() or 0)
    finally:
        app.close()


def _under(url: str, key: str) -> int:
    """How many stored events ``key`` decrypts."""
    cipher = AESCipher(Environment(env={"CIPHER_KEY": key}))
    app = _app(url, None)
    try:
        fits = 0
        for notification in app.recorder.select_notifications(None, 100_000):
            try:
                cipher.decrypt(notification.state)
            except Exception:
                continue
            fits += 1
        return fits
    finally:
        app.close()


def _rotate(url: str) -> Any:
    env = {
        "KETNAP_DATABASE_URL": url,
        "KETNAP_CIPHER_KEY": NEW,
        "KETNAP_PREVIOUS_CIPHER_KEY": OLD,
        "KETNAP_LOG_LEVEL": "WARNING",
    }
    return CliRunner().invoke(cli, ["keys", "rotate"], env=env)


def test_a_rotation_leaves_every_event_under_the_new_key(url: str) -> None:
    events = _written(url)
    assert _under(url, OLD) == events and _under(url, NEW) == 0
    rotated = _rotate(url)
    assert rotated.exit_code == 0, rotated.output
    assert f"{events:,} events re-encrypted" in rotated.output
    assert _under(url, NEW) == events and _under(url, OLD) == 0
    app = _app(url, NEW)
    try:
        assert key_status(app) == "ok"
        views = build_projections(app)
        assert not verify(app, views).problems  # chains and the refolded digest
        assert views.status() and all(s.lag == 0 for s in views.status())
        names = {c.person.full_name for c in _candidacies(app)}
        assert "Nguyễn Thị Mai 0" in names
    finally:
        app.close()
    old_only = _app(url, OLD)
    try:
        assert key_status(old_only) == "wrong"
    finally:
        old_only.close()
    again = _rotate(url)  # nothing left to do
    assert again.exit_code == 0 and "already rotated" in again.output


def _candidacies(app: Any) -> list[Any]:
    views = build_projections(app)
    views.catch_up(LEDGER)
    views.catch_up(REGISTER)
    ids = [n.originator_id for n in app.recorder.select_notifications(None, 100_000)]
    found = []
    for cid in set(ids):
        try:
            found.append(app.candidacy(cid))
        except Exception:
            continue
    return found


def test_a_rotation_killed_midway_resumes_and_rewrites_each_event_once(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _written(url)
    monkeypatch.setattr(key_rotation, "PAGE", 2)
    commit = key_rotation.Rotation._commit
    pages: list[int] = []

    def dies_after_three(self: Any, rewrites: Any, state: Any) -> None:
        if len(pages) == 3:
            raise KeyboardInterrupt  # as a kill between two pages
        pages.append(len(rewrites))
        commit(self, rewrites, state)

    monkeypatch.setattr(key_rotation.Rotation, "_commit", dies_after_three)
    killed = _rotate(url)
    assert killed.exit_code != 0 and events > 6
    assert sum(pages) == 6  # three pages of two committed, then killed
    assert _under(url, NEW) == 6 and _under(url, OLD) == events - 6
    # Mid-rotation, a server with both keys reads everything.
    both = _app(url, NEW, OLD)
    try:
        assert key_status(both) == "ok" and _candidacies(both)
    finally:
        both.close()
    monkeypatch.setattr(key_rotation.Rotation, "_commit", commit)
    resumed = _rotate(url)
    assert resumed.exit_code == 0, resumed.output
    assert "Resuming the rotation at event" in resumed.output
    assert f"{events:,} events re-encrypted" in resumed.output  # 6 before + the rest
    assert _under(url, NEW) == events


def test_a_store_that_does_not_verify_is_not_rotated(url: str) -> None:
    events = _written(url)
    app = _app(url, OLD)
    try:  # an event removed behind the application's back
        newest = app.recorder.max_notification_id()
        datastore: Any = app.recorder.datastore
        table = app.recorder.events_table_name
        column = "notification_id" if "postgres" in url else "rowid"
        p = "%s" if "postgres" in url else "?"
        with datastore.transaction(commit=True) as curs:
            curs.execute(f"DELETE FROM {table} WHERE {column} = {p}", (newest - 1,))
    finally:
        app.close()
    refused = _rotate(url)
    assert refused.exit_code == 1, refused.output
    assert "does not verify" in refused.output
    assert _under(url, OLD) == events - 1 and _under(url, NEW) == 0
