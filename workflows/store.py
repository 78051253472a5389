"""The store every write goes through: one eventsourcing Application holding candidacies,
organisations, the roster, quotas, tokens and idempotency records, so a command and its
follow-ups land in one transaction. ``Store`` reads aggregates (cached, fast-forwarded),
saves events, and answers a retry from its idempotency record; the writes themselves live
in their own modules (organisations, members, quotas, tokens, and the candidacy commands of
``workflows.application``).

Persistence is chosen by environment only (``PERSISTENCE_MODULE`` and friends, built from
``KETNAP_DATABASE_URL`` by the composition root).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar, overload
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError

from domain.calendar import WorkingCalendar
from domain.candidacy.events import state_as_of
from domain.candidacy.state import CandidacyState
from domain.errors import DomainError, NotFound
from domain.events import (
    AggregateState,
    ChainedState,
    DomainEvent,
    Envelope,
    next_event,
    recorded_day,
)
from domain.idempotency import (
    CommandAccepted,
    IdempotencyState,
    idempotency_id,
    request_fingerprint,
)
from domain.member import MemberState
from domain.organisation import (
    OrganisationKind,
    OrganisationState,
)
from domain.quota import QuotaState, quota_id
from domain.values import Period
from workflows import commands as c
from workflows.context import Actor, Clock
from workflows.existing import latest_versions
from workflows.postgres import StoreUnavailable, WriteOutcomeUnknown
from workflows.roster import RosterIndex

S = TypeVar("S", bound=AggregateState)
# How long a write whose outcome the store did not report is retried through its key.
UNKNOWN_WRITE_SECONDS = 3.0


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


class Store(Application[UUID]):
    """Reading, saving and idempotency, shared by every write of ``Admissions``."""

    clock: Clock
    calendar: WorkingCalendar
    roster: RosterIndex

    # --- context -------------------------------------------------------------------

    def today(self) -> date:
        """The current day in Vietnam, from the injected clock."""
        return recorded_day(self.clock())

    def _envelope(self, actor: Actor, command: c.Command) -> Envelope:
        return Envelope(
            recorded_at=self.clock(),
            actor=actor.actor,
            role=actor.role,
            unit_id=actor.unit_id,
            request_id=actor.request_id,
            document=command.document,
            note=command.note,
        )

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

    def candidacies(self, ids: Sequence[UUID]) -> list[CandidacyState]:
        """The candidacies ``ids``, current, in that order: one query for their newest
        versions, and a read only of those the state cache does not hold at that version
        (a list or a search of a subtree, without a fast-forward query per candidacy)."""
        latest = latest_versions(self.recorder, ids)
        cache = self.repository.cache
        found: list[CandidacyState] = []
        for candidacy_id in ids:
            cached: object = None
            if cache is not None:
                try:
                    cached = cache.get(candidacy_id)
                except KeyError:
                    cached = None
            if isinstance(cached, CandidacyState) and cached.version == latest.get(candidacy_id):
                found.append(cached)
            else:
                found.append(self.candidacy(candidacy_id))
        return found

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
            raise DomainError(
                f"{unit.code} is a {unit.kind.value}, not a branch", rule="invalid_branch"
            )
        return unit

    # --- saving ----------------------------------------------------------------------

    def _save(self, *events: DomainEvent) -> int | None:
        try:
            recordings = self.save(*events)
        except IntegrityError as exc:
            raise ConcurrentWrite(
                "another command was recorded on this record first; reload and retry"
            ) from exc
        return recordings[-1].notification.id if recordings else None

    def _next(
        self, state: ChainedState, event_class: type[DomainEvent], envelope: Envelope, **data: Any
    ) -> DomainEvent:
        return next_event(state, event_class, envelope, **data)

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
        name, where = command.command_name(), str(target) if target else "-"
        prior = self._replayed(name, where, command, actor, key, kind)
        if prior is not None:
            return prior
        events = build()
        aggregate_id = events[0].originator_id
        return self._record_with_key(
            aggregate_id, events, name, where, command, actor, key, kind=kind
        )

    # Whose keys these are: the actor's (an API client's Idempotency-Key), or, when set, one
    # owner for every actor (an import's row keys: the same file imported by another token
    # records nothing new either).
    key_owner: str | None = None

    def _record_id(self, actor: Actor, key: str) -> UUID:
        return idempotency_id(self.key_owner or actor.actor, key)

    @overload
    def _replayed(
        self, name: str, target: str, command: c.Command, actor: Actor, key: str | None
    ) -> CandidacyState | None: ...

    @overload
    def _replayed(
        self,
        name: str,
        target: str,
        command: c.Command,
        actor: Actor,
        key: str | None,
        kind: type[S],
    ) -> S | None: ...

    def _replayed(
        self,
        name: str,
        target: str,
        command: c.Command,
        actor: Actor,
        key: str | None,
        kind: type[AggregateState] = CandidacyState,
    ) -> AggregateState | None:
        """The first response to an earlier identical request under ``key``, if any (the
        ``kind`` of state it produced, a candidacy unless told)."""
        if key is None:
            return None
        try:
            record = self._get(self._record_id(actor, key), IdempotencyState, "record")
        except NotFound:
            return None
        fingerprint = request_fingerprint(name, target, command.fingerprint_body())
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key '{key}' was already used for a different request"
            )
        return self._written(record.aggregate_id, record.aggregate_version, kind)

    def _resolve_unknown_write(
        self,
        to_save: list[DomainEvent],
        name: str,
        target: str,
        command: c.Command,
        actor: Actor,
        key: str,
        kind: type[S],
    ) -> S | None:
        """A write under ``key`` whose outcome the store did not report: its idempotency
        record says whether it was recorded (answer with that: ``S``); if not, record it
        now (None: saved). Retried while the store comes back, for a few seconds; then
        ``WriteOutcomeUnknown`` again, and the caller repeats the request with its key."""
        deadline = time.monotonic() + UNKNOWN_WRITE_SECONDS
        while True:
            try:
                prior = self._replayed(name, target, command, actor, key, kind)
                if prior is not None:
                    return prior
                self._save(*to_save)
                return None
            except ConcurrentWrite:
                prior = self._replayed(name, target, command, actor, key, kind)
                if prior is not None:
                    return prior
                raise
            except (OperationalError, InterfaceError, StoreUnavailable) as exc:
                if time.monotonic() >= deadline:
                    msg = (
                        "the event store stopped answering while the command was recorded; "
                        "it may have been: repeat the request with the same Idempotency-Key"
                    )
                    raise WriteOutcomeUnknown(msg) from exc
                time.sleep(0.2)

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
                    originator_id=self._record_id(actor, key),
                    originator_version=1,
                    timestamp=head.timestamp,
                    actor=actor.actor,
                    role=actor.role,
                    unit_id=actor.unit_id,
                    request_id=actor.request_id,
                    key=key,
                    fingerprint=request_fingerprint(name, target, command.fingerprint_body()),
                    aggregate_id=aggregate_id,
                    aggregate_version=head.originator_version,
                )
            )
        try:
            self._save(*to_save)
        except ConcurrentWrite:
            if key is not None:
                prior = self._replayed(name, target, command, actor, key, kind)
                if prior is not None:
                    return prior
            raise
        except WriteOutcomeUnknown:
            if key is None:
                raise  # nothing can tell whether it was recorded: the caller must look
            prior = self._resolve_unknown_write(to_save, name, target, command, actor, key, kind)
            if prior is not None:
                return prior
        if after is not None:
            self._remember(after)
            return after
        return self._written(aggregate_id, head.originator_version, kind)

    def _written(self, aggregate_id: UUID, version: int, kind: type[S]) -> S:
        """The state an aggregate has at ``version``, just written."""
        state = self.repository.get(aggregate_id, version=version, projector_func=fold)
        assert isinstance(state, kind)
        return state
