"""The candidacy register: a persisted, bitemporal projection of where every candidacy
stood on every day (its stage and branch) and which deadlines were open.

A candidacy's history is folded with the domain (``domain.candidacy.events.steps_as_of``)
into **spans**: "in stage S at branch B (in S since day X) from day F until day U" and "the
deadline K (basis X, due Y) was open from day F until day U". As with the admissions
ledger, the projection compares the spans it derives after each event with the spans it
last wrote and appends the difference as ±1 rows stamped with the event's recording time.
So:

- the pipeline as of D: the stage spans covering D (their net count per stage, and the
  median of D − "since");
- the open deadlines as of D: the deadline spans covering D, due when D ≤ due date, else
  overdue; certificates about to expire are open ``certificate_expiry`` deadlines;
- ``known_at=T``: only rows recorded by T.

Spans follow the domain's "as of" rule (a step counts from its effective date): when
effective dates never go back in the history the state between two consecutive dates is
the fold up to the first; otherwise each distinct date is folded on its own (exact, slower).

Histories are kept decoded in a bounded cache; a candidacy not in it is read back from the
store through ``load_history`` (the runner reads the aggregate's stored events), so memory
does not grow with the history.
"""

from __future__ import annotations

import itertools
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Tracking

from domain.calendar import WorkingCalendar
from domain.candidacy.deadlines import deadlines
from domain.candidacy.events import CandidacyEvent, Corrected, stamp, steps_as_of
from domain.candidacy.state import CandidacyState
from projections.ledger_schema import utc_text
from projections.store import Cursor, Dialect, View, select_json

__all__ = [
    "NAME",
    "RegisterEngine",
    "Span",
    "register_tables",
    "spans_of",
]

NAME = "candidacies"
CACHE_SIZE = 5_000  # candidacies whose fold is kept (each holds its states)
SPAN_COLUMNS = (
    "candidacy_id",
    "kind",
    "value",
    "branch_id",
    "since",
    "due_on",
    "from_date",
    "to_date",
    "recorded_at",
    "delta",
)

# (kind "stage"|"deadline", value (stage or deadline kind), branch, since/basis, due or "",
#  from, to or "") with ISO dates.
Span = tuple[str, str, str, str, str, str, str]
# Deadlines that are met when the day reaches them, whatever is recorded.
_MET_ON_DUE_DATE = frozenset({"probation_end"})
LoadHistory = Callable[[UUID, int], list[CandidacyEvent]]


def register_tables(prefix: str, dialect: Dialect) -> list[str]:
    d, t = dialect.date_type, dialect.time_type
    return [
        f"CREATE TABLE IF NOT EXISTS {prefix}span (candidacy_id TEXT NOT NULL, "
        f"kind TEXT NOT NULL, value TEXT NOT NULL, branch_id TEXT NOT NULL, since {d} NOT NULL, "
        f"due_on {d}, from_date {d} NOT NULL, to_date {d}, recorded_at {t} NOT NULL, "
        "delta INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {prefix}span_from ON {prefix}span (kind, from_date)",
        f"CREATE TABLE IF NOT EXISTS {prefix}spans (candidacy_id TEXT PRIMARY KEY, "
        f"data {dialect.json_type} NOT NULL)",
    ]


def _standings(history: Sequence[CandidacyEvent]) -> list[tuple[date, CandidacyState, date]]:
    """(from day, state, in-stage-since day) for each day the state as of that day changes:
    the state holds from that day until the next entry's day."""
    steps = list(steps_as_of(tuple(history)))
    days = [event.effective_on for event, _ in steps]
    result: list[tuple[date, CandidacyState, date]] = []
    if all(a <= b for a, b in itertools.pairwise(days)):
        since: date | None = None
        previous: CandidacyState | None = None
        for (_event, state), day in zip(steps, days, strict=True):
            if previous is None or state.stage != previous.stage:
                since = day
            previous = state
            assert since is not None
            if result and result[-1][0] == day:
                result[-1] = (day, state, since)
            else:
                result.append((day, state, since))
        return result
    # Effective dates go back somewhere: fold each distinct day on its own.
    for day in sorted(set(days)):
        folded: CandidacyState | None = None
        entered: date | None = None
        for event, after in steps_as_of(tuple(history), day):
            if folded is None or after.stage != folded.stage:
                entered = event.effective_on
            folded = after
        if folded is not None and entered is not None:
            result.append((day, folded, entered))
    return result


