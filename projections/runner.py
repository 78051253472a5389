"""The read side's one runner: every persisted view of the store, caught up in large pages,
rebuilt beside the live one and swapped in atomically, with its status (``ketnap
projections ...``, the server's follower in ``projections.live``, ``/ready``).

Three views follow the store, each on the library's tracking records
(docs/adr/0010-persisted-bitemporal-projections.md, docs/adr/0011-global-digest.md):

- ``admissions``: the bitemporal ledger of counted facts and targets
  (``projections.ledger``): admission counts, quota fulfilment, the admissions report;
- ``candidacies``: the register of stage and open-deadline spans
  (``projections.register``): the pipeline, the deadline register, certificates about to
  expire;
- ``audit_digest``: the rolling hash of the store's global order (``projections.digest``).

Catch-up reads the store with ``projections.paging.pages`` in pages of ``PAGE_SIZE``, asks
only for the topics the view uses, and applies each page in one transaction together with
its tracking record. Nothing else writes the views: readers never catch up. The ledger
decodes candidacy payloads to dicts only (the mapper undoes cipher and compression and
upcasts; no pydantic validation). A runner killed at any point resumes from the last
committed page: nothing is applied twice or lost.

Rebuild fills generation N+1 beside the live generation N, then flips
``ketnap_projection.generation`` in one transaction once it has caught up; readers look
the generation up in the same snapshot as their query. The generation before the live
one is dropped by the next rebuild, so a reader that looked up N just before the swap
still finds its tables.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import structlog
from eventsourcing.persistence import MapperDeserialisationError, Notification, Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import TopicError

from domain.candidacy import events as candidacy_events
from domain.candidacy.events import CandidacyEvent
from domain.member import MemberEvent
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.digest import NAME as DIGEST
from projections.digest import GlobalDigest
from projections.facts import FACT_EVENT_NAMES, MEMBER_TOPIC_PREFIX
from projections.ledger import NAME as LEDGER
from projections.ledger import LedgerEngine
from projections.ledger_reader import LedgerReader
from projections.ledger_schema import Item, ledger_tables
from projections.paging import PAGE_SECONDS, PAGE_SIZE, PageSizer, pages
from projections.register import NAME as REGISTER
from projections.register import RegisterEngine, register_tables
from projections.register_reader import RegisterReader
from projections.source import Source, cipher_of, payloads
from projections.store import META_TABLE, Dialect, PostgresView, SQLiteView, View

log = structlog.get_logger("ketnap.projections")

LAG_PROBE = 1000
Progress = Callable[[int, int], None]  # (notification ids scanned so far, to scan)
Engine = LedgerEngine | RegisterEngine
T = TypeVar("T")


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def ledger_topics() -> tuple[str, ...]:
    """The stored topics the ledger reads (the store filters on them)."""
    topics = [f"{candidacy_events.__name__}:{name}" for name in sorted(FACT_EVENT_NAMES)]
    topics += sorted(_topic(c) for c in _subclasses(OrganisationEvent))
    topics += sorted(_topic(c) for c in _subclasses(MemberEvent))
    topics.append(_topic(QuotaSet))
    return tuple(topics)


def register_topics() -> tuple[str, ...]:
    """The stored topics the register reads: every candidacy event."""
    return tuple(sorted(_topic(c) for c in _subclasses(CandidacyEvent)))


_TABLES: dict[str, Callable[[str, Dialect], list[str]]] = {
    LEDGER: ledger_tables,
    REGISTER: register_tables,
}


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    position: int
    lag: int
    building: int | None  # the generation a rebuild is filling, if any


class Projections:
    """The persisted views of one application's store (see the module doc)."""

    names = (LEDGER, REGISTER, DIGEST)
    generational = (LEDGER, REGISTER)  # rebuilt beside the live one; the digest is reset

    def __init__(
        self, app: Source, *, page_size: int = PAGE_SIZE, page_seconds: float = PAGE_SECONDS
    ) -> None:
        self.app = app
        self.page_size = page_size  # the largest page; pages are sized by time below it
        self.page_seconds = page_seconds
        datastore = getattr(app.recorder, "datastore", None)
        if datastore is None:  # the in-memory (POPO) store: keep the views in memory too
            datastore = SQLiteDatastore(f"file:ketnap-views-{uuid4()}?mode=memory&cache=shared")
        self.datastore: SQLiteDatastore | PostgresDatastore = datastore
        self._views: dict[tuple[str, int], View] = {}
        self._engines: dict[tuple[str, int], Engine] = {}
        self._topics = {LEDGER: ledger_topics(), REGISTER: register_topics()}
        self._lock = threading.RLock()
        self.undecodable: list[int] = []  # notification ids that no longer decode
        for name in self.generational:
            self.view(name, self.generation(name))  # the live generations' tables exist
        self.digest = GlobalDigest(app, page_size=page_size)
        self._payloads = payloads(app)
        self.reader = LedgerReader(lambda g: self.view(LEDGER, g, create=False), app.name)
        self.register = RegisterReader(lambda g: self.view(REGISTER, g, create=False))

    # --- views and generations ----------------------------------------------------------

    def view(self, name: str, generation: int, *, create: bool = True) -> View:
        """The view of one generation; its tables are created on first use unless
        ``create`` is false (readers, inside a read transaction)."""
        view = self._views.get((name, generation))
        if view is None:
            prefix = f"{name}_g{generation}_"
            view_class: Any
            if isinstance(self.datastore, SQLiteDatastore):
                view_class = SQLiteView
            else:
                assert isinstance(self.datastore, PostgresDatastore)
                view_class = PostgresView
            tables = _TABLES[name](prefix, view_class.dialect)
            view = view_class(self.datastore, prefix=prefix, tables=tables)
            if create:
                view.create_table()
            self._views[(name, generation)] = view
        return view

    def _any_view(self) -> View:
        if not self._views:
            return self.view(LEDGER, 1)
        return next(iter(self._views.values()))

    def _meta(self, name: str) -> tuple[int, int | None]:
        view = self._any_view()
        with view.read() as cursor:
            p = view.dialect.param
            cursor.execute(
                f"SELECT generation, building FROM {META_TABLE} WHERE name = {p}", (name,)
            )
            row = cursor.fetchone()
        if row is None:
            return 1, None
        return int(row["generation"]), (int(row["building"]) if row["building"] else None)

    def generation(self, name: str) -> int:
        return self._meta(name)[0]

    def _set_meta(self, name: str, generation: int, building: int | None) -> None:
        view = self._any_view()
        p = view.dialect.param
        with view.write() as cursor:
            cursor.execute(
                f"INSERT INTO {META_TABLE} (name, generation, building) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (name) DO UPDATE SET generation = excluded.generation, "
                "building = excluded.building",
                (name, generation, building),
            )

    def engine(self, name: str, generation: int | None = None) -> Engine:
        generation = self.generation(name) if generation is None else generation
        engine = self._engines.get((name, generation))
        if engine is None:
            view = self.view(name, generation)
            if name == LEDGER:
                engine = LedgerEngine(view, self.app.name, cipher_of(self.app))
            else:
                engine = RegisterEngine(view, self.app.name, self.app.calendar, self.history)
            self._engines[(name, generation)] = engine
        return engine

    def history(self, candidacy_id: UUID, up_to: int) -> list[CandidacyEvent]:
        """A candidacy's stored events up to version ``up_to``, decoded."""
        if up_to < 1:
            return []
        events: list[CandidacyEvent] = []
        for stored in self.app.recorder.select_events(candidacy_id, lte=up_to):
            try:
                event = self.app.mapper.to_domain_event(stored)
            except (MapperDeserialisationError, TopicError, ValueError) as exc:
                log.error(
                    "projections.undecodable_history",
                    candidacy_id=str(candidacy_id),
                    version=stored.originator_version,
                    error=type(exc).__name__,
                )
                continue
            assert isinstance(event, CandidacyEvent), stored.topic
            events.append(event)
        return events

    # --- catching up ----------------------------------------------------------------------

    def max_notification_id(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def status(self) -> list[ProjectionStatus]:
        newest = self.max_notification_id()
        found = []
        for name in self.generational:
            generation, building = self._meta(name)
            position = self.view(name, generation).max_tracking_id(self.app.name) or 0
            lag = self._lag(name, position, newest)
            found.append(ProjectionStatus(name, generation, position, lag, building))
        position = self.digest.position()
        found.append(ProjectionStatus(DIGEST, 1, position, max(0, newest - position), None))
        return found

    def position(self) -> int:
        """The smallest position of the live views (no lag computed)."""
        return min(
            self.digest.position(),
            *(
                self.view(name, self.generation(name)).max_tracking_id(self.app.name) or 0
                for name in self.generational
            ),
        )

    def _lag(self, name: str, position: int, newest: int) -> int:
        """Stored events of the projection's topics beyond its position. A follower
        tracks only the events it takes, so the newest events of other topics are not
        lag; counted exactly up to ``LAG_PROBE`` events, then bounded by the ids."""
        if newest <= position:
            return 0
        pending = self.app.recorder.select_notifications(
            position + 1, LAG_PROBE, stop=newest, topics=self._topics[name]
        )
        return len(pending) if len(pending) < LAG_PROBE else newest - position

    def lag(self) -> int:
        return max(s.lag for s in self.status())

    def catch_up(
        self,
        name: str | None = None,
        generation: int | None = None,
        progress: Progress | None = None,
        *,
        stop: int | None = None,
    ) -> int:
        """Apply every stored event up to ``stop`` (the store's newest when None) to the
        projection ``name`` (all when None), generation ``generation`` (the live one when
        None); returns the number of notification ids scanned. Safe beside other
        processes doing the same: a page another process applied first is not applied
        again (the engine reloads and goes on)."""
        names = self.names if name is None else (name,)
        scanned = 0
        with self._lock:
            for each in names:
                if each == DIGEST:
                    scanned += self.digest.catch_up(progress, stop=stop)
                else:
                    scanned += self._catch_up(each, generation, progress, stop)
        return scanned

    def _catch_up(
        self, name: str, generation: int | None, progress: Progress | None, stop: int | None
    ) -> int:
        key = (name, self.generation(name) if generation is None else generation)
        engine = self.engine(*key)
        try:
            start = engine.position()
            stop = self.max_notification_id() if stop is None else stop
            if stop <= start:
                return 0
            total = stop - start
            position = start
            topics = self._topics[name]
            sizer = PageSizer(self.page_size, self.page_seconds)
            for page in pages(
                self.app.recorder, start + 1, stop=stop, topics=topics, page_size=sizer
            ):
                started = time.perf_counter()
                self._apply(engine, page, Tracking(self.app.name, page[-1].id))
                sizer.took(len(page), time.perf_counter() - started)
                position = page[-1].id
                if progress is not None:
                    progress(position - start, total)
            if position < stop:  # the newest events were of other topics: mark them seen
                self._apply(engine, [], Tracking(self.app.name, stop))
            if progress is not None:
                progress(total, total)
            return total
        except BaseException:
            # The engine may hold events of a page that was not committed.
            self._engines.pop(key, None)
            raise

    def _apply(self, engine: Engine, page: list[Notification] | Any, tracking: Tracking) -> None:
        if isinstance(engine, LedgerEngine):
            items = [i for i in (self._decoded(self._item, n, engine) for n in page) if i]
            engine.process(items, tracking)
        else:
            decoded = []
            for notification in page:
                event = self._decoded(self.app.mapper.to_domain_event, notification, engine)
                if event is not None:
                    assert isinstance(event, CandidacyEvent), notification.topic
                    decoded.append((notification.id, event, event.timestamp))
            engine.process(decoded, tracking)

    def _decoded(
        self, decode: Callable[[Notification], T], notification: Notification, engine: Engine
    ) -> T | None:
        """``decode(notification)``, or None for a stored event that no longer decodes
        (altered in the store): it is logged, its id kept in ``undecodable``, and the
        projection goes on without it (``ketnap audit verify`` says what happened)."""
        try:
            return decode(notification)
        except (MapperDeserialisationError, TopicError, ValueError, KeyError) as exc:
            if notification.id not in self.undecodable:
                self.undecodable.append(notification.id)
            log.error(
                "projections.undecodable_event",
                projection=engine.name,
                notification_id=notification.id,
                topic=notification.topic,
                error=type(exc).__name__,
            )
            return None

    def _item(self, notification: Notification) -> Item:
        topic = notification.topic
        recorded: datetime
        if topic.startswith((candidacy_events.__name__ + ":", MEMBER_TOPIC_PREFIX)):
            payload = self._payloads.decode_state(notification)
            del payload["originator_id"], payload["originator_version"]
            recorded = datetime.fromisoformat(payload["timestamp"])
            return Item(
                notification.id,
                topic,
                UUID(str(notification.originator_id)),
                notification.originator_version,
                recorded,
                payload=payload,
            )
        event = self.app.mapper.to_domain_event(notification)
        assert isinstance(event, OrganisationEvent | QuotaSet), topic
        return Item(
            notification.id,
            topic,
            event.originator_id,
            event.originator_version,
            event.timestamp,
            event=event,
        )

    # --- rebuilding ------------------------------------------------------------------------

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Build a fresh generation of ``name`` from the first event, catch it up to the
        live store, then swap it in atomically; returns the new generation."""
        if name not in self.names:
            raise ValueError(f"unknown projection {name!r}: one of {', '.join(self.names)}")
        if name == DIGEST:
            self.digest.rebuild(progress)
            return 1
        live, _ = self._meta(name)
        fresh = live + 1
        for old in (live - 1, fresh):  # the one before the live one; a failed attempt's
            if old >= 1:
                self.view(name, old).drop()
                self._views.pop((name, old), None)
                self._engines.pop((name, old), None)
        self._set_meta(name, live, fresh)
        self.view(name, fresh)
        started = time.perf_counter()
        scanned = self.catch_up(name, fresh, progress)
        while True:  # what arrived meanwhile, until nothing more is left
            more = self.catch_up(name, fresh)
            if more == 0:
                break
            scanned += more
        self._set_meta(name, fresh, None)
        log.info(
            "projections.rebuilt",
            projection=name,
            generation=fresh,
            events=scanned,
            seconds=round(time.perf_counter() - started, 3),
        )
        return fresh

    def run(
        self,
        *,
        poll_seconds: float = 0.5,
        should_stop: Callable[[], bool] = lambda: False,
        on_page: Callable[[int], None] | None = None,
    ) -> None:
        """Follow the store until ``should_stop()``: catch up, then poll."""
        while not should_stop():
            applied = self.catch_up()
            if on_page is not None and applied:
                on_page(applied)
            if applied == 0:
                time.sleep(poll_seconds)
