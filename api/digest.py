"""The audit digest: a rolling SHA-256 over the store's global order (ADR 0011).

Per-stream hash chains (ADR 0002) catch an event altered, removed or reordered inside a
candidacy, but not a whole candidacy deleted, nor the newest events of a stream deleted:
what is left is still a valid chain. This projection keeps, in the same database as the
events (``api.digest_store``):

- **checkpoints** every ``WINDOW`` stored events, and one at the tip: the last
  notification id, the events in the window, the cumulative count and a chained digest.
  Each event contributes a *leaf*, SHA-256 over (notification id, originator id, version,
  SHA-256 of the topic, SHA-256 of the stored state bytes); a window's digest is
  ``sha256(previous || leaf)`` folded over its events, starting from the previous
  checkpoint's digest. Notification ids may have gaps (PostgreSQL sequences skip numbers
  after a rollback): windows count events and record ids, they never assume contiguity;
- **one row per stream**: its first topic, count, last version, last notification id, the
  leaf of its last event and a digest over its own leaves, so a stream that vanishes is
  named with its last known position.

It is maintained with the library's tracking records (each page of 5,000 notifications,
read with ``select_notifications``, is written with its tracking record in one
transaction). ``GlobalDigest.verify()`` recomputes it from the store; the audit verifier
(``api.audit.verification``) feeds the same check during its single pass. An attacker who can
rewrite these tables as well can hide a change: anchor the tip outside the database
(docs/operations.md).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification

from api.digest_store import Checkpoint, DigestStore, StreamMark, open_store
from domain.access import TokenIssued
from domain.candidacy.events import CandidacyEvent
from domain.idempotency import CommandAccepted
from domain.member import MemberRegistered
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from workflows.application import Admissions

log = structlog.get_logger("ketnap.digest")

NAME = "audit_digest"
WINDOW = 1000
PAGE_SIZE = 5000
GENESIS = bytes(32)
ProblemKind = Literal["altered", "removed", "reordered"]
Progress = Callable[[int, int], None]  # (done, total), like projections' runners
AGGREGATES = {
    CandidacyEvent.__module__: "candidacy",
    OrganisationEvent.__module__: "organisation",
    MemberRegistered.__module__: "member",
    QuotaSet.__module__: "quota",
    CommandAccepted.__module__: "idempotency_record",
    TokenIssued.__module__: "token",
}
STORE = "store"  # the aggregate named by problems of the global order itself


def aggregate_of(topic: str) -> str:
    """What kind of record a topic belongs to (``candidacy``, ``member``, …)."""
    module = topic.partition(":")[0]
    return AGGREGATES.get(module, module)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: a stored event (or, for ``aggregate == "store"``, a range of the global
    order) altered, removed or reordered after it was recorded."""

    stream_id: UUID | None
    position: int | None
    kind: ProblemKind
    detail: str
    aggregate: str = "candidacy"
    notification_ids: tuple[int, int] | None = None  # (first, last), for the global order

    @property
    def candidacy_id(self) -> UUID | None:
        return self.stream_id if self.aggregate == "candidacy" else None


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@lru_cache(maxsize=256)
def _topic_hash(topic: str) -> bytes:
    return hashlib.sha256(topic.encode()).digest()


def leaf(notification: Notification, notification_id: int | None = None) -> bytes:
    """The hash one stored event contributes: of its id, originator, version, topic and the
    exact stored bytes (after any cipher; so a re-encoding is a change too)."""
    h = hashlib.sha256((notification_id or notification.id).to_bytes(8, "big"))
    h.update(_uuid(notification.originator_id).bytes)
    h.update(notification.originator_version.to_bytes(8, "big"))
    h.update(_topic_hash(notification.topic))
    h.update(hashlib.sha256(notification.state).digest())
    return h.digest()


def chain(previous: bytes, leaf_hash: bytes) -> bytes:
    return hashlib.sha256(previous + leaf_hash).digest()


