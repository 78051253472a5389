"""Which event each candidacy command records, and so which commands a stage allows (the
web app shows a form for each of those)."""

from __future__ import annotations

from domain.candidacy import events as ev
from domain.candidacy.state import Stage
from workflows import commands as c

# The event each candidacy command records (a verification: its request, the first of the
# two it may record), so a screen can offer only the commands the candidacy's stage allows;
# the domain still refuses a command in the wrong stage (``wrong_stage``).
STEP_EVENTS: dict[type[c.Command], type[ev.CandidacyEvent]] = {
    c.EnrolInClass: ev.ClassEnrolled,
    c.RecordCertificate: ev.CertificateRecorded,
    c.SubmitApplication: ev.ApplicationSubmitted,
    c.SubmitBiography: ev.BiographySubmitted,
    c.RecordIntroducers: ev.IntroducersRecorded,
    c.RecordVerification: ev.VerificationRequested,
    c.CertifyBiography: ev.BiographyCertified,
    c.RecordBranchVote: ev.BranchVoteHeld,
    c.RecordSubunitAppraisal: ev.SubunitAppraisalRecorded,
    c.RecordGrassrootsVote: ev.GrassrootsVoteHeld,
    c.ExtendDeadline: ev.DecisionDeadlineExtended,
    c.DecideAdmission: ev.AdmissionDecided,
    c.HoldCeremony: ev.CeremonyHeld,
    c.AssignHelper: ev.HelperAssigned,
    c.CompleteNewMemberClass: ev.NewMemberClassCompleted,
    c.RecordDiscipline: ev.DisciplineRecorded,
    c.RecordRecognitionVote: ev.RecognitionVoteHeld,
    c.DecideRecognition: ev.RecognitionDecided,
    c.TransferCandidacy: ev.Transferred,
    c.Withdraw: ev.Withdrawn,
    c.CorrectRecord: ev.Corrected,
}


def commands_open_in(stage: Stage) -> list[str]:
    """The segments (``c.CANDIDACY_COMMANDS``) of the commands a candidacy in ``stage`` may
    take, in the order of the path."""
    return [
        segment
        for segment, command in c.CANDIDACY_COMMANDS.items()
        if stage in STEP_EVENTS[command].allowed_stages
    ]
