"""The effective-dated organisation tree the read models attribute facts with.

Folded from the organisation events; every question names its day, so a fact is attributed
to the unit path in force on the fact's own date (domain.md, "The organisation tree").
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.organisation import OrganisationEvent, OrganisationState
from domain.values import Period


class OrganisationTree:
    """The effective-dated organisation tree, folded from the organisation events."""

    def __init__(self) -> None:
        self._units: dict[UUID, OrganisationState] = {}

    def apply(self, event: OrganisationEvent) -> None:
        current = self._units.get(event.originator_id)
        if current is not None and event.originator_version <= current.version:
            return  # already seen
        self._units[event.originator_id] = event.mutate(current)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._units

    def unit(self, unit_id: UUID) -> OrganisationState:
        return self._units[unit_id]

    def units(self) -> list[OrganisationState]:
        return list(self._units.values())

    def _in_force(self, unit_id: UUID, day: date) -> UUID | None:
        """The unit standing for ``unit_id`` on ``day``: itself, or the unit it was merged
        into (following merges); None when it was dissolved or not yet founded."""
        seen: set[UUID] = set()
        current: UUID | None = unit_id
        while current is not None and current in self._units and current not in seen:
            seen.add(current)
            unit = self._units[current]
            if unit.exists_on(day):
                return current
            if unit.ended_on is not None and unit.ended_on <= day:
                current = unit.merged_into
            else:
                return None
        return None

    def path_on(self, unit_id: UUID, day: date) -> list[UUID]:
        """The units from the root down to ``unit_id`` as the tree stood on ``day``.

        A unit merged away by then stands for its successor; a dissolved (or not yet
        founded) ancestor is skipped, its own parent continuing the path. Unknown units end
        the path.
        """
        path: list[UUID] = []
        current: UUID | None = unit_id
        while current is not None and current in self._units and len(path) <= 64:
            in_force = self._in_force(current, day)
            if in_force is None and not path:
                in_force = current  # the unit asked about always heads its own path
            unit = self._units[in_force if in_force is not None else current]
            if in_force is not None and in_force not in path:
                path.append(in_force)
            current = unit.parent_on(day)
        return list(reversed(path))

    def children_during(self, unit_id: UUID, period: Period) -> list[UUID]:
        """Units that had ``unit_id`` as their direct parent on some day of ``period``."""
        return self.children_between(unit_id, period.starts_on, period.ends_on)

    def children_between(self, unit_id: UUID, start: date, end: date) -> list[UUID]:
        """Units that had ``unit_id`` as their direct parent on some day of [start, end],
        ordered by code."""
        result = []
        for unit in self._units.values():
            if unit.id == unit_id:
                continue
            if _parent_during(unit, unit_id, start, end):
                result.append(unit.id)
        return sorted(result, key=lambda u: (self._units[u].code, str(u)))

    def within(self, unit_id: UUID, ancestor_id: UUID | None, day: date) -> bool:
        """Whether ``unit_id`` lies in the subtree of ``ancestor_id`` (itself included) as
        the tree stood on ``day``; every unit lies within ``None`` (the whole tree)."""
        return ancestor_id is None or ancestor_id in self.path_on(unit_id, day)

    def display_name(self, unit_id: UUID, day: date) -> str:
        """The unit's name on ``day``, or its last name when it had ended by then; the id
        for a unit the tree does not know."""
        unit = self._units.get(unit_id)
        if unit is None:
            return str(unit_id)
        if unit.ended_on is not None and unit.ended_on <= day:
            day = unit.ended_on - timedelta(days=1)
        return unit.name_on(day)


def _parent_during(unit: OrganisationState, parent_id: UUID, start: date, end: date) -> bool:
    """Whether ``unit`` existed under ``parent_id`` on some day of [start, end]."""
    life_end = unit.ended_on  # exclusive
    parents = sorted(unit.parents, key=lambda p: p[0])
    for index, (since, parent) in enumerate(parents):
        until = parents[index + 1][0] if index + 1 < len(parents) else None  # exclusive
        if life_end is not None and (until is None or life_end < until):
            until = life_end
        if parent != parent_id:
            continue
        first = max(since, unit.founded_on, start)
        if first <= end and (until is None or first < until):
            return True
    return False