def fold_page(
    page: Sequence[Notification], window: int
) -> Callable[
    [Checkpoint | None, dict[UUID, StreamMark]], tuple[list[Checkpoint], list[StreamMark]]
]:
    """The fold that adds ``page`` to the tip checkpoint and the page's stream rows."""
    leaves = [leaf(n) for n in page]

    def fold(
        tip: Checkpoint | None, marks: dict[UUID, StreamMark]
    ) -> tuple[list[Checkpoint], list[StreamMark]]:
        written: list[Checkpoint] = []
        seq, events = (tip.seq, tip.events) if tip else (0, window)
        total, last = (tip.total, tip.last_notification_id) if tip else (0, 0)
        digest = bytes.fromhex(tip.digest) if tip else GENESIS
        touched: dict[UUID, StreamMark] = {}
        for at, (n, lf) in enumerate(zip(page, leaves, strict=True)):
            if events >= window:  # the tip is full: this event opens the next window
                seq, events = seq + 1, 0
            digest, events, total, last = chain(digest, lf), events + 1, total + 1, n.id
            if events == window or at == len(page) - 1:
                written.append(Checkpoint(seq, last, events, total, digest.hex()))
            oid = _uuid(n.originator_id)
            mark = touched.get(oid) or marks.get(oid)
            base = bytes.fromhex(mark.digest) if mark else GENESIS
            touched[oid] = StreamMark(
                originator_id=oid,
                topic=mark.topic if mark else n.topic,
                events=(mark.events if mark else 0) + 1,
                last_version=n.originator_version,
                last_notification_id=n.id,
                last_leaf=lf.hex(),
                digest=chain(base, lf).hex(),
            )
        return written, list(touched.values())

    return fold


class GlobalDigest:
    """The ``audit_digest`` projection: catch it up, ask its position and lag, verify."""

    name = NAME

    def __init__(
        self, admissions: Admissions, *, window: int = WINDOW, page_size: int = PAGE_SIZE
    ) -> None:
        self.admissions = admissions
        self.window = window
        self.page_size = page_size
        self.store: DigestStore = open_store(admissions.recorder, admissions.name)
        self.store.create_table()
        self._lock = threading.Lock()

    def position(self) -> int:
        """The last notification id folded into the digest (0 before the first)."""
        return self.store.position()

    def lag(self) -> int:
        """Notification ids in the store beyond the digest's position (ids, not events:
        gaps in the sequence count too)."""
        newest = self.admissions.recorder.max_notification_id() or 0
        return max(0, newest - self.position())

    def checkpoints(self) -> list[Checkpoint]:
        return self.store.checkpoints()

    def streams(self, ids: Collection[UUID] | None = None) -> dict[UUID, StreamMark]:
        return self.store.streams(ids)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Fold in every stored event after the position, page by page; returns how many.
        ``progress(done, total)`` counts notification ids. Safe beside other processes
        doing the same: a page another process folded in first is not folded in again."""
        done = 0
        with self._lock:
            position = start = self.position()
            total = max(0, (self.admissions.recorder.max_notification_id() or 0) - start)
            while page := self.admissions.recorder.select_notifications(
                position + 1, limit=self.page_size
            ):
                ids = {_uuid(n.originator_id) for n in page}
                if not self.store.advance(position, page[-1].id, ids, fold_page(page, self.window)):
                    position = self.position()  # another process was faster: go on from there
                    continue
                position = page[-1].id
                done += len(page)
                if progress is not None:
                    progress(position - start, max(total, position - start))
        if done:
            log.info("digest.caught_up", events=done, position=position)
        return done

    def rebuild(self, progress: Progress | None = None) -> int:
        """Forget the digest and fold in the store **as it is now**. This certifies the
        current contents, tampered or not: verify first, and only rebuild after the
        findings are explained (docs/operations.md)."""
        log.warning("digest.rebuild", position=self.position())
        self.store.reset()
        return self.catch_up(progress)

    def verify(self, progress: Progress | None = None) -> list[Finding]:
        """Recompute the digest from the store and list every difference (global order
        and every stream); the per-stream chains are ``api.audit.verification``'s job.
        ``progress(read, expected)`` counts events."""
        check = self.check()
        read, expected = 0, check.expected(self.admissions)
        for page in pages(self.admissions, self.page_size):
            for notification in page:
                check.add(notification)
            read += len(page)
            if progress is not None:
                progress(read, max(read, expected))
        return check.finish()

    def check(
        self, streams: Collection[UUID] | None = None, anchors: dict[int, str] | None = None
    ) -> DigestCheck:
        """A check to feed the stored events to: of the whole store (global order and every
        stream) when ``streams`` is None, else of those streams only. ``anchors`` (id ->
        digest, kept outside the database) are recomputed from the first event on."""
        seen = self.store.snapshot(streams)
        return DigestCheck(
            seen.position,
            seen.checkpoints if streams is None else None,
            seen.streams,
            store_wide=streams is None,
            anchors=dict(anchors or {}),
        )


def pages(admissions: Admissions, page_size: int = PAGE_SIZE) -> Iterator[Sequence[Notification]]:
    """Every stored notification, in pages of ``page_size``, in the global order."""
    start = 1
    while page := admissions.recorder.select_notifications(start, limit=page_size):
        yield page
        start = page[-1].id + 1


_cache: weakref.WeakKeyDictionary[Admissions, GlobalDigest] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def digest_for(admissions: Admissions) -> GlobalDigest:
    """The one ``GlobalDigest`` of an application (created, with its tables, on first use)."""
    with _cache_lock:
        digest = _cache.get(admissions)
        if digest is None:
            digest = _cache[admissions] = GlobalDigest(admissions)
        return digest


@dataclass
class _Seen:
    """What the store holds of one recorded stream, within the digest's range."""

    events: int = 0
    max_version: int = 0
    digest: bytes = GENESIS
    last: Literal["same", "moved", "altered"] | None = None  # the recorded last event


