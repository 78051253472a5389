"""The admissions application: one eventsourcing Application holding candidacies,
organisations, the roster, quotas and idempotency records in one store, so a command and
its follow-ups land in one transaction.

Persistence is chosen by environment only (``PERSISTENCE_MODULE`` and friends, built from
``KETNAP_DATABASE_URL`` by the composition root).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar, overload
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.access import Role, TokenIssued, TokenRevoked, TokenState, token_digest, token_id
from domain.calendar import WorkingCalendar
from domain.candidacy.decide import nominate
from domain.candidacy.events import state_as_of
from domain.candidacy.state import CandidacyState, Readmission
from domain.errors import DomainError, NotFound
from domain.events import AggregateState, ChainedState, DomainEvent, Envelope, recorded_day
from domain.idempotency import (
    CommandAccepted,
    IdempotencyState,
    idempotency_id,
    request_fingerprint,
)
from domain.member import MemberRegistered, MemberState
from domain.organisation import (
    OrganisationDissolved,
    OrganisationFounded,
    OrganisationKind,
    OrganisationMerged,
    OrganisationMoved,
    OrganisationRenamed,
    OrganisationState,
    ResidentialAreaAssigned,
    check_parent,
)
from domain.quota import QuotaSet, QuotaState, quota_id
from domain.values import Period
from workflows import commands as c
from workflows.candidacy_commands import CandidacyCommands
from workflows.context import Actor, Clock
from workflows.handlers import HANDLERS
from workflows.roster import RosterIndex

S = TypeVar("S", bound=AggregateState)


class VersionMismatch(DomainError):
    """``If-Match`` named another version than the candidacy's current one (HTTP 412)."""

    rule = "version_mismatch"


