"""Deadline compliance: how many steps of a unit's candidacies met the regulation's
working-day limits in a period, which did not, and by how many working days.

The limits are those of ``domain.candidacy.deadlines`` (one definition serves the
candidacy's own deadlines and this report), each under the rule set in force on its
basis date:

- ``decision``: the admission decision (9-KNĐ) within 60 working days of the branch
  resolution (6-KNĐ; for a grassroots branch, its own vote; for an escalated candidacy,
  the committee's resolution), plus an extension granted (≤ 30, once);
- ``ceremony``: the admission ceremony within 30 working days of receiving the decision;
- ``recognition_vote``: the branch's recognition vote (13-KNĐ) within 30 working days
  after probation ends;
- ``recognition_decision``: the recognition decision (16-KNĐ) within 30 working days of
  that vote, plus an extension granted.

Which steps a period counts: a step **taken** on a day in the period is ``met`` or
``missed``; a step **not taken** whose limit fell in the period and had passed by the
cut-off (the period's last day, or ``today`` if earlier) is ``overdue``. Each candidacy is
read as it stood at the cut-off (``state_as_of``), so a later correction or a later step
does not rewrite an earlier period's answer, and the report is the same next year. A step
counts for the unit when the branch the candidacy belonged to on the step's day (its
``taken_on``, or the limit for an overdue one) lay in the unit's subtree on that day: the
caller says so through ``in_unit``, since the tree is not the domain's to read.

Working days come from the injected ``WorkingCalendar``: a limit of N working days after D
starts counting the day after D (Civil Code 2015, art. 147), and an overrun is the number
of working days in (limit, taken] (or (limit, cut-off] when still pending).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.calendar import WorkingCalendar
from domain.candidacy.deadlines import Deadline, DeadlineKind, deadlines
from domain.candidacy.events import CandidateNominated, state_as_of
from domain.candidacy.state import CandidacyState
from domain.values import DocumentRef, Period

ComplianceKind = Literal["decision", "ceremony", "recognition_vote", "recognition_decision"]
ComplianceStatus = Literal["met", "missed", "overdue"]

KINDS: dict[DeadlineKind, ComplianceKind] = {
    "decision_due": "decision",
    "ceremony_due": "ceremony",
    "recognition_vote_due": "recognition_vote",
    "recognition_decision_due": "recognition_decision",
}
KIND_ORDER: tuple[ComplianceKind, ...] = tuple(KINDS.values())
InUnit = Callable[[UUID, date], bool]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepCompliance(_Frozen):
    """One limited step of one candidacy, and whether it was taken in time."""

    candidacy_id: UUID
    branch_id: UUID = Field(description="The candidacy's branch on the step's day")
    kind: ComplianceKind
    status: ComplianceStatus
    basis_on: date = Field(description="The day the limit counts from")
    due_on: date = Field(description="The last day allowed")
    taken_on: date | None = Field(description="The day the step was taken; null: not yet")
    limit_working_days: int
    rule_set: str = Field(description="The rule set in force on the basis day")
    working_days_taken: int = Field(
        description="Working days from the basis to the step (or to the cut-off, if pending)"
    )
    working_days_over: int = Field(description="Working days past the limit; 0 when met")


class KindCompliance(_Frozen):
    """The steps of one kind: how many met the limit, missed it or are overdue."""

    kind: ComplianceKind
    limit_working_days: str = Field(description="The limit(s) applied, e.g. `30` or `60, 90`")
    steps: int
    met: int
    missed: int
    overdue: int
    working_days_over_total: int
    working_days_over_max: int


class Departure(_Frozen):
    """A step recorded by a departure from the ordinary checks, for the inspector: a vote
    counted without the roster (``roster_override``), with its reason and document."""

    candidacy_id: UUID
    branch_id: UUID = Field(description="The candidacy's branch on the step's day")
    position: int = Field(description="The step's position in the candidacy's history")
    step: str = Field(description="The event type, e.g. BranchVoteHeld")
    kind: Literal["roster_override"]
    on: date
    reason: str
    document: DocumentRef
    eligible: int = Field(description="The count the vote used, from the document")
    roster_official_members: int | None = Field(
        description="What the roster said that day (null: not read, before ADR 0012)"
    )


class ComplianceReport(_Frozen):
    """Deadline compliance of the candidacies of a unit's subtree over a period."""

    organisation_id: UUID
    period: str
    cut_off: date = Field(description="Steps and overdue limits are counted up to this day")
    candidacies: int = Field(description="Candidacies with at least one step counted")
    steps: int
    met: int
    missed: int
    overdue: int
    by_kind: list[KindCompliance]
    late: list[StepCompliance] = Field(description="Every missed or overdue step, by lateness")
    items: list[StepCompliance] = Field(description="Every step counted, by candidacy and kind")
    departures: list[Departure] = Field(
        default_factory=list,
        description="Votes in the period counted without the roster (an override), in order",
    )


