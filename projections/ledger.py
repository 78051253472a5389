"""The admissions ledger: a persisted, bitemporal projection of every counted fact.

One row per counted fact **per unit on its branch's path on the fact's date**, with the
fact's kind, effective date, recording time, the breakdown flags and a delta of +1 or -1
(design-notes, "Bitemporal projections"). When anything changes what a candidacy's facts
are (a new step, a correction, a transfer) or where they roll up to (the tree changed on
or before a fact's date), the projection derives the candidacy's facts again, compares
them with the facts it last wrote and appends the difference: -1 rows for what is no
longer so, +1 rows for what now is, stamped with the recording time of the event that
caused it. Nothing is updated in place, so:

- ``as_of=D`` sums rows with effective date <= D;
- ``known_at=T`` sums only rows recorded by T: a correction recorded today moves last
  year's figure as of now, not the figure as known before the correction;
- roll-up is an index lookup on the unit id, never a tree walk at query time.

Targets (``QuotaSet``) are kept as rows too, with the day they were set and the moment
they were recorded; the organisation events are kept verbatim so the tree can be folded
again as it stood, or as it was known, at any time.

The engine is backend-neutral; ``projections.store`` gives it SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Tracking

from domain.organisation import (
    OrganisationDissolved,
    OrganisationEvent,
    OrganisationMerged,
    OrganisationMoved,
)
from domain.quota import QuotaSet
from domain.values import Period
from projections.admissions import AdmissionCounts, Breakdown, fulfilment_percent
from projections.facts import (
    MEMBER_TOPIC_PREFIX,
    FactRow,
    MemberSpan,
    Source,
    derive_facts,
    is_fact_event,
    member_spans,
)
from projections.store import Cursor, Dialect, View, select_json, snapshot
from projections.tree import OrganisationTree

__all__ = [
    "LEDGER_COLUMNS",
    "Item",
    "LedgerEngine",
    "LedgerFigures",
    "LedgerReader",
    "LedgerReport",
    "ledger_tables",
    "utc_text",
]

NAME = "admissions"

LEDGER_COLUMNS = (
    "candidacy_id",
    "kind",
    "unit_id",
    "depth",
    "child_id",
    "branch_id",
    "on_date",
    "recorded_at",
    "delta",
    "women",
    "ethnic_minority",
    "religious",
    "youth_union",
    "aged_30_or_under",
    "education",
    "sector",
)
SOURCE_CACHE = 10_000
PATH_CACHE = 50_000
# The organisation events that change where units stand on paths (founding, renaming and
# residential areas never move an existing fact).
_RESHAPING = (OrganisationMoved, OrganisationMerged, OrganisationDissolved)
QUOTA_COLUMNS = (
    "organisation_id",
    "period",
    "version",
    "target",
    "set_on",
    "recorded_at",
    "sub_targets",
)
UNIT_EVENT_COLUMNS = ("notification_id", "topic", "data", "recorded_at")
MEMBER_COLUMNS = (
    "member_id",
    "branch_id",
    "official",
    "from_date",
    "to_date",
    "recorded_at",
    "delta",
)
Member = tuple[list[tuple[int, str, dict[str, Any]]], list[MemberSpan]]
_BREAKDOWN = ("women", "ethnic_minority", "religious", "youth_union", "aged_30_or_under")


def ledger_tables(prefix: str, dialect: Dialect) -> list[str]:
    """The CREATE statements of one generation of the ledger projection."""
    d, t = dialect.date_type, dialect.time_type
    return [
        f"CREATE TABLE IF NOT EXISTS {prefix}ledger (candidacy_id TEXT NOT NULL, "
        f"kind TEXT NOT NULL, unit_id TEXT NOT NULL, depth INTEGER NOT NULL, child_id TEXT, "
        f"branch_id TEXT NOT NULL, on_date {d} NOT NULL, recorded_at {t} NOT NULL, "
        "delta INTEGER NOT NULL, women INTEGER NOT NULL, ethnic_minority INTEGER NOT NULL, "
        "religious INTEGER NOT NULL, youth_union INTEGER NOT NULL, "
        "aged_30_or_under INTEGER NOT NULL, education TEXT NOT NULL, sector TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {prefix}ledger_unit ON {prefix}ledger "
        "(unit_id, kind, on_date)",
        f"CREATE TABLE IF NOT EXISTS {prefix}source (candidacy_id TEXT PRIMARY KEY, "
        f"data {dialect.json_type} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}quota (organisation_id TEXT NOT NULL, "
        f"period TEXT NOT NULL, version INTEGER NOT NULL, target INTEGER NOT NULL, "
        f"set_on {d} NOT NULL, recorded_at {t} NOT NULL, sub_targets TEXT NOT NULL, "
        "PRIMARY KEY (organisation_id, period, version))",
        f"CREATE TABLE IF NOT EXISTS {prefix}member_span (member_id TEXT NOT NULL, "
        f"branch_id TEXT NOT NULL, official INTEGER NOT NULL, from_date {d} NOT NULL, "
        f"to_date {d}, recorded_at {t} NOT NULL, delta INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}member_source (member_id TEXT PRIMARY KEY, "
        f"data {dialect.json_type} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}unit_event (notification_id BIGINT PRIMARY KEY, "
        f"topic TEXT NOT NULL, data {dialect.json_type} NOT NULL, recorded_at {t} NOT NULL)",
    ]


def utc_text(moment: datetime) -> str:
    """A recording time as fixed-width UTC text (sorts like the instant it names)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True, slots=True)
