"""The roster's members by what a board's file names them with: their national id or their
party card number (from the ``MemberRegistered`` events; the store's cipher, if any, reads
them). An import of past candidacies names introducers and helpers that way."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.member import MemberRegistered

PAGE = 5_000


def member_refs(recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> dict[str, UUID]:
    """``"cccd:<digits>"`` and ``"card:<number>"`` → the member's id."""
    found: dict[str, UUID] = {}
    position = 0
    topics = (MemberRegistered.topic(),)
    while True:
        page: Sequence[Notification] = recorder.select_notifications(
            position + 1, PAGE, topics=topics
        )
        for notification in page:
            event = mapper.to_domain_event(notification)
            assert isinstance(event, MemberRegistered)
            if event.national_id:
                found[f"cccd:{event.national_id}"] = event.originator_id
            if event.party_card_number:
                found[f"card:{event.party_card_number.strip().upper()}"] = event.originator_id
            position = notification.id
        if len(page) < PAGE:
            return found
