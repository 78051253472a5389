"""One small function per candidacy command: look up the facts the rules need (members,
the organisation tree on the step's date), then let the domain decide.

Each handler returns the events to save: the candidacy's event first, then any follow-up
on other aggregates (the roster), all saved in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.candidacy import events as ev
from domain.candidacy.decide import correct, decide
from domain.candidacy.state import (
    CandidacyState,
    ExcludedMember,
    Introducer,
    RosterOverride,
)
from domain.compliance import branch_on
from domain.errors import DomainError
from domain.events import DomainEvent, Envelope, next_event
from domain.member import (
    MemberLeft,
    MemberReadmitted,
    MemberRecognised,
    MemberRecordRestated,
    MemberRegistered,
    MemberTransferred,
)
from domain.member_ids import member_id_for
from domain.organisation import OrganisationKind
from workflows import commands as c
from workflows.lookups import Lookups

Handler = Callable[[Lookups, CandidacyState, Any, Envelope], list[DomainEvent]]
HANDLERS: dict[type[c.Command], Handler] = {}


def handles(command: type[c.Command]) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[command] = func
        return func

    return register


def _simple(command: type[c.Command], event: type[ev.CandidacyEvent], **renames: str) -> None:
    """Register a handler whose command fields map one-to-one onto the event's fields."""

    def handler(
        app: Lookups, state: CandidacyState, cmd: Any, envelope: Envelope
    ) -> list[DomainEvent]:
        data = cmd.model_dump(exclude={"document", "note"})
        for source, target in renames.items():
            data[target] = data.pop(source)
        return [decide(state, event, envelope, app.calendar, **data)]

    HANDLERS[command] = handler


_simple(c.EnrolInClass, ev.ClassEnrolled)
_simple(c.RecordCertificate, ev.CertificateRecorded)
_simple(c.SubmitApplication, ev.ApplicationSubmitted)
_simple(c.SubmitBiography, ev.BiographySubmitted)
_simple(c.CertifyBiography, ev.BiographyCertified)
_simple(c.RecordSubunitAppraisal, ev.SubunitAppraisalRecorded)
_simple(c.ExtendDeadline, ev.DecisionDeadlineExtended)
_simple(c.CompleteNewMemberClass, ev.NewMemberClassCompleted)
_simple(c.RecordDiscipline, ev.DisciplineRecorded)
_simple(c.RecordGrassrootsVote, ev.GrassrootsVoteHeld, committee_members="eligible")


@handles(c.RecordIntroducers)
def _introducers(
    app: Lookups, state: CandidacyState, cmd: c.RecordIntroducers, envelope: Envelope
) -> list[DomainEvent]:
    on = cmd.introduced_on or (cmd.document.dated if cmd.document else None)
    if on is None and cmd.youth_union_resolution is not None:
        on = cmd.youth_union_resolution.dated
    on = on or app.today()
    grassroots = app.grassroots_of(state.branch_id, on)
    introducers = []
    for ref in cmd.introducers:
        member = app.member(ref.member_id)
        theirs = app.grassroots_of(member.branch_id, on)
        introducers.append(
            Introducer(
                member_id=ref.member_id,
                known_since=ref.known_since,
                official_on=member.official_on_day(on),
                same_grassroots=grassroots is not None and theirs == grassroots,
            )
        )
    resolution = cmd.youth_union_resolution.number if cmd.youth_union_resolution else None
    return [
        decide(
            state,
            ev.IntroducersRecorded,
            envelope,
            app.calendar,
            introduced_on=on,
            introducers=tuple(introducers),
            youth_union_resolution=resolution,
        )
    ]


@handles(c.RecordVerification)
def _verification(
    app: Lookups, state: CandidacyState, cmd: c.RecordVerification, envelope: Envelope
) -> list[DomainEvent]:
    if cmd.requested_on is not None:
        return [
            decide(
                state,
                ev.VerificationRequested,
                envelope,
                app.calendar,
                subject=cmd.subject,
                requested_on=cmd.requested_on,
                field_check_needed=cmd.field_check_needed,
            )
        ]
    return [
        decide(
            state,
            ev.VerificationResultRecorded,
            envelope,
            app.calendar,
            subject=cmd.subject,
            result=cmd.result,
            recorded_on=cmd.recorded_on,
        )
    ]