class ConcurrentWrite(DomainError):
    """Another writer recorded on the same aggregate first; nothing was merged (HTTP 409)."""

    rule = "concurrent_write"


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used before with a different request (HTTP 422)."""

    rule = "idempotency_key_reused"


def fold(state: Any, events: Iterable[Any]) -> Any:
    """Fold stored events into an aggregate state (the library's projector, without its
    per-event runtime protocol check, which costs more than the fold itself)."""
    for event in events:
        state = event.mutate(state)
    return state


class Admissions(CandidacyCommands, Application[UUID]):
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

    # --- context -------------------------------------------------------------------

    def today(self) -> date:
        """The current day in Vietnam, from the injected clock."""
        return recorded_day(self.clock())

    def _envelope(self, actor: Actor, command: c.Command) -> Envelope:
        return Envelope(
            recorded_at=self.clock(), actor=actor.actor, role=actor.role, unit_id=actor.unit_id,
            request_id=actor.request_id, document=command.document, note=command.note,
        )  # fmt: skip

    # --- reading aggregates ----------------------------------------------------------

    def _get(self, aggregate_id: UUID, kind: type[S], label: str) -> S:
        try:
            state: AggregateState = self.repository.get(aggregate_id, projector_func=fold)
        except AggregateNotFoundError:
            raise NotFound(f"unknown {label} {aggregate_id}") from None
        # The library fast-forwards a cached state but does not keep the result: keep it,
        # so the next load reads only what is newer still.
        self._remember(state)
        if not isinstance(state, kind):
            raise NotFound(f"{aggregate_id} is not a {label}")
        return state

    def _remember(self, state: AggregateState) -> None:
        cache = self.repository.cache
        if cache is not None:
            cache.put(state.id, state)

    def candidacy(self, candidacy_id: UUID) -> CandidacyState:
        return self._get(candidacy_id, CandidacyState, "candidacy")

    def candidacy_as_of(
        self, candidacy_id: UUID, as_of: date | None = None, known_at: datetime | None = None
    ) -> CandidacyState:
        """The candidacy at the end of day ``as_of`` from what was recorded by ``known_at``."""
        current = self.candidacy(candidacy_id)
        state = state_as_of(current.history, as_of, known_at)
        if state is None:
            raise NotFound(f"candidacy {candidacy_id} did not exist yet at that time")
        return state

    def member(self, member_id: UUID) -> MemberState:
        return self._get(member_id, MemberState, "member")

    def organisation(self, organisation_id: UUID) -> OrganisationState:
        return self._get(organisation_id, OrganisationState, "organisation")

    def quota(self, organisation_id: UUID, period: Period) -> QuotaState | None:
        try:
            return self._get(quota_id(organisation_id, period.key), QuotaState, "quota")
        except NotFound:
            return None

    def path_on(self, organisation_id: UUID, day: date) -> list[OrganisationState]:
        """The units from the root down to ``organisation_id`` as the tree stood on ``day``."""
        path: list[OrganisationState] = []
        current: UUID | None = organisation_id
        while current is not None:
            unit = self.organisation(current)
            path.append(unit)
            if len(path) > 32:
                raise DomainError("the organisation tree has a cycle", rule="invalid_parent")
            current = unit.parent_on(day)
        return list(reversed(path))

    def grassroots_of(self, branch_id: UUID, day: date) -> UUID | None:
        """The grassroots organisation a branch sits under on ``day`` (itself when it is a
        grassroots branch)."""
        for unit in reversed(self.path_on(branch_id, day)):
            if unit.kind in (
                OrganisationKind.GRASSROOTS_COMMITTEE,
                OrganisationKind.GRASSROOTS_BRANCH,
                OrganisationKind.COMMUNE,  # branches directly under a commune committee
            ):
                return unit.id
        return None

    # --- saving ----------------------------------------------------------------------

    def _save(self, *events: DomainEvent) -> int | None:
        try:
            recordings = self.save(*events)
        except IntegrityError as exc:
            raise ConcurrentWrite(
                "another command was recorded on this record first; reload and retry"
            ) from exc
        return recordings[-1].notification.id if recordings else None

    def _next(self, state: ChainedState, event_class: type[DomainEvent], envelope: Envelope,
              **data: Any) -> DomainEvent:  # fmt: skip
        return event_class(
            originator_id=state.id, originator_version=state.version + 1,
            prev_hash=state.last_hash, **event_class.envelope_fields(envelope), **data,
        )  # fmt: skip

    # --- organisations -----------------------------------------------------------------
    # Every write takes an optional ``idempotency_key`` (see ``_write``).

    def found_organisation(
        self, command: c.FoundOrganisation, actor: Actor, *, idempotency_key: str | None = None
    ) -> OrganisationState:
        def build() -> list[DomainEvent]:
            parent = self.organisation(command.parent_id) if command.parent_id else None
            check_parent(command.kind, parent, command.effective_on)
            return [OrganisationFounded(
                originator_id=command.id or uuid4(), originator_version=1,
                **OrganisationFounded.envelope_fields(self._envelope(actor, command)),
                code=command.code, name=command.name, kind=command.kind,
                parent_id=command.parent_id, founded_on=command.effective_on,
            )]  # fmt: skip

        return self._write(OrganisationState, None, command, actor, idempotency_key, build)

    def rename_organisation(self, organisation_id: UUID, command: c.RenameOrganisation,
                            actor: Actor, *, idempotency_key: str | None = None,
                            ) -> OrganisationState:  # fmt: skip
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            return [self._next(unit, OrganisationRenamed, self._envelope(actor, command),
                               name=command.name, renamed_on=command.effective_on)]  # fmt: skip

        return self._write(OrganisationState, organisation_id, command, actor, idempotency_key,
                           build)  # fmt: skip

    def move_organisation(self, organisation_id: UUID, command: c.MoveOrganisation,
                          actor: Actor, *, idempotency_key: str | None = None,
                          ) -> OrganisationState:  # fmt: skip
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            parent = self.organisation(command.new_parent_id)
            check_parent(unit.kind, parent, command.effective_on)
            if organisation_id in [u.id for u in self.path_on(parent.id, command.effective_on)]:
                raise DomainError("a unit cannot move under itself", rule="invalid_parent")
            return [self._next(unit, OrganisationMoved, self._envelope(actor, command),
                               new_parent_id=command.new_parent_id,
                               moved_on=command.effective_on)]  # fmt: skip

        return self._write(OrganisationState, organisation_id, command, actor, idempotency_key,
                           build)  # fmt: skip

    def merge_organisation(self, organisation_id: UUID, command: c.MergeOrganisation,
                           actor: Actor, *, idempotency_key: str | None = None,
                           ) -> OrganisationState:  # fmt: skip
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            into = self._existing_unit(command.into_id, command.effective_on)
            if into.id == unit.id or into.kind.level != unit.kind.level:
                raise DomainError(
                    f"a {unit.kind.value} merges into another unit of its level, not a "
                    f"{into.kind.value}",
                    rule="invalid_merge",
                )
            return [self._next(unit, OrganisationMerged, self._envelope(actor, command),
                               into_id=command.into_id,
                               merged_on=command.effective_on)]  # fmt: skip

        return self._write(OrganisationState, organisation_id, command, actor, idempotency_key,
                           build)  # fmt: skip

    def dissolve_organisation(self, organisation_id: UUID, command: c.DissolveOrganisation,
                              actor: Actor, *, idempotency_key: str | None = None,
                              ) -> OrganisationState:  # fmt: skip
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            return [self._next(unit, OrganisationDissolved, self._envelope(actor, command),
                               dissolved_on=command.effective_on)]  # fmt: skip

        return self._write(OrganisationState, organisation_id, command, actor, idempotency_key,
                           build)  # fmt: skip

    def assign_area(self, organisation_id: UUID, command: c.AssignResidentialArea,
                    actor: Actor, *, idempotency_key: str | None = None,
                    ) -> OrganisationState:  # fmt: skip
        def build() -> list[DomainEvent]:
            unit = self._existing_unit(organisation_id, command.effective_on)
            if not unit.kind.is_branch:
                raise DomainError("residential areas belong to branches", rule="invalid_branch")
            return [self._next(unit, ResidentialAreaAssigned, self._envelope(actor, command),
                               area_code=command.code, area_name=command.name,
                               area_kind=command.kind,
                               assigned_on=command.effective_on)]  # fmt: skip

        return self._write(OrganisationState, organisation_id, command, actor, idempotency_key,
                           build)  # fmt: skip

    def _existing_unit(self, organisation_id: UUID, day: date) -> OrganisationState:
        unit = self.organisation(organisation_id)
        if not unit.exists_on(day):
            raise DomainError(
                f"{unit.code} does not exist on {day.isoformat()}", rule="unit_not_in_force"
            )
        return unit

    def _branch(self, branch_id: UUID, day: date) -> OrganisationState:
        unit = self._existing_unit(branch_id, day)
        if not unit.kind.is_branch:
            raise DomainError(f"{unit.code} is a {unit.kind.value}, not a branch",
                              rule="invalid_branch")  # fmt: skip
        return unit

    # --- roster and quotas -----------------------------------------------------------

    def register_member(
        self, command: c.RegisterMember, actor: Actor, *, idempotency_key: str | None = None
    ) -> MemberState:
        def build() -> list[DomainEvent]:
            # The roster gives the member's current branch; admission may predate the branch.
            branch = self.organisation(command.branch_id)
            if not branch.kind.is_branch:
                raise DomainError(f"{branch.code} is not a branch", rule="invalid_branch")
            data = command.model_dump(exclude={"document", "note", "id"})
            return [MemberRegistered(
                originator_id=command.id or uuid4(), originator_version=1,
                **MemberRegistered.envelope_fields(self._envelope(actor, command)), **data,
            )]  # fmt: skip

        return self._write(MemberState, None, command, actor, idempotency_key, build)

    def set_quota(
        self, organisation_id: UUID, period: Period, command: c.SetQuota, actor: Actor
    ) -> QuotaState:
        self.organisation(organisation_id)
        envelope = self._envelope(actor, command)
        current = self.quota(organisation_id, period)
        data: dict[str, Any] = {
            "organisation_id": organisation_id, "period": period.key,
            "target": command.target, "sub_targets": command.sub_targets, "set_on": self.today(),
        }  # fmt: skip
        if current is None:
            event: DomainEvent = QuotaSet(
                originator_id=quota_id(organisation_id, period.key), originator_version=1,
                **QuotaSet.envelope_fields(envelope), **data,
            )  # fmt: skip
        else:
            event = self._next(current, QuotaSet, envelope, **data)
        self._save(event)
        state = self.quota(organisation_id, period)
        assert state is not None
        return state

    # --- API tokens -----------------------------------------------------------------

    def issue_token(
        self, role: Role, organisation_id: UUID | None, label: str, actor: Actor
    ) -> tuple[str, TokenState]:
        """Issue a token; returns the secret (shown once, stored only as a hash)."""
        if organisation_id is not None:
            self.organisation(organisation_id)
        elif role is not Role.ADMIN:
            raise DomainError("only an admin token may cover every organisation",
                              rule="organisation_required")  # fmt: skip
        secret = "ktn_" + secrets.token_urlsafe(32)
        event = TokenIssued(
            originator_id=token_id(secret), originator_version=1, timestamp=self.clock(),
            actor=actor.actor, role=actor.role, unit_id=actor.unit_id,
            request_id=actor.request_id, digest=token_digest(secret), role_granted=role,
            organisation_id=organisation_id, label=label, issued_on=self.today(),
        )  # fmt: skip
        self._save(event)
        state = self._get(event.originator_id, TokenState, "token")
        return secret, state

    def revoke_token(self, token: UUID, actor: Actor) -> TokenState:
        """Revoke a token by its id (shown when it was issued); it stops working at once."""
        state = self._get(token, TokenState, "token")
        if state.revoked_on is not None:
            raise DomainError(f"token {token} was revoked on {state.revoked_on.isoformat()}",
                              rule="token_revoked")  # fmt: skip
        event = TokenRevoked(
            originator_id=state.id, originator_version=state.version + 1,
            prev_hash=state.last_hash, timestamp=self.clock(), actor=actor.actor,
            role=actor.role, unit_id=actor.unit_id, request_id=actor.request_id,
            revoked_on=self.today(),
        )  # fmt: skip
        self._save(event)
        revoked: TokenState = event.mutate(state)
        self._remember(revoked)
        return revoked

    def token_for(self, secret: str) -> TokenState | None:
        """The live token with this secret, or None."""
        try:
            state = self._get(token_id(secret), TokenState, "token")
        except NotFound:
            return None
        if state.revoked_on is not None or state.digest != token_digest(secret):
            return None
        return state

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
        if command.readmission is not None:
            data.update(self._readmission(command.readmission))
        event = nominate(
            command.id or uuid4(), self._envelope(actor, command), self.calendar, **data
        )
        return self._record_with_key(
            event.originator_id, [event], "nominate", "-", command, actor, idempotency_key,
            kind=CandidacyState, after=event.mutate(None),
        )  # fmt: skip

    def _readmission(self, facts: c.ReadmissionFacts) -> dict[str, Any]:
        member = self.member(facts.previous_member_id)
        left_on = facts.left_on or member.left_on
        left_reason = facts.left_reason or member.left_reason
        if left_on is None or left_reason is None:
            raise DomainError(
                "the earlier membership has no leaving date or reason on the roster; "
                "give left_on and left_reason",
                rule="readmission_not_allowed",
            )
        readmission = Readmission(
            previous_member_id=member.id, first_admitted_on=facts.first_admitted_on
            or member.admitted_on, left_on=left_on, left_reason=left_reason,
            consent_reference=facts.consent_reference, record_cleared_on=facts.record_cleared_on,
        )  # fmt: skip
        return {"readmission": readmission, "previously_readmitted": member.readmitted}

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
        name = type(command).__name__
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
            candidacy_id, events, name, str(candidacy_id), command, actor, idempotency_key,
            kind=CandidacyState, after=after,
        )  # fmt: skip

    # --- idempotency ---------------------------------------------------------------------

    def _write(
        self,
        kind: type[S],
        target: UUID | None,
        command: c.Command,
        actor: Actor,
        key: str | None,
        build: Callable[[], list[DomainEvent]],
    ) -> S:
        """Answer a retry under ``key`` from its record, else build the events (raising if a
        rule refuses), save them with the key's record in one transaction, and return the
        state of the first event's aggregate."""
        name, where = type(command).__name__, str(target) if target else "-"
        prior = self._replayed(name, where, command, actor, key, kind)
        if prior is not None:
            return prior
        events = build()
        aggregate_id = events[0].originator_id
        return self._record_with_key(aggregate_id, events, name, where, command, actor, key,
                                     kind=kind)  # fmt: skip

    @overload
    def _replayed(
        self, name: str, target: str, command: c.Command, actor: Actor, key: str | None
    ) -> CandidacyState | None: ...

    @overload
    def _replayed(
        self, name: str, target: str, command: c.Command, actor: Actor, key: str | None,
        kind: type[S],
    ) -> S | None: ...  # fmt: skip

    def _replayed(
        self, name: str, target: str, command: c.Command, actor: Actor, key: str | None,
        kind: type[AggregateState] = CandidacyState,
    ) -> AggregateState | None:  # fmt: skip
        """The first response to an earlier identical request under ``key``, if any (the
        ``kind`` of state it produced, a candidacy unless told)."""
        if key is None:
            return None
        try:
            record = self._get(idempotency_id(actor.actor, key), IdempotencyState, "record")
        except NotFound:
            return None
        fingerprint = request_fingerprint(name, target, command.model_dump(mode="json"))
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key '{key}' was already used for a different request"
            )
        state: AggregateState = self.repository.get(
            record.aggregate_id, version=record.aggregate_version, projector_func=fold
        )
        assert isinstance(state, kind)
        return state

    def _record_with_key(
        self,
        aggregate_id: UUID,
        events: list[DomainEvent],
        name: str,
        target: str,
        command: c.Command,
        actor: Actor,
        key: str | None,
        *,
        kind: type[S],
        after: S | None = None,
    ) -> S:
        """Save ``events`` with the key's record in one transaction; answer with the state
        they produced (``after``, or read back at the written version). A retry that lost
        the race to its own first attempt answers with that attempt's response."""
        head = max(
            (e for e in events if e.originator_id == aggregate_id),
            key=lambda e: e.originator_version,
        )
        to_save = list(events)
        if key is not None:
            to_save.append(
                CommandAccepted(
                    originator_id=idempotency_id(actor.actor, key), originator_version=1,
                    timestamp=head.timestamp, actor=actor.actor, role=actor.role,
                    unit_id=actor.unit_id, request_id=actor.request_id, key=key,
                    fingerprint=request_fingerprint(name, target, command.model_dump(mode="json")),
                    aggregate_id=aggregate_id, aggregate_version=head.originator_version,
                )
            )  # fmt: skip
        try:
            self._save(*to_save)
        except ConcurrentWrite:
            if key is not None:
                prior = self._replayed(name, target, command, actor, key, kind)
                if prior is not None:
                    return prior
            raise
        if after is not None:
            self._remember(after)
            return after
        state = self.repository.get(
            aggregate_id, version=head.originator_version, projector_func=fold
        )
        assert isinstance(state, kind)
        return state
