"""``GET /organisations/{id}/quotas/{period}/forecast`` on the demo province (in memory):
it agrees with the quota, the band holds the expectation, the same ``as_of`` and
``known_at`` give the same answer, ``known_at`` before the records sees none of them, and a
reporter gets the figures without the candidacies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.demo import data as d
from api.demo.loader import PROVINCE_ID, DemoClock, load_demo
from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from tests.e2e.test_web_app import csrf_of
from tests.scenario import ADMIN
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar

ADMIN_TOKEN = "test-admin-token"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
P1 = d.BY_KEY["P1"].id


@pytest.fixture(scope="module")
def client() -> Iterator[tuple[TestClient, dict[str, str]]]:
    clock = DemoClock()
    app = Admissions(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock, calendar=VietnamCalendar()
    )
    load_demo(app)
    clock.now = NOW
    reporter = app.issue_token(Role.REPORTER, PROVINCE_ID, "reporter", ADMIN)[0]
    with TestClient(create_app(Settings(admin_token=ADMIN_TOKEN), admissions=app)) as c:
        yield c, {"admin": ADMIN_TOKEN, "reporter": reporter}


def get(
    client: tuple[TestClient, dict[str, str]], path: str, who: str = "admin", **params: str
) -> Any:
    http, tokens = client
    return http.get(path, params=params, headers={"Authorization": f"Bearer {tokens[who]}"})


def test_the_forecast_of_the_demo_holds_together(client):
    mid = {"as_of": "2024-06-30", "known_at": "2024-06-30T23:59:59+07:00"}
    response = get(client, f"/organisations/{PROVINCE_ID}/quotas/2024/forecast", **mid)
    assert response.status_code == 200, response.text
    body = response.json()
    quota = get(client, f"/organisations/{PROVINCE_ID}/quotas/2024", **mid).json()
    assert (body["target"], body["admitted"]) == (quota["target"], quota["admitted"])
    assert body["low"] <= body["expected"] <= body["high"]
    assert body["admitted"] <= body["low"]
    assert body["as_of"] == "2024-06-30" and body["period"] == "2024"
    standing = sum(s["candidates"] for s in body["stages"])
    assert standing > 0 and body["deciding_count"] == len(body["deciding"]) <= standing
    assert sum(s["deciding"] for s in body["stages"]) == body["deciding_count"]
    for row in body["deciding"]:
        assert "2024-06-30" < row["next_step_by"] <= "2024-12-31"
    expected = body["admitted"] + sum(s["expected"] for s in body["stages"])
    assert abs(body["expected"] - expected) < 0.05
    again = get(client, f"/organisations/{PROVINCE_ID}/quotas/2024/forecast", **mid).json()
    assert again == body


def test_known_at_before_any_record_sees_nothing_and_reporters_get_figures_only(client):
    early = get(
        client,
        f"/organisations/{P1}/quotas/2024/forecast",
        as_of="2024-06-30",
        known_at="2020-01-01T00:00:00+07:00",
    ).json()
    assert early["admitted"] == 0 and early["deciding"] == [] and early["expected"] == 0
    figures = get(client, f"/organisations/{P1}/quotas/2024/forecast", "reporter").json()
    assert figures["deciding"] is None and figures["deciding_count"] >= 0
    bad = get(client, f"/organisations/{P1}/quotas/20x4/forecast")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_the_quota_page_draws_the_forecast_bar_and_links_the_deciding_candidates(client):
    http, tokens = client
    form = http.get("/ui/login")
    http.post("/ui/login", data={"token": tokens["admin"], "csrf": csrf_of(form.text)})
    page = http.get(f"/ui/units/{P1}/quota", params={"period": "2025", "as_of": "2025-06-30"})
    assert page.status_code == 200
    html = page.text
    assert 'id="bar-forecast"' in html and 'class="band"' in html
    body = get(client, f"/organisations/{P1}/quotas/2025/forecast", as_of="2025-06-30").json()
    assert f"{body['low']}–{body['high']}" in html
    for row in body["deciding"]:
        assert f'href="/ui/candidacies/{row["candidacy_id"]}"' in html