def _roster_count(
    app: Lookups, state: CandidacyState, cmd: c.RecordBranchVote | c.RecordRecognitionVote
) -> dict[str, Any]:
    """The vote's count against the roster: the branch's official members on the vote's
    day (unless overridden), and the members it leaves out, each checked to be one of them."""
    excluded = tuple(
        ExcludedMember(member_id=x.member_id, reason=x.reason) for x in cmd.excluded_members
    )
    counted: dict[str, Any] = {
        "eligible": cmd.eligible_official_members,
        "in_favour": cmd.in_favour,
        "excluded_members": excluded,
    }
    officials = set(app.roster.official_members(state.branch_id, cmd.held_on))
    counted["roster_official_members"] = len(officials)  # recorded beside an override too
    if cmd.roster_override is not None:
        counted["roster_override"] = RosterOverride(
            reason=cmd.roster_override.reason, document=cmd.roster_override.document
        )
        return counted
    strangers = [str(x.member_id) for x in excluded if x.member_id not in officials]
    if strangers:
        raise DomainError(
            f"excluded members {', '.join(strangers)} are not official members of the branch "
            f"on {cmd.held_on.isoformat()}",
            rule="excluded_not_official",
        )
    return counted


@handles(c.RecordBranchVote)
def _branch_vote(
    app: Lookups, state: CandidacyState, cmd: c.RecordBranchVote, envelope: Envelope
) -> list[DomainEvent]:
    branch = app.organisation(state.branch_id)
    return [
        decide(
            state,
            ev.BranchVoteHeld,
            envelope,
            app.calendar,
            held_on=cmd.held_on,
            grassroots_branch=branch.kind == OrganisationKind.GRASSROOTS_BRANCH,
            age_consent_reference=cmd.age_consent_reference,
            education_exception_reference=cmd.education_exception_reference,
            **_roster_count(app, state, cmd),
        )
    ]


def _competence(app: Lookups, branch_id: UUID, body_id: UUID, on: date) -> dict[str, Any]:
    body = app.organisation(body_id)
    path = [o.id for o in app.path_on(branch_id, on)]
    return {
        "deciding_body_id": body_id,
        "deciding_body_kind": body.kind.value,
        "body_above_branch": body_id in path[:-1] and body.exists_on(on),
    }


@handles(c.DecideAdmission)
def _admission(
    app: Lookups, state: CandidacyState, cmd: c.DecideAdmission, envelope: Envelope
) -> list[DomainEvent]:
    event = decide(
        state,
        ev.AdmissionDecided,
        envelope,
        app.calendar,
        decided_on=cmd.decided_on,
        decision=cmd.decision,
        received_on=cmd.received_on,
        member_id=member_id_for(state.id) if cmd.decision == "admit" else None,
        **_competence(app, state.branch_id, cmd.deciding_body_id, cmd.decided_on),
    )
    events: list[DomainEvent] = [event]
    if cmd.decision == "admit":
        p = state.person
        events.append(
            MemberRegistered(
                originator_id=member_id_for(state.id),
                originator_version=1,
                **MemberRegistered.envelope_fields(envelope),
                full_name=p.full_name,
                branch_id=state.branch_id,
                status="probationary",
                admitted_on=cmd.decided_on,
                sex=p.sex,
                date_of_birth=p.date_of_birth,
                ethnicity=p.ethnicity,
                religion=p.religion,
                candidacy_id=state.id,
                readmitted=state.readmission is not None,
                national_id=p.national_id,
            )
        )
        if state.readmission is not None:  # the earlier membership cannot lead to another
            previous = app.member(state.readmission.previous_member_id)
            events.append(
                next_event(
                    previous,
                    MemberReadmitted,
                    envelope,
                    readmitted_on=cmd.decided_on,
                    readmitted_as=member_id_for(state.id),
                )
            )
    return events


@handles(c.HoldCeremony)
def _ceremony(
    app: Lookups, state: CandidacyState, cmd: c.HoldCeremony, envelope: Envelope
) -> list[DomainEvent]:
    return [
        decide(
            state,
            ev.CeremonyHeld,
            envelope,
            app.calendar,
            held_on=cmd.held_on,
            approval_reference=cmd.approval_reference,
        )
    ]


@handles(c.AssignHelper)
def _helper(
    app: Lookups, state: CandidacyState, cmd: c.AssignHelper, envelope: Envelope
) -> list[DomainEvent]:
    member = app.member(cmd.member_id)
    return [
        decide(
            state,
            ev.HelperAssigned,
            envelope,
            app.calendar,
            assigned_on=cmd.assigned_on,
            member_id=cmd.member_id,
            official_on=member.official_on_day(cmd.assigned_on),
        )
    ]


@handles(c.RecordRecognitionVote)
def _recognition_vote(
    app: Lookups, state: CandidacyState, cmd: c.RecordRecognitionVote, envelope: Envelope
) -> list[DomainEvent]:
    return [
        decide(
            state,
            ev.RecognitionVoteHeld,
            envelope,
            app.calendar,
            held_on=cmd.held_on,
            proposal=cmd.proposal,
            **_roster_count(app, state, cmd),
        )
    ]


