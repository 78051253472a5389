"""The order of a candidacy's steps in time, written once as data (ADR 0012).

Each step lists the earlier facts it must not precede (``After``) and, for a step that
may be recorded late (the new-member class entered during the recognition review), the
later facts it must not follow (``NoLaterThan``). Every command (``decide``) and every
correction (``correct`` re-checks the restated step and every step after it) consults
the same table, so a step can neither be dated before the step it follows nor, by a
correction, be moved after the step that follows it.

A fact that is absent (not recorded yet) constrains nothing; whether it is required is
the business of the stage and of the step's own guards. ``latest`` is the latest
effective date of any step recorded so far, for steps that close or move the whole
candidacy (a transfer, a withdrawal): they cannot be dated before what already happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain.candidacy.state import CandidacyState, Stage
from domain.rules import CheckResult

if TYPE_CHECKING:
    from domain.candidacy.events import CandidacyEvent

Dates = Callable[[CandidacyState, "CandidacyEvent", date | None], Iterable[date | None]]


@dataclass(frozen=True)
class After:
    """The step is dated on or after every date ``dates`` yields (the facts named ``step``)."""

    step: str
    dates: Dates
    rule: str = "date_order"


@dataclass(frozen=True)
class NoLaterThan:
    """The step is dated on or before every date ``dates`` yields."""

    step: str
    dates: Dates
    rule: str = "date_order"


Constraint = After | NoLaterThan


def _one(attribute: str) -> Dates:
    return lambda s, e, latest: (getattr(s, attribute),)


def _certificate(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date]:
    return [s.certificate.issued_on] if s.certificate is not None else []


def _pending_request(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date]:
    subject = getattr(e, "subject", None)
    pending = [v for v in s.verifications if v.subject == subject and v.result is None]
    return [pending[0].requested_on] if pending else []


def _verification_dates(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date]:
    days: list[date] = []
    for v in s.verifications:
        days.append(v.requested_on)
        if v.recorded_on is not None:
            days.append(v.recorded_on)
    return days


def _votes(body: str) -> Dates:
    return lambda s, e, latest: [v.held_on for v in s.votes if v.body == body]


def _branch_resolution(
    s: CandidacyState, e: CandidacyEvent, latest: date | None
) -> list[date | None]:
    # At recognition the committee's 15-KNĐ follows the branch's 13-KNĐ.
    if s.stage == Stage.RECOGNITION_REVIEW:
        return [s.recognition_vote_on]
    return [s.branch_resolution_on]


def _escalation(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date | None]:
    return [] if s.stage == Stage.RECOGNITION_REVIEW else [s.escalated_on]


def _appraisal(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date | None]:
    return [] if s.stage == Stage.RECOGNITION_REVIEW else [s.subunit_appraisal_on]


def _extension_basis(
    s: CandidacyState, e: CandidacyEvent, latest: date | None
) -> list[date | None]:
    if s.stage == Stage.RECOGNITION_REVIEW:
        return [s.recognition_vote_on, s.grassroots_recognition_on]
    return [s.branch_resolution_on, s.grassroots_resolution_on]


def _helper_basis(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date | None]:
    # A helper for probation is assigned after the ceremony; before it, after nomination.
    return [s.ceremony_on] if s.ceremony_on is not None else []


def _latest(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date | None]:
    return [latest]


def _transfers(s: CandidacyState, e: CandidacyEvent, latest: date | None) -> list[date | None]:
    return [moved_on for moved_on, _, _ in s.transfers]


# Every step but the nomination and a correction follows the nomination, and any transfer
# recorded before it (a later step belongs to the receiving branch).
COMMON: tuple[Constraint, ...] = (
    After("nomination", _one("nominated_on")),
    After("transfer", _transfers),
)

# Step (event class name) -> the facts it must not precede or follow, besides COMMON.
ORDER: dict[str, tuple[Constraint, ...]] = {
    "ClassEnrolled": (),
    "CertificateRecorded": (After("class enrolment", _one("class_enrolled_on")),),
    "ApplicationSubmitted": (After("awareness certificate", _certificate),),
    "BiographySubmitted": (
        After("application", _one("application_on"), rule="application_before_biography"),
    ),
    "IntroducersRecorded": (After("application", _one("application_on")),),
    "VerificationRequested": (
        After("application", _one("application_on")),
        After("biography", _one("biography_on")),
        After("introducers", _one("introduced_on")),
    ),
    "VerificationResultRecorded": (
        After("verification request", _pending_request, rule="verification_not_requested"),
    ),
    "BiographyCertified": (After("verification requests and results", _verification_dates),),
    "BranchVoteHeld": (
        After("biography certification", _one("biography_certified_on")),
        After("earlier branch vote", _votes("branch")),
    ),
    "SubunitAppraisalRecorded": (After("branch resolution", _one("branch_resolution_on")),),
    "GrassrootsVoteHeld": (
        After("branch resolution", _branch_resolution),
        After("third failed branch vote", _escalation),
        After("sub-unit appraisal", _appraisal),
        After("earlier committee vote", _votes("grassroots")),
    ),
    "DecisionDeadlineExtended": (After("resolution", _extension_basis),),
    "AdmissionDecided": (
        After("committee resolution", _one("grassroots_resolution_on")),
        After("branch resolution", _one("branch_resolution_on")),
    ),
    "CeremonyHeld": (After("admission decision", _one("decided_on")),),
    "HelperAssigned": (After("admission ceremony", _helper_basis),),
    "NewMemberClassCompleted": (
        After("admission ceremony", _one("ceremony_on")),
        NoLaterThan("recognition vote", _one("recognition_vote_on")),
    ),
    "DisciplineRecorded": (After("admission ceremony", _one("ceremony_on")),),
    "RecognitionVoteHeld": (
        After("admission ceremony", _one("ceremony_on")),
        After("new-member class", _one("new_member_class_on")),
        After("earlier recognition vote", _votes("recognition")),
    ),
    "RecognitionDecided": (
        After("branch recognition vote", _one("recognition_vote_on")),
        After("committee recognition resolution", _one("grassroots_recognition_on")),
    ),
    "Transferred": (After("latest recorded step", _latest),),
    "Withdrawn": (After("latest recorded step", _latest),),
}


def constraints(event: CandidacyEvent) -> tuple[Constraint, ...]:
    """The order constraints of ``event``'s step (nothing for a nomination or correction)."""
    return _constraints_of(type(event).__name__)


