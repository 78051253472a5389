"""Reading the admissions ledger (``projections.ledger``): the quota and admissions
figures, as of any day and as known at any instant, from sums of its ±1 rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson

from domain.values import Period
from projections.figures import (
    BREAKDOWN_FIELDS,
    Breakdown,
    ChildFulfilment,
    FactKind,
    QuotaReport,
    UnitFigures,
    fulfilment_percent,
)
from projections.ledger_schema import NAME, organisation_event, utc_text
from projections.store import Cursor, Dialect, View, snapshot
from projections.tree import OrganisationTree

__all__ = ["LedgerReader"]


class LedgerReader:
    """Answers the quota and admissions reports from the ledger's current generation.

    Every method takes ``known_at`` (None: everything recorded) and reads in one snapshot.
    The organisation tree is folded from the stored organisation events, as known then.
    """

    def __init__(self, view_for: Callable[[int], View], application_name: str) -> None:
        self._view_for = view_for
        self.application_name = application_name
        self._trees: dict[tuple[int, int], OrganisationTree] = {}
        self._tree_key: tuple[int, int] | None = None  # the key of the current tree

    # --- plumbing --------------------------------------------------------------------

    def tree(self, known_at: datetime | None = None) -> OrganisationTree:
        """The tree from the organisation events recorded (by ``known_at``).

        Folded trees are kept per (generation, number of organisation events taken): the
        current tree is folded once and extended as events arrive, and a ``known_at``
        after the last organisation event shares it."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, generation = snap.cursor, snap.prefix, snap.generation
            sqlite = snap.dialect.name == "sqlite"
            m = snap.dialect.param
            at: Any = None
            if known_at is None:
                cursor.execute(f"SELECT COUNT(*) AS n FROM {prefix}unit_event")
            else:
                at = utc_text(known_at) if sqlite else known_at
                cursor.execute(
                    f"SELECT COUNT(*) AS n FROM {prefix}unit_event WHERE recorded_at <= {m}", (at,)
                )
            count = int(cursor.fetchone()["n"])
            if at is not None and not self._is_prefix(cursor, prefix, count, at, m):
                # Recorded out of id order (several writers): fold exactly, uncached.
                cursor.execute(
                    f"SELECT topic, data FROM {prefix}unit_event WHERE recorded_at <= {m} "
                    "ORDER BY notification_id",
                    (at,),
                )
                tree = OrganisationTree()
                for r in cursor.fetchall():
                    tree.apply(organisation_event(r["topic"], r["data"]))
                return tree
            key = (generation, count)
            cached = self._trees.get(key)
            if cached is not None:
                return cached
            current = self._tree_key
            if known_at is None and current and current[0] == generation and current[1] < count:
                tree, taken = self._trees.pop(current), current[1]  # extend in place
                self._tree_key = None
            else:
                tree, taken = OrganisationTree(), 0
            cursor.execute(
                f"SELECT topic, data FROM {prefix}unit_event ORDER BY notification_id "
                f"LIMIT {count - taken} OFFSET {taken}"
            )
            for r in cursor.fetchall():
                tree.apply(organisation_event(r["topic"], r["data"]))
        self._trees[key] = tree
        if known_at is None:
            self._tree_key = key
        while len(self._trees) > 8:
            oldest = next(k for k in self._trees if k != self._tree_key)
            del self._trees[oldest]
        return tree

    @staticmethod
    def _is_prefix(cursor: Cursor, prefix: str, count: int, at: Any, mark: str) -> bool:
        """Whether the ``count`` organisation events recorded by ``at`` are the first
        ``count`` by id (true unless writers' clocks and ids disagree)."""
        if count == 0:
            return True
        cursor.execute(
            f"SELECT notification_id AS n FROM {prefix}unit_event ORDER BY notification_id "
            f"LIMIT 1 OFFSET {count - 1}"
        )
        nth = int(cursor.fetchone()["n"])
        cursor.execute(
            f"SELECT MAX(notification_id) AS n FROM {prefix}unit_event WHERE recorded_at <= {mark}",
            (at,),
        )
        return int(cursor.fetchone()["n"]) == nth

    def _conditions(
        self, dialect: Dialect, start: date | None, end: date | None, known_at: datetime | None
    ) -> tuple[str, list[Any]]:
        sql, params = "", []
        m = dialect.param
        if start is not None:
            sql += f" AND on_date >= {m}"
            params.append(start.isoformat() if dialect.name == "sqlite" else start)
        if end is not None:
            sql += f" AND on_date <= {m}"
            params.append(end.isoformat() if dialect.name == "sqlite" else end)
        if known_at is not None:
            sql += f" AND recorded_at <= {m}"
            params.append(utc_text(known_at) if dialect.name == "sqlite" else known_at)
        return sql, params

    # --- figures ---------------------------------------------------------------------

    def grouped(
        self,
        organisation_id: UUID | None,
        group: str,
        *,
        start: date | None = None,
        end: date | None = None,
        known_at: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> tuple[UnitFigures, dict[UUID | None, UnitFigures]]:
        """Facts dated within [start, end] in the subtree of ``organisation_id`` (all when
        None), in total and grouped by ``group``: "branch", "child" (the unit directly
        below on the fact's path; the root unit when ``organisation_id`` is None) or
        "unit" (only ``organisation_id`` itself)."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, dialect = snap.cursor, snap.prefix, snap.dialect
            where, params = self._conditions(dialect, start, end, known_at)
            if organisation_id is None:
                where = "depth = 0" + where
                key = "unit_id" if group == "child" else "branch_id"
            else:
                where = f"unit_id = {dialect.param}" + where
                params.insert(0, str(organisation_id))
                key = {"branch": "branch_id", "child": "child_id"}.get(group, "unit_id")
            if kinds:
                where += f" AND kind IN ({dialect.params(len(kinds))})"
                params.extend(kinds)
            sums = ", ".join(f"SUM(delta * {f}) AS {f}" for f in BREAKDOWN_FIELDS)
            cursor.execute(
                f"SELECT {key} AS grp, kind, SUM(delta) AS n, {sums} FROM {prefix}ledger "
                f"WHERE {where} GROUP BY {key}, kind",
                params,
            )
            rows = cursor.fetchall()
        total = UnitFigures(organisation_id)
        groups: dict[UUID | None, UnitFigures] = {}
        for row in rows:
            grp = UUID(row["grp"]) if row["grp"] is not None else None
            figures = _add(groups.get(grp, UnitFigures(grp)), row)
            groups[grp] = figures
            total = _add(total, row)
        return total, groups

    def members_by_branch(
        self,
        day: date,
        known_at: datetime | None = None,
    ) -> dict[UUID, tuple[int, int]]:
        """Per branch, (official, probationary) members at the end of ``day``, as the
        roster was recorded by ``known_at``."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            m = d.param
            on = day.isoformat() if d.name == "sqlite" else day
            sql = (
                f"SELECT branch_id, official, SUM(delta) AS n FROM {prefix}member_span "
                f"WHERE from_date <= {m} AND (to_date IS NULL OR to_date > {m})"
            )
            params: list[Any] = [on, on]
            if known_at is not None:
                sql += f" AND recorded_at <= {m}"
                params.append(utc_text(known_at) if d.name == "sqlite" else known_at)
            cursor.execute(sql + " GROUP BY branch_id, official", params)
            found: dict[UUID, tuple[int, int]] = {}
            for row in cursor.fetchall():
                official, probationary = found.get(UUID(row["branch_id"]), (0, 0))
                if int(row["official"]):
                    official += int(row["n"])
                else:
                    probationary += int(row["n"])
                found[UUID(row["branch_id"])] = (official, probationary)
        return found

    def target(
        self,
        organisation_id: UUID,
        period: Period,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> int | None:
        """The latest target set for the unit and period by the end of day ``as_of``,
        as recorded by ``known_at``."""
        found = self.quota_sets([organisation_id], period, as_of, known_at)
        return found[organisation_id][0] if organisation_id in found else None

    def targets(
        self,
        organisation_ids: Sequence[UUID],
        period: Period,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> dict[UUID, int]:
        found = self.quota_sets(organisation_ids, period, as_of, known_at)
        return {unit: target for unit, (target, _) in found.items()}

    def quota_sets(
        self,
        organisation_ids: Sequence[UUID],
        period: Period,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> dict[UUID, tuple[int, dict[str, Any]]]:
        """Per unit, the latest (target, sub-targets) set by the end of day ``as_of`` (its
        ``set_on``), as recorded by ``known_at``; units without one are left out."""
        if not organisation_ids:
            return {}
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            sql = (
                f"SELECT organisation_id, version, target, sub_targets FROM {prefix}quota "
                f"WHERE period = {d.param} "
                f"AND organisation_id IN ({d.params(len(organisation_ids))})"
            )
            params: list[Any] = [period.key, *(str(u) for u in organisation_ids)]
            if as_of is not None:
                sql += f" AND set_on <= {d.param}"
                params.append(as_of.isoformat() if d.name == "sqlite" else as_of)
            if known_at is not None:
                sql += f" AND recorded_at <= {d.param}"
                params.append(utc_text(known_at) if d.name == "sqlite" else known_at)
            cursor.execute(sql + " ORDER BY organisation_id, version", params)
            return {
                UUID(r["organisation_id"]): (int(r["target"]), orjson.loads(r["sub_targets"]))
                for r in cursor.fetchall()
            }

    def periods(self, known_at: datetime | None = None) -> list[str]:
        """The quota periods any target was set for (as recorded by ``known_at``), sorted."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            sql, params = f"SELECT DISTINCT period FROM {prefix}quota", []
            if known_at is not None:
                sql += f" WHERE recorded_at <= {d.param}"
                params.append(utc_text(known_at) if d.name == "sqlite" else known_at)
            cursor.execute(sql, params)
            return sorted(str(r["period"]) for r in cursor.fetchall())

    def quota_report(
        self,
        organisation_id: UUID,
        period: Period,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> QuotaReport:
        """The unit's fulfilment for the period and its children's (every unit directly
        under it on some day of the period up to ``as_of``), from the ledger."""
        end = period.ends_on if as_of is None else min(period.ends_on, as_of)
        tree = self.tree(known_at)
        children = (
            tree.children_between(organisation_id, period.starts_on, end)
            if end >= period.starts_on and organisation_id in tree
            else []
        )
        ids = [organisation_id, *children]
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            where, params = self._conditions(d, period.starts_on, end, known_at)
            sums = ", ".join(f"SUM(delta * {f}) AS {f}" for f in BREAKDOWN_FIELDS)
            cursor.execute(
                f"SELECT unit_id AS grp, SUM(delta) AS n, {sums} FROM {prefix}ledger "
                f"WHERE unit_id IN ({d.params(len(ids))}) AND kind = 'admitted'{where} "
                "GROUP BY unit_id",
                [*(str(u) for u in ids), *params],
            )
            by_unit = {UUID(r["grp"]): r for r in cursor.fetchall()}
        targets = self.targets(ids, period, as_of, known_at)
        own = by_unit.get(organisation_id)
        admitted = int(own["n"]) if own is not None else 0
        breakdown = _breakdown(own) if own is not None else Breakdown()
        child_rows = []
        for child in children:
            row = by_unit.get(child)
            count = int(row["n"]) if row is not None else 0
            target = targets.get(child)
            child_rows.append(
                ChildFulfilment(child, target, count, fulfilment_percent(count, target))
            )
        target = targets.get(organisation_id)
        return QuotaReport(
            organisation_id,
            period.key,
            target,
            admitted,
            fulfilment_percent(admitted, target),
            breakdown,
            tuple(child_rows),
        )


def _breakdown(row: Any) -> Breakdown:
    return Breakdown(*(int(row[f] or 0) for f in BREAKDOWN_FIELDS))


def _add(figures: UnitFigures, row: Any) -> UnitFigures:
    counts = figures.counts.plus(row["kind"], int(row["n"]))
    breakdown = figures.breakdown
    if row["kind"] == FactKind.ADMITTED:
        breakdown = breakdown + _breakdown(row)
    return UnitFigures(figures.organisation_id, counts, breakdown)


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