@handles(c.DecideRecognition)
def _recognition(
    app: Lookups, state: CandidacyState, cmd: c.DecideRecognition, envelope: Envelope
) -> list[DomainEvent]:
    event = decide(
        state,
        ev.RecognitionDecided,
        envelope,
        app.calendar,
        decided_on=cmd.decided_on,
        decision=cmd.decision,
        **_competence(app, state.branch_id, cmd.deciding_body_id, cmd.decided_on),
    )
    member = app.member(member_id_for(state.id))
    follow: DomainEvent
    if cmd.decision == "recognise":
        assert state.probation_ends_on is not None
        follow = next_event(member, MemberRecognised, envelope, official_on=state.probation_ends_on)
    else:
        follow = next_event(
            member, MemberLeft, envelope, left_on=cmd.decided_on, reason="removed_from_probation"
        )
    return [event, follow]


@handles(c.TransferCandidacy)
def _transfer(
    app: Lookups, state: CandidacyState, cmd: c.TransferCandidacy, envelope: Envelope
) -> list[DomainEvent]:
    target = app.organisation(cmd.to_branch_id)
    if not target.kind.is_branch or not target.exists_on(cmd.effective_on):
        raise DomainError(
            f"{target.code} is not a branch in existence on {cmd.effective_on.isoformat()}",
            rule="invalid_branch",
        )
    event = decide(
        state,
        ev.Transferred,
        envelope,
        app.calendar,
        transferred_on=cmd.effective_on,
        from_branch_id=state.branch_id,
        to_branch_id=cmd.to_branch_id,
    )
    events: list[DomainEvent] = [event]
    if state.decided_on is not None:  # already on the roster as probationary
        member = app.member(member_id_for(state.id))
        events.append(
            next_event(
                member,
                MemberTransferred,
                envelope,
                branch_id=cmd.to_branch_id,
                transferred_on=cmd.effective_on,
            )
        )
    return events


@handles(c.Withdraw)
def _withdrawal(
    app: Lookups, state: CandidacyState, cmd: c.Withdraw, envelope: Envelope
) -> list[DomainEvent]:
    event = decide(
        state,
        ev.Withdrawn,
        envelope,
        app.calendar,
        withdrawn_on=cmd.effective_on,
        reason=cmd.reason,
    )
    events: list[DomainEvent] = [event]
    if state.party_age_from is not None:  # admitted: the probationary member leaves the roster
        member = app.member(member_id_for(state.id))
        events.append(
            next_event(member, MemberLeft, envelope, left_on=cmd.effective_on, reason="withdrew")
        )
    return events


def _recounted(app: Lookups, state: CandidacyState, cmd: c.CorrectRecord) -> dict[str, Any]:
    """A vote counted against the roster whose date is restated is counted again on the
    new day: the roster's figure then, and its exclusions still official members then."""
    if not 1 <= cmd.position <= len(state.history) or "held_on" not in cmd.changes:
        return {}
    target = state.history[cmd.position - 1]
    if getattr(target, "roster_official_members", None) is None:
        return {}  # not a vote, or one recorded before ADR 0012 (no roster read then)
    try:
        day = date.fromisoformat(str(cmd.changes["held_on"]))
    except ValueError:
        return {}  # not a date: the restated event's validation refuses it
    officials = set(app.roster.official_members(branch_on(state, day), day))
    excluded: tuple[ExcludedMember, ...] = getattr(target, "excluded_members", ())
    strangers = [str(x.member_id) for x in excluded if x.member_id not in officials]
    if strangers:
        raise DomainError(
            f"excluded members {', '.join(strangers)} are not official members of the branch "
            f"on {day.isoformat()}",
            rule="excluded_not_official",
        )
    return {"roster_official_members": len(officials)}


@handles(c.CorrectRecord)
def _correction(
    app: Lookups, state: CandidacyState, cmd: c.CorrectRecord, envelope: Envelope
) -> list[DomainEvent]:
    corrected_on = cmd.corrected_on or app.today()
    event = correct(
        state,
        envelope,
        app.calendar,
        corrected_on=corrected_on,
        position=cmd.position,
        changes=cmd.changes,
        reason=cmd.reason,
        refreshed=_recounted(app, state, cmd),
    )
    events: list[DomainEvent] = [event]
    after = event.mutate(state)
    if state.party_age_from is None or after.decided_on is None:
        return events
    # The roster follows a correction that moves the admission or official date.
    member = app.member(member_id_for(state.id))
    official_on = after.official_on if member.official_on is not None else None
    if member.admitted_on != after.decided_on or member.official_on != official_on:
        events.append(
            next_event(
                member,
                MemberRecordRestated,
                envelope,
                restated_on=corrected_on,
                admitted_on=after.decided_on,
                official_on=official_on,
            )
        )
    return events
