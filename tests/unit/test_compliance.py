"""Deadline compliance (``domain.compliance``, ``GET /reports/deadline-compliance``): exact
working-day figures on constructed histories, a late ceremony across the 30 April – 2 May
holidays, an overdue step at the period's end, attribution to the unit's subtree. Over HTTP
(the report's access and its audit log line): ``tests/e2e/test_compliance.py``."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from api.audit.compliance import compliance_for
from domain.compliance import ComplianceReport, deadline_compliance
from domain.values import Period
from tests.unit.helpers import LATE_CEREMONY, LATE_DECISION, LATE_DUE, World, admit, make_world

# Decision on Mon 3 November 2025, no ceremony by 31 December: due Mon 15 December, so
# overdue by 12 working days at the year's end (16–19, 22–26, 29–31 December).
OPEN_DECISION = date(2025, 11, 3)
OPEN_DUE = date(2025, 12, 15)


@pytest.fixture
def world() -> World:
    return make_world()


def _report(world: World, organisation: UUID, period: str = "2025") -> ComplianceReport:
    return compliance_for(world.app, organisation, Period.parse(period))


def test_a_late_ceremony_is_missed_by_its_working_days_across_the_may_holidays(world: World):
    late = admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
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
    pending = admit(world, OPEN_DECISION, None)
    report = _report(world, world.tree.province)
    assert report.cut_off == date(2025, 12, 31)
    [step] = report.late
    assert (step.candidacy_id, step.kind, step.status) == (pending, "ceremony", "overdue")
    assert (step.due_on, step.taken_on, step.working_days_over) == (OPEN_DUE, None, 12)
    assert report.overdue == 1 and report.met == 1  # the decision itself was in time


def test_steps_count_in_the_period_they_were_taken_in(world: World):
    admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    # Probation ends 6 May 2026: the recognition vote (3 days later) and decision (20 days
    # later, within 30 working days of the vote) fall in 2026.
    report = _report(world, world.tree.grassroots, "2026")
    by_kind = {k.kind: (k.steps, k.met, k.missed) for k in report.by_kind}
    assert by_kind == {
        "decision": (0, 0, 0),
        "ceremony": (0, 0, 0),
        "recognition_vote": (1, 1, 0),
        "recognition_decision": (1, 1, 0),
    }
    term = _report(world, world.tree.grassroots, "2021-2026")
    assert (term.steps, term.met, term.missed) == (4, 3, 1)


def test_only_the_units_subtree_counts(world: World):
    admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    elsewhere = _report(world, world.tree.grassroots_branch)
    assert (elsewhere.steps, elsewhere.candidacies, elsewhere.late) == (0, 0, [])
    assert _report(world, world.tree.commune).steps == 2


def test_the_pure_function_attributes_steps_through_the_callers_tree(world: World):
    cid = admit(world, LATE_DECISION, LATE_CEREMONY, approval_reference="CV-12/TU")
    asked: list[tuple[UUID, date]] = []

    def in_unit(branch: UUID, day: date) -> bool:
        asked.append((branch, day))
        return day >= date(2025, 4, 1)  # only the ceremony's day is "inside"

    report = deadline_compliance(
        [world.app.candidacy(cid)],
        organisation_id=world.tree.province,
        period=Period.parse("2025"),
        today=date(2026, 1, 1),
        calendar=world.app.calendar,
        in_unit=in_unit,
    )
    assert sorted(asked) == [(world.tree.branch, LATE_DECISION), (world.tree.branch, LATE_CEREMONY)]
    assert [s.kind for s in report.items] == ["ceremony"]


def test_before_the_period_ends_the_cut_off_is_today(world: World):
    pending = admit(world, OPEN_DECISION, None)
    today = date(2025, 12, 20)
    before = deadline_compliance(
        [world.app.candidacy(pending)],
        organisation_id=world.tree.province,
        period=Period.parse("2025"),
        today=today,
        calendar=world.app.calendar,
        in_unit=lambda _b, _d: True,
    )
    assert before.cut_off == today
    assert [(s.status, s.working_days_over) for s in before.late] == [("overdue", 4)]
