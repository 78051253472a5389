"""The units by their code, from the store's ``OrganisationFounded`` events (a unit's code
never changes). Imports name units by code (``Mã đơn vị``, ``Mã chi bộ``); the tree does
not forbid two units one code, so a code may name several units, and an import refuses
such a code as ambiguous."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.events import DomainEvent
from domain.organisation import OrganisationFounded

PAGE = 5_000


def unit_codes(recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> dict[str, list[UUID]]:
    """Every unit's id under its code (codes compared as written, trimmed)."""
    found: dict[str, list[UUID]] = {}
    position = 0
    topics = (OrganisationFounded.topic(),)
    while True:
        page: Sequence[Notification] = recorder.select_notifications(
            position + 1, PAGE, topics=topics
        )
        for notification in page:
            event = mapper.to_domain_event(notification)
            assert isinstance(event, DomainEvent) and isinstance(event, OrganisationFounded)
            found.setdefault(event.code.strip(), []).append(event.originator_id)
            position = notification.id
        if len(page) < PAGE:
            return found