def branch_on(state: CandidacyState, day: date) -> UUID:
    """The branch the candidacy belonged to on ``day`` (transfers applied)."""
    first = state.history[0] if state.history else None
    branch = first.branch_id if isinstance(first, CandidateNominated) else state.branch_id
    for moved_on, _, to_branch in sorted(state.transfers, key=lambda t: t[0]):
        if moved_on <= day:
            branch = to_branch
    return branch


def _step(
    state: CandidacyState,
    deadline: Deadline,
    period: Period,
    cut_off: date,
    calendar: WorkingCalendar,
) -> StepCompliance | None:
    kind = KINDS.get(deadline.kind)
    if kind is None or deadline.working_days is None:
        return None
    taken = deadline.met_on
    if taken is not None:
        if not period.contains(taken):
            return None
        status: ComplianceStatus = "met" if taken <= deadline.due_on else "missed"
        day = taken
    elif period.contains(deadline.due_on) and deadline.due_on < cut_off:
        status, day = "overdue", cut_off
    else:
        return None
    over = 0 if status == "met" else calendar.working_days_between(deadline.due_on, day)
    return StepCompliance(
        candidacy_id=state.id,
        branch_id=branch_on(state, taken or deadline.due_on),
        kind=kind,
        status=status,
        basis_on=deadline.basis_on,
        due_on=deadline.due_on,
        taken_on=taken,
        limit_working_days=deadline.working_days,
        rule_set=deadline.rule_set,
        working_days_taken=calendar.working_days_between(deadline.basis_on, day),
        working_days_over=over,
    )


def candidacy_steps(
    state: CandidacyState, period: Period, cut_off: date, calendar: WorkingCalendar
) -> list[StepCompliance]:
    """The limited steps of one candidacy that ``period`` counts, read as the candidacy
    stood at the end of ``cut_off``."""
    then = state_as_of(state.history, cut_off) if state.history else state
    if then is None:
        return []
    found = (_step(then, d, period, cut_off, calendar) for d in deadlines(then, calendar, cut_off))
    return [step for step in found if step is not None]


def departures(state: CandidacyState, period: Period, cut_off: date) -> list[Departure]:
    """The votes of one candidacy dated in ``period`` (up to ``cut_off``) that were counted
    under a roster override."""
    found: list[Departure] = []
    for event in state.history:
        override = getattr(event, "roster_override", None)
        day = event.effective_on
        if override is None or not period.contains(day) or day > cut_off:
            continue
        found.append(
            Departure(
                candidacy_id=state.id,
                branch_id=branch_on(state, day),
                position=event.originator_version,
                step=type(event).__name__,
                kind="roster_override",
                on=day,
                reason=override.reason,
                document=override.document,
                eligible=getattr(event, "eligible", 0),
                roster_official_members=getattr(event, "roster_official_members", None),
            )
        )
    return found


def _by_kind(kind: ComplianceKind, steps: list[StepCompliance]) -> KindCompliance:
    mine = [s for s in steps if s.kind == kind]
    overs = [s.working_days_over for s in mine]
    limits = sorted({s.limit_working_days for s in mine})
    return KindCompliance(
        kind=kind,
        limit_working_days=", ".join(str(n) for n in limits) or "—",
        steps=len(mine),
        met=sum(s.status == "met" for s in mine),
        missed=sum(s.status == "missed" for s in mine),
        overdue=sum(s.status == "overdue" for s in mine),
        working_days_over_total=sum(overs),
        working_days_over_max=max(overs, default=0),
    )


def deadline_compliance(
    states: Iterable[CandidacyState],
    *,
    organisation_id: UUID,
    period: Period,
    today: date,
    calendar: WorkingCalendar,
    in_unit: InUnit,
) -> ComplianceReport:
    """The compliance report of ``organisation_id`` for ``period``: every limited step of
    ``states`` counted in the period (see the module docstring) whose branch lay in the
    unit's subtree on the step's day (``in_unit(branch_id, day)``)."""
    cut_off = min(period.ends_on, today)
    steps: list[StepCompliance] = []
    departed: list[Departure] = []
    for state in states:
        for step in candidacy_steps(state, period, cut_off, calendar):
            if in_unit(step.branch_id, step.taken_on or step.due_on):
                steps.append(step)
        departed.extend(d for d in departures(state, period, cut_off) if in_unit(d.branch_id, d.on))
    departed.sort(key=lambda d: (d.on, str(d.candidacy_id), d.position))
    steps.sort(key=lambda s: (str(s.candidacy_id), KIND_ORDER.index(s.kind), s.basis_on))
    late = sorted(
        (s for s in steps if s.status != "met"),
        key=lambda s: (-s.working_days_over, str(s.candidacy_id), KIND_ORDER.index(s.kind)),
    )
    return ComplianceReport(
        organisation_id=organisation_id,
        period=period.key,
        cut_off=cut_off,
        candidacies=len({s.candidacy_id for s in steps}),
        steps=len(steps),
        met=sum(s.status == "met" for s in steps),
        missed=sum(s.status == "missed" for s in steps),
        overdue=sum(s.status == "overdue" for s in steps),
        by_kind=[_by_kind(kind, steps) for kind in KIND_ORDER],
        late=late,
        items=steps,
        departures=departed,
    )
