"""Tokens on every real store (issue 11 §8): a token revoked by one process is refused by
another at its very next request (each check reads the store), the last use is kept beside
the events, and ``ketnap tokens list`` shows every token without its secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from api.cli import serve
from api.cli.main import cli
from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.integration.support import OpenApp
from tests.scenario import ADMIN, FixedClock, build_tree


def test_a_revocation_in_one_process_refuses_the_token_in_another(open_app: OpenApp) -> None:
    clock = FixedClock()
    writer, server_a, server_b = open_app(clock), open_app(clock), open_app(clock)
    tree = build_tree(writer)
    secret, token = writer.issue_token(Role.BOARD, tree.commune, "ban tổ chức", ADMIN)
    path = f"/organisations/{tree.commune}"
    auth = {"Authorization": f"Bearer {secret}"}
    settings = Settings(auth_failures_per_minute=0)
    with (
        TestClient(create_app(settings, admissions=server_a)) as a,
        TestClient(create_app(settings, admissions=server_b)) as b,
    ):
        assert a.get(path, headers=auth).status_code == 200
        assert b.get(path, headers=auth).status_code == 200  # both have it cached now
        writer.revoke_token(token.id, ADMIN)
        for client in (a, b):
            refused = client.get(path, headers=auth)
            assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    # The last use was written by the servers, read by any process.
    assert writer.token_use.last_used() == {token.id: clock.now}


def test_tokens_list_shows_every_token_and_never_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "console", Console(width=200))  # the table unsquashed
    env = {"KETNAP_DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "KETNAP_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    made = runner.invoke(
        cli,
        ["tokens", "create", "--role", "admin", "--label", "vận hành", "--expires", "90d"],
        env=env,
    )
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("ktn_")
    other = runner.invoke(cli, ["tokens", "create", "--role", "admin", "--label", "cũ"], env=env)
    token_id = other.output.split()[1]
    assert runner.invoke(cli, ["tokens", "revoke", token_id], env=env).exit_code == 0
    listed = runner.invoke(cli, ["tokens", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "vận hành" in listed.output and "live" in listed.output
    assert "cũ" not in listed.output and "1 revoked or expired token(s) not shown" in listed.output
    every = runner.invoke(cli, ["tokens", "list", "--all"], env=env)
    assert "cũ" in every.output and "revoked" in every.output
    assert "ktn_" not in every.output
    bad = runner.invoke(cli, ["tokens", "create", "--role", "board", "--expires", "soon"], env=env)
    assert bad.exit_code == 2 and "--expires" in bad.output
