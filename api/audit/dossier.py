"""The auditor's file of one candidacy (hồ sơ kết nạp), built from its events alone.

``build_dossier`` is pure: given the candidacy's history, the calendar, the day deadlines
are judged on and the result of verifying the candidacy's own hash chain, it gives the same
dossier every time, with no wall clock in it. The JSON export is this model; the PDF
(``api.documents.pdf``) prints it. ``dossier_for`` loads, verifies and builds it.

Personal data: the summary names the person (an inspector's file does); the timeline's
event data leaves the person out, as the history does for callers who may not see it.
Nothing personal is ever logged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.audit.dossier_text import (
    DEADLINE_LABELS,
    STAGE_LABELS,
    STEP_LABELS,
    VOTE_BODIES,
    form_in,
)
from api.audit.history import HistoryItem, history_items
from api.audit.verification import verify_candidacies
from domain.calendar import WorkingCalendar
from domain.candidacy.deadlines import DeadlineStatus, deadlines
from domain.candidacy.events import (
    CandidacyEvent,
    CertificateRecorded,
    Corrected,
    GrassrootsVoteHeld,
    steps_as_of,
)
from domain.candidacy.state import CandidacyState, Stage
from domain.events import recorded_day
from domain.values import DocumentRef
from workflows.application import Admissions


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DossierSummary(_Model):
    """Who, where and how far: the candidacy as it stands after every correction."""

    candidacy_id: UUID
    full_name: str
    stage: Stage
    stage_label: str
    branch_id: UUID
    branch_name: str | None = Field(default=None, description="The branch's name today")
    version: int
    nominated_by: str
    nominated_on: date
    decided_on: date | None
    party_age_from: date | None
    ceremony_on: date | None
    probation_ends_on: date | None
    official_on: date | None
    outcome_on: date | None
    outcome_reason: str | None
    last_hash: str


class TimelineStep(HistoryItem):
    """One recorded event as the history gives it (``explanation`` always filled), with
    its Vietnamese name and the form it was made on."""

    label: str = Field(description="The step's name, Vietnamese (English)")
    form: str | None = Field(description="The form code of its document, e.g. `6-KNĐ`")


class DocumentEntry(_Model):
    """A document of the file, by form code (after corrections)."""

    form: str
    position: int = Field(description="The event that records it")
    step: str
    effective_on: date
    number: str | None = Field(description="Its number, when one was recorded")
    dated: date | None
    referenced: bool = Field(description="Whether the event recorded a document reference")


class VoteEntry(_Model):
    """A vote held on the candidacy (after corrections)."""

    body: str
    body_label: str
    form: str | None
    position: int
    held_on: date
    eligible: int
    in_favour: int
    passed: bool
    attempt: int


class DeadlineEntry(_Model):
    """A limit on the candidacy, judged on the dossier's ``deadlines_on`` day."""

    kind: str
    label: str
    basis_on: date
    due_on: date
    met_on: date | None
    status: DeadlineStatus
    working_days: int | None
    days_late: int | None
    rule_set: str


class ChainProblem(_Model):
    position: int | None
    kind: str
    detail: str


class ChainVerification(_Model):
    """The result of verifying the candidacy's own hash chain in the store."""

    intact: bool
    events_checked: int
    problems: list[ChainProblem]


class Dossier(_Model):
    """The candidacy's file as an inspector prints it."""

    summary: DossierSummary
    deadlines_on: date = Field(description="The day open deadlines are judged on")
    timeline: list[TimelineStep]
    documents: list[DocumentEntry]
    votes: list[VoteEntry]
    deadlines: list[DeadlineEntry]
    verification: ChainVerification


# --- building -------------------------------------------------------------------------------


def default_deadlines_day(state: CandidacyState) -> date:
    """The day the newest event was recorded (Vietnam): a day the events themselves fix."""
    return recorded_day(state.history[-1].timestamp) if state.history else state.nominated_on


def _effective_steps(
    state: CandidacyState,
) -> Iterator[tuple[CandidacyEvent, CandidacyState | None, CandidacyState]]:
    """Each effective (corrected) step with the state before and after it."""
    before: CandidacyState | None = None
    for event, after in steps_as_of(state.history):
        yield event, before, after
        before = after


