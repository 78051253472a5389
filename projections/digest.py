"""The audit digest: a rolling SHA-256 over the store's global order (ADR 0011).

Per-stream hash chains (ADR 0002) catch an event altered, removed or reordered inside a
candidacy, but not a whole candidacy deleted, nor the newest events of a stream deleted:
what is left is still a valid chain. This projection keeps, in the same database as the
events (``projections.digest_store``):

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

import threading
import time
from collections.abc import Callable, Collection, Sequence
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification

from projections.digest_check import GENESIS, DigestCheck, Finding, chain, leaf, uuid_of
from projections.digest_store import Checkpoint, DigestStore, StreamMark, open_store
from projections.paging import PageSizer, pages
from projections.source import Source

log = structlog.get_logger("ketnap.digest")

NAME = "audit_digest"
WINDOW = 1000
PAGE_SIZE = 5000
Progress = Callable[[int, int], None]  # (done, total), like projections' runners


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
            oid = uuid_of(n.originator_id)
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

    def __init__(self, source: Source, *, window: int = WINDOW, page_size: int = PAGE_SIZE) -> None:
        self.source = source
        self.window = window
        self.page_size = page_size
        self.store: DigestStore = open_store(source.recorder, source.name)
        self.store.create_table()
        self._lock = threading.Lock()

    def position(self) -> int:
        """The last notification id folded into the digest (0 before the first)."""
        return self.store.position()

    def lag(self) -> int:
        """Notification ids in the store beyond the digest's position (ids, not events:
        gaps in the sequence count too)."""
        newest = self.source.recorder.max_notification_id() or 0
        return max(0, newest - self.position())

    def checkpoints(self) -> list[Checkpoint]:
        return self.store.checkpoints()

    def streams(self, ids: Collection[UUID] | None = None) -> dict[UUID, StreamMark]:
        return self.store.streams(ids)

    def catch_up(self, progress: Progress | None = None, *, stop: int | None = None) -> int:
        """Fold in every stored event after the position up to ``stop`` (the newest when
        None), page by page; returns how many. ``progress(done, total)`` counts
        notification ids. Safe beside other processes doing the same: a page another
        process folded in first is not folded in again."""
        done = 0
        recorder = self.source.recorder
        with self._lock:
            position = start = self.position()
            newest = recorder.max_notification_id() or 0
            stop = newest if stop is None else min(stop, newest)
            total = max(0, stop - start)
            overtaken = True
            while overtaken:
                overtaken = False
                sizer = PageSizer(self.page_size)  # pages of about half a second each
                for page in pages(recorder, position + 1, stop=stop, page_size=sizer):
                    ids = {uuid_of(n.originator_id) for n in page}
                    fold = fold_page(page, self.window)
                    started = time.perf_counter()
                    advanced = self.store.advance(position, page[-1].id, ids, fold)
                    sizer.took(len(page), time.perf_counter() - started)
                    if not advanced:  # another process folded this page in first: go on
                        position, overtaken = self.position(), True
                        break
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
        read, expected = 0, check.expected(self.source.recorder.max_notification_id() or 0)
        for page in pages(self.source.recorder, page_size=self.page_size):
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
