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
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Cipher, Tracking

from domain.organisation import (
    OrganisationDissolved,
    OrganisationEvent,
    OrganisationMerged,
    OrganisationMoved,
)
from domain.quota import QuotaSet
from projections.facts import (
    MEMBER_TOPIC_PREFIX,
    FactRow,
    MemberSpan,
    Source,
    derive_facts,
    is_fact_event,
    member_spans,
)
from projections.ledger_schema import (
    LEDGER_COLUMNS,
    MEMBER_COLUMNS,
    NAME,
    QUOTA_COLUMNS,
    UNIT_EVENT_COLUMNS,
    Item,
    organisation_event,
    utc_text,
)
from projections.source import sealed, unsealed
from projections.store import Cursor, View, select_json
from projections.tree import OrganisationTree

__all__ = ["NAME", "LedgerEngine"]

SOURCE_CACHE = 10_000
PATH_CACHE = 50_000
# The organisation events that change where units stand on paths (founding, renaming and
# residential areas never move an existing fact).
_RESHAPING = (OrganisationMoved, OrganisationMerged, OrganisationDissolved)
Member = tuple[list[tuple[int, str, dict[str, Any]]], list[MemberSpan]]


class LedgerEngine:
    """Applies pages of events to one generation of the ledger (see the module doc)."""

    name = NAME

    def __init__(self, view: View, application_name: str, seal: Cipher | None = None) -> None:
        self.view = view
        self.application_name = application_name
        # With a cipher key, each candidacy's source (the coded person among its payloads)
        # is stored encrypted with the events' own cipher: a dump of the view says nothing.
        self.seal = seal
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
            self.tree.apply(organisation_event(row["topic"], row["data"]))

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
        return {key: Source.from_json(unsealed(data, self.seal)) for key, data in rows.items()}

    def _save_sources(self, cursor: Cursor, sources: dict[str, Source]) -> None:
        rows = [
            (k, orjson.dumps(sealed(s.to_json(), self.seal)).decode())
            for k, s in sorted(sources.items())
        ]
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