Standing = tuple[date, CandidacyState, date, tuple[tuple[str, str, str], ...]]


def _open_deadlines(
    state: CandidacyState, calendar: WorkingCalendar, day: date
) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (d.kind, d.basis_on.isoformat(), d.due_on.isoformat())
        for d in deadlines(state, calendar, day)
        if d.met_on is None
    )


def standings_of(history: Sequence[CandidacyEvent], calendar: WorkingCalendar) -> list[Standing]:
    """Each day the candidacy's state (as of that day) changes, with the open deadlines."""
    return [
        (day, state, since, _open_deadlines(state, calendar, day))
        for day, state, since in _standings(history)
    ]


def _assemble(standings: Sequence[Standing]) -> list[Span]:
    spans: list[Span] = []
    for index, (start, state, since, open_) in enumerate(standings):
        until = standings[index + 1][0].isoformat() if index + 1 < len(standings) else ""
        branch, day = str(state.branch_id), start.isoformat()
        spans.append(("stage", state.stage.value, branch, since.isoformat(), "", day, until))
        for kind, basis, due in open_:
            end = until
            if kind in _MET_ON_DUE_DATE and (not end or due < end):
                # Met by the calendar alone: open until its due day (deadlines(): the
                # probation has ended once today reaches its end).
                if due <= day:
                    continue
                end = due
            spans.append(("deadline", kind, branch, basis, due, day, end))
    return _merged(spans)


def spans_of(history: Sequence[CandidacyEvent], calendar: WorkingCalendar) -> list[Span]:
    """The stage and open-deadline spans of one candidacy's history."""
    return _assemble(standings_of(history, calendar))


def _merged(spans: list[Span]) -> list[Span]:
    """Adjacent spans saying the same thing are one span (fewer rows, same answers)."""
    open_: dict[tuple[str, ...], int] = {}
    result: list[Span] = []
    for span in spans:
        key = span[:5]
        index = open_.get(key)
        if index is not None and result[index][6] == span[5]:
            previous = result[index]
            result[index] = (*previous[:6], span[6])
            continue
        open_[key] = len(result)
        result.append(span)
    return result


