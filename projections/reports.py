"""The admissions report: counted facts per branch or per child unit, with the breakdown.

Each fact is attributed along the path its branch had **on the fact's own date**
(domain.md, "The organisation tree"), the same rule the quota roll-up follows: a fact lies
in a unit's subtree when the unit was on that path, and with ``group_by=child`` it counts
for the unit directly below on that path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from projections.figures import UnitFigures
from projections.ledger_reader import LedgerReader
from projections.tree import OrganisationTree


class GroupBy(StrEnum):
    """How the admissions report groups its rows."""

    BRANCH = "branch"
    CHILD = "child"


@dataclass(frozen=True, slots=True)
class AdmissionsReport:
    """Rows ordered by unit code, and the total over the whole subtree."""

    total: UnitFigures
    rows: tuple[UnitFigures, ...]


def admissions_report(
    reader: LedgerReader,
    organisation_id: UUID | None,
    group_by: GroupBy,
    *,
    start: date | None,
    end: date | None,
    today: date,
    known_at: datetime | None = None,
) -> tuple[AdmissionsReport, OrganisationTree]:
    """The report from the persisted ledger (as recorded by ``known_at``), with the tree it
    was laid out on: sums of ±1 rows per group, no replay."""
    tree = reader.tree(known_at)
    total_figures, groups = reader.grouped(
        organisation_id, group_by.value, start=start, end=end, known_at=known_at
    )
    figures = {group: f for group, f in groups.items() if group is not None}
    for unit_id in _expected_rows(tree, organisation_id, group_by, start, end, today):
        figures.setdefault(unit_id, UnitFigures(unit_id))
    rows = sorted(figures.values(), key=lambda f: row_key(tree, f.organisation_id))
    return AdmissionsReport(total=total_figures, rows=tuple(rows)), tree


def _expected_rows(
    tree: OrganisationTree,
    organisation_id: UUID | None,
    group_by: GroupBy,
    start: date | None,
    end: date | None,
    today: date,
) -> list[UUID]:
    if group_by is GroupBy.BRANCH:
        day = end or today
        return [
            unit.id
            for unit in tree.units()
            if unit.kind.is_branch
            and unit.exists_on(day)
            and tree.within(unit.id, organisation_id, day)
        ]
    if organisation_id is None:
        return [unit.id for unit in tree.units() if unit.parents[0][1] is None]
    if organisation_id not in tree:
        return []
    return tree.children_between(organisation_id, start or date.min, end or date.max)


def row_key(tree: OrganisationTree, unit_id: UUID | None) -> tuple[str, str]:
    """Rows are ordered by unit code, then id (also the pagination key)."""
    if unit_id is None or unit_id not in tree:
        return ("", str(unit_id))
    return (tree.unit(unit_id).code, str(unit_id))
