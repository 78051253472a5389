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
        # Indexes for children_between: units by every parent they ever had, and the
        # units that have ended (merged or dissolved).
        self._by_parent: dict[UUID | None, set[UUID]] = {}
        self._ended: set[UUID] = set()

    def apply(self, event: OrganisationEvent) -> None:
        current = self._units.get(event.originator_id)
        if current is not None and event.originator_version <= current.version:
            return  # already seen
        unit = event.mutate(current)
        self._units[event.originator_id] = unit
        for _, parent in unit.parents:
            self._by_parent.setdefault(parent, set()).add(unit.id)
        if unit.ended_on is not None:
            self._ended.add(unit.id)

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

    def children_on(self, unit_id: UUID | None, day: date) -> list[UUID]:
        """The units directly below ``unit_id`` on ``day`` (on their ``path_on``), or the
        roots when None; only units in force that day."""
        if unit_id is None:
            return [
                u.id
                for u in self._units.values()
                if u.exists_on(day) and len(self.path_on(u.id, day)) == 1
            ]
        return [u for u in self.children_between(unit_id, day, day) if self.exists_on(u, day)]

    def descendants_on(self, unit_id: UUID | None, day: date) -> list[UUID]:
        """Every unit below ``unit_id`` on ``day`` (every unit in force when None)."""
        found: list[UUID] = []
        frontier = self.children_on(unit_id, day)
        while frontier:
            found.extend(frontier)
            frontier = [child for parent in frontier for child in self.children_on(parent, day)]
        return found

    def exists_on(self, unit_id: UUID, day: date) -> bool:
        unit = self._units.get(unit_id)
        return unit is not None and unit.exists_on(day)

    def children_during(self, unit_id: UUID, period: Period) -> list[UUID]:
        """Units that had ``unit_id`` as their direct parent on some day of ``period``."""
        return self.children_between(unit_id, period.starts_on, period.ends_on)

    def children_between(self, unit_id: UUID, start: date, end: date) -> list[UUID]:
        """Units directly below ``unit_id`` on their path (``path_on``) on some day of
        [start, end], ordered by code.

        "Directly below on the path" is what the roll-up uses: a unit whose own parent was
        merged into ``unit_id`` is its child from the merger on, and a unit whose parent
        was dissolved is the child of the parent above from the dissolution on. The
        candidates are the units whose recorded parents stand for ``unit_id`` (itself, or
        a unit merged or dissolved into it); each is looked at on every day its path
        could change within the window.
        """
        stand_ins = self._stand_ins(unit_id)
        days = {start}
        for member in stand_ins:
            days.update(_change_days(self._units[member]))
        result = []
        candidates = set().union(*(self._by_parent.get(s, set()) for s in stand_ins))
        for unit in (self._units[c] for c in candidates):
            if unit.id == unit_id:
                continue
            own = days | _change_days(unit)
            for day in sorted(d for d in own if start <= d <= end):
                if not unit.exists_on(day):
                    continue
                path = self.path_on(unit.id, day)
                if len(path) >= 2 and path[-1] == unit.id and path[-2] == unit_id:
                    result.append(unit.id)
                    break
        return sorted(result, key=lambda u: (self._units[u].code, str(u)))

    def _stand_ins(self, unit_id: UUID) -> set[UUID]:
        """``unit_id`` and every unit that can stand for it on a path: merged into it, or
        dissolved while under it (transitively)."""
        found = {unit_id}
        changed = True
        while changed:
            changed = False
            for unit in (self._units[e] for e in self._ended):
                if unit.id in found:
                    continue
                merged = unit.merged_into in found
                dissolved = unit.merged_into is None and any(p in found for _, p in unit.parents)
                if merged or dissolved:
                    found.add(unit.id)
                    changed = True
        return found

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


def _change_days(unit: OrganisationState) -> set[date]:
    """The days a unit's own place in the tree changes."""
    days = {unit.founded_on, *(since for since, _ in unit.parents)}
    if unit.ended_on is not None:
        days.add(unit.ended_on)
    return days
