"""Every stored event of some topics, in the store's order, page by page (the library's
notification log filtered by topic): what a lookup of the whole store reads."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.events import DomainEvent

PAGE = 5_000


def events_of(
    recorder: ApplicationRecorder,
    mapper: Mapper[UUID],
    topics: Sequence[str],
    page: int = PAGE,
) -> Iterator[DomainEvent]:
    position = 0
    while True:
        batch: Sequence[Notification] = recorder.select_notifications(
            position + 1, page, topics=topics
        )
        for notification in batch:
            event = mapper.to_domain_event(notification)
            assert isinstance(event, DomainEvent)
            yield event
            position = notification.id
        if len(batch) < page:
            return
