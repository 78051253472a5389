"""The roster's members by what a board's file names them with: their national id or their
party card number, else their name and date of birth (from the ``MemberRegistered``
events; the store's cipher, if any, reads them). An import of past candidacies names
introducers and helpers that way; a roster import finds who is already on the roster."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from domain.member import MemberRegistered
from domain.text import folded
from workflows.scan import events_of


def person_refs(
    full_name: str, date_of_birth: date, national_id: str | None, card: str | None
) -> list[str]:
    """The references a member is known by: national id, party card, name and birth date."""
    refs = [f"person:{folded(full_name)}:{date_of_birth.isoformat()}"]
    if card:
        refs.insert(0, f"card:{card.strip().upper()}")
    if national_id:
        refs.insert(0, f"cccd:{national_id}")
    return refs


def member_refs(recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> dict[str, UUID]:
    """``"cccd:<digits>"``, ``"card:<number>"`` and ``"person:<folded name>:<birth>"`` →
    the member's id (every member on the roster, however they were recorded)."""
    found: dict[str, UUID] = {}
    for event in events_of(recorder, mapper, (MemberRegistered.topic(),)):
        assert isinstance(event, MemberRegistered)
        for ref in person_refs(
            event.full_name, event.date_of_birth, event.national_id, event.party_card_number
        ):
            found.setdefault(ref, event.originator_id)
    return found
