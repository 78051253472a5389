"""The admissions application: ``Admissions`` composes the writes of the tree, the roster,
quotas and tokens with the candidacy commands (nomination, then one handler per command,
``workflows.handlers``), over one store (``workflows.store``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from domain.calendar import WorkingCalendar
from domain.candidacy.decide import nominate
from domain.candidacy.state import CandidacyState, Readmission
from domain.errors import DomainError
from domain.events import DomainEvent, Envelope, next_event
from domain.member import MemberLeft
from workflows import commands as c
from workflows.context import Actor, Clock
from workflows.handlers import HANDLERS
from workflows.members import MemberWrites
from workflows.organisations import OrganisationWrites
from workflows.quotas import QuotaWrites
from workflows.reminders import ReminderWrites
from workflows.roster import RosterIndex
from workflows.store import ConcurrentWrite as ConcurrentWrite
from workflows.store import IdempotencyKeyReused as IdempotencyKeyReused
from workflows.store import VersionMismatch as VersionMismatch
from workflows.store import fold as fold
from workflows.tokens import TokenWrites


class Admissions(OrganisationWrites, MemberWrites, QuotaWrites, TokenWrites, ReminderWrites):
    """Records every step of every candidacy, checked against the rules of its day."""

    name = "Ketnap"
    env = {  # noqa: RUF012 (the library's class-level default configuration)
        "MAPPER_TOPIC": "workflows.persistence:PydanticMapper",
        "TRANSCODER_TOPIC": "workflows.persistence:OrjsonTranscoder",
        # States are immutable, so the newest state of recently used aggregates is kept and
        # shared (no deep copy); a load reads only the events recorded since (fast-forward,
        # which keeps several writer processes correct). See docs/performance.md.
        "AGGREGATE_CACHE_MAXSIZE": "2000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Clock,
        calendar: WorkingCalendar,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.calendar = calendar
        self.roster = RosterIndex(self.recorder, self.mapper)

    # --- candidacies -----------------------------------------------------------------

    def nominate(
        self, command: c.Nominate, actor: Actor, *, idempotency_key: str | None = None
    ) -> CandidacyState:
        """Stage 1: open a candidacy in the source pool."""
        prior = self._replayed("nominate", "-", command, actor, idempotency_key)
        if prior is not None:
            return prior
        self._branch(command.branch_id, command.nominated_on)
        data: dict[str, Any] = command.model_dump(exclude={"document", "note", "id", "readmission"})
        data["person"] = command.person
        if command.helper_member_id is not None:
            helper = self.member(command.helper_member_id)
            data["helper_official_on"] = helper.official_on_day(command.nominated_on)
        envelope = self._envelope(actor, command)
        follow_ups: list[DomainEvent] = []
        if command.readmission is not None:
            facts, follow_ups = self._readmission(command.readmission, envelope)
            data.update(facts)
        event = nominate(command.id or uuid4(), envelope, self.calendar, **data)
        return self._record_with_key(
            event.originator_id,
            [event, *follow_ups],
            "nominate",
            "-",
            command,
            actor,
            idempotency_key,
            kind=CandidacyState,
            after=event.mutate(None),
        )

    def _readmission(
        self, facts: c.ReadmissionFacts, envelope: Envelope
    ) -> tuple[dict[str, Any], list[DomainEvent]]:
        """The earlier membership's facts, from the roster where it has them. When the
        roster does not yet know that the member left, the re-admission's ``left_on`` and
        ``left_reason`` are recorded on the roster with the nomination (the person is not
        counted twice: once as the old member, once as the new)."""
        member = self.member(facts.previous_member_id)
        if member.readmitted or member.readmitted_as is not None:
            raise DomainError(
                f"member {member.id} was already re-admitted once; re-admission happens once only",
                rule="readmission_not_allowed",
            )
        if member.left_on is not None and facts.left_on not in (None, member.left_on):
            raise DomainError(
                f"the roster records that the member left on {member.left_on.isoformat()}, "
                f"not on {facts.left_on.isoformat()}",
                rule="readmission_not_allowed",
            )
        left_on = member.left_on or facts.left_on
        left_reason = member.left_reason or facts.left_reason
        if left_on is None or left_reason is None:
            raise DomainError(
                "the earlier membership has no leaving date or reason on the roster; "
                "give left_on and left_reason",
                rule="readmission_not_allowed",
            )
        follow_ups: list[DomainEvent] = []
        if member.left_on is None:
            follow_ups.append(
                next_event(member, MemberLeft, envelope, left_on=left_on, reason=left_reason)
            )
        readmission = Readmission(
            previous_member_id=member.id,
            first_admitted_on=facts.first_admitted_on or member.admitted_on,
            left_on=left_on,
            left_reason=left_reason,
            consent_reference=facts.consent_reference,
            record_cleared_on=facts.record_cleared_on,
        )
        # Recorded for the audit (the domain's check refuses it too); refused above already.
        once = member.readmitted or member.readmitted_as is not None
        return {"readmission": readmission, "previously_readmitted": once}, follow_ups

    def execute(
        self,
        candidacy_id: UUID,
        command: c.Command,
        actor: Actor,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> CandidacyState:
        """Run one candidacy command: refuse it (raising, appending nothing) or record it."""
        name = command.command_name()
        prior = self._replayed(name, str(candidacy_id), command, actor, idempotency_key)
        if prior is not None:
            return prior
        state = self.candidacy(candidacy_id)
        if expected_version is not None and expected_version != state.version:
            raise VersionMismatch(
                f"the candidacy is at version {state.version}, not {expected_version}"
            )
        handler = HANDLERS[type(command)]
        events = handler(self, state, command, self._envelope(actor, command))
        after: CandidacyState = fold(state, [e for e in events if e.originator_id == candidacy_id])
        return self._record_with_key(
            candidacy_id,
            events,
            name,
            str(candidacy_id),
            command,
            actor,
            idempotency_key,
            kind=CandidacyState,
            after=after,
        )