def _constraints_of(step: str) -> tuple[Constraint, ...]:
    if step in ("CandidateNominated", "Corrected"):
        return ()
    return (*COMMON, *ORDER[step])


def order_rules(step: str) -> frozenset[str]:
    """The rule codes the order of steps can refuse ``step`` (an event class's name) with;
    nothing for a name that is no step (``CandidacyEvent`` and its abstract bases)."""
    if step not in ORDER:
        return frozenset()
    return frozenset(constraint.rule for constraint in _constraints_of(step))


def order_checks(
    event: CandidacyEvent, state: CandidacyState | None, latest: date | None
) -> list[CheckResult]:
    """One check per constraint of ``event`` that has a date to compare, naming both steps
    and both dates; the first failing one refuses the step."""
    if state is None:
        return []
    step, day, rs = type(event).__name__, event.effective_on, event.rules.code
    checks: list[CheckResult] = []
    for constraint in constraints(event):
        days = [d for d in constraint.dates(state, event, latest) if d is not None]
        if not days:
            continue
        after = isinstance(constraint, After)
        bound = max(days) if after else min(days)
        passed = day >= bound if after else day <= bound
        relation = "before" if after else "after"
        detail = (
            f"{step} on {day.isoformat()} is {'not ' if passed else ''}{relation} the "
            f"{constraint.step} on {bound.isoformat()} ({rs})"
        )
        checks.append(
            CheckResult(
                rule=constraint.rule,
                passed=passed,
                rule_set=rs,
                detail=detail,
                params={
                    "step": step,
                    "on": day.isoformat(),
                    "other_step": constraint.step,
                    "other_on": bound.isoformat(),
                },
            )
        )
    return checks


def bounds(
    event: CandidacyEvent, state: CandidacyState | None, latest: date | None
) -> tuple[date | None, date | None]:
    """The latest date ``event`` must not precede and the earliest it must not follow,
    given ``state`` (None where nothing bounds it)."""
    if state is None:
        return None, None
    low: date | None = None
    high: date | None = None
    for constraint in constraints(event):
        days = [d for d in constraint.dates(state, event, latest) if d is not None]
        if not days:
            continue
        if isinstance(constraint, After):
            low = max(days) if low is None else max(low, *days)
        else:
            high = min(days) if high is None else min(high, *days)
    return low, high


def latest_step_on(events: Iterable[CandidacyEvent]) -> date | None:
    """The latest effective date among ``events`` (corrections excluded)."""
    days = [e.effective_on for e in events if type(e).__name__ != "Corrected"]
    return max(days) if days else None
