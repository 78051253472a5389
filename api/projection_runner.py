"""Runs the persisted projections: catch-up in large pages, rebuild beside the live view,
atomic swap, status (``ketnap projections ...``, the API's catch-up, ``/ready``).

Catch-up reads ``select_notifications`` straight from the application's recorder in pages
of ``PAGE_SIZE`` (never the 10-item notification log), asks the store only for the topics
the projection uses, decodes only those (payload dicts through the mapper, which undoes the
cipher and compression and upcasts; no pydantic validation of candidacy events), and
applies each page in one transaction together with its tracking record. A runner killed
at any point resumes from the last committed page: nothing is applied twice or lost.

Rebuild fills generation N+1 beside the live generation N, then flips
``ketnap_projection.generation`` in one transaction once it has caught up; readers look
the generation up in the same snapshot as their query. The generation before the live
one is dropped by the next rebuild, so a reader that looked up N just before the swap
still finds its tables.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import structlog
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from domain.candidacy import events as candidacy_events
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.facts import FACT_EVENT_NAMES
from projections.ledger import NAME as LEDGER
from projections.ledger import Item, LedgerEngine, LedgerReader, StalePosition, ledger_tables
from projections.store import META_TABLE, PostgresView, SQLiteView, View
from workflows.application import Admissions

log = structlog.get_logger("ketnap.projections")

PAGE_SIZE = 5000
Progress = Callable[[int, int], None]  # (events scanned so far, events to scan)


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def ledger_topics() -> tuple[str, ...]:
    """The stored topics the ledger reads (the store filters on them)."""
    topics = [f"{candidacy_events.__name__}:{name}" for name in sorted(FACT_EVENT_NAMES)]
    topics += sorted(f"{c.__module__}:{c.__qualname__}" for c in _subclasses(OrganisationEvent))
    topics.append(f"{QuotaSet.__module__}:{QuotaSet.__qualname__}")
    return tuple(topics)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    position: int
    lag: int
    building: int | None  # the generation a rebuild is filling, if any


class Projections:
    """The persisted projections of one application's store."""

    names = (LEDGER,)

    def __init__(self, app: Admissions, *, page_size: int = PAGE_SIZE) -> None:
        self.app = app
        self.page_size = page_size
        datastore = getattr(app.recorder, "datastore", None)
        if datastore is None:  # the in-memory (POPO) store: keep the views in memory too
            datastore = SQLiteDatastore(f"file:ketnap-views-{uuid4()}?mode=memory&cache=shared")
        self.datastore: SQLiteDatastore | PostgresDatastore = datastore
        self._views: dict[int, View] = {}
        self._engines: dict[int, LedgerEngine] = {}
        self._topics = ledger_topics()
        self._lock = threading.RLock()
        self.view(self.generation())  # the live generation's tables exist
        self.reader = LedgerReader(lambda g: self.view(g, create=False), app.name)

    # --- views and generations ----------------------------------------------------------

    def view(self, generation: int, *, create: bool = True) -> View:
        """The view of one generation; its tables are created on first use unless
        ``create`` is false (readers, inside a read transaction)."""
        view = self._views.get(generation)
        if view is None:
            prefix = f"{LEDGER}_g{generation}_"
            view_class: Any
            if isinstance(self.datastore, SQLiteDatastore):
                tables = ledger_tables(prefix, SQLiteView.dialect)
                view_class = SQLiteView
            else:
                assert isinstance(self.datastore, PostgresDatastore)
                tables = ledger_tables(prefix, PostgresView.dialect)
                view_class = PostgresView
            view = view_class(self.datastore, prefix=prefix, tables=tables)
            if create:
                view.create_table()
            self._views[generation] = view
        return view

    def _meta(self) -> tuple[int, int | None]:
        view = self._views.get(1) or next(iter(self._views.values()), None)
        if view is None:
            view = self.view(1)
        with view.read() as cursor:
            p = view.dialect.param
            cursor.execute(
                f"SELECT generation, building FROM {META_TABLE} WHERE name = {p}", (LEDGER,)
            )
            row = cursor.fetchone()
        if row is None:
            return 1, None
        return int(row["generation"]), (int(row["building"]) if row["building"] else None)

    def generation(self) -> int:
        if not self._views:
            self.view(1)
        return self._meta()[0]

    def _set_meta(self, generation: int, building: int | None) -> None:
        view = self.view(generation)
        p = view.dialect.param
        with view.write() as cursor:
            cursor.execute(
                f"INSERT INTO {META_TABLE} (name, generation, building) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (name) DO UPDATE SET generation = excluded.generation, "
                "building = excluded.building",
                (LEDGER, generation, building),
            )

    def engine(self, generation: int | None = None) -> LedgerEngine:
        generation = self.generation() if generation is None else generation
        engine = self._engines.get(generation)
        if engine is None:
            engine = LedgerEngine(self.view(generation), self.app.name)
            self._engines[generation] = engine
        return engine

    # --- catching up ----------------------------------------------------------------------

    def max_notification_id(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def status(self) -> list[ProjectionStatus]:
        generation, building = self._meta()
        position = self.view(generation).max_tracking_id(self.app.name) or 0
        lag = max(0, self.max_notification_id() - position)
        return [ProjectionStatus(LEDGER, generation, position, lag, building)]

    def lag(self) -> int:
        return max(s.lag for s in self.status())

    def catch_up(self, generation: int | None = None, progress: Progress | None = None,
                 *, stop: int | None = None) -> int:  # fmt: skip
        """Apply every stored event up to ``stop`` (the store's newest when None) to the
        generation (the live one when None); returns the number of notification ids
        scanned. Safe beside other processes doing the same: a page another process
        applied first is not applied again (the engine reloads and goes on)."""
        with self._lock:
            for _ in range(10):
                try:
                    return self._catch_up(generation, progress, stop)
                except StalePosition:
                    continue
            return self._catch_up(generation, progress, stop)

    def _catch_up(self, generation: int | None, progress: Progress | None,
                  stop: int | None) -> int:  # fmt: skip
        key = self.generation() if generation is None else generation
        engine = self.engine(key)
        try:
            start = engine.position()
            stop = self.max_notification_id() if stop is None else stop
            if stop <= start:
                return 0
            total = stop - start
            position = start
            while position < stop:
                page = self.app.recorder.select_notifications(
                    position + 1, self.page_size, stop=stop, topics=self._topics
                )
                if not page:
                    break
                items = [self._item(n) for n in page]
                engine.process(items, Tracking(self.app.name, page[-1].id), expect=position)
                position = page[-1].id
                if progress is not None:
                    progress(position - start, total)
            if position < stop:  # the newest events were of other topics: mark them seen
                engine.process([], Tracking(self.app.name, stop), expect=position)
            if progress is not None:
                progress(total, total)
            return total
        except BaseException:
            # The engine's tree may hold events of a page that was not committed.
            self._engines.pop(key, None)
            raise

    def _item(self, notification: Notification) -> Item:
        topic = notification.topic
        recorded: datetime
        if topic.startswith(candidacy_events.__name__ + ":"):
            payload = self.app.mapper.decode_state(notification)  # type: ignore[attr-defined]
            del payload["originator_id"], payload["originator_version"]
            recorded = datetime.fromisoformat(payload["timestamp"])
            return Item(notification.id, topic, UUID(str(notification.originator_id)),
                        notification.originator_version, recorded, payload=payload)  # fmt: skip
        event = self.app.mapper.to_domain_event(notification)
        assert isinstance(event, OrganisationEvent | QuotaSet), topic
        return Item(notification.id, topic, event.originator_id, event.originator_version,
                    event.timestamp, event=event)  # fmt: skip

    # --- rebuilding ------------------------------------------------------------------------

    def rebuild(self, progress: Progress | None = None) -> int:
        """Build a fresh generation from the first event, catch it up to the live store,
        then swap it in atomically; returns the new generation."""
        live, _ = self._meta()
        fresh = live + 1
        for old in (live - 1, fresh):  # the one before the live one; a failed attempt's
            if old >= 1:
                self.view(old).drop()
                self._views.pop(old, None)
                self._engines.pop(old, None)
        self._set_meta(live, fresh)
        self.view(fresh)
        started = time.perf_counter()
        scanned = self.catch_up(fresh, progress)
        while True:  # what arrived meanwhile, until nothing more is left
            more = self.catch_up(fresh)
            if more == 0:
                break
            scanned += more
        self._set_meta(fresh, None)
        log.info("projections.rebuilt", projection=LEDGER, generation=fresh, events=scanned,
                 seconds=round(time.perf_counter() - started, 3))  # fmt: skip
        return fresh

    def run(self, *, poll_seconds: float = 0.5, should_stop: Callable[[], bool] = lambda: False,
            on_page: Callable[[int], None] | None = None) -> None:  # fmt: skip
        """Follow the store until ``should_stop()``: catch up, then poll."""
        while not should_stop():
            applied = self.catch_up()
            if on_page is not None and applied:
                on_page(applied)
            if applied == 0:
                time.sleep(poll_seconds)


def notifications_scanned(pages: Sequence[Sequence[Notification]]) -> int:
    return sum(len(p) for p in pages)