class Item:
    """One stored event the ledger takes, decoded as far as it needs.

    Candidacy events come as their stored payload (``payload``); organisation and quota
    events, which are few, come as domain events (``event``).
    """

    notification_id: int
    topic: str
    originator_id: UUID
    version: int
    recorded_at: datetime
    payload: dict[str, Any] | None = None
    event: OrganisationEvent | QuotaSet | None = None


class LedgerEngine:
    """Applies pages of events to one generation of the ledger (see the module doc)."""

    name = NAME

    def __init__(self, view: View, application_name: str) -> None:
        self.view = view
        self.application_name = application_name
        self.tree = OrganisationTree()
        self._paths: dict[tuple[str, str], tuple[str, ...]] = {}
        self._known: int | None = None  # the position the tree and the cache reflect
        # Recently used sources (bounded): a page need not read back what it just wrote.
        self._cache: OrderedDict[str, Source] = OrderedDict()

    @staticmethod
    def wants(topic: str) -> bool:
        """Whether the ledger needs stored events of ``topic`` (others are skipped
        before decoding)."""
        return (
            is_fact_event(topic)
            or topic.startswith(MEMBER_TOPIC_PREFIX)
            or topic.startswith("domain.organisation:")
            or topic == "domain.quota:QuotaSet"
        )

    def position(self) -> int:
        return self.view.max_tracking_id(self.application_name) or 0

    def _load_tree(self, cursor: Cursor) -> None:
        """Fold the tree again from the organisation events the view holds."""
        self.tree = OrganisationTree()
        self._paths.clear()
        cursor.execute(
            f"SELECT topic, data FROM {self.view.prefix}unit_event ORDER BY notification_id"
        )
        for row in cursor.fetchall():
            self.tree.apply(_organisation_event(row["topic"], row["data"]))

    # --- applying ----------------------------------------------------------------------

    def process(self, items: Sequence[Item], tracking: Tracking) -> int:
        """Apply ``items`` (in notification order) and record ``tracking`` in the same
        transaction; returns the number of ledger rows written.

        Writers of one view take turns (a lock in the transaction) and each skips what
        another applied first: items at or below the view's position are ignored, and
        the tree is read again when the position is not where this engine left it. A
        failed transaction leaves the engine to read its tree again next time.
        """
        try:
            return self._process(items, tracking)
        except BaseException:
            self._known = None
            raise

    def _process(self, items: Sequence[Item], tracking: Tracking) -> int:
        p = self.view.prefix
        with self.view.write() as cursor:
            self.view.lock(cursor)
            position = self.view.position_in(cursor, self.application_name)
            if tracking.notification_id <= position:
                return 0  # applied already, by this process or another
            if position != self._known:
                self._load_tree(cursor)
                self._cache.clear()  # another writer moved on: what we hold may be old
            items = [i for i in items if i.notification_id > position]
            candidacy_ids = {
                str(i.originator_id)
                for i in items
                if i.payload is not None and not i.topic.startswith(MEMBER_TOPIC_PREFIX)
            }
            sources = self._load_sources(cursor, candidacy_ids)
            member_ids = {
                str(i.originator_id) for i in items if i.topic.startswith(MEMBER_TOPIC_PREFIX)
            }
            members = self._load_members(cursor, member_ids)
            member_rows: list[tuple[Any, ...]] = []
            dirty_members: set[str] = set()
            dirty: set[str] = set()
            rows: list[tuple[Any, ...]] = []
            quotas: list[tuple[Any, ...]] = []
            units: list[tuple[Any, ...]] = []
            for item in items:
                stamp = self._stamp(item.recorded_at)
                if item.payload is not None and item.topic.startswith(MEMBER_TOPIC_PREFIX):
                    key = str(item.originator_id)
                    member = members.setdefault(key, ([], []))
                    if all(v != item.version for v, _, _ in member[0]):
                        member[0].append(
                            (
                                item.version,
                                item.topic.rpartition(":")[2],
                                _member_payload(item.payload),
                            )
                        )
                        spans = member_spans(member[0])
                        self._member_diff(key, member[1], spans, stamp, member_rows)
                        members[key] = (member[0], spans)
                        dirty_members.add(key)
                elif item.payload is not None:
                    key = str(item.originator_id)
                    source = sources.setdefault(key, Source([], []))
                    name = item.topic.rpartition(":")[2]
                    if source.add(item.version, name, item.payload):
                        self._refresh(key, source, stamp, rows)
                        dirty.add(key)
                elif isinstance(item.event, QuotaSet):
                    e = item.event
                    subs = orjson.dumps(e.sub_targets.model_dump(mode="json")).decode()
                    quotas.append(
                        (
                            str(e.organisation_id),
                            e.period,
                            e.originator_version,
                            e.target,
                            self._day(e.set_on),
                            stamp,
                            subs,
                        )
                    )
                elif isinstance(item.event, _RESHAPING):
                    # Only these change where units stand on a path: re-derive the facts
                    # on or after their date under the unit.
                    affected = self._affected(cursor, sources, item.event)
                    self.tree.apply(item.event)
                    self._paths.clear()
                    for key in affected:
                        self._refresh(key, sources[key], stamp, rows)
                        dirty.add(key)
                    data = orjson.dumps(item.event.model_dump(mode="json")).decode()
                    units.append((item.notification_id, item.topic, data, stamp))
                elif isinstance(item.event, OrganisationEvent):
                    self.tree.apply(item.event)
                    data = orjson.dumps(item.event.model_dump(mode="json")).decode()
                    units.append((item.notification_id, item.topic, data, stamp))
            self._save_sources(cursor, {k: sources[k] for k in dirty})
            self.view.upsert(
                cursor,
                f"{p}member_source",
                "member_id",
                [(k, orjson.dumps(members[k]).decode()) for k in sorted(dirty_members)],
            )
            self.view.copy_rows(cursor, f"{p}member_span", MEMBER_COLUMNS, member_rows)
            self.view.copy_rows(cursor, f"{p}ledger", LEDGER_COLUMNS, rows)
            self.view.copy_rows(cursor, f"{p}quota", QUOTA_COLUMNS, quotas)
            self.view.copy_rows(cursor, f"{p}unit_event", UNIT_EVENT_COLUMNS, units)
            self.view.track(cursor, tracking)
        self._known = tracking.notification_id
        return len(rows)

    def _stamp(self, moment: datetime) -> Any:
        return utc_text(moment) if self.view.dialect.name == "sqlite" else moment

    def _day(self, day: date) -> Any:
        return day.isoformat() if self.view.dialect.name == "sqlite" else day

    def _load_sources(self, cursor: Cursor, keys: set[str]) -> dict[str, Source]:
        """The sources of ``keys``: from the bounded cache, else from the view."""
        found: dict[str, Source] = {}
        missing = []
        for key in keys:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                found[key] = cached
            else:
                missing.append(key)
        found.update(self._read_sources(cursor, sorted(missing)))
        return found

    def _read_sources(self, cursor: Cursor, ordered: list[str]) -> dict[str, Source]:
        rows = select_json(self.view, cursor, f"{self.view.prefix}source", "candidacy_id", ordered)
        return {key: Source.from_json(data) for key, data in rows.items()}

    def _save_sources(self, cursor: Cursor, sources: dict[str, Source]) -> None:
        rows = [(k, orjson.dumps(s.to_json()).decode()) for k, s in sorted(sources.items())]
        self.view.upsert(cursor, f"{self.view.prefix}source", "candidacy_id", rows)
        for key, source in sources.items():
            self._cache[key] = source
        while len(self._cache) > SOURCE_CACHE:
            self._cache.popitem(last=False)

    def _load_members(self, cursor: Cursor, keys: set[str]) -> dict[str, Member]:
        table = f"{self.view.prefix}member_source"
        rows = select_json(self.view, cursor, table, "member_id", sorted(keys))
        return {
            key: (
                [(int(v), str(n), dict(d)) for v, n, d in events],
                [(str(b), int(o), str(f), str(t)) for b, o, f, t in spans],
            )
            for key, (events, spans) in rows.items()
        }

    def _member_diff(
        self,
        key: str,
        old: list[MemberSpan],
        new: list[MemberSpan],
        stamp: Any,
        rows: list[tuple[Any, ...]],
    ) -> None:
        sqlite = self.view.dialect.name == "sqlite"
        before, after = Counter(old), Counter(new)
        for delta, changed in ((-1, before - after), (+1, after - before)):
            for (branch, official, start, until), count in changed.items():
                row: tuple[Any, ...]
                if sqlite:
                    row = (key, branch, official, start, until or None, stamp, delta)
                else:
                    row = (
                        key,
                        branch,
                        official,
                        date.fromisoformat(start),
                        date.fromisoformat(until) if until else None,
                        stamp,
                        delta,
                    )
                rows.extend([row] * count)

    def _path(self, branch_id: str, on: str) -> tuple[str, ...]:
        key = (branch_id, on)
        path = self._paths.get(key)
        if path is None:
            if len(self._paths) >= PATH_CACHE:
                self._paths.clear()  # bounded: memory must not grow with the history
            units = self.tree.path_on(UUID(branch_id), date.fromisoformat(on))
            path = tuple(str(u) for u in units) or (branch_id,)
            self._paths[key] = path
        return path

    def _refresh(self, key: str, source: Source, stamp: Any, rows: list[tuple[Any, ...]]) -> None:
        """Derive the candidacy's facts again and append the difference to ``rows``."""
        new = [(row, self._path(row.branch_id, row.on)) for row in derive_facts(source.events)]
        before, after = Counter(source.facts), Counter(new)
        for (row, path), count in (before - after).items():
            for _ in range(count):
                rows.extend(self._expand(key, row, path, -1, stamp))
        for (row, path), count in (after - before).items():
            for _ in range(count):
                rows.extend(self._expand(key, row, path, +1, stamp))
        source.facts = new

    def _expand(
        self, key: str, row: FactRow, path: tuple[str, ...], delta: int, stamp: Any
    ) -> Iterable[tuple[Any, ...]]:
        on = row.on if self.view.dialect.name == "sqlite" else date.fromisoformat(row.on)
        last = len(path) - 1
        for depth, unit in enumerate(path):
            child = path[depth + 1] if depth < last else None
            yield (
                key,
                row.kind,
                unit,
                depth,
                child,
                row.branch_id,
                on,
                stamp,
                delta,
                row.women,
                row.ethnic_minority,
                row.religious,
                row.youth_union,
                row.aged_30_or_under,
                row.education,
                row.sector,
            )

    def _affected(
        self, cursor: Cursor, sources: dict[str, Source], event: OrganisationEvent
    ) -> list[str]:
        """The candidacies with a fact on or after the event's date whose path went
        through the unit (only they can roll up differently after it); loads them."""
        unit, since = str(event.originator_id), event.effective_on.isoformat()
        keys = {
            key
            for key, source in sources.items()
            if any(unit in path and row.on >= since for row, path in source.facts)
        }
        p, dialect = self.view.prefix, self.view.dialect
        cursor.execute(
            f"SELECT candidacy_id FROM {p}ledger WHERE unit_id = {dialect.param} "
            f"AND on_date >= {dialect.param} GROUP BY candidacy_id, kind, on_date "
            "HAVING SUM(delta) > 0",
            (unit, self._day(event.effective_on)),
        )
        stored = {row["candidacy_id"] for row in cursor.fetchall()} - set(sources)
        sources.update(self._load_sources(cursor, stored))
        keys |= stored
        return sorted(keys)