@dataclass
class DigestCheck:
    """Compares the stored events, fed in global order, with the recorded digest."""

    position: int
    checkpoints: list[Checkpoint] | None  # None: the global order is not checked
    marks: dict[UUID, StreamMark]
    store_wide: bool
    anchors: dict[int, str] = field(default_factory=dict)  # notification id -> digest
    findings: list[Finding] = field(default_factory=list)
    _seen: dict[UUID, _Seen] = field(default_factory=dict)
    _unrecorded: dict[UUID, tuple[str, int]] = field(default_factory=dict)
    _window: int = 0
    _count: int = 0
    _digest: bytes = GENESIS
    _newest: int = 0
    _pure: bytes = GENESIS  # recomputed from the first event on, trusting no checkpoint
    _anchored: dict[int, str] = field(default_factory=dict)

    def expected(self, admissions: Admissions) -> int:
        """How many stored events a full pass should read: those the digest recorded and
        the notification ids after its position (an estimate for progress bars)."""
        newest = admissions.recorder.max_notification_id() or 0
        if self.checkpoints is None:  # a scoped check: every id is an upper bound
            return newest
        recorded = self.checkpoints[-1].total if self.checkpoints else 0
        return recorded + max(0, newest - self.position)

    def add(self, notification: Notification) -> None:
        """Feed the next stored event (in notification id order)."""
        nid = notification.id
        lf = leaf(notification)
        if self.anchors:
            self._pure = chain(self._pure, lf)
            if nid in self.anchors:
                self._anchored[nid] = self._pure.hex()
        if nid > self.position:
            return  # not folded in yet: the chains alone check it
        self._newest = nid
        if self.checkpoints is not None:
            self._close_windows_before(nid)
            self._digest, self._count = chain(self._digest, lf), self._count + 1
        oid = _uuid(notification.originator_id)
        mark = self.marks.get(oid)
        if mark is None:
            if self.store_wide:
                self._unrecorded.setdefault(
                    oid, (notification.topic, notification.originator_version)
                )
            return
        seen = self._seen.setdefault(oid, _Seen())
        seen.events += 1
        seen.max_version = max(seen.max_version, notification.originator_version)
        seen.digest = chain(seen.digest, lf)
        if notification.originator_version == mark.last_version:
            recorded = bytes.fromhex(mark.last_leaf)
            if lf == recorded:
                seen.last = "same"
            elif leaf(notification, mark.last_notification_id) == recorded:
                seen.last = "moved"
            else:
                seen.last = "altered"

    def _close_windows_before(self, nid: int) -> None:
        checkpoints = self.checkpoints or []
        while (
            self._window < len(checkpoints) and nid > checkpoints[self._window].last_notification_id
        ):
            self._close_window()

    def _close_window(self) -> None:
        checkpoints = self.checkpoints or []
        k = self._window
        cp = checkpoints[k]
        first = checkpoints[k - 1].last_notification_id + 1 if k else 1
        ids = (first, cp.last_notification_id)
        where = f"notification ids {first}–{cp.last_notification_id} (checkpoint {cp.seq})"
        if self._count < cp.events:
            self._store(
                "removed",
                f"{where}: {cp.events - self._count} of the {cp.events} "
                "events the digest recorded are gone",
                ids,
            )
        elif self._count > cp.events:
            self._store(
                "altered",
                f"{where}: {self._count - cp.events} events more than the "
                f"{cp.events} the digest recorded",
                ids,
            )
        elif self._digest.hex() != cp.digest:
            self._store(
                "altered",
                f"{where}: the stored events' bytes, ids or order differ "
                "from the digest recorded as they arrived",
                ids,
            )
        self._window, self._count, self._digest = k + 1, 0, bytes.fromhex(cp.digest)

    def _store(self, kind: ProblemKind, detail: str, ids: tuple[int, int] | None = None) -> None:
        self.findings.append(Finding(None, None, kind, detail, STORE, ids))

    def finish(self) -> list[Finding]:
        """Every difference found, once all stored events were fed."""
        if self.checkpoints is not None:
            self._check_checkpoints()
            while self._window < len(self.checkpoints):
                self._close_window()
        for nid, anchored in sorted(self.anchors.items()):
            found = self._anchored.get(nid)
            if found is None:
                self._store(
                    "removed",
                    f"the anchored event (notification id {nid}) is no longer in the store",
                    (nid, nid),
                )
            elif found != anchored:
                self._store(
                    "altered",
                    "the store no longer hashes to the anchor kept for "
                    f"notification id {nid}: an event up to it was altered, removed "
                    "or reordered (alone, this means the digest tables were rewritten "
                    "to match)",
                    (1, nid),
                )
        for oid, mark in self.marks.items():
            self._check_stream(mark, self._seen.get(oid, _Seen()))
        for oid, (topic, version) in self._unrecorded.items():
            self.findings.append(
                Finding(
                    oid,
                    version,
                    "altered",
                    "the digest never recorded this stream in the range "
                    "it covers: inserted afterwards, or its digest row was deleted",
                    aggregate_of(topic),
                )
            )
        return self.findings

    def _check_checkpoints(self) -> None:
        checkpoints, total = self.checkpoints or [], 0
        for expected_seq, cp in enumerate(checkpoints, start=1):
            total += cp.events
            if cp.seq != expected_seq or cp.total != total:
                self._store(
                    "altered",
                    f"the digest's checkpoint {cp.seq} does not follow "
                    "the one before it: the digest table itself was edited",
                )
                break
        tip = checkpoints[-1].last_notification_id if checkpoints else 0
        if tip != self.position:
            self._store(
                "altered",
                f"the digest's checkpoints end at notification id {tip} "
                f"but its tracking record at {self.position}",
            )
        if self._newest < tip:
            self._store(
                "removed",
                f"the store's events end at notification id "
                f"{self._newest}, the digest recorded events up to {tip}: the newest "
                "events were removed",
                (self._newest + 1, tip),
            )

    def _check_stream(self, mark: StreamMark, seen: _Seen) -> None:
        aggregate = aggregate_of(mark.topic)

        def report(position: int | None, kind: ProblemKind, detail: str) -> None:
            self.findings.append(Finding(mark.originator_id, position, kind, detail, aggregate))

        if seen.events == 0:  # named once, at its last known position
            events = f"{mark.events} event" + ("s" if mark.events != 1 else "")
            report(
                mark.last_version,
                "removed",
                f"the whole {aggregate} is missing from the "
                f"store: the digest recorded {events}, positions 1–{mark.last_version}, "
                f"the last at notification id {mark.last_notification_id}",
            )
            return
        last, recorded = mark.last_version, mark.events
        if seen.max_version < last:
            detail = f"the digest recorded positions up to {last}, the store ends at "
            for position in range(seen.max_version + 1, last + 1):
                report(position, "removed", f"{detail}{seen.max_version}")
        elif seen.last == "altered":
            report(
                last,
                "altered",
                "the stored bytes of the newest event differ from those the digest recorded",
            )
        elif seen.last == "moved":
            report(
                last,
                "reordered",
                "the newest event moved in the store's global order "
                f"(recorded at notification id {mark.last_notification_id})",
            )
        elif seen.events != recorded or seen.digest.hex() != mark.digest:
            report(
                None,
                "altered",
                f"{seen.events} stored events (the digest recorded "
                f"{recorded}); their bytes, ids or order differ from what it saw",
            )
