"""Events of a candidacy: what happened, the guards that checked it, and how it moves
the candidacy on.

Each event class knows:
- ``allowed_stages``: the stages it may be recorded in (else ``wrong_stage``);
- ``check(state, calendar)``: the rules of domain.md that apply, evaluated under the rule
  set of the event's own date, from facts the event itself records (so a correction or an
  auditor can re-run them);
- ``evolve(state)``: the new state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field, model_validator

from domain.calendar import WorkingCalendar
from domain.candidacy.order import bounds
from domain.candidacy.state import (
    TERMINAL_STAGES,
    TRANSFERABLE_STAGES,
    CandidacyState,
    Certificate,
    ExcludedMember,
    Introducer,
    Readmission,
    RosterOverride,
    Stage,
    Subject,
    Verification,
    Vote,
)
from domain.events import DomainEvent, recorded_day
from domain.member_ids import member_id_for
from domain.rules import (
    AgeWithinRange,
    CeremonyInTime,
    CertificateStillValid,
    CheckResult,
    DecidingBodyCompetent,
    EducationSufficient,
    HelperMustBeOfficial,
    IntroducerCount,
    IntroducerInSameGrassroots,
    IntroducerKnewCandidateTwelveMonths,
    IntroducerMustBeOfficial,
    ReadmissionAllowed,
    add_months,
    whole_months,
)
from domain.rulesets import RuleSet, rule_set_by_code, youngest_nomination_age_months
from domain.values import NominatedBy, Person, VoteTally
from domain.vote_rules import (
    BranchLargeEnough,
    EligibleMatchesRoster,
    RosterOverridden,
    VoteReachesTwoThirds,
)

_OPEN = frozenset(s for s in Stage if s not in TERMINAL_STAGES)
_ALL = frozenset(Stage)


class CandidacyEvent(DomainEvent):
    """Base of candidacy events."""

    allowed_stages: ClassVar[frozenset[Stage]] = _OPEN

    @property
    def rules(self) -> RuleSet:
        assert self.rule_set is not None, "candidacy events always record their rule set"
        return rule_set_by_code(self.rule_set)

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        """The rules this step must satisfy; none by default."""
        return []

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        """The state after this event, before the envelope is stamped."""
        raise NotImplementedError

    def mutate(self, state: CandidacyState | None) -> CandidacyState:
        """Apply this event (eventsourcing projector protocol)."""
        return stamp(self.evolve(state), self)

    def restated(self, changes: dict[str, Any]) -> CandidacyEvent:
        """This event as a correction restates it (validated; the rule set follows the date)."""
        from domain.rulesets import rule_set_on

        data = {**self.model_dump(), **changes}
        candidate = type(self).model_validate(data)
        return candidate.model_copy(update={"rule_set": rule_set_on(candidate.effective_on).code})


def _require(state: CandidacyState | None) -> CandidacyState:
    assert state is not None, "only CandidateNominated starts a candidacy"
    return state


def stamp(state: CandidacyState, event: CandidacyEvent) -> CandidacyState:
    """Record the envelope of ``event`` on ``state``: version, time and history (the chain
    head is derived from the history)."""
    return state.model_copy(
        update={
            "version": event.originator_version,
            "modified_on": event.timestamp,
            "history": (*state.history, event),
        }
    )


def _update(state: CandidacyState | None, **changes: Any) -> CandidacyState:
    return _require(state).model_copy(update=changes)


class CandidateNominated(CandidacyEvent):
    """Stage 1: a mass organisation or the branch puts the person in the source pool."""

    date_field: ClassVar[str] = "nominated_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset()
    looked_up: ClassVar[frozenset[str]] = frozenset(
        {
            "branch_id",
            "helper_member_id",
            "helper_official_on",
            "readmission",
            "previously_readmitted",
        }
    )

    person: Person
    branch_id: UUID
    nominated_by: NominatedBy
    nominated_on: date
    helper_member_id: UUID | None = None
    helper_official_on: date | None = None
    readmission: Readmission | None = None
    previously_readmitted: bool = False

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        checks = [self._plausible_age()]
        if self.helper_member_id is not None:
            checks.append(
                HelperMustBeOfficial().check(
                    self.rules,
                    str(self.helper_member_id),
                    self.helper_official_on,
                    self.nominated_on,
                )
            )
        if self.readmission is not None:
            r = self.readmission
            checks.append(
                ReadmissionAllowed().check(
                    self.rules,
                    r.left_on,
                    r.left_reason,
                    self.nominated_on,
                    r.consent_reference,
                    r.record_cleared_on,
                    self.previously_readmitted,
                )
            )
        return checks

    def _plausible_age(self) -> CheckResult:
        """Born before the nomination and old enough for any rule set to let the path lead
        anywhere (the same as the command's 422, re-run when a correction restates the
        person or the nomination date)."""
        rs, born = self.rules, self.person.date_of_birth
        months = whole_months(born, self.nominated_on)
        youngest = youngest_nomination_age_months()
        if born > self.nominated_on:
            rule, passed = "born_after_nomination", False
        else:
            rule, passed = "too_young_at_nomination", months >= youngest
        detail = (
            f"{max(months, 0) // 12} years {max(months, 0) % 12} months old at the nomination "
            f"on {self.nominated_on.isoformat()}, at least {youngest // 12} years ({rs.code})"
        )
        return CheckResult(
            rule=rule,
            passed=passed,
            rule_set=rs.code,
            detail=detail,
            params={"age_months": max(months, 0), "minimum_months": youngest},
        )

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return CandidacyState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            person=self.person,
            branch_id=self.branch_id,
            stage=Stage.SOURCE_POOL,
            nominated_by=self.nominated_by,
            nominated_on=self.nominated_on,
            helper_member_id=self.helper_member_id,
            readmission=self.readmission,
        )


class ClassEnrolled(CandidacyEvent):
    """Stage 2: enrolled in the political-awareness class."""

    date_field: ClassVar[str] = "enrolled_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.SOURCE_POOL})
    enrolled_on: date

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(state, stage=Stage.AWARENESS_CLASS, class_enrolled_on=self.enrolled_on)


class CertificateRecorded(CandidacyEvent):
    """Stage 3: the awareness-class certificate (CN-NTVĐ)."""

    date_field: ClassVar[str] = "issued_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.AWARENESS_CLASS})
    issued_on: date
    number: str = Field(min_length=1, max_length=80)
    issuer: str = Field(min_length=1, max_length=200)

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        cert = Certificate(issued_on=self.issued_on, number=self.number, issuer=self.issuer)
        return _update(state, stage=Stage.CERTIFIED, certificate=cert)


class ApplicationSubmitted(CandidacyEvent):
    """Stage 4: the application letter (1-KNĐ)."""

    date_field: ClassVar[str] = "submitted_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.CERTIFIED})
    submitted_on: date

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(state, stage=Stage.DOSSIER, application_on=self.submitted_on)


class BiographySubmitted(CandidacyEvent):
    """Stage 4: the biography (2-KNĐ), after the application."""

    date_field: ClassVar[str] = "submitted_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.DOSSIER})
    submitted_on: date

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(state, biography_on=self.submitted_on)


class IntroducersRecorded(CandidacyEvent):
    """Stage 4: introducers (3-KNĐ) or the Youth Union resolution (4-KNĐ) plus one member.

    The workflow looks up each introducer's official date and unit and records them here.
    """

    date_field: ClassVar[str] = "introduced_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.DOSSIER})
    looked_up: ClassVar[frozenset[str]] = frozenset({"introducers"})
    introduced_on: date
    introducers: tuple[Introducer, ...]
    youth_union_resolution: str | None = None

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        rs = self.rules
        age_years = whole_months(s.person.date_of_birth, self.introduced_on) // 12
        youth = s.person.youth_union_member and age_years <= rs.youth_age_max_years
        checks = [
            IntroducerCount().check(
                rs, len(self.introducers), self.youth_union_resolution is not None, youth
            )
        ]
        for intro in self.introducers:
            mid = str(intro.member_id)
            checks.append(
                IntroducerMustBeOfficial().check(rs, mid, intro.official_on, self.introduced_on)
            )
            checks.append(
                IntroducerKnewCandidateTwelveMonths().check(
                    rs, mid, intro.known_since, self.introduced_on
                )
            )
            checks.append(IntroducerInSameGrassroots().check(rs, mid, intro.same_grassroots))
        return checks

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(
            state,
            introducers=self.introducers,
            introduced_on=self.introduced_on,
            youth_union_resolution=self.youth_union_resolution,
        )


class VerificationRequested(CandidacyEvent):
    """Stage 5: a verification request (20-KNĐ) for one subject. A relative who is a party
    member and fully declared needs no field check."""

    date_field: ClassVar[str] = "requested_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.DOSSIER, Stage.VERIFICATION})
    subject: Subject
    requested_on: date
    field_check_needed: bool = True

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        missing = [
            name
            for name, value in (
                ("application", s.application_on),
                ("biography", s.biography_on),
                ("introducers", s.introduced_on),
            )
            if value is None
        ]
        detail = (
            "dossier complete" if not missing else f"dossier lacks {', '.join(missing)}"
        ) + f" ({self.rules.code})"
        return [
            CheckResult(
                rule="dossier_incomplete",
                passed=not missing,
                rule_set=self.rules.code,
                detail=detail,
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        record = Verification(
            subject=self.subject,
            requested_on=self.requested_on,
            field_check_needed=self.field_check_needed,
        )
        return s.model_copy(
            update={"stage": Stage.VERIFICATION, "verifications": (*s.verifications, record)}
        )


class VerificationResultRecorded(CandidacyEvent):
    """Stage 5: the result of verifying one subject."""

    date_field: ClassVar[str] = "recorded_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.VERIFICATION})
    subject: Subject
    result: Literal["cleared", "concern"]
    recorded_on: date

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        pending = [v for v in s.verifications if v.subject == self.subject and v.result is None]
        passed = bool(pending)
        detail = (
            f"a request for '{self.subject}' is pending"
            if pending
            else f"no pending verification request for '{self.subject}'"
        ) + f" ({self.rules.code})"
        return [
            CheckResult(
                rule="verification_not_requested",
                passed=passed,
                rule_set=self.rules.code,
                detail=detail,
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        updated: list[Verification] = []
        done = False
        for v in s.verifications:
            if not done and v.subject == self.subject and v.result is None:
                v = v.model_copy(update={"result": self.result, "recorded_on": self.recorded_on})
                done = True
            updated.append(v)
        return s.model_copy(update={"verifications": tuple(updated)})


class BiographyCertified(CandidacyEvent):
    """Stage 5: the biography is certified, once every subject is resolved."""

    date_field: ClassVar[str] = "certified_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.VERIFICATION})
    certified_on: date

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        pending = sorted({v.subject for v in s.verifications if not v.resolved})
        has_candidate = any(v.subject == "candidate" for v in s.verifications)
        passed = not pending and has_candidate
        if not has_candidate:
            detail = "the candidate's own verification was never requested"
        elif pending:
            detail = f"verification of {', '.join(pending)} is not resolved"
        else:
            detail = "every verification subject is resolved"
        return [
            CheckResult(
                rule="verification_incomplete",
                passed=passed,
                rule_set=self.rules.code,
                detail=f"{detail} ({self.rules.code})",
                params={"pending": ",".join(pending)},
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(state, biography_certified_on=self.certified_on)


class _VoteEvent(CandidacyEvent):
    date_field: ClassVar[str] = "held_on"
    held_on: date
    eligible: int = Field(ge=0)
    in_favour: int = Field(ge=0)

    @model_validator(mode="after")
    def _tally_consistent(self) -> _VoteEvent:
        VoteTally(eligible=self.eligible, in_favour=self.in_favour)
        return self

    @property
    def tally(self) -> VoteTally:
        return VoteTally(eligible=self.eligible, in_favour=self.in_favour)

    @property
    def passed(self) -> bool:
        return self.rules.vote_passes(self.eligible, self.in_favour)

    def vote_check(self) -> CheckResult:
        """The 2/3 check: recorded for the audit, never a refusal (a failed vote is a fact)."""
        check = VoteReachesTwoThirds().check(self.rules, self.tally)
        return check.model_copy(update={"blocking": False})


class _RosterCountedVote(_VoteEvent):
    """A branch vote (6-KNĐ or 13-KNĐ) counted against the branch's official members on
    the vote's day: the roster's figure the workflow looked up, the members the vote
    leaves out by the regulations, or an override where the roster is not loaded."""

    # The roster's figure was looked up; the exclusions were checked against it; an
    # override stands in for both: none can be restated by a correction (ADR 0012).
    looked_up: ClassVar[frozenset[str]] = frozenset(
        {"roster_official_members", "excluded_members", "roster_override"}
    )
    added_fields: ClassVar[frozenset[str]] = frozenset(
        {"roster_official_members", "excluded_members", "roster_override"}
    )
    # None only in votes recorded before ADR 0012: they were not counted against a roster.
    roster_official_members: int | None = Field(default=None, ge=0)
    excluded_members: tuple[ExcludedMember, ...] = ()
    roster_override: RosterOverride | None = None

    def roster_checks(self) -> list[CheckResult]:
        """The count against the roster, then the branch's size (from the roster's figure,
        or the vote's own count under an override or in a vote before ADR 0012)."""
        rs = self.rules
        checks: list[CheckResult] = []
        members = self.eligible + len(self.excluded_members)
        if self.roster_override is not None:
            # The document's count stands in for the roster (which is recorded beside it).
            override, members = self.roster_override, self.eligible
            checks.append(
                RosterOverridden().check(
                    rs,
                    override.reason,
                    override.document,
                    self.eligible,
                    self.roster_official_members,
                    recorded_day(self.timestamp),
                )
            )
        elif self.roster_official_members is not None:
            members = self.roster_official_members
            checks.append(
                EligibleMatchesRoster().check(
                    rs, self.eligible, members, len(self.excluded_members), self.held_on
                )
            )
        checks.append(BranchLargeEnough().check(rs, members))
        checks.append(
            CheckResult(
                rule="no_eligible_members",
                passed=self.eligible > 0,
                rule_set=rs.code,
                detail=f"{self.eligible} eligible official members vote ({rs.code})",
                params={"eligible": self.eligible},
            )
        )
        return checks


