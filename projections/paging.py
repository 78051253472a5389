"""The one way the read side reads the store's global order: pages of notifications.

Every follower (the ledger, the register, the audit digest), the audit verifier and the
listings read ``select_notifications`` straight from the recorder in large pages (never the
library's 10-item notification log), optionally only some topics, up to a ``stop`` id.
Notification ids may have gaps (PostgreSQL sequences skip numbers after a rollback): the
next page starts after the last id seen, never at ``start + limit``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from eventsourcing.persistence import ApplicationRecorder, Notification

__all__ = ["PAGE_SIZE", "pages"]

PAGE_SIZE = 5000


def pages(
    recorder: ApplicationRecorder,
    start: int = 1,
    *,
    stop: int | None = None,
    topics: Sequence[str] = (),
    page_size: int = PAGE_SIZE,
) -> Iterator[Sequence[Notification]]:
    """Pages of stored notifications with ids from ``start`` to ``stop`` (inclusive; the end
    of the store when None), of the given ``topics`` (all when empty), in id order."""
    while stop is None or start <= stop:
        page = recorder.select_notifications(start, page_size, stop=stop, topics=topics)
        if not page:
            return
        yield page
        start = page[-1].id + 1
