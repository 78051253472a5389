"""The read side the HTTP API answers figures from, kept caught up with the store.

``LiveProjections`` holds the in-memory read models (``AdmissionsProjection`` for counts
and quotas, ``CandidacyIndex`` for candidacies by unit, the pipeline and deadlines) and the
id of the last stored notification they have seen. ``catch_up()`` reads what is new from
the recorder in pages of 1,000 and applies it; a background thread calls it every half
second (SQLite has no LISTEN/NOTIFY, and polling is good enough on PostgreSQL for now), and
every report endpoint calls it first, so a lone server answers right after a write.

Time travel:

- ``as_of=D`` (effective time) is answered by the read models themselves (facts effective
  by the end of day D).
- ``known_at=T`` (recording time): ``read(known_at=T)`` builds temporary read models from
  the stored events whose ``timestamp`` is at or before T. Correct and simple, but it reads
  the whole store for each such request; the persisted, bitemporal projections planned next
  answer it from the recording time of each fact instead. When T is after everything the
  live models have seen, they answer directly.

These read models are rebuilt from the store on each start; nothing here is persisted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import structlog
from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError

from api.digest import digest_for
from api.metrics import Metrics
from api.projection_runner import Projections
from domain.candidacy.events import CandidacyEvent
from domain.events import DomainEvent
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.admissions import AdmissionsProjection
from projections.candidacies import CandidacyIndex
from projections.ledger import LedgerReader
from workflows.application import Admissions

log = structlog.get_logger("ketnap.readmodel")

PAGE_SIZE = 1000
POLL_SECONDS = 0.5
NAMES = ("admissions", "candidacies")
# The modules whose events the read models use: others (roster, tokens, idempotency
# records) are skipped by topic, without decoding.
_RELEVANT_MODULES = frozenset(
    cls.__module__ for cls in (CandidacyEvent, OrganisationEvent, QuotaSet)
)


@dataclass(frozen=True)
class ReadModels:
    """The read models as one consistent snapshot to answer a request from."""

    admissions: AdmissionsProjection
    candidacies: CandidacyIndex
    position: int

    @classmethod
    def empty(cls) -> ReadModels:
        admissions = AdmissionsProjection()
        return cls(admissions, CandidacyIndex(tree=admissions.tree), 0)

    def apply(self, event: DomainEvent) -> None:
        self.admissions.apply(event)
        self.candidacies.apply(event)  # the tree is shared: taken once


def notifications(
    admissions: Admissions, start: int = 1, page_size: int = PAGE_SIZE
) -> Iterator[Sequence[Notification]]:
    """Pages of stored notifications from id ``start`` on, until the end of the store."""
    while True:
        page = admissions.recorder.select_notifications(start, limit=page_size)
        if not page:
            return
        yield page
        start = page[-1].id + 1


def relevant_events(
    admissions: Admissions, page: Sequence[Notification], skipped: list[int] | None = None
) -> Iterator[DomainEvent]:
    """The decoded events of ``page`` the read models use.

    A stored event that no longer decodes (altered in the store) raises, unless a
    ``skipped`` list is given: then it is logged as an error, its notification id noted
    there, and the rest is read (``/audit/verify`` says what happened to it).
    """
    for notification in page:
        if notification.topic.partition(":")[0] not in _RELEVANT_MODULES:
            continue
        try:
            event = admissions.mapper.to_domain_event(notification)
        except (ValueError, TopicError) as exc:
            if skipped is None:
                raise
            log.error(
                "projections.undecodable_event",
                notification_id=notification.id,
                topic=notification.topic,
                error=type(exc).__name__,
            )
            skipped.append(notification.id)
            continue
        assert isinstance(event, DomainEvent), notification.topic
        yield event


class LiveProjections:
    """In-memory read models kept caught up with the store (thread-safe).

    Every read goes through ``read()``, which catches up and holds the lock while the
    caller reads, so a reader never sees a half-applied page.
    """

    def __init__(
        self,
        admissions: Admissions,
        *,
        page_size: int = PAGE_SIZE,
        poll_seconds: float = POLL_SECONDS,
        follow_ledger: bool = True,
    ) -> None:
        self.admissions = admissions
        # The persisted, bitemporal projections (quota and admissions figures); this
        # process catches them up unless a separate ``ketnap projections run`` does.
        self.ledger = Projections(admissions)
        self.follow_ledger = follow_ledger
        self.page_size = page_size
        self.poll_seconds = poll_seconds
        self._models = ReadModels.empty()
        self._position = 0
        self._latest: datetime | None = None  # the latest recording time applied
        self._undecodable: list[int] = []  # notification ids skipped (see relevant_events)
        # The in-memory models are folded only once someone reads them (``read()``): the
        # API answers from the persisted projections and never needs them.
        self._index_used = False
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def position(self) -> int:
        """The id of the last notification every read model applied (0: none yet)."""
        persisted = self.ledger.position()
        return min(self._position, persisted) if self._index_used else persisted

    @property
    def undecodable(self) -> list[int]:
        """Notification ids of stored events skipped because they no longer decode."""
        return sorted({*self._undecodable, *self.ledger.undecodable})

    def catch_up(self) -> int:
        """Apply every notification recorded since the last call; returns how many ids
        every read model moved on by.

        The in-memory index (once read) first, then the persisted projections and the
        audit digest."""
        before = self.position
        if self._index_used:
            self._catch_up_index()
        if self.follow_ledger:
            self.ledger.catch_up()
            digest_for(self.admissions).catch_up()
        return self.position - before

    def _catch_up_index(self) -> int:
        with self._lock:
            applied = 0
            for page in notifications(self.admissions, self._position + 1, self.page_size):
                for event in relevant_events(self.admissions, page, self._undecodable):
                    self._models.apply(event)
                    if self._latest is None or event.timestamp > self._latest:
                        self._latest = event.timestamp
                self._position = page[-1].id
                applied += len(page)
        return applied

    def ledger_reader(self) -> LedgerReader:
        """The persisted figures, caught up first when this process follows them."""
        if self.follow_ledger:
            self.catch_up()
        return self.ledger.reader

    def report_lag(self, metrics: Metrics) -> None:
        """Set the lag gauge of each persisted projection and of the in-memory index."""
        for status in self.ledger.status():
            metrics.projection_lag.labels(status.name).set(status.lag)
        latest = self.admissions.recorder.max_notification_id() or 0
        if self._index_used:
            metrics.projection_lag.labels("candidacy_index").set(max(0, latest - self._position))

    def lag(self) -> int:
        """How many notifications the store holds beyond what was applied (an upper bound:
        PostgreSQL sequences may skip ids)."""
        if not self._index_used:
            return self.ledger.lag()
        latest = self.admissions.recorder.max_notification_id() or 0
        return max(0, latest - self._position, self.ledger.lag())

    @contextmanager
    def read(self, known_at: datetime | None = None) -> Iterator[ReadModels]:
        """Read models caught up with the store, as recorded by ``known_at`` when given."""
        with self._lock:
            self._index_used = True
            self.catch_up()
            if known_at is None or (self._latest is not None and known_at >= self._latest):
                yield ReadModels(self._models.admissions, self._models.candidacies, self._position)
                return
        yield self.known_at(known_at)

    def known_at(self, known_at: datetime) -> ReadModels:
        """Fresh read models from the stored events recorded at or before ``known_at``
        (reads the whole store)."""
        models = ReadModels.empty()
        position = 0
        for page in notifications(self.admissions, 1, self.page_size):
            for event in relevant_events(self.admissions, page, []):
                if event.timestamp <= known_at:
                    models.apply(event)
            position = page[-1].id
        return ReadModels(models.admissions, models.candidacies, position)

    # --- the background poller ---------------------------------------------------------

    def start_background(self, metrics: Metrics | None = None) -> None:
        """Catch up now and then every ``poll_seconds`` in a daemon thread, setting the
        lag gauge. Errors (the store unreachable) are logged and retried."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(metrics,), name="ketnap-projections", daemon=True
        )
        self._thread.start()

    def stop_background(self, timeout: float = 10.0) -> None:
        """Stop the poller and wait for it."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)

    def _run(self, metrics: Metrics | None) -> None:
        failing = False
        while True:
            try:
                self.catch_up()
                if metrics is not None:
                    self.report_lag(metrics)
                if failing:
                    log.info("projections.recovered", position=self._position)
                failing = False
            except Exception as exc:  # keep polling: the store may come back
                if not failing:
                    log.error("projections.catch_up_failed", error=type(exc).__name__, exc_info=exc)
                failing = True
            if self._stop.wait(self.poll_seconds):
                return