def _documents(state: CandidacyState) -> list[DocumentEntry]:
    found: list[DocumentEntry] = []
    for event, before, _ in _effective_steps(state):
        form = form_in(event, before)
        if form is None:
            continue
        doc: DocumentRef | None = event.document
        number = doc.number if doc else None
        if number is None and isinstance(event, CertificateRecorded):
            number = event.number
        found.append(
            DocumentEntry(
                form=form,
                position=event.originator_version,
                step=STEP_LABELS.get(type(event).__name__, ("", ""))[0],
                effective_on=event.effective_on,
                number=number,
                dated=doc.dated if doc else None,
                referenced=doc is not None,
            )
        )
    return found


def _votes(state: CandidacyState) -> list[VoteEntry]:
    found: list[VoteEntry] = []
    for event, before, after in _effective_steps(state):
        if len(after.votes) == (len(before.votes) if before else 0):
            continue
        vote = after.votes[-1]
        label, _ = VOTE_BODIES[vote.body]
        form = form_in(event, before)
        if isinstance(event, GrassrootsVoteHeld) and form == "15-KNĐ":
            label = "Đảng ủy cơ sở (công nhận chính thức)"
        found.append(
            VoteEntry(
                body=vote.body,
                body_label=label,
                form=form,
                position=event.originator_version,
                held_on=vote.held_on,
                eligible=vote.eligible,
                in_favour=vote.in_favour,
                passed=vote.passed,
                attempt=vote.attempt,
            )
        )
    return found


def _summary(state: CandidacyState) -> DossierSummary:
    return DossierSummary(
        candidacy_id=state.id,
        full_name=state.person.full_name,
        stage=state.stage,
        stage_label=STAGE_LABELS[state.stage.value],
        branch_id=state.branch_id,
        version=state.version,
        nominated_by=state.nominated_by.value,
        nominated_on=state.nominated_on,
        decided_on=state.decided_on,
        party_age_from=state.party_age_from,
        ceremony_on=state.ceremony_on,
        probation_ends_on=state.probation_ends_on,
        official_on=state.official_on,
        outcome_on=state.outcome_on,
        outcome_reason=state.outcome_reason,
        last_hash=state.last_hash,
    )


def build_dossier(
    state: CandidacyState,
    calendar: WorkingCalendar,
    verification: ChainVerification,
    deadlines_on: date | None = None,
) -> Dossier:
    """The dossier of ``state`` (its history decides everything; no wall clock)."""
    day = deadlines_on or default_deadlines_day(state)
    items = history_items(state.history, with_person=False, explain=True)
    before: CandidacyState | None = None
    timeline: list[TimelineStep] = []
    for event, item in zip(state.history, items, strict=True):
        timeline.append(
            TimelineStep(
                **item.model_dump(),
                label=_label(event),
                form=None if isinstance(event, Corrected) else form_in(event, before),
            )
        )
        before = event.mutate(before)
    limits = [
        DeadlineEntry(
            kind=d.kind,
            label=DEADLINE_LABELS.get(d.kind, d.kind),
            basis_on=d.basis_on,
            due_on=d.due_on,
            met_on=d.met_on,
            status=d.status,
            working_days=d.working_days,
            days_late=d.days_late,
            rule_set=d.rule_set,
        )
        for d in deadlines(state, calendar, day)
    ]
    return Dossier(
        summary=_summary(state),
        deadlines_on=day,
        timeline=timeline,
        documents=_documents(state),
        votes=_votes(state),
        deadlines=limits,
        verification=verification,
    )


def _label(event: CandidacyEvent) -> str:
    vi, en = STEP_LABELS.get(type(event).__name__, (type(event).__name__, ""))
    return f"{vi} ({en})" if en else vi


# --- the store side -------------------------------------------------------------------------


def verify_chain(admissions: Admissions, candidacy_id: UUID) -> ChainVerification:
    """Verify the candidacy's own stream as it lies in the store (``verify_candidacies``)."""
    result = verify_candidacies(admissions, [candidacy_id])
    problems = [
        ChainProblem(position=p.position, kind=p.kind, detail=p.detail)
        for p in result.problems
        if p.candidacy_id == candidacy_id
    ]
    return ChainVerification(
        intact=not problems, events_checked=result.events_checked, problems=problems
    )


def dossier_for(
    admissions: Admissions, candidacy_id: UUID, deadlines_on: date | None = None
) -> Dossier:
    """Load, verify and build the dossier of one candidacy (``NotFound`` if unknown)."""
    state = admissions.candidacy(candidacy_id)
    chain = verify_chain(admissions, candidacy_id)
    dossier = build_dossier(state, admissions.calendar, chain, deadlines_on)
    branch = admissions.organisation(state.branch_id).name_on(dossier.deadlines_on)
    summary = dossier.summary.model_copy(update={"branch_name": branch})
    return dossier.model_copy(update={"summary": summary})
