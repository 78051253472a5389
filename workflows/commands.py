"""Commands: what a caller asks for, validated by pydantic before anything runs.

The one catalogue of commands (``from workflows import commands as c``): the candidacy
commands are defined here; the base (``workflows.command_base``) and the organisation,
roster and quota commands (``workflows.roster_commands``) are imported into it.

Names and fields follow api.md; each command carries the optional ``document`` and
``note`` every recording accepts. The HTTP layer reuses these models as request bodies.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from domain.candidacy.state import Subject
from domain.rules import whole_months
from domain.rulesets import youngest_nomination_age_months
from domain.values import NominatedBy, Person
from workflows.command_base import Command as Command
from workflows.command_values import ExcludedMemberRef as ExcludedMemberRef
from workflows.command_values import IntroducerRef as IntroducerRef
from workflows.command_values import ReadmissionFacts as ReadmissionFacts
from workflows.command_values import Resolution as Resolution
from workflows.command_values import RosterOverrideIn as RosterOverrideIn
from workflows.plausible import Finding, raise_findings
from workflows.roster_commands import AssignResidentialArea as AssignResidentialArea
from workflows.roster_commands import DissolveOrganisation as DissolveOrganisation
from workflows.roster_commands import FoundOrganisation as FoundOrganisation
from workflows.roster_commands import MergeOrganisation as MergeOrganisation
from workflows.roster_commands import MoveOrganisation as MoveOrganisation
from workflows.roster_commands import RecordMemberDeparture as RecordMemberDeparture
from workflows.roster_commands import RegisterMember as RegisterMember
from workflows.roster_commands import RenameOrganisation as RenameOrganisation
from workflows.roster_commands import SetQuota as SetQuota
from workflows.roster_commands import SubscribeReminders as SubscribeReminders
from workflows.roster_commands import TransferMember as TransferMember

# --- candidacy -----------------------------------------------------------------------


class Nominate(Command):
    person: Person
    branch_id: UUID
    nominated_by: NominatedBy
    nominated_on: date
    helper_member_id: UUID | None = None
    readmission: ReadmissionFacts | None = None
    id: UUID | None = None

    @model_validator(mode="after")
    def _plausible_age(self) -> Self:
        """A date of birth after the nomination, or an age below the youngest any rule
        set allows at nomination, is a typing error, not a case for the rules: 422 naming
        ``person.date_of_birth`` (the message never repeats the date of birth)."""
        born, on = self.person.date_of_birth, self.nominated_on
        youngest = youngest_nomination_age_months()
        if born > on:
            code = "born_after_nomination"
            message = f"the date of birth is after nominated_on ({on.isoformat()})"
        elif whole_months(born, on) < youngest:
            code = "too_young_at_nomination"
            message = (
                f"the candidate is younger than {youngest // 12} years on nominated_on "
                f"({on.isoformat()}), the youngest age any rule set allows at nomination"
            )
        else:
            return self
        loc = ("person", "date_of_birth")
        raise_findings(type(self).__name__, [Finding(loc, code, message, born)])


class EnrolInClass(Command):
    legacy_name: ClassVar[str | None] = "ClassEnrolment"
    enrolled_on: date


class RecordCertificate(Command):
    legacy_name: ClassVar[str | None] = "CertificateCommand"
    issued_on: date
    number: str = Field(min_length=1, max_length=80)
    issuer: str = Field(min_length=1, max_length=200)


class SubmitApplication(Command):
    legacy_name: ClassVar[str | None] = "ApplicationCommand"
    submitted_on: date


class SubmitBiography(Command):
    legacy_name: ClassVar[str | None] = "BiographyCommand"
    submitted_on: date


class RecordIntroducers(Command):
    legacy_name: ClassVar[str | None] = "IntroducersCommand"
    introducers: list[IntroducerRef] = Field(min_length=1, max_length=2)
    youth_union_resolution: Resolution | None = None
    introduced_on: date | None = Field(
        default=None,
        description="Day of the introduction; defaults to the document's date, else the "
        "Youth Union resolution's date, else the recording day.",
    )


class RecordVerification(Command):
    """Either a request (``requested_on``) or a result (``result`` + ``recorded_on``)."""

    legacy_name: ClassVar[str | None] = "VerificationCommand"

    subject: Subject
    requested_on: date | None = None
    field_check_needed: bool = True
    result: Literal["cleared", "concern"] | None = None
    recorded_on: date | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        is_request = self.requested_on is not None
        is_result = self.result is not None or self.recorded_on is not None
        if is_request == is_result:
            raise ValueError(
                "send either {subject, requested_on} or {subject, result, recorded_on}"
            )
        if is_result and (self.result is None or self.recorded_on is None):
            raise ValueError("a result needs both result and recorded_on")
        return self


class CertifyBiography(Command):
    legacy_name: ClassVar[str | None] = "BiographyCertification"
    certified_on: date


class _BranchCountedVote(Command):
    """A branch vote: counted against the branch's official members on ``held_on`` from
    the roster, less ``excluded_members``; or, with ``roster_override``, as given."""

    held_on: date
    eligible_official_members: int = Field(ge=0, le=10_000)
    in_favour: int = Field(ge=0, le=10_000)
    excluded_members: list[ExcludedMemberRef] = Field(default_factory=list, max_length=10_000)
    roster_override: RosterOverrideIn | None = None
    added_fields: ClassVar[frozenset[str]] = frozenset({"excluded_members", "roster_override"})

    @model_validator(mode="after")
    def _distinct_exclusions(self) -> Self:
        ids = [x.member_id for x in self.excluded_members]
        if len(set(ids)) != len(ids):
            raise ValueError("excluded_members names a member more than once")
        if ids and self.roster_override is not None:
            raise ValueError(
                "excluded_members and roster_override cannot be combined: under an override "
                "the document's count already leaves out whom it leaves out"
            )
        _tally_fits(
            type(self).__name__,
            self.in_favour,
            self.eligible_official_members,
            "eligible_official_members",
        )
        return self


class RecordBranchVote(_BranchCountedVote):
    legacy_name: ClassVar[str | None] = "BranchVote"
    age_consent_reference: str | None = Field(default=None, max_length=100)
    education_exception_reference: str | None = Field(default=None, max_length=100)


class RecordGrassrootsVote(Command):
    legacy_name: ClassVar[str | None] = "GrassrootsVote"
    held_on: date
    committee_members: int = Field(ge=0, le=10_000)
    in_favour: int = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _tally(self) -> Self:
        _tally_fits(
            type(self).__name__, self.in_favour, self.committee_members, "committee_members"
        )
        return self


def _tally_fits(title: str, in_favour: int, voters: int, field: str) -> None:
    """More votes in favour than voters cannot be true (422 at ``in_favour``)."""
    if in_favour > voters:
        raise_findings(
            title,
            [
                Finding(
                    ("in_favour",),
                    "more_in_favour_than_voters",
                    f"in_favour ({in_favour}) cannot exceed {field} ({voters})",
                    in_favour,
                )
            ],
        )


class RecordSubunitAppraisal(Command):
    legacy_name: ClassVar[str | None] = "SubunitAppraisal"
    appraised_on: date


class ExtendDeadline(Command):
    legacy_name: ClassVar[str | None] = "DeadlineExtension"
    granted_on: date
    working_days: int = Field(ge=1, le=365)


class DecideAdmission(Command):
    legacy_name: ClassVar[str | None] = "AdmissionDecision"
    decided_on: date
    deciding_body_id: UUID
    decision: Literal["admit", "refuse"]
    received_on: date | None = None


class HoldCeremony(Command):
    legacy_name: ClassVar[str | None] = "Ceremony"
    held_on: date
    approval_reference: str | None = Field(default=None, max_length=100)


class AssignHelper(Command):
    legacy_name: ClassVar[str | None] = "HelperAssignment"
    member_id: UUID
    assigned_on: date


class CompleteNewMemberClass(Command):
    legacy_name: ClassVar[str | None] = "NewMemberClass"
    completed_on: date
    certificate_number: str = Field(min_length=1, max_length=80)


class RecordDiscipline(Command):
    legacy_name: ClassVar[str | None] = "Discipline"
    decided_on: date
    kind: Literal["reprimand", "warning", "dismissal", "expulsion"]


class RecordRecognitionVote(_BranchCountedVote):
    legacy_name: ClassVar[str | None] = "RecognitionVote"
    proposal: Literal["recognise", "remove"] = "recognise"


class DecideRecognition(Command):
    legacy_name: ClassVar[str | None] = "RecognitionDecision"
    decided_on: date
    deciding_body_id: UUID
    decision: Literal["recognise", "remove"]


class TransferCandidacy(Command):
    legacy_name: ClassVar[str | None] = "Transfer"
    to_branch_id: UUID
    effective_on: date


class Withdraw(Command):
    legacy_name: ClassVar[str | None] = "Withdrawal"
    effective_on: date
    reason: str = Field(min_length=1, max_length=500)


class CorrectRecord(Command):
    legacy_name: ClassVar[str | None] = "Correction"
    position: int = Field(ge=1)
    changes: dict[str, Any] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)
    corrected_on: date | None = None


# The HTTP path segment of each candidacy command (api.md).
CANDIDACY_COMMANDS: dict[str, type[Command]] = {
    "class-enrolment": EnrolInClass,
    "certificate": RecordCertificate,
    "application": SubmitApplication,
    "biography": SubmitBiography,
    "introducers": RecordIntroducers,
    "verifications": RecordVerification,
    "biography-certification": CertifyBiography,
    "branch-votes": RecordBranchVote,
    "subunit-appraisal": RecordSubunitAppraisal,
    "grassroots-votes": RecordGrassrootsVote,
    "decision-extension": ExtendDeadline,
    "admission-decision": DecideAdmission,
    "ceremony": HoldCeremony,
    "helper-assignment": AssignHelper,
    "new-member-class": CompleteNewMemberClass,
    "discipline": RecordDiscipline,
    "recognition-votes": RecordRecognitionVote,
    "recognition-decision": DecideRecognition,
    "transfer": TransferCandidacy,
    "withdrawal": Withdraw,
    "corrections": CorrectRecord,
}
