"""A missing or wrong cipher key is noticed (issue 11 §2): the store records a key check,
``ketnap serve`` refuses to start on a mismatch with a message saying so, and ``/ready``
answers 503 naming it; on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from api.bootstrap import build_app
from api.cli.main import cli
from api.http.app import create_app
from api.settings import Settings
from tests.scenario import FixedClock, build_tree
from workflows.keys import KEY_CHECK_ID, key_status, record_key_check

KEY_A, KEY_B = AESCipher.create_key(32), AESCipher.create_key(32)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/k.db"
    found: str = request.getfixturevalue("fresh_postgres_db")
    return found


def _status(url: str, key: str | None, *, record: bool = False) -> str:
    settings = Settings(database_url=url, cipher_key=SecretStr(key) if key else None)
    app = build_app(settings, clock=FixedClock())
    try:
        return record_key_check(app) if record else key_status(app)
    finally:
        app.close()


def _written(url: str, key: str | None) -> None:
    settings = Settings(database_url=url, cipher_key=SecretStr(key) if key else None)
    app = build_app(settings, clock=FixedClock())
    try:
        build_tree(app, officials=2)
    finally:
        app.close()


def test_the_key_check_tells_ok_missing_and_wrong(url: str) -> None:
    _written(url, KEY_A)
    # Before the check is recorded, the newest event tells.
    assert (_status(url, KEY_A), _status(url, None), _status(url, KEY_B)) == (
        "ok",
        "missing",
        "wrong",
    )
    assert _status(url, KEY_B, record=True) == "wrong"  # a wrong key records nothing
    assert _status(url, KEY_A, record=True) == "ok"
    app = build_app(Settings(database_url=url, cipher_key=SecretStr(KEY_A)))
    try:
        (check,) = app.recorder.select_events(KEY_CHECK_ID)
        assert b"ketnap key check" not in check.state  # the known value is encrypted
    finally:
        app.close()
    assert (_status(url, KEY_A), _status(url, None), _status(url, KEY_B)) == (
        "ok",
        "missing",
        "wrong",
    )


def test_a_store_written_without_a_key_refuses_one(url: str) -> None:
    _written(url, None)
    assert _status(url, None, record=True) == "ok"
    assert _status(url, KEY_A) == "wrong"


def test_serve_refuses_to_start_and_ready_says_why(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _written(url, KEY_A)
    started: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(a))
    monkeypatch.setenv("KETNAP_DATABASE_URL", url)
    monkeypatch.delenv("KETNAP_CIPHER_KEY", raising=False)
    refused = CliRunner().invoke(cli, ["serve"])
    assert refused.exit_code == 2 and "KETNAP_CIPHER_KEY is not set" in refused.output
    monkeypatch.setenv("KETNAP_CIPHER_KEY", KEY_B)
    refused = CliRunner().invoke(cli, ["serve"])
    assert refused.exit_code == 2 and "does not decrypt this store" in refused.output
    assert started == []
    monkeypatch.setenv("KETNAP_CIPHER_KEY", KEY_A)
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0 and len(started) == 1
    # The library itself reads KETNAP_CIPHER_KEY (its application-name prefix) over the
    # settings: unset it so the apps below get the key they are given.
    monkeypatch.delenv("KETNAP_CIPHER_KEY")

    wrong = build_app(Settings(database_url=url, cipher_key=SecretStr(KEY_B)))
    try:
        with TestClient(create_app(Settings(admin_token="t"), admissions=wrong)) as client:
            ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["rule"] == "cipher_key_wrong"
    finally:
        wrong.close()
    right = build_app(Settings(database_url=url, cipher_key=SecretStr(KEY_A)))
    try:
        with TestClient(create_app(Settings(admin_token="t"), admissions=right)) as client:
            ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["cipher_key"] == "ok"
    finally:
        right.close()
