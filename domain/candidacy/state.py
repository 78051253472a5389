"""The state of one candidacy, folded from its events (immutable)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.events import GENESIS_HASH, AggregateState
from domain.values import DocumentRef, NominatedBy, Person

if TYPE_CHECKING:
    from domain.candidacy.events import CandidacyEvent


class Stage(StrEnum):
    """Stages of a candidacy (api.md), then its terminal outcomes."""

    SOURCE_POOL = "source_pool"
    AWARENESS_CLASS = "awareness_class"
    CERTIFIED = "certified"
    DOSSIER = "dossier"
    VERIFICATION = "verification"
    BRANCH_APPROVED = "branch_approved"
    AWAITING_DECISION = "awaiting_decision"
    ADMITTED = "admitted"
    PROBATION = "probation"
    RECOGNITION_REVIEW = "recognition_review"
    OFFICIAL = "official"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REMOVED = "removed"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STAGES


TERMINAL_STAGES = frozenset({Stage.OFFICIAL, Stage.REJECTED, Stage.WITHDRAWN, Stage.REMOVED})
# A candidacy can be transferred between stages 4 (dossier) and 10 (recognition review).
TRANSFERABLE_STAGES = frozenset(
    {
        Stage.DOSSIER,
        Stage.VERIFICATION,
        Stage.BRANCH_APPROVED,
        Stage.AWAITING_DECISION,
        Stage.ADMITTED,
        Stage.PROBATION,
        Stage.RECOGNITION_REVIEW,
    }
)

Subject = Literal[
    "candidate",
    "father",
    "mother",
    "spouse",
    "spouse_father",
    "spouse_mother",
    "guardian",
    "child",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Certificate(_Frozen):
    """CN-NTVĐ: the political-awareness class certificate."""

    issued_on: date
    number: str
    issuer: str


class Introducer(_Frozen):
    """An official member who introduces the candidate (3-KNĐ), with the facts checked."""

    member_id: UUID
    known_since: date
    official_on: date | None
    same_grassroots: bool


class Verification(_Frozen):
    """One subject of the background verification (20-KNĐ)."""

    subject: Subject
    requested_on: date
    result: Literal["cleared", "concern"] | None = None
    recorded_on: date | None = None
    field_check_needed: bool = True

    @property
    def resolved(self) -> bool:
        return self.result is not None or not self.field_check_needed


class Vote(_Frozen):
    """A vote held on the candidacy (branch, grassroots committee or recognition)."""

    body: Literal["branch", "grassroots", "recognition"]
    held_on: date
    eligible: int
    in_favour: int
    passed: bool
    attempt: int


ExclusionReason = Literal["temporarily_transferred", "exempt_and_absent"]


class ExcludedMember(_Frozen):
    """An official member of the branch the regulations leave out of a vote's count:
    temporarily transferred away (chuyển sinh hoạt tạm thời), or exempt from work and
    party activities and absent (miễn công tác và sinh hoạt đảng, vắng mặt)."""

    member_id: UUID
    reason: ExclusionReason


class RosterOverride(_Frozen):
    """A vote counted without the roster (a branch whose roster is not loaded yet, for
    history being imported): why, and the document the count comes from."""

    reason: str = Field(min_length=1, max_length=500)
    document: DocumentRef


class Readmission(_Frozen):
    """Facts of an earlier membership when this candidacy is a re-admission."""

    previous_member_id: UUID
    first_admitted_on: date
    left_on: date
    left_reason: str
    consent_reference: str
    record_cleared_on: date | None = None


class CandidacyState(AggregateState):
    """One person's attempt at admission, as it stands after its events.

    ``history`` keeps the events as recorded (originals, never edited); ``corrections``
    maps a position to the fields a later correction restated there.
    """

    history: tuple[CandidacyEvent, ...] = ()

    person: Person
    branch_id: UUID
    stage: Stage
    nominated_by: NominatedBy
    nominated_on: date
    helper_member_id: UUID | None = None
    readmission: Readmission | None = None

    class_enrolled_on: date | None = None
    certificate: Certificate | None = None
    application_on: date | None = None
    biography_on: date | None = None
    introducers: tuple[Introducer, ...] = ()
    introduced_on: date | None = None
    youth_union_resolution: str | None = None
    verifications: tuple[Verification, ...] = ()
    biography_certified_on: date | None = None

    votes: tuple[Vote, ...] = ()
    failed_branch_votes: int = 0
    escalated_on: date | None = None
    branch_resolution_on: date | None = None
    subunit_appraisal_on: date | None = None
    grassroots_resolution_on: date | None = None
    decision_extension_working_days: int = 0
    decided_on: date | None = None
    decision_received_on: date | None = None
    deciding_body_id: UUID | None = None
    party_age_from: date | None = None
    # The roster record the admission created (the probationary, later official, member).
    member_id: UUID | None = None

    ceremony_on: date | None = None
    probation_ends_on: date | None = None
    new_member_class_on: date | None = None
    new_member_certificate: str | None = None
    disciplines: tuple[str, ...] = ()
    recognition_vote_on: date | None = None
    recognition_proposal: Literal["recognise", "remove"] | None = None
    grassroots_recognition_on: date | None = None
    recognition_extension_working_days: int = 0
    recognition_decided_on: date | None = None
    official_on: date | None = None

    outcome_on: date | None = None
    outcome_reason: str | None = None
    transfers: tuple[tuple[date, UUID, UUID], ...] = ()

    @property
    def last_hash(self) -> str:
        """The chain head: the content hash of the newest event, computed when asked (a
        replay need not hash every event it folds)."""
        return self.history[-1].content_hash() if self.history else GENESIS_HASH

    def verification(self, subject: str) -> Verification | None:
        """The latest verification record of ``subject``."""
        found = [v for v in self.verifications if v.subject == subject]
        return found[-1] if found else None

    @property
    def all_subjects_resolved(self) -> bool:
        return bool(self.verifications) and all(v.resolved for v in self.verifications)
