"""The one way the read side reads the store's global order: pages of notifications.

Every follower (the ledger, the register, the audit digest), the audit verifier and the
listings read ``select_notifications`` straight from the recorder in large pages (never the
library's 10-item notification log), optionally only some topics, up to a ``stop`` id.
Notification ids may have gaps (PostgreSQL sequences skip numbers after a rollback): the
next page starts after the last id seen, never at ``start + limit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from eventsourcing.persistence import ApplicationRecorder, Notification

__all__ = ["PAGE_SECONDS", "PAGE_SIZE", "PageSizer", "pages"]

PAGE_SIZE = 5000
PAGE_SECONDS = 0.5
MIN_PAGE = 50


class PageSizer:
    """Pages sized by time: each page about ``seconds`` of work, at most ``largest``
    events. A follower commits each page with its tracking record, so sizing pages by time
    means progress is committed at least every second whatever a view costs per event: a
    runner restarted often (or killed after a second) still advances.

    Call it for the next page's size; call ``took(events, seconds)`` after applying one."""

    def __init__(self, largest: int = PAGE_SIZE, seconds: float = PAGE_SECONDS) -> None:
        self.largest = max(1, largest)
        self.seconds = seconds
        self.size = min(self.largest, max(MIN_PAGE, 100))

    def __call__(self) -> int:
        return self.size

    def took(self, events: int, seconds: float) -> None:
        if events <= 0:
            return
        rate = events / max(seconds, 1e-6)
        wanted = int(rate * self.seconds)
        self.size = max(min(MIN_PAGE, self.largest), min(self.largest, wanted, self.size * 4))


def pages(
    recorder: ApplicationRecorder,
    start: int = 1,
    *,
    stop: int | None = None,
    topics: Sequence[str] = (),
    page_size: int | Callable[[], int] = PAGE_SIZE,
) -> Iterator[Sequence[Notification]]:
    """Pages of stored notifications with ids from ``start`` to ``stop`` (inclusive; the end
    of the store when None), of the given ``topics`` (all when empty), in id order.
    ``page_size`` may be a callable (a ``PageSizer``), asked before each page."""
    while stop is None or start <= stop:
        size = page_size() if callable(page_size) else page_size
        page = recorder.select_notifications(start, size, stop=stop, topics=topics)
        if not page:
            return
        yield page
        start = page[-1].id + 1
