"""One named method per candidacy command (api.md), each a typed door to
``Admissions.execute``: callers and type checkers see the command set explicitly."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from domain.candidacy.state import CandidacyState
from workflows import commands as c
from workflows.context import Actor


class _Executes(Protocol):
    def execute(
        self, candidacy_id: UUID, command: c.Command, actor: Actor, **options: Any
    ) -> CandidacyState: ...


class CandidacyCommands:
    """Mixin: ``options`` are ``expected_version`` (If-Match) and ``idempotency_key``."""

    def enrol_in_class(self: _Executes, cid: UUID, cmd: c.ClassEnrolment, actor: Actor,
                       **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 2: enrolment in the political-awareness class."""
        return self.execute(cid, cmd, actor, **options)

    def record_certificate(self: _Executes, cid: UUID, cmd: c.CertificateCommand, actor: Actor,
                           **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 3: the awareness-class certificate (CN-NTVĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def submit_application(self: _Executes, cid: UUID, cmd: c.ApplicationCommand, actor: Actor,
                           **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 4: the application letter (1-KNĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def submit_biography(self: _Executes, cid: UUID, cmd: c.BiographyCommand, actor: Actor,
                         **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 4: the biography (2-KNĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def record_introducers(self: _Executes, cid: UUID, cmd: c.IntroducersCommand, actor: Actor,
                           **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 4: introducers (3-KNĐ) or the Youth Union resolution (4-KNĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def record_verification(self: _Executes, cid: UUID, cmd: c.VerificationCommand,
                            actor: Actor, **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 5: a verification request (20-KNĐ) or its result."""
        return self.execute(cid, cmd, actor, **options)

    def certify_biography(self: _Executes, cid: UUID, cmd: c.BiographyCertification,
                          actor: Actor, **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 5: the biography certified once every subject is resolved."""
        return self.execute(cid, cmd, actor, **options)

    def record_branch_vote(self: _Executes, cid: UUID, cmd: c.BranchVote, actor: Actor,
                           **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 6: the branch resolution (6-KNĐ); a failed vote is recorded."""
        return self.execute(cid, cmd, actor, **options)

    def record_subunit_appraisal(self: _Executes, cid: UUID, cmd: c.SubunitAppraisal,
                                 actor: Actor, **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 7 (optional): the sub-unit committee's appraisal (7-KNĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def record_grassroots_vote(self: _Executes, cid: UUID, cmd: c.GrassrootsVote, actor: Actor,
                               **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 7: the grassroots committee resolution (8-KNĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def extend_deadline(self: _Executes, cid: UUID, cmd: c.DeadlineExtension, actor: Actor,
                        **options: Any) -> CandidacyState:  # fmt: skip
        """Extend the decision (or recognition decision) period, once."""
        return self.execute(cid, cmd, actor, **options)

    def decide_admission(self: _Executes, cid: UUID, cmd: c.AdmissionDecision, actor: Actor,
                         **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 8: the admission decision (9-KNĐ) or a refusal."""
        return self.execute(cid, cmd, actor, **options)

    def hold_ceremony(self: _Executes, cid: UUID, cmd: c.Ceremony, actor: Actor,
                      **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 9: the admission ceremony; probation starts."""
        return self.execute(cid, cmd, actor, **options)

    def assign_helper(self: _Executes, cid: UUID, cmd: c.HelperAssignment, actor: Actor,
                      **options: Any) -> CandidacyState:  # fmt: skip
        """Assign an official member to help the candidate or probationary member."""
        return self.execute(cid, cmd, actor, **options)

    def complete_new_member_class(self: _Executes, cid: UUID, cmd: c.NewMemberClass,
                                  actor: Actor, **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 9: the new-member class certificate."""
        return self.execute(cid, cmd, actor, **options)

    def record_discipline(self: _Executes, cid: UUID, cmd: c.Discipline, actor: Actor,
                          **options: Any) -> CandidacyState:  # fmt: skip
        """A discipline during probation (reprimand or warning only)."""
        return self.execute(cid, cmd, actor, **options)

    def record_recognition_vote(self: _Executes, cid: UUID, cmd: c.RecognitionVote,
                                actor: Actor, **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 10: the branch recognition (or removal) resolution (13-KNĐ)."""
        return self.execute(cid, cmd, actor, **options)

    def decide_recognition(self: _Executes, cid: UUID, cmd: c.RecognitionDecision,
                           actor: Actor, **options: Any) -> CandidacyState:  # fmt: skip
        """Stage 11: recognition as an official member (16-KNĐ) or removal."""
        return self.execute(cid, cmd, actor, **options)

    def transfer(self: _Executes, cid: UUID, cmd: c.Transfer, actor: Actor,
                 **options: Any) -> CandidacyState:  # fmt: skip
        """Move the candidacy to another branch (stages 4 to 10)."""
        return self.execute(cid, cmd, actor, **options)

    def withdraw(self: _Executes, cid: UUID, cmd: c.Withdrawal, actor: Actor,
                 **options: Any) -> CandidacyState:  # fmt: skip
        """The candidate withdraws."""
        return self.execute(cid, cmd, actor, **options)

    def correct(self: _Executes, cid: UUID, cmd: c.Correction, actor: Actor,
                **options: Any) -> CandidacyState:  # fmt: skip
        """Restate an earlier event with a reason (never an edit)."""
        return self.execute(cid, cmd, actor, **options)
