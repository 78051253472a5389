"""The units by their code, from the store's ``OrganisationFounded`` events (a unit's code
never changes). Imports name units by code (``Mã đơn vị``, ``Mã chi bộ``); the tree does
not forbid two units one code, so a code may name several units, and an import refuses
such a code as ambiguous."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

from domain.organisation import OrganisationFounded
from workflows.scan import events_of


def unit_codes(recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> dict[str, list[UUID]]:
    """Every unit's id under its code (codes compared as written, trimmed)."""
    found: dict[str, list[UUID]] = {}
    for event in events_of(recorder, mapper, (OrganisationFounded.topic(),)):
        assert isinstance(event, OrganisationFounded)
        found.setdefault(event.code.strip(), []).append(event.originator_id)
    return found
