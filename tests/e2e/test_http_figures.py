"""The figure endpoints over HTTP on the demo province (in memory): quotas agree with a
naive recount from the decoded events (``tests.naive_figures``), reports and the pipeline
add up, lists paginate, time travel works, access follows roles and subtrees, and the
untouched demo verifies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.demo import data as d
from api.demo.loader import PROVINCE_ID, DemoClock, DemoSummary, load_demo
from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from domain.candidacy.deadlines import deadlines
from domain.candidacy.events import CandidacyEvent, Corrected, state_as_of
from domain.member import MemberEvent
from domain.organisation import OrganisationEvent
from domain.values import Period
from projections.figures import AdmissionCounts
from projections.tree import OrganisationTree
from tests.naive_figures import NaiveFigures, QuotaFiguresNaive, decode_all
from tests.scenario import ADMIN
from tests.unit.helpers import make_world
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar

ADMIN_TOKEN = "test-admin-token"
NOW = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
P1, TN = d.BY_KEY["P1"].id, d.BY_KEY["TN"].id


class Demo:
    def __init__(self, app: Admissions, summary: DemoSummary, client: TestClient) -> None:
        self.app, self.summary, self.client = app, summary, client
        self.tokens: dict[str, str] = {"admin": ADMIN_TOKEN}
        for name, role, unit in (
            ("board_p1", Role.BOARD, P1),
            ("reporter", Role.REPORTER, PROVINCE_ID),
            ("auditor", Role.AUDITOR, PROVINCE_ID),
        ):
            self.tokens[name] = app.issue_token(role, unit, name, ADMIN)[0]

    def get(self, path: str, who: str = "admin", **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(path, params=params, headers=headers)

    def projection(self, known_at: datetime | None = None) -> Naive:
        return Naive(NaiveFigures(decode_all(self.app), known_at))


class Naive:
    """The naive recount, asked as the old in-memory model was (period keys as text)."""

    def __init__(self, figures: NaiveFigures) -> None:
        self.figures = figures

    def quota_report(self, unit: UUID, period: str, as_of: date | None = None) -> QuotaFiguresNaive:
        return self.figures.quota_report(unit, Period.parse(period), as_of)

    def total(self) -> AdmissionCounts:
        return AdmissionCounts(**self.figures.grouped(None, "branch")[0].counts)


def stored_events(app: Admissions) -> list[Any]:
    return list(decode_all(app))


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    clock = DemoClock()
    app = Admissions(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock, calendar=VietnamCalendar()
    )
    summary = load_demo(app)
    clock.now = NOW  # a fixed "today" after the demo's last step
    api = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=app)
    with TestClient(api) as client:
        yield Demo(app, summary, client)


def _same_figures(body: dict[str, Any], report: QuotaFiguresNaive) -> None:
    assert body["target"] == report.target
    assert body["admitted"] == report.admitted
    expected = None if report.fulfilment_percent is None else float(report.fulfilment_percent)
    assert body["fulfilment_percent"] == expected
    assert body["breakdown"] == report.breakdown
    children = {(str(c), target, n) for c, (target, n, _) in report.children.items()}
    got = [(c["organisation_id"], c["target"], c["admitted"]) for c in body["children"]]
    assert set(got) == children and len(got) == len(children)


@pytest.mark.parametrize("period", ["2024", "2025"])
def test_quota_figures_equal_the_admissions_read_model(demo, period):
    projection = demo.projection()
    for key, target in d.QUOTAS[period].items():
        unit = d.BY_KEY[key].id
        response = demo.get(f"/organisations/{unit}/quotas/{period}", "reporter")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["target"] == target and body["period"] == period
        _same_figures(body, projection.quota_report(unit, period))


def test_fulfilment_is_a_number_and_a_unit_without_quota_still_answers(demo):
    response = demo.get(f"/organisations/{PROVINCE_ID}/quotas/2024")
    assert '"fulfilment_percent":105.0' in response.text.replace(" ", "")
    branch = d.BY_KEY["P1-CHO-1"].id
    body = demo.get(f"/organisations/{branch}/quotas/2024").json()
    assert body["target"] is None and body["fulfilment_percent"] is None
    assert body["admitted"] == demo.projection().quota_report(branch, "2024").admitted
    term = demo.get(f"/organisations/{PROVINCE_ID}/quotas/2020-2025").json()
    assert term["target"] is None and term["admitted"] >= body["admitted"]


def test_quota_as_of_and_known_at(demo):
    projection = demo.projection()
    path = f"/organisations/{PROVINCE_ID}/quotas/2024"
    body = demo.get(path, as_of="2024-06-30").json()
    _same_figures(body, projection.quota_report(PROVINCE_ID, "2024", as_of=date(2024, 6, 30)))
    before_target = demo.get(path, as_of="2024-01-07").json()  # the target was set on 01-08
    assert before_target["target"] is None
    # The report as printed before the late correction moved a decision into 2024.
    corrections = [e for e in stored_events(demo.app) if isinstance(e, Corrected)]
    printed = corrections[0].timestamp - timedelta(seconds=1)
    body = demo.get(path, known_at=printed.isoformat()).json()
    _same_figures(body, demo.projection(printed).quota_report(PROVINCE_ID, "2024"))
    assert body["admitted"] == demo.get(path).json()["admitted"] - 1
    assert demo.get(path, known_at="2025-01-05T08:00:00").status_code == 422  # no offset


def test_setting_a_quota_is_read_back_at_once_within_the_subtree_only(demo):
    body = {"target": 7, "sub_targets": {"women": 3}}
    headers = {"Authorization": f"Bearer {demo.tokens['board_p1']}"}
    response = demo.client.put(f"/organisations/{P1}/quotas/2026", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["target"] == 7 and response.json()["version"] == 1
    read = demo.get(f"/organisations/{P1}/quotas/2026", "board_p1").json()
    assert read["target"] == 7 and read["sub_targets"]["women"] == 3
    put = demo.client.put
    assert put(f"/organisations/{TN}/quotas/2026", json=body, headers=headers).status_code == 403
    reporter = {"Authorization": f"Bearer {demo.tokens['reporter']}"}
    assert put(f"/organisations/{P1}/quotas/2026", json=body, headers=reporter).status_code == 403
    bad = put(f"/organisations/{P1}/quotas/2026-2024", json=body, headers=headers)
    assert bad.status_code == 422 and bad.json()["rule"] == "invalid_period"
    assert demo.get(f"/organisations/{TN}/quotas/2024", "board_p1").status_code == 403
    unknown = demo.get(f"/organisations/{UUID(int=7)}/quotas/2024")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def _counts(row: dict[str, Any]) -> AdmissionCounts:
    names = ("admitted", "rejected", "ceremonies", "recognised", "removed", "withdrawn")
    return AdmissionCounts(**{name: row[name] for name in names})


def test_admission_report_totals_rows_and_pages(demo):
    projection = demo.projection()
    everything = projection.total()
    full = demo.get("/reports/admissions", "reporter", organisation_id=PROVINCE_ID, limit=500)
    body = full.json()
    assert _counts(body["total"]) == everything and body["next_cursor"] is None
    assert sum((_counts(r) for r in body["items"]), AdmissionCounts()) == everything
    children = demo.get("/reports/admissions", group_by="child", organisation_id=PROVINCE_ID)
    assert sum((_counts(r) for r in children.json()["items"]), AdmissionCounts()) == everything
    year = demo.get(
        "/reports/admissions",
        organisation_id=PROVINCE_ID,
        **{"from": "2024-01-01"},
        to="2024-12-31",
    ).json()
    assert year["total"]["admitted"] == projection.quota_report(PROVINCE_ID, "2024").admitted
    assert (
        year["total"]["breakdown"]["women"]
        == (projection.quota_report(PROVINCE_ID, "2024").breakdown["women"])
    )
    seen, cursor = [], None
    while True:
        params = {"organisation_id": PROVINCE_ID, "limit": 7}
        page = demo.get("/reports/admissions", **params, **({"cursor": cursor} if cursor else {}))
        seen += [row["organisation_id"] for row in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [row["organisation_id"] for row in body["items"]]
    bad = demo.get("/reports/admissions", cursor="not-a-cursor")
    assert bad.status_code == 422 and bad.json()["rule"] == "invalid_cursor"
    assert demo.get("/reports/admissions", organisation_id=TN, who="board_p1").status_code == 403


def test_pipeline_counts_every_candidacy_once(demo):
    body = demo.get("/reports/pipeline", "reporter").json()
    counted = {row["stage"]: row["candidates"] for row in body["stages"] + body["outcomes"]}
    assert counted == demo.summary.stages | {s: 0 for s in counted if s not in demo.summary.stages}
    assert all(
        (row["candidates"] == 0) == (row["median_days_in_stage"] is None) for row in body["stages"]
    )
    scoped = demo.get("/reports/pipeline", "board_p1").json()
    assert scoped["organisation_id"] == str(P1)
    assert sum(r["candidates"] for r in scoped["stages"] + scoped["outcomes"]) < sum(
        counted.values()
    )


def test_deadlines_are_for_readers_of_records(demo):
    assert demo.get("/deadlines", "reporter").status_code == 403
    overdue = demo.get("/deadlines", "auditor", status="overdue", limit=500).json()
    assert overdue["items"] and all(i["status"] == "overdue" for i in overdue["items"])
    first = demo.get("/deadlines", "auditor", limit=3).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    after = demo.get("/deadlines", "auditor", limit=3, cursor=first["next_cursor"]).json()
    keys = [(i["due_on"], i["candidacy_id"], i["kind"]) for i in first["items"] + after["items"]]
    assert keys == sorted(keys) and len(set(keys)) == 6


def _tree(demo: Demo) -> OrganisationTree:
    tree = OrganisationTree()
    for event in stored_events(demo.app):
        if isinstance(event, OrganisationEvent):
            tree.apply(event)
    return tree


def _folded(demo: Demo) -> tuple[dict[UUID, Any], dict[UUID, Any]]:
    """Every candidacy and member state, folded from the stored events (naively)."""
    candidacies: dict[UUID, Any] = {}
    members: dict[UUID, Any] = {}
    for event in stored_events(demo.app):
        if isinstance(event, CandidacyEvent):
            candidacies[event.originator_id] = event.mutate(candidacies.get(event.originator_id))
        elif isinstance(event, MemberEvent):
            members[event.originator_id] = event.mutate(members.get(event.originator_id))
    return candidacies, members


@pytest.mark.parametrize("as_of", [None, "2025-03-01", "2025-12-31"])
def test_pipeline_and_deadlines_equal_a_naive_fold(demo, as_of):
    today = demo.app.today()
    on = date.fromisoformat(as_of) if as_of else today
    tree = _tree(demo)
    candidacies, _ = _folded(demo)
    stages: Counter[str] = Counter()
    expected_deadlines = set()
    for state in candidacies.values():
        at = state_as_of(state.history, on)
        if at is None or not tree.within(at.branch_id, PROVINCE_ID, on):
            continue
        stages[at.stage.value] += 1
        for deadline in deadlines(at, demo.app.calendar, on):
            if deadline.status in ("due", "overdue"):
                expected_deadlines.add(
                    (str(at.id), deadline.kind, deadline.due_on.isoformat(), deadline.status)
                )
    params = {"as_of": as_of} if as_of else {}
    body = demo.get("/reports/pipeline", "auditor", **params).json()
    got = {row["stage"]: row["candidates"] for row in body["stages"] + body["outcomes"]}
    assert {k: v for k, v in got.items() if v} == dict(stages)
    listed = demo.get("/deadlines", "auditor", limit=500, **params).json()
    assert {
        (i["candidacy_id"], i["kind"], i["due_on"], i["status"]) for i in listed["items"]
    } == expected_deadlines
    assert listed["next_cursor"] is None


def test_certificates_about_to_expire(demo):
    today = demo.app.today()
    candidacies, _ = _folded(demo)
    left: dict[str, tuple[str, int]] = {}
    for state in candidacies.values():
        for deadline in deadlines(state, demo.app.calendar, today):
            if deadline.kind == "certificate_expiry" and deadline.met_on is None:
                left[str(state.id)] = (deadline.due_on.isoformat(), (deadline.due_on - today).days)
    assert left, "the demo has certificates not yet used by a branch vote"
    horizon = sorted(days for _, days in left.values())[len(left) // 2]  # about half of them
    for within in (horizon, 3660):
        body = demo.get(
            "/reports/certificates-expiring", "auditor", within_days=within, limit=500
        ).json()
        got = {i["candidacy_id"]: (i["expires_on"], i["days_left"]) for i in body["items"]}
        assert got == {k: v for k, v in left.items() if v[1] <= within}
        assert {i["status"] for i in body["items"]} <= {"expiring", "expired"}
    assert demo.get("/reports/certificates-expiring", "reporter").status_code == 403


def test_residential_coverage_counts_members_and_areas(demo):
    today = demo.app.today()
    _, members = _folded(demo)
    tree = _tree(demo)
    official: Counter[UUID] = Counter()
    for m in members.values():
        present = m.admitted_on <= today and (m.left_on is None or m.left_on > today)
        if present and m.official_on is not None and m.official_on <= today:
            official[m.branch_id] += 1
    body = demo.get("/reports/residential-coverage", "reporter").json()
    rows = {UUID(r["branch_id"]): r for r in body["items"]}
    branches = [
        u
        for u in tree.units()
        if u.kind.is_branch and u.exists_on(today) and tree.within(u.id, PROVINCE_ID, today)
    ]
    assert set(rows) == {u.id for u in branches}
    for unit in branches:
        row = rows[unit.id]
        assert row["official_members"] == official[unit.id]
        assert row["residential_areas"] == sorted(a.code for a in unit.areas if a.since <= today)
        assert row["below_minimum"] == (official[unit.id] < 3)
    assert body["branches_below_minimum"] == sum(official[u.id] < 3 for u in branches)
    assert body["residential_areas"] == len(
        {a for r in rows.values() for a in r["residential_areas"]}
    )
    assert body["residential_areas"] > 0


def test_the_untouched_demo_verifies(demo):
    events = [e for e in stored_events(demo.app) if isinstance(e, CandidacyEvent)]
    body = demo.get("/audit/verify", "auditor").json()
    assert body["problems"] == []
    assert body["events_checked"] == len(events)
    assert body["streams_checked"] == len(demo.summary.candidacy_ids)
    scoped = demo.get("/audit/verify", "board_p1").json()
    assert scoped["problems"] == [] and 0 < scoped["streams_checked"] < body["streams_checked"]
    assert demo.get("/audit/verify", "reporter").status_code == 403


def test_operations_endpoints(demo):
    assert demo.client.get("/health").json() == {"status": "ok"}
    demo.get("/reports/pipeline", "reporter")  # a report waits for the follower to catch up
    ready = demo.client.get("/ready")
    assert ready.status_code == 200 and ready.json()["store"] == "ok"
    assert ready.json()["projection_lag"] == 0
    listed = {p["name"]: p for p in ready.json()["projections"]}
    assert set(listed) == {"admissions", "candidacies", "audit_digest"}
    newest = demo.app.recorder.max_notification_id()
    assert all(p["position"] == newest and p["lag"] == 0 for p in listed.values())
    assert demo.client.get("/metrics").status_code == 401
    metrics = demo.get("/metrics", "reporter")
    assert metrics.status_code == 200
    for name in listed:
        assert f'ketnap_projection_lag_events{{projection="{name}"}} 0.0' in metrics.text
    paths = demo.client.get("/openapi.json").json()["paths"]
    mine = [
        "/organisations/{organisation_id}/quotas/{period}",
        "/reports/admissions",
        "/reports/pipeline",
        "/deadlines",
        "/audit/verify",
        "/ready",
        "/metrics",
    ]
    assert set(mine) <= set(paths)


def test_not_ready_when_the_store_does_not_answer(monkeypatch):
    world = make_world()
    api = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app)

    def down() -> int:
        raise ConnectionError("the database is down")

    with TestClient(api) as client:
        assert client.get("/ready").status_code == 200
        monkeypatch.setattr(world.app.recorder, "max_notification_id", down)
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["rule"] == "store_unavailable"
        assert client.get("/health").status_code == 200
