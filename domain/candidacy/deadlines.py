"""Deadlines computed from a candidacy's facts: never stored, always derived, so a
correction moves them and a replay next year gives the same answer for the same ``today``.

Working-day periods start counting on the day after their basis date (Civil Code 2015,
art. 147); each deadline uses the rule set in force on its basis date.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.calendar import WorkingCalendar
from domain.candidacy.state import CandidacyState
from domain.rules import add_months
from domain.rulesets import rule_set_on

DeadlineKind = Literal[
    "certificate_expiry",
    "verification_sla",
    "decision_due",
    "ceremony_due",
    "probation_end",
    "recognition_vote_due",
    "recognition_decision_due",
]
DeadlineStatus = Literal["met", "missed", "due", "overdue"]


class Deadline(BaseModel):
    """One limit on a candidacy: when it falls due and whether it was met."""

    model_config = ConfigDict(frozen=True)

    kind: DeadlineKind
    due_on: date
    status: DeadlineStatus
    basis_on: date
    met_on: date | None = None
    rule_set: str
    working_days: int | None = None
    days_late: int | None = None


def _status(due: date, met_on: date | None, today: date) -> DeadlineStatus:
    if met_on is not None:
        return "met" if met_on <= due else "missed"
    return "overdue" if today > due else "due"


def _make(
    kind: DeadlineKind,
    basis: date,
    due: date,
    met_on: date | None,
    today: date,
    calendar: WorkingCalendar,
    working_days: int | None,
) -> Deadline:
    status = _status(due, met_on, today)
    late = None
    if status == "missed" and met_on is not None:
        late = calendar.working_days_between(due, met_on) if working_days else (met_on - due).days
    return Deadline(
        kind=kind,
        due_on=due,
        status=status,
        basis_on=basis,
        met_on=met_on,
        rule_set=rule_set_on(basis).code,
        working_days=working_days,
        days_late=late,
    )


def deadlines(state: CandidacyState, calendar: WorkingCalendar, today: date) -> list[Deadline]:
    """Every deadline that applies to ``state``; open ones of a closed candidacy are dropped."""
    found: list[Deadline] = []
    closed = state.stage.terminal

    def add(
        kind: DeadlineKind,
        basis: date,
        due: date,
        met_on: date | None,
        working_days: int | None = None,
    ) -> None:
        if met_on is None and closed:
            return
        found.append(_make(kind, basis, due, met_on, today, calendar, working_days))

    if state.certificate is not None:
        rs = rule_set_on(state.certificate.issued_on)
        expiry = add_months(state.certificate.issued_on, rs.certificate_validity_months)
        add("certificate_expiry", state.certificate.issued_on, expiry, state.branch_resolution_on)
    if state.verifications:
        basis = min(v.requested_on for v in state.verifications)
        days = rule_set_on(basis).verification_sla_working_days
        add(
            "verification_sla",
            basis,
            calendar.add_working_days(basis, days),
            state.biography_certified_on,
            days,
        )
    if state.branch_resolution_on is not None:
        basis = state.branch_resolution_on
        days = rule_set_on(basis).decision_working_days + state.decision_extension_working_days
        add("decision_due", basis, calendar.add_working_days(basis, days), state.decided_on, days)
    if state.decided_on is not None and state.party_age_from is not None:
        basis = state.decision_received_on or state.decided_on
        days = rule_set_on(basis).ceremony_working_days
        add("ceremony_due", basis, calendar.add_working_days(basis, days), state.ceremony_on, days)
    if state.ceremony_on is not None and state.probation_ends_on is not None:
        ends = state.probation_ends_on
        reached = ends if today >= ends or state.official_on else None
        add("probation_end", state.ceremony_on, ends, reached)
        days = rule_set_on(ends).recognition_vote_working_days
        add(
            "recognition_vote_due",
            ends,
            calendar.add_working_days(ends, days),
            state.recognition_vote_on,
            days,
        )
    if state.recognition_vote_on is not None:
        basis = state.recognition_vote_on
        rs = rule_set_on(basis)
        days = rs.recognition_decision_working_days + state.recognition_extension_working_days
        add(
            "recognition_decision_due",
            basis,
            calendar.add_working_days(basis, days),
            state.recognition_decided_on,
            days,
        )
    return found
