"""Who follows the store: ``ketnap serve`` starts the read side's follower unless
``--no-projections`` or ``KETNAP_SERVE_PROJECTIONS=false`` says another process does
(either one is enough, for one process and for ``--workers N``)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from api.cli.main import cli


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv("KETNAP_DATABASE_URL", "memory://")
    # setenv first, so that teardown puts the variable back as it was even after `serve`
    # itself set it (for --workers): delenv alone records nothing when it is absent.
    monkeypatch.setenv("KETNAP_SERVE_PROJECTIONS", "true")
    monkeypatch.delenv("KETNAP_SERVE_PROJECTIONS")
    return calls


def _follows(calls: list[tuple[Any, dict[str, Any]]]) -> bool:
    ((factory, _),) = calls
    return bool(factory.keywords["keep_projections_caught_up"])


@pytest.mark.parametrize(
    ("env", "flags", "follows"),
    [
        (None, [], True),
        ("false", [], False),
        (None, ["--no-projections"], False),
        ("true", ["--no-projections"], False),
    ],
)
def test_one_process_follows_unless_told_not_to(started, monkeypatch, env, flags, follows):
    if env is not None:
        monkeypatch.setenv("KETNAP_SERVE_PROJECTIONS", env)
    result = CliRunner().invoke(cli, ["serve", *flags])
    assert result.exit_code == 0, result.output
    assert _follows(started) is follows


def test_workers_read_the_choice_from_the_environment(started):
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--no-projections"])
    assert result.exit_code == 0, result.output
    ((factory, options),) = started
    assert factory == "api.http.app:create_served_app" and options["workers"] == 2
    assert os.environ["KETNAP_SERVE_PROJECTIONS"] == "false"
