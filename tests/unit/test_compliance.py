"""Deadline compliance (``domain.compliance``, ``GET /reports/deadline-compliance``): exact
working-day figures on constructed histories, a late ceremony across the 30 April – 2 May
holidays, an overdue step at the period's end, attribution to the unit's subtree, access."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from api.dossier import compliance_for
from api.http.app import create_app
from api.settings import Settings
from domain.access import Role
from domain.compliance import ComplianceReport, deadline_compliance
from domain.values import Period
from tests.scenario import ADMIN, nominate
from tests.unit.helpers import CEREMONY, DECISION, World, make_world, steps
from workflows import commands as c

ADMIN_TOKEN = "test-admin-token"
# ``path_to_official`` takes 127 days from its start to the admission decision.
TO_DECISION = timedelta(days=127)
TO_CEREMONY = TO_DECISION + timedelta(days=14)
# Decision received Tue 18 March 2025 (rule set 232-QĐ/TW): 30 working days end on Tue
# 29 April, counted by hand: Hùng Kings' day (Mon 7 April) is off, Sat 26 April is a
# make-up working day. The ceremony on Tue 6 May comes after Wed 30 April, Thu 1 and Fri
# 2 May (holidays) and a weekend: 7 calendar days late, 2 working days (5 and 6 May).
LATE_DECISION = date(2025, 3, 18)
LATE_DUE = date(2025, 4, 29)
LATE_CEREMONY = date(2025, 5, 6)
# Decision on Mon 3 November 2025, no ceremony by 31 December: due Mon 15 December, so
# overdue by 12 working days at the year's end (16–19, 22–26, 29–31 December).
OPEN_DECISION = date(2025, 11, 3)
OPEN_DUE = date(2025, 12, 15)


def _admit(world: World, decided_on: date, ceremony: date | None, **extra: str) -> UUID:
    """A candidacy decided on ``decided_on`` and, if given, its ceremony on ``ceremony``
    followed by the rest of the happy path (dated from the ceremony)."""
    cid = nominate(world.app, world.tree, on=date(2023, 1, 10))
    path = steps(world.tree, decided_on - TO_DECISION)
    decision = path[DECISION]
    assert isinstance(decision, c.AdmissionDecision) and decision.decided_on == decided_on
    if ceremony is None:
        path = path[: DECISION + 1]
    else:
        after = steps(world.tree, ceremony - TO_CEREMONY)[CEREMONY + 1 :]
        path = [*path[:CEREMONY], c.Ceremony(held_on=ceremony, **extra), *after]
    for command in path:
        world.app.execute(cid, command, ADMIN)
    return cid


@pytest.fixture
def world() -> World:
    return make_world()


def _report(world: World, organisation: UUID, period: str = "2025") -> ComplianceReport:
    return compliance_for(world.app, organisation, Period.parse(period))


def test_a_late_ceremony_is_missed_by_its_working_days_across_the_may_holidays(world: World):
    late = _admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    report = _report(world, world.tree.grassroots)
    by_kind = {k.kind: k for k in report.by_kind}
    assert (report.steps, report.met, report.missed, report.overdue) == (2, 1, 1, 0)
    assert (by_kind["decision"].met, by_kind["decision"].missed) == (1, 0)
    ceremony = by_kind["ceremony"]
    assert (ceremony.steps, ceremony.missed, ceremony.limit_working_days) == (1, 1, "30")
    assert (ceremony.working_days_over_total, ceremony.working_days_over_max) == (2, 2)
    [step] = report.late
    assert step.candidacy_id == late and step.kind == "ceremony" and step.status == "missed"
    assert (step.basis_on, step.due_on, step.taken_on) == (LATE_DECISION, LATE_DUE, LATE_CEREMONY)
    assert step.working_days_over == 2  # not the 7 calendar days
    assert step.working_days_taken == 32
    assert step.rule_set == "232-QĐ/TW"
    assert step.branch_id == world.tree.branch


def test_a_pending_step_past_its_limit_is_overdue_at_the_period_end(world: World):
    pending = _admit(world, OPEN_DECISION, None)
    report = _report(world, world.tree.province)
    assert report.cut_off == date(2025, 12, 31)
    [step] = report.late
    assert (step.candidacy_id, step.kind, step.status) == (pending, "ceremony", "overdue")
    assert (step.due_on, step.taken_on, step.working_days_over) == (OPEN_DUE, None, 12)
    assert report.overdue == 1 and report.met == 1  # the decision itself was in time


def test_steps_count_in_the_period_they_were_taken_in(world: World):
    _admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    # Probation ends 6 May 2026: the recognition vote (3 days later) and decision (20 days
    # later, within 30 working days of the vote) fall in 2026.
    report = _report(world, world.tree.grassroots, "2026")
    by_kind = {k.kind: (k.steps, k.met, k.missed) for k in report.by_kind}
    assert by_kind == {
        "decision": (0, 0, 0), "ceremony": (0, 0, 0), "recognition_vote": (1, 1, 0),
        "recognition_decision": (1, 1, 0),
    }  # fmt: skip
    term = _report(world, world.tree.grassroots, "2021-2026")
    assert (term.steps, term.met, term.missed) == (4, 3, 1)


def test_only_the_units_subtree_counts(world: World):
    _admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    elsewhere = _report(world, world.tree.grassroots_branch)
    assert (elsewhere.steps, elsewhere.candidacies, elsewhere.late) == (0, 0, [])
    assert _report(world, world.tree.commune).steps == 2


def test_the_pure_function_attributes_steps_through_the_callers_tree(world: World):
    cid = _admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    asked: list[tuple[UUID, date]] = []

    def in_unit(branch: UUID, day: date) -> bool:
        asked.append((branch, day))
        return day >= date(2025, 4, 1)  # only the ceremony's day is "inside"

    report = deadline_compliance(
        [world.app.candidacy(cid)], organisation_id=world.tree.province,
        period=Period.parse("2025"), today=date(2026, 1, 1), calendar=world.app.calendar,
        in_unit=in_unit,
    )  # fmt: skip
    assert sorted(asked) == [(world.tree.branch, LATE_DECISION), (world.tree.branch, LATE_CEREMONY)]
    assert [s.kind for s in report.items] == ["ceremony"]


def test_before_the_period_ends_the_cut_off_is_today(world: World):
    pending = _admit(world, OPEN_DECISION, None)
    today = date(2025, 12, 20)
    before = deadline_compliance(
        [world.app.candidacy(pending)], organisation_id=world.tree.province,
        period=Period.parse("2025"), today=today, calendar=world.app.calendar,
        in_unit=lambda _b, _d: True,
    )  # fmt: skip
    assert before.cut_off == today
    assert [(s.status, s.working_days_over) for s in before.late] == [("overdue", 4)]


# --- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def client(world: World) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(Settings(admin_token=ADMIN_TOKEN), admissions=world.app,
                     keep_projections_caught_up=False)  # fmt: skip
    tokens = {
        "admin": ADMIN_TOKEN,
        "auditor": world.app.issue_token(Role.AUDITOR, world.tree.grassroots, "aud", ADMIN)[0],
        "outsider": world.app.issue_token(
            Role.AUDITOR, world.tree.grassroots_branch, "aud2", ADMIN
        )[0],
        "reporter": world.app.issue_token(Role.REPORTER, world.tree.province, "rep", ADMIN)[0],
    }
    with TestClient(app) as test_client:
        yield test_client, tokens


def _get(client: TestClient, token: str, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    response: httpx.Response = client.get(
        "/reports/deadline-compliance", params=params, headers=headers
    )
    return response


def test_the_report_over_http_for_an_auditor_of_the_subtree(world: World, client):
    http, tokens = client
    late = _admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    with capture_logs() as logs:
        response = _get(http, tokens["auditor"], period="2025")  # defaults to its own unit
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["organisation_id"] == str(world.tree.grassroots) and body["period"] == "2025"
    assert (body["steps"], body["met"], body["missed"], body["overdue"]) == (2, 1, 1, 0)
    assert body["late"][0]["candidacy_id"] == str(late)
    assert body["late"][0]["working_days_over"] == 2
    assert body["late"][0]["due_on"] == "2025-04-29"
    [line] = [entry for entry in logs if entry["event"] == "audit.read"]
    assert line["what"] == "compliance" and line["role"] == "auditor"
    assert line["organisation_id"] == str(world.tree.grassroots) and line["period"] == "2025"


def test_the_report_refuses_other_roles_subtrees_and_bad_input(world: World, client):
    http, tokens = client
    grassroots = str(world.tree.grassroots)
    outside = _get(http, tokens["outsider"], period="2025", organisation_id=grassroots)
    assert outside.status_code == 403 and outside.json()["rule"] == "forbidden_scope"
    reporter = _get(http, tokens["reporter"], period="2025", organisation_id=grassroots)
    assert reporter.status_code == 403 and reporter.json()["rule"] == "forbidden_role"
    bad = _get(http, tokens["admin"], period="twenty", organisation_id=grassroots)
    assert bad.status_code == 422 and bad.json()["rule"] == "invalid_period"
    assert _get(http, tokens["admin"], period="2025").status_code == 422  # no unit
    unknown = _get(http, tokens["admin"], period="2025", organisation_id=str(uuid4()))
    assert unknown.status_code == 404
