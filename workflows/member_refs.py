"""The roster's members by what a board's file names them with: their national id or their
party card number (from the ``MemberRegistered`` events; the store's cipher, if any, reads
them). An import of past candidacies names introducers and helpers that way."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from domain.member import MemberRegistered
from workflows.scan import events_of


def member_refs(recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> dict[str, UUID]:
    """``"cccd:<digits>"`` and ``"card:<number>"`` → the member's id."""
    found: dict[str, UUID] = {}
    for event in events_of(recorder, mapper, (MemberRegistered.topic(),)):
        assert isinstance(event, MemberRegistered)
        if event.national_id:
            found[f"cccd:{event.national_id}"] = event.originator_id
        if event.party_card_number:
            found[f"card:{event.party_card_number.strip().upper()}"] = event.originator_id
    return found