class RegisterEngine:
    """Applies pages of candidacy events to one generation of the register."""

    name = NAME

    def __init__(
        self,
        view: View,
        application_name: str,
        calendar: WorkingCalendar,
        load_history: LoadHistory,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.view = view
        self.application_name = application_name
        self.calendar = calendar
        self.load_history = load_history
        self.cache_size = cache_size
        # Per candidacy: its decoded history and its standings (bounded, least recent out).
        self._cache: OrderedDict[UUID, tuple[list[CandidacyEvent], list[Standing]]] = OrderedDict()
        self._known: int | None = None  # the position the cache reflects

    def position(self) -> int:
        return self.view.max_tracking_id(self.application_name) or 0

    def _standings_after(self, event: CandidacyEvent) -> list[Standing]:
        """The candidacy's standings once ``event`` is taken: extended in place when the
        event simply follows the cached history (the usual case), else folded afresh."""
        candidacy_id = event.originator_id
        cached = self._cache.pop(candidacy_id, None)
        if cached is not None and cached[0][-1].originator_version >= event.originator_version:
            self._cache[candidacy_id] = cached  # taken already
            return cached[1]
        if cached is None or cached[0][-1].originator_version != event.originator_version - 1:
            history = self.load_history(candidacy_id, event.originator_version - 1)
            cached = (history, standings_of(history, self.calendar)) if history else None
        if cached is None:
            history, standings = [event], standings_of([event], self.calendar)
        else:
            history, standings = cached
            history.append(event)
            extended = self._extend(standings, event)
            standings = extended if extended is not None else standings_of(history, self.calendar)
        self._cache[candidacy_id] = (history, standings)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return standings

    def _extend(self, standings: list[Standing], event: CandidacyEvent) -> list[Standing] | None:
        """The standings with one more ordinary step, or None when it must be refolded (a
        correction, a step dated before the last one, nothing folded yet)."""
        if isinstance(event, Corrected) or not standings:
            return None
        day = event.effective_on
        last_day, last_state, last_since, _ = standings[-1]
        if day < last_day:
            return None
        state = stamp(event.evolve(last_state), event)
        since = last_since if state.stage == last_state.stage else day
        entry = (day, state, since, _open_deadlines(state, self.calendar, day))
        if day == last_day:
            return [*standings[:-1], entry]
        return [*standings, entry]

    def process(
        self, events: Sequence[tuple[int, CandidacyEvent, datetime]], tracking: Tracking
    ) -> int:
        """Apply decoded candidacy events (notification id, event, recording time) in
        order, with the tracking record in the same transaction; returns the rows
        written. Like the ledger, it skips what another writer applied first."""
        try:
            return self._process(events, tracking)
        except BaseException:
            self._cache.clear()
            self._known = None
            raise

    def _process(
        self, events: Sequence[tuple[int, CandidacyEvent, datetime]], tracking: Tracking
    ) -> int:
        p = self.view.prefix
        sqlite = self.view.dialect.name == "sqlite"
        with self.view.write() as cursor:
            self.view.lock(cursor)
            position = self.view.position_in(cursor, self.application_name)
            if tracking.notification_id <= position:
                return 0
            if position != self._known:
                self._cache.clear()  # another writer moved on: its histories are unknown here
            taken = [(e, r) for n, e, r in events if n > position]
            keys = sorted({str(e.originator_id) for e, _ in taken})
            written = self._load(cursor, keys)
            rows: list[tuple[Any, ...]] = []
            dirty: set[str] = set()
            for event, recorded in taken:
                key = str(event.originator_id)
                new = _assemble(self._standings_after(event))
                old = written.get(key, [])
                stamp = utc_text(recorded) if sqlite else recorded
                before, after = Counter(old), Counter(new)
                for span, n in (before - after).items():
                    rows.extend([self._row(key, span, -1, stamp)] * n)
                for span, n in (after - before).items():
                    rows.extend([self._row(key, span, +1, stamp)] * n)
                written[key] = new
                dirty.add(key)
            if dirty:
                cursor.executemany(
                    f"INSERT INTO {p}spans (candidacy_id, data) VALUES "
                    f"({self.view.dialect.params(2)}) "
                    "ON CONFLICT (candidacy_id) DO UPDATE SET data = excluded.data",
                    [(k, orjson.dumps(written[k]).decode()) for k in sorted(dirty)],
                )
            self.view.copy_rows(cursor, f"{p}span", SPAN_COLUMNS, rows)
            self.view.track(cursor, tracking)
        self._known = tracking.notification_id
        return len(rows)

    def forget(self) -> None:
        """Drop the cached histories (after a failed page)."""
        self._cache.clear()

    def _row(self, key: str, span: Span, delta: int, stamp: Any) -> tuple[Any, ...]:
        kind, value, branch, since, due, start, until = span
        if self.view.dialect.name == "sqlite":
            return (
                key,
                kind,
                value,
                branch,
                since,
                due or None,
                start,
                until or None,
                stamp,
                delta,
            )
        return (
            key,
            kind,
            value,
            branch,
            date.fromisoformat(since),
            date.fromisoformat(due) if due else None,
            date.fromisoformat(start),
            date.fromisoformat(until) if until else None,
            stamp,
            delta,
        )

    def _load(self, cursor: Cursor, keys: list[str]) -> dict[str, list[Span]]:
        rows = select_json(self.view, cursor, f"{self.view.prefix}spans", "candidacy_id", keys)
        return {key: [tuple(s) for s in spans] for key, spans in rows.items()}
