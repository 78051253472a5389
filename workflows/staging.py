"""Commands run in bulk: ``Staged`` runs the application's own commands (every rule of each
step's day) against the store as it stands plus what this run has staged so far, and
writes nothing until ``flush``, which saves everything staged in one transaction.

An import uses it twice over: a **dry run** stages every row and never flushes (nothing is
written, yet a row that names a unit founded three rows above is checked against it); a
**real import** flushes every batch of rows, so a batch is recorded whole or not at all and
a crash loses at most the batch in flight, which the next run records again (its rows'
idempotency records say which rows are done). ADR 0022.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.errors import NotFound
from domain.events import AggregateState, DomainEvent
from domain.idempotency import IdempotencyState
from domain.organisation import OrganisationState
from workflows.application import Admissions
from workflows.existing import existing_ids
from workflows.store import fold

S = TypeVar("S", bound=AggregateState)


class Staged(Admissions):
    """``base``'s commands over an overlay of staged events (build with ``over``)."""

    _base: Admissions
    _states: dict[UUID, AggregateState]
    _pending: list[DomainEvent]
    _read: dict[UUID, AggregateState]
    _absent: set[UUID]

    @classmethod
    def over(cls, base: Admissions, *, key_owner: str | None = None) -> Staged:
        """A staged view of ``base``: the same store, clock, calendar and roster index."""
        staged = cls.__new__(cls)
        staged.__dict__.update(base.__dict__)
        staged._base = base
        staged._states = {}
        staged._pending = []
        staged._read = {}
        staged._absent = set()
        staged.key_owner = key_owner
        return staged

    def close(self) -> None:
        """Nothing to close: the store, its pool and cache belong to the base application
        (the library's ``Application.__del__`` would otherwise close them when a staged
        run is collected)."""

    def __del__(self) -> None:
        pass

    # --- reads see what is staged --------------------------------------------------------

    def expect_new(self, ids: Collection[UUID]) -> None:
        """Of ``ids`` (records the next rows may create), note those not in the store, in
        one query (``workflows.existing``): reading one of them answers "not found" at once
        until it is staged."""
        self._absent = set(ids) - existing_ids(self.recorder, ids)

    def _get(self, aggregate_id: UUID, kind: type[S], label: str) -> S:
        state = self._states.get(aggregate_id) or self._read.get(aggregate_id)
        if state is None and aggregate_id in self._absent:
            raise NotFound(f"unknown {label} {aggregate_id}")
        if state is None:
            state = super()._get(aggregate_id, kind, label)
            if isinstance(state, OrganisationState):
                # Units are read again and again (every row names its branch): read once
                # per run. A unit changed by another writer during the run is seen at the
                # next run; an import writes no unit it did not stage itself.
                self._read[aggregate_id] = state
            return state
        if not isinstance(state, kind):
            raise NotFound(f"{aggregate_id} is not a {label}")
        return state

    def _remember(self, state: AggregateState) -> None:
        if state.id in self._states:
            self._states[state.id] = state  # staged: not in the shared cache until written
        else:
            super()._remember(state)

    def _written(self, aggregate_id: UUID, version: int, kind: type[S]) -> S:
        state = self._states.get(aggregate_id)
        if state is None:
            return super()._written(aggregate_id, version, kind)
        assert isinstance(state, kind) and state.version == version
        return state

    # --- writes are staged ---------------------------------------------------------------

    def _save(self, *events: DomainEvent) -> int | None:
        by_aggregate: dict[UUID, list[DomainEvent]] = {}
        for event in events:
            by_aggregate.setdefault(event.originator_id, []).append(event)
        for aggregate_id, its in by_aggregate.items():
            new = its[0].originator_version == 1 and aggregate_id not in self._states
            current = None if new else self._current(aggregate_id)
            self._states[aggregate_id] = fold(current, its)
        self._pending.extend(events)
        return None

    def _current(self, aggregate_id: UUID) -> Any:
        if aggregate_id in self._states:
            return self._states[aggregate_id]
        if aggregate_id in self._absent:
            return None
        try:
            return self._base.repository.get(aggregate_id, projector_func=fold)
        except AggregateNotFoundError:
            return None  # a new aggregate

    @property
    def pending(self) -> int:
        """Events staged and not yet written."""
        return len(self._pending)

    def flush(self) -> int:
        """Save everything staged in one transaction (raising as ``Admissions`` saves do,
        leaving it staged); the number of events written."""
        if not self._pending:
            return 0
        events = list(self._pending)
        self._base._save(*events)
        written = len(events)
        for state in self._states.values():
            if not isinstance(state, IdempotencyState):
                self._base._remember(state)
        self._pending.clear()
        self._states.clear()
        return written

    def discard(self) -> None:
        """Forget everything staged (a batch that could not be written)."""
        self._pending.clear()
        self._states.clear()