class BranchVoteHeld(_RosterCountedVote):
    """Stage 6: the branch resolution (6-KNĐ). A failed vote counts an attempt; the third
    failure escalates to the superior committee."""

    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.VERIFICATION})
    looked_up: ClassVar[frozenset[str]] = _RosterCountedVote.looked_up | {"grassroots_branch"}
    grassroots_branch: bool = False
    age_consent_reference: str | None = None
    education_exception_reference: str | None = None

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        rs = self.rules
        certified = s.biography_certified_on is not None and s.escalated_on is None
        return [
            CheckResult(
                rule="biography_not_certified" if s.escalated_on is None else "vote_escalated",
                passed=certified,
                rule_set=rs.code,
                detail=(
                    "biography certified"
                    if certified
                    else "the biography is not certified yet"
                    if s.escalated_on is None
                    else "three branch votes failed; the superior committee decides"
                )
                + f" ({rs.code})",
            ),
            *self.roster_checks(),
            AgeWithinRange().check(
                rs, s.person.date_of_birth, self.held_on, self.age_consent_reference
            ),
            EducationSufficient().check(rs, s.person.education, self.education_exception_reference),
            CertificateStillValid().check(
                rs, s.certificate.issued_on if s.certificate else None, self.held_on
            ),
            self.vote_check(),
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        attempt = s.failed_branch_votes + 1
        vote = Vote(
            body="branch",
            held_on=self.held_on,
            eligible=self.eligible,
            in_favour=self.in_favour,
            passed=self.passed,
            attempt=attempt,
        )
        votes = (*s.votes, vote)
        if self.passed:
            stage = Stage.AWAITING_DECISION if self.grassroots_branch else Stage.BRANCH_APPROVED
            return s.model_copy(
                update={"votes": votes, "stage": stage, "branch_resolution_on": self.held_on}
            )
        escalate = attempt >= self.rules.failed_branch_votes_before_escalation
        return s.model_copy(
            update={
                "votes": votes,
                "failed_branch_votes": attempt,
                "escalated_on": self.held_on if escalate else s.escalated_on,
            }
        )


class SubunitAppraisalRecorded(CandidacyEvent):
    """Stage 7 (optional): the sub-unit committee's appraisal (7-KNĐ)."""

    date_field: ClassVar[str] = "appraised_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.BRANCH_APPROVED})
    appraised_on: date

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(state, subunit_appraisal_on=self.appraised_on)


class GrassrootsVoteHeld(_VoteEvent):
    """The grassroots committee's resolution: on admission (8-KNĐ, stage 7; also how the
    superior committee takes up a candidacy escalated after three failed branch votes) or
    on recognition (15-KNĐ, stage 10, recorded beside the branch's 13-KNĐ)."""

    allowed_stages: ClassVar[frozenset[Stage]] = frozenset(
        {Stage.BRANCH_APPROVED, Stage.VERIFICATION, Stage.RECOGNITION_REVIEW}
    )

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        rs = self.rules
        if s.stage == Stage.RECOGNITION_REVIEW:  # 15-KNĐ; its date follows the 13-KNĐ (order)
            return [self.vote_check()]
        ok = s.stage == Stage.BRANCH_APPROVED or s.escalated_on is not None
        ready = CheckResult(
            rule="wrong_stage",
            passed=ok,
            rule_set=rs.code,
            detail=(
                "the branch approved"
                if s.stage == Stage.BRANCH_APPROVED
                else "escalated after failed branch votes"
                if ok
                else "the branch has not approved the candidacy"
            )
            + f" ({rs.code})",
        )
        return [ready, self.vote_check()]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        vote = Vote(
            body="grassroots",
            held_on=self.held_on,
            eligible=self.eligible,
            in_favour=self.in_favour,
            passed=self.passed,
            attempt=1 + sum(1 for v in s.votes if v.body == "grassroots"),
        )
        votes = (*s.votes, vote)
        if s.stage == Stage.RECOGNITION_REVIEW:
            # 15-KNĐ: recorded; the deciding committee's 16-KNĐ follows either way.
            on = self.held_on if self.passed else s.grassroots_recognition_on
            return s.model_copy(update={"votes": votes, "grassroots_recognition_on": on})
        if not self.passed:
            return s.model_copy(
                update={
                    "votes": votes,
                    "stage": Stage.REJECTED,
                    "outcome_on": self.held_on,
                    "outcome_reason": "grassroots committee vote failed",
                }
            )
        update: dict[str, Any] = {
            "votes": votes,
            "stage": Stage.AWAITING_DECISION,
            "grassroots_resolution_on": self.held_on,
        }
        if s.branch_resolution_on is None:  # escalated: the committee's resolution starts the clock
            update["branch_resolution_on"] = self.held_on
        return s.model_copy(update=update)


class DecisionDeadlineExtended(CandidacyEvent):
    """Stage 7: the decision period extended (at most 30 working days, once)."""

    date_field: ClassVar[str] = "granted_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset(
        {Stage.AWAITING_DECISION, Stage.RECOGNITION_REVIEW}
    )
    granted_on: date
    working_days: int = Field(ge=1)

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        rs = self.rules
        if s.stage == Stage.AWAITING_DECISION:
            used, limit = s.decision_extension_working_days, rs.decision_extension_working_days
        else:
            used = s.recognition_extension_working_days
            limit = rs.recognition_decision_extension_working_days
        passed = used == 0 and self.working_days <= limit
        detail = (
            f"extension of {self.working_days} working days; limit {limit}, once"
            f"{'; already extended' if used else ''} ({rs.code})"
        )
        return [
            CheckResult(
                rule="extension_not_allowed",
                passed=passed,
                rule_set=rs.code,
                detail=detail,
                params={"working_days": self.working_days, "limit": limit},
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        if s.stage == Stage.AWAITING_DECISION:
            return s.model_copy(update={"decision_extension_working_days": self.working_days})
        return s.model_copy(update={"recognition_extension_working_days": self.working_days})


class _DecisionEvent(CandidacyEvent):
    date_field: ClassVar[str] = "decided_on"
    looked_up: ClassVar[frozenset[str]] = frozenset(
        {"deciding_body_id", "deciding_body_kind", "body_above_branch"}
    )
    decided_on: date
    deciding_body_id: UUID
    deciding_body_kind: str | None = None
    body_above_branch: bool = False

    def competence_check(self) -> CheckResult:
        return DecidingBodyCompetent().check(
            self.rules,
            str(self.deciding_body_id),
            self.deciding_body_kind,
            self.body_above_branch,
            self.decided_on,
        )


class AdmissionDecided(_DecisionEvent):
    """Stage 8: the admission decision (9-KNĐ) or a refusal. Party age counts from the
    decision date."""

    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.AWAITING_DECISION})
    added_fields: ClassVar[frozenset[str]] = frozenset({"member_id"})
    looked_up: ClassVar[frozenset[str]] = _DecisionEvent.looked_up | {"member_id"}
    decision: Literal["admit", "refuse"]
    received_on: date | None = None
    # The roster record an admission creates (named in events recorded from ADR 0012 on;
    # the same id is derived for older ones).
    member_id: UUID | None = None

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        rs = self.rules
        received = self.received_on or self.decided_on
        return [
            self.competence_check(),
            CheckResult(
                rule="date_order",
                passed=received >= self.decided_on,
                rule_set=rs.code,
                detail=f"decision received on {received.isoformat()}, decided on "
                f"{self.decided_on.isoformat()} ({rs.code})",
            ),
            CheckResult(
                rule="date_in_future",
                passed=received <= recorded_day(self.timestamp),
                rule_set=rs.code,
                detail=f"decision received on {received.isoformat()}, recorded on "
                f"{recorded_day(self.timestamp).isoformat()} ({rs.code})",
            ),
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        if self.decision == "refuse":
            return s.model_copy(
                update={
                    "stage": Stage.REJECTED,
                    "decided_on": self.decided_on,
                    "deciding_body_id": self.deciding_body_id,
                    "outcome_on": self.decided_on,
                    "outcome_reason": "admission refused",
                }
            )
        party_age_from = self.decided_on
        if s.readmission is not None:
            # Party age counts from the first admission, minus the gap out of the Party.
            gap = self.decided_on - s.readmission.left_on
            party_age_from = s.readmission.first_admitted_on + gap
        return s.model_copy(
            update={
                "stage": Stage.ADMITTED,
                "decided_on": self.decided_on,
                "decision_received_on": self.received_on or self.decided_on,
                "deciding_body_id": self.deciding_body_id,
                "party_age_from": party_age_from,
                "member_id": self.member_id or member_id_for(self.originator_id),
            }
        )


class CeremonyHeld(CandidacyEvent):
    """Stage 9: the admission ceremony; probation runs 12 months from it."""

    date_field: ClassVar[str] = "held_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.ADMITTED})
    held_on: date
    approval_reference: str | None = None

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        received = s.decision_received_on or s.decided_on
        assert received is not None, "an admitted candidacy has a decision date"
        return [
            CeremonyInTime().check(
                self.rules, calendar, received, self.held_on, self.approval_reference
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        ends = add_months(self.held_on, self.rules.probation_months)
        return _update(
            state, stage=Stage.PROBATION, ceremony_on=self.held_on, probation_ends_on=ends
        )


class HelperAssigned(CandidacyEvent):
    """A helper member assigned (in the source pool, or for probation)."""

    date_field: ClassVar[str] = "assigned_on"
    looked_up: ClassVar[frozenset[str]] = frozenset({"member_id", "official_on"})
    assigned_on: date
    member_id: UUID
    official_on: date | None = None

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        return [
            HelperMustBeOfficial().check(
                self.rules, str(self.member_id), self.official_on, self.assigned_on
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(state, helper_member_id=self.member_id)


class NewMemberClassCompleted(CandidacyEvent):
    """Stage 9: the new-member class certificate, during probation."""

    date_field: ClassVar[str] = "completed_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset(
        {Stage.PROBATION, Stage.RECOGNITION_REVIEW}
    )
    completed_on: date
    certificate_number: str = Field(min_length=1, max_length=80)

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(
            state,
            new_member_class_on=self.completed_on,
            new_member_certificate=self.certificate_number,
        )


class DisciplineRecorded(CandidacyEvent):
    """A discipline during probation: only reprimand or warning are possible."""

    date_field: ClassVar[str] = "decided_on"
    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.PROBATION})
    decided_on: date
    kind: Literal["reprimand", "warning", "dismissal", "expulsion"]

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        passed = self.kind in ("reprimand", "warning")
        return [
            CheckResult(
                rule="discipline_not_allowed",
                passed=passed,
                rule_set=self.rules.code,
                detail=f"'{self.kind}' during probation; only reprimand or warning are "
                f"possible ({self.rules.code})",
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        return s.model_copy(update={"disciplines": (*s.disciplines, self.kind)})


class RecognitionVoteHeld(_RosterCountedVote):
    """Stage 10: the branch votes to recognise (13-KNĐ) once probation ended, or to remove
    the member from the probationary list (at any time of probation)."""

    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.PROBATION})
    proposal: Literal["recognise", "remove"] = "recognise"

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        rs = self.rules
        ends = s.probation_ends_on
        assert ends is not None, "probation has an end date"
        ended = self.proposal == "remove" or self.held_on >= ends
        return [
            CheckResult(
                rule="probation_not_ended",
                passed=ended,
                rule_set=rs.code,
                detail=f"probation ends on {ends.isoformat()}, vote on "
                f"{self.held_on.isoformat()} ({rs.code})",
            ),
            *self.roster_checks(),
            self.vote_check(),
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        vote = Vote(
            body="recognition",
            held_on=self.held_on,
            eligible=self.eligible,
            in_favour=self.in_favour,
            passed=self.passed,
            attempt=1 + sum(1 for v in s.votes if v.body == "recognition"),
        )
        if not self.passed:
            return s.model_copy(update={"votes": (*s.votes, vote)})
        return s.model_copy(
            update={
                "votes": (*s.votes, vote),
                "stage": Stage.RECOGNITION_REVIEW,
                "recognition_vote_on": self.held_on,
                "recognition_proposal": self.proposal,
            }
        )


class RecognitionDecided(_DecisionEvent):
    """Stage 11: recognition as an official member (16-KNĐ), official as of the day
    probation ended however late the decision; or removal from the probationary list."""

    allowed_stages: ClassVar[frozenset[Stage]] = frozenset({Stage.RECOGNITION_REVIEW})
    decision: Literal["recognise", "remove"]

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        s = _require(state)
        rs = self.rules
        ends = s.probation_ends_on
        assert ends is not None, "a candidacy under recognition review has a probation end"
        # Recognition (unlike removal) needs the probation to be over on the decision day,
        # even when the branch's resolution was a removal vote held during probation.
        ended = self.decision == "remove" or self.decided_on >= ends
        return [
            self.competence_check(),
            CheckResult(
                rule="probation_not_ended",
                passed=ended,
                rule_set=rs.code,
                detail=f"probation ends on {ends.isoformat()}, {self.decision} decided on "
                f"{self.decided_on.isoformat()} ({rs.code})",
            ),
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        if self.decision == "recognise":
            return s.model_copy(
                update={
                    "stage": Stage.OFFICIAL,
                    "recognition_decided_on": self.decided_on,
                    "official_on": s.probation_ends_on,
                    "outcome_on": s.probation_ends_on,
                }
            )
        return s.model_copy(
            update={
                "stage": Stage.REMOVED,
                "recognition_decided_on": self.decided_on,
                "outcome_on": self.decided_on,
                "outcome_reason": "removed from the probationary list",
            }
        )


class Transferred(CandidacyEvent):
    """Moved to another branch between stages 4 and 10; the probation clock keeps running."""

    date_field: ClassVar[str] = "transferred_on"
    allowed_stages: ClassVar[frozenset[Stage]] = TRANSFERABLE_STAGES
    looked_up: ClassVar[frozenset[str]] = frozenset({"from_branch_id", "to_branch_id"})
    transferred_on: date
    from_branch_id: UUID
    to_branch_id: UUID

    def check(self, state: CandidacyState | None, calendar: WorkingCalendar) -> list[CheckResult]:
        differs = self.to_branch_id != self.from_branch_id
        return [
            CheckResult(
                rule="same_branch",
                passed=differs,
                rule_set=self.rules.code,
                detail=f"transfer to {self.to_branch_id} ({self.rules.code})",
            )
        ]

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        move = (self.transferred_on, self.from_branch_id, self.to_branch_id)
        return s.model_copy(
            update={"branch_id": self.to_branch_id, "transfers": (*s.transfers, move)}
        )


class Withdrawn(CandidacyEvent):
    """The candidate withdraws (any open stage)."""

    date_field: ClassVar[str] = "withdrawn_on"
    withdrawn_on: date
    reason: str = Field(min_length=1, max_length=500)

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        return _update(
            state, stage=Stage.WITHDRAWN, outcome_on=self.withdrawn_on, outcome_reason=self.reason
        )


class Corrected(CandidacyEvent):
    """Restates an earlier event (by position) with a reason; never edits it. The state is
    refolded from the original events with every correction applied."""

    date_field: ClassVar[str] = "corrected_on"
    allowed_stages: ClassVar[frozenset[Stage]] = _ALL
    corrected_on: date
    position: int = Field(ge=1)
    changes: dict[str, Any]
    reason: str = Field(min_length=1, max_length=1000)

    def evolve(self, state: CandidacyState | None) -> CandidacyState:
        s = _require(state)
        return replay((*s.history, self), refold_only=True)


def effective_events(history: tuple[CandidacyEvent, ...]) -> list[CandidacyEvent]:
    """The events as they stand after every correction in ``history`` (originals kept)."""
    changes: dict[int, dict[str, Any]] = {}
    for event in history:
        if isinstance(event, Corrected):
            changes.setdefault(event.position, {}).update(event.changes)
    result: list[CandidacyEvent] = []
    for event in history:
        pending = changes.get(event.originator_version)
        result.append(event.restated(pending) if pending else event)
    return result


def replay(history: tuple[CandidacyEvent, ...], *, refold_only: bool = False) -> CandidacyState:
    """Fold a whole history, applying corrections. With ``refold_only`` the envelope of the
    last event is not stamped (the caller's ``mutate`` does it)."""
    state: CandidacyState | None = None
    effective = effective_events(history)
    for original, event in zip(history, effective, strict=True):
        state = _require(state) if isinstance(event, Corrected) else event.evolve(state)
        if not (refold_only and original is history[-1]):
            state = stamp(state, original)
    return _require(state)


def steps_as_of(
    history: tuple[CandidacyEvent, ...],
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> Iterator[tuple[CandidacyEvent, CandidacyState]]:
    """Each step that counts at the end of day ``as_of``, from what had been recorded by
    ``known_at``, with the state after it. Corrections known by then apply to the facts
    they restate; the facts count by their (corrected) effective date. The event yielded is
    the effective (restated) one; the state is stamped with the original's envelope.

    A step counts only if it fits the stage reached by ``as_of`` and the facts it followed
    when it was recorded had all happened by then: a history recorded before ADR 0012 may
    hold a step dated before the step it follows, and "as of" a day between the two the
    later step had not happened (its bounds differ from those it was recorded with)."""
    known = tuple(e for e in history if known_at is None or e.timestamp <= known_at)
    steps = [
        (original, event)
        for original, event in zip(known, effective_events(known), strict=True)
        if not isinstance(event, Corrected)
    ]
    careful = as_of is not None and not _in_date_order(event for _, event in steps)
    state: CandidacyState | None = None
    full: CandidacyState | None = None  # every step, as recorded (careful mode only)
    latest = full_latest = None
    for original, event in steps:
        # Only the facts a step follows count here: one it must not follow (the recognition
        # vote, for a new-member class recorded late) may well not have happened by then.
        recorded_with = bounds(event, full, full_latest)[0] if careful else None
        if careful:
            full = event.evolve(full)
            full_latest = _later(full_latest, event.effective_on)
        if as_of is not None and event.effective_on > as_of:
            continue
        if state is None and not isinstance(event, CandidateNominated):
            continue
        if state is not None and state.stage not in type(event).allowed_stages:
            continue
        if careful and bounds(event, state, latest)[0] != recorded_with:
            continue
        state = stamp(event.evolve(state), original)
        latest = _later(latest, event.effective_on)
        yield event, state


def _in_date_order(events: Iterator[CandidacyEvent]) -> bool:
    previous: date | None = None
    for event in events:
        if previous is not None and event.effective_on < previous:
            return False
        previous = event.effective_on
    return True


def _later(day: date | None, other: date) -> date:
    return other if day is None or other > day else day


def state_as_of(
    history: tuple[CandidacyEvent, ...],
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> CandidacyState | None:
    """The candidacy as it stood at the end of day ``as_of``, from what had been recorded
    by ``known_at`` (see ``steps_as_of``). None when nothing had happened yet."""
    state: CandidacyState | None = None
    for _, state in steps_as_of(history, as_of, known_at):  # noqa: B007 (the last one)
        pass
    return state


CandidacyState.model_rebuild()