def _member_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Only the roster fields the spans need: no personal data is kept in the view."""
    keep = ("branch_id", "admitted_on", "official_on", "transferred_on", "left_on")
    return {k: payload[k] for k in keep if k in payload}


def _organisation_event(topic: str, data: str | bytes) -> OrganisationEvent:
    from eventsourcing.utils import resolve_topic

    cls = resolve_topic(topic)
    event = cls.model_validate(orjson.loads(data))
    assert isinstance(event, OrganisationEvent)
    return event


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerFigures:
    """The counted facts of one unit or group and the breakdown of its admissions."""

    organisation_id: UUID | None
    counts: AdmissionCounts = field(default_factory=AdmissionCounts)
    breakdown: Breakdown = field(default_factory=Breakdown)


@dataclass(frozen=True, slots=True)
class LedgerReport:
    total: LedgerFigures
    rows: tuple[LedgerFigures, ...]


_KIND_FIELD = {
    "admitted": "admitted",
    "rejected": "rejected",
    "ceremony": "ceremonies",
    "recognised": "recognised",
    "removed": "removed",
    "withdrawn": "withdrawn",
}


class LedgerReader:
    """Answers the quota and admissions reports from the ledger's current generation.

    Every method takes ``known_at`` (None: everything recorded) and reads in one snapshot.
    The organisation tree is folded from the stored organisation events, as known then.
    """

    def __init__(self, view_for: Callable[[int], View], application_name: str) -> None:
        self._view_for = view_for
        self.application_name = application_name
        self._trees: dict[tuple[int, int], OrganisationTree] = {}
        self._tree_key: tuple[int, int] | None = None  # the key of the current tree

    # --- plumbing --------------------------------------------------------------------

    def tree(self, known_at: datetime | None = None) -> OrganisationTree:
        """The tree from the organisation events recorded (by ``known_at``).

        Folded trees are kept per (generation, number of organisation events taken): the
        current tree is folded once and extended as events arrive, and a ``known_at``
        after the last organisation event shares it."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, generation = snap.cursor, snap.prefix, snap.generation
            sqlite = snap.dialect.name == "sqlite"
            m = snap.dialect.param
            at: Any = None
            if known_at is None:
                cursor.execute(f"SELECT COUNT(*) AS n FROM {prefix}unit_event")
            else:
                at = utc_text(known_at) if sqlite else known_at
                cursor.execute(
                    f"SELECT COUNT(*) AS n FROM {prefix}unit_event WHERE recorded_at <= {m}", (at,)
                )
            count = int(cursor.fetchone()["n"])
            if at is not None and not self._is_prefix(cursor, prefix, count, at, m):
                # Recorded out of id order (several writers): fold exactly, uncached.
                cursor.execute(
                    f"SELECT topic, data FROM {prefix}unit_event WHERE recorded_at <= {m} "
                    "ORDER BY notification_id",
                    (at,),
                )
                tree = OrganisationTree()
                for r in cursor.fetchall():
                    tree.apply(_organisation_event(r["topic"], r["data"]))
                return tree
            key = (generation, count)
            cached = self._trees.get(key)
            if cached is not None:
                return cached
            current = self._tree_key
            if known_at is None and current and current[0] == generation and current[1] < count:
                tree, taken = self._trees.pop(current), current[1]  # extend in place
                self._tree_key = None
            else:
                tree, taken = OrganisationTree(), 0
            cursor.execute(
                f"SELECT topic, data FROM {prefix}unit_event ORDER BY notification_id "
                f"LIMIT {count - taken} OFFSET {taken}"
            )
            for r in cursor.fetchall():
                tree.apply(_organisation_event(r["topic"], r["data"]))
        self._trees[key] = tree
        if known_at is None:
            self._tree_key = key
        while len(self._trees) > 8:
            oldest = next(k for k in self._trees if k != self._tree_key)
            del self._trees[oldest]
        return tree

    @staticmethod
    def _is_prefix(cursor: Cursor, prefix: str, count: int, at: Any, mark: str) -> bool:
        """Whether the ``count`` organisation events recorded by ``at`` are the first
        ``count`` by id (true unless writers' clocks and ids disagree)."""
        if count == 0:
            return True
        cursor.execute(
            f"SELECT notification_id AS n FROM {prefix}unit_event ORDER BY notification_id "
            f"LIMIT 1 OFFSET {count - 1}"
        )
        nth = int(cursor.fetchone()["n"])
        cursor.execute(
            f"SELECT MAX(notification_id) AS n FROM {prefix}unit_event WHERE recorded_at <= {mark}",
            (at,),
        )
        return int(cursor.fetchone()["n"]) == nth

    def _conditions(
        self, dialect: Dialect, start: date | None, end: date | None, known_at: datetime | None
    ) -> tuple[str, list[Any]]:
        sql, params = "", []
        m = dialect.param
        if start is not None:
            sql += f" AND on_date >= {m}"
            params.append(start.isoformat() if dialect.name == "sqlite" else start)
        if end is not None:
            sql += f" AND on_date <= {m}"
            params.append(end.isoformat() if dialect.name == "sqlite" else end)
        if known_at is not None:
            sql += f" AND recorded_at <= {m}"
            params.append(utc_text(known_at) if dialect.name == "sqlite" else known_at)
        return sql, params

    # --- figures ---------------------------------------------------------------------

    def grouped(
        self,
        organisation_id: UUID | None,
        group: str,
        *,
        start: date | None = None,
        end: date | None = None,
        known_at: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> tuple[LedgerFigures, dict[UUID | None, LedgerFigures]]:
        """Facts dated within [start, end] in the subtree of ``organisation_id`` (all when
        None), in total and grouped by ``group``: "branch", "child" (the unit directly
        below on the fact's path; the root unit when ``organisation_id`` is None) or
        "unit" (only ``organisation_id`` itself)."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, dialect = snap.cursor, snap.prefix, snap.dialect
            where, params = self._conditions(dialect, start, end, known_at)
            if organisation_id is None:
                where = "depth = 0" + where
                key = "unit_id" if group == "child" else "branch_id"
            else:
                where = f"unit_id = {dialect.param}" + where
                params.insert(0, str(organisation_id))
                key = {"branch": "branch_id", "child": "child_id"}.get(group, "unit_id")
            if kinds:
                where += f" AND kind IN ({dialect.params(len(kinds))})"
                params.extend(kinds)
            sums = ", ".join(f"SUM(delta * {f}) AS {f}" for f in _BREAKDOWN)
            cursor.execute(
                f"SELECT {key} AS grp, kind, SUM(delta) AS n, {sums} FROM {prefix}ledger "
                f"WHERE {where} GROUP BY {key}, kind",
                params,
            )
            rows = cursor.fetchall()
        total = LedgerFigures(organisation_id)
        groups: dict[UUID | None, LedgerFigures] = {}
        for row in rows:
            grp = UUID(row["grp"]) if row["grp"] is not None else None
            figures = _add(groups.get(grp, LedgerFigures(grp)), row)
            groups[grp] = figures
            total = _add(total, row)
        return total, groups

    def members_by_branch(
        self,
        day: date,
        known_at: datetime | None = None,
    ) -> dict[UUID, tuple[int, int]]:
        """Per branch, (official, probationary) members at the end of ``day``, as the
        roster was recorded by ``known_at``."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            m = d.param
            on = day.isoformat() if d.name == "sqlite" else day
            sql = (
                f"SELECT branch_id, official, SUM(delta) AS n FROM {prefix}member_span "
                f"WHERE from_date <= {m} AND (to_date IS NULL OR to_date > {m})"
            )
            params: list[Any] = [on, on]
            if known_at is not None:
                sql += f" AND recorded_at <= {m}"
                params.append(utc_text(known_at) if d.name == "sqlite" else known_at)
            cursor.execute(sql + " GROUP BY branch_id, official", params)
            found: dict[UUID, tuple[int, int]] = {}
            for row in cursor.fetchall():
                official, probationary = found.get(UUID(row["branch_id"]), (0, 0))
                if int(row["official"]):
                    official += int(row["n"])
                else:
                    probationary += int(row["n"])
                found[UUID(row["branch_id"])] = (official, probationary)
        return found

    def target(
        self,
        organisation_id: UUID,
        period: Period,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> int | None:
        """The latest target set for the unit and period by the end of day ``as_of``,
        as recorded by ``known_at``."""
        found = self.quota_sets([organisation_id], period, as_of, known_at)
        return found[organisation_id][0] if organisation_id in found else None

    def targets(
        self,
        organisation_ids: Sequence[UUID],
        period: Period,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> dict[UUID, int]:
        found = self.quota_sets(organisation_ids, period, as_of, known_at)
        return {unit: target for unit, (target, _) in found.items()}

    def quota_sets(
        self,
        organisation_ids: Sequence[UUID],
        period: Period,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> dict[UUID, tuple[int, dict[str, Any]]]:
        """Per unit, the latest (target, sub-targets) set by the end of day ``as_of`` (its
        ``set_on``), as recorded by ``known_at``; units without one are left out."""
        if not organisation_ids:
            return {}
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            sql = (
                f"SELECT organisation_id, version, target, sub_targets FROM {prefix}quota "
                f"WHERE period = {d.param} "
                f"AND organisation_id IN ({d.params(len(organisation_ids))})"
            )
            params: list[Any] = [period.key, *(str(u) for u in organisation_ids)]
            if as_of is not None:
                sql += f" AND set_on <= {d.param}"
                params.append(as_of.isoformat() if d.name == "sqlite" else as_of)
            if known_at is not None:
                sql += f" AND recorded_at <= {d.param}"
                params.append(utc_text(known_at) if d.name == "sqlite" else known_at)
            cursor.execute(sql + " ORDER BY organisation_id, version", params)
            return {
                UUID(r["organisation_id"]): (int(r["target"]), orjson.loads(r["sub_targets"]))
                for r in cursor.fetchall()
            }

    def quota_report(
        self,
        organisation_id: UUID,
        period: Period,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> QuotaFigures:
        """The unit's fulfilment for the period and its children's (every unit directly
        under it on some day of the period up to ``as_of``), from the ledger."""
        end = period.ends_on if as_of is None else min(period.ends_on, as_of)
        tree = self.tree(known_at)
        children = (
            tree.children_between(organisation_id, period.starts_on, end)
            if end >= period.starts_on and organisation_id in tree
            else []
        )
        ids = [organisation_id, *children]
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            where, params = self._conditions(d, period.starts_on, end, known_at)
            sums = ", ".join(f"SUM(delta * {f}) AS {f}" for f in _BREAKDOWN)
            cursor.execute(
                f"SELECT unit_id AS grp, SUM(delta) AS n, {sums} FROM {prefix}ledger "
                f"WHERE unit_id IN ({d.params(len(ids))}) AND kind = 'admitted'{where} "
                "GROUP BY unit_id",
                [*(str(u) for u in ids), *params],
            )
            by_unit = {UUID(r["grp"]): r for r in cursor.fetchall()}
        targets = self.targets(ids, period, as_of, known_at)
        own = by_unit.get(organisation_id)
        admitted = int(own["n"]) if own is not None else 0
        breakdown = _breakdown(own) if own is not None else Breakdown()
        child_rows = []
        for child in children:
            row = by_unit.get(child)
            count = int(row["n"]) if row is not None else 0
            target = targets.get(child)
            child_rows.append((child, target, count, fulfilment_percent(count, target)))
        target = targets.get(organisation_id)
        return QuotaFigures(
            organisation_id,
            period.key,
            target,
            admitted,
            fulfilment_percent(admitted, target),
            breakdown,
            tuple(child_rows),
        )


@dataclass(frozen=True, slots=True)
class QuotaFigures:
    organisation_id: UUID
    period: str
    target: int | None
    admitted: int
    fulfilment_percent: Decimal | None
    breakdown: Breakdown
    children: tuple[tuple[UUID, int | None, int, Decimal | None], ...]


def _breakdown(row: Any) -> Breakdown:
    return Breakdown(*(int(row[f] or 0) for f in _BREAKDOWN))


def _add(figures: LedgerFigures, row: Any) -> LedgerFigures:
    counts = figures.counts
    kind = row["kind"]
    name = _KIND_FIELD[kind]
    counts = AdmissionCounts(
        **{
            **{f: getattr(counts, f) for f in _KIND_FIELD.values()},
            name: getattr(counts, name) + int(row["n"]),
        }
    )
    breakdown = figures.breakdown
    if kind == "admitted":
        extra = _breakdown(row)
        breakdown = Breakdown(*(getattr(breakdown, f) + getattr(extra, f) for f in _BREAKDOWN))
    return LedgerFigures(figures.organisation_id, counts, breakdown)


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
