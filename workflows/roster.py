"""Who the official members of a branch were on a given day, from the roster's events.

A branch vote counts against the branch's official members on the vote's day (ADR 0012).
The write side answers that from this index: the roster's events (registrations,
recognitions, transfers, departures, restatements) folded into one small record per
member, caught up from the store's notification log (topics filtered) before every
question, so a member registered by another process a moment ago is counted too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.events import DomainEvent
from domain.member import (
    MemberLeft,
    MemberRecognised,
    MemberRecordRestated,
    MemberRegistered,
    MemberTransferred,
)

TOPICS: tuple[str, ...] = tuple(
    cls.topic()
    for cls in (
        MemberRegistered,
        MemberRecognised,
        MemberTransferred,
        MemberLeft,
        MemberRecordRestated,
    )
)
PAGE = 5_000


@dataclass
class _Member:
    """What the count needs of one member: no name, no personal data."""

    official_on: date | None
    admitted_on: date
    # (from, branch): the registered branch holds from the start, each transfer from its day.
    branches: list[tuple[date, UUID]] = field(default_factory=list)
    left_on: date | None = None

    def branch_on(self, day: date) -> UUID | None:
        current: UUID | None = None
        for since, branch in self.branches:
            if since <= day:
                current = branch
        return current

    def official_in(self, branch_id: UUID, day: date) -> bool:
        return (
            self.official_on is not None
            and self.official_on <= day
            and (self.left_on is None or self.left_on > day)
            and self.branch_on(day) == branch_id
        )


class RosterIndex:
    """The official members per branch and day, folded from the roster's stored events."""

    def __init__(self, recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self._members: dict[UUID, _Member] = {}
        self._position = 0
        self._lock = threading.Lock()

    def official_members(self, branch_id: UUID, day: date) -> list[UUID]:
        """The ids of the branch's official members at the end of ``day``, sorted."""
        with self._lock:
            self._catch_up()
            return sorted(m for m, rec in self._members.items() if rec.official_in(branch_id, day))

    def members_on(
        self, day: date, branches: set[UUID] | None = None, status: str | None = None
    ) -> list[UUID]:
        """The ids of the members on the roster at the end of ``day`` (admitted by then, not
        left), in ``branches`` (every branch when None), ``official`` or ``probationary``
        then (both when None), sorted."""
        with self._lock:
            self._catch_up()
            found = []
            for mid, rec in self._members.items():
                if rec.admitted_on > day or (rec.left_on is not None and rec.left_on <= day):
                    continue
                branch = rec.branch_on(day)
                if branch is None or (branches is not None and branch not in branches):
                    continue
                official = rec.official_on is not None and rec.official_on <= day
                if status is not None and status != ("official" if official else "probationary"):
                    continue
                found.append(mid)
            return sorted(found)

    def _catch_up(self) -> None:
        while True:
            page: Sequence[Notification] = self._recorder.select_notifications(
                self._position + 1, PAGE, topics=TOPICS
            )
            for notification in page:
                event = self._mapper.to_domain_event(notification)
                assert isinstance(event, DomainEvent)
                self._apply(event)
                self._position = notification.id
            if len(page) < PAGE:
                return

    def _apply(self, event: DomainEvent) -> None:
        mid = event.originator_id
        if isinstance(event, MemberRegistered):
            official = event.official_on if event.status == "official" else None
            since = event.in_branch_since or date.min
            self._members[mid] = _Member(
                official_on=official,
                admitted_on=event.admitted_on,
                branches=[(since, event.branch_id)],
            )
            return
        member = self._members.get(mid)
        if member is None:  # a follow-up without its registration cannot count anyone
            return
        if isinstance(event, MemberRecognised):
            member.official_on = event.official_on
        elif isinstance(event, MemberTransferred):
            member.branches.append((event.transferred_on, event.branch_id))
            member.branches.sort(key=lambda span: span[0])
        elif isinstance(event, MemberLeft):
            member.left_on = event.left_on
        elif isinstance(event, MemberRecordRestated):
            member.official_on = event.official_on
