"""A store written, and its views built, by ketnap before the read side became one engine
(commit 6072cb0, ``tests/fixtures/make_store_before_issue10.py``) opens with today's code:
its views are taken as they are (no rebuild), every figure the old HTTP API answered is
answered the same, the store verifies clean, and new steps flow into the old views; a
rebuild of every view gives the same answers again."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.settings import Settings
from projections.runner import Projections
from tests.scenario import ADMIN, FixedClock, make_app
from workflows import commands as c
from workflows.application import Admissions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TOKEN = "fixture-admin-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
RECORDED = json.loads((FIXTURES / "store-6072cb0.json").read_text())


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator[Admissions]:
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURES / "store-6072cb0.db", copy)
    clock = FixedClock(datetime(2025, 9, 1, 3, 0, tzinfo=UTC))  # the fixture's "today"
    app = make_app(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(copy)}, clock
    )
    yield app
    app.close()


def _answers(app: Admissions) -> dict[str, Any]:
    with TestClient(create_app(Settings(admin_token=TOKEN), admissions=app)) as client:
        found = {}
        for read in RECORDED["answers"]:
            response = client.get(read, headers=HEADERS)
            assert response.status_code == 200, (read, response.text)
            found[read] = response.json()
        ready = client.get("/ready").json()
    assert ready["projection_lag"] == 0 and ready["undecodable_events"] == 0
    return found


def test_the_old_views_answer_the_same_figures_and_go_on(old_store: Admissions) -> None:
    app = old_store
    projections = Projections(app)
    newest = app.recorder.max_notification_id()
    # The old views and digest were caught up to the end: nothing to apply, no rebuild.
    assert {s.name: (s.generation, s.position) for s in projections.status()} == {
        "admissions": (1, newest),
        "candidacies": (1, newest),
        "audit_digest": (1, newest),
    }
    assert projections.catch_up() == 0
    assert _answers(app) == RECORDED["answers"]

    # A new step flows into the old views and the old digest.
    withdrawn = next(
        UUID(item["id"])
        for item in RECORDED["answers"][
            f"/candidacies?organisation_id={RECORDED['province']}&limit=100"
        ]["items"]
        if item["stage"] == "certified"
    )
    app.execute(
        withdrawn, c.Withdraw(effective_on=datetime(2025, 8, 1).date(), reason="thôi"), ADMIN
    )
    after = _answers(app)
    pipeline = after[f"/reports/pipeline?organisation_id={RECORDED['province']}"]
    outcomes = {row["stage"]: row["candidates"] for row in pipeline["outcomes"]}
    assert outcomes["withdrawn"] == 2
    assert after["/audit/verify"]["problems"] == []
    assert after["/audit/verify"]["global_digest"]["position"] == app.recorder.max_notification_id()

    # Rebuilt from the events by today's code, the views answer what they answered before.
    for name in ("admissions", "candidacies"):
        assert projections.rebuild(name) == 2
    assert _answers(app) == after
