"""Helpers shared by the integration tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.persistence import Notification

from workflows.application import Admissions

# ``open_app()``: a new application instance on the test's store.
OpenApp = Callable[..., Admissions]


def notifications_after(app: Admissions, last_id: int) -> list[Notification]:
    """The notifications recorded after ``last_id``.

    Counting rows, not subtracting ids: on PostgreSQL a failed insert still consumes a
    value of the ``notification_id`` sequence, so ids have gaps after a conflict.
    """
    return list(app.recorder.select_notifications(last_id, limit=10_000, inclusive_of_start=False))


def counts(app: Admissions, candidacy_id: UUID) -> tuple[int, int, int, int]:
    """What a refused command must leave unchanged: the folded history, the raw rows of
    the stream, the application's last notification id and its number of notifications."""
    return (
        len(app.candidacy(candidacy_id).history),
        len(app.recorder.select_events(candidacy_id)),
        app.recorder.max_notification_id() or 0,
        len(notifications_after(app, 0)),
    )
