"""Reading the candidacy register (``projections.register``): the pipeline, the deadline
register and the candidacies of a subtree, as of any day and as known at any instant.

Where a candidacy is is decided by its branch's path **on the day asked about** (callers
pass ``today``: no clock in projections), so a branch moved to another commune shows under
the new commune from the move's date on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median
from typing import Any, Literal, cast
from uuid import UUID

from domain.candidacy.deadlines import DeadlineKind
from domain.candidacy.state import CandidacyState, Stage
from projections.ledger_schema import utc_text
from projections.register import NAME
from projections.store import View, snapshot
from projections.tree import OrganisationTree

OpenStatus = Literal["due", "overdue"]
OPEN_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if not s.terminal)
OUTCOMES: tuple[Stage, ...] = tuple(s for s in Stage if s.terminal)


@dataclass(frozen=True, slots=True)
class StageFigures:
    """How many candidacies stand in a stage, and for how long they have (median days
    since the event that moved each into it; None when the stage is empty)."""

    stage: Stage
    candidates: int
    median_days_in_stage: float | None


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Candidates per open stage (in the order of the procedure) and per outcome."""

    organisation_id: UUID | None
    on: date
    stages: tuple[StageFigures, ...]
    outcomes: tuple[StageFigures, ...]


@dataclass(frozen=True, slots=True)
class DeadlineItem:
    """One open deadline of one candidacy."""

    candidacy_id: UUID
    branch_id: UUID
    kind: DeadlineKind
    due_on: date
    status: OpenStatus


@dataclass(frozen=True, slots=True)
class Standing:
    """A candidacy as it stood on a day, and the day it entered its stage."""

    state: CandidacyState
    stage_since: date


def deadline_key(item: DeadlineItem) -> tuple[str, str, str]:
    """Deadlines are ordered by due date, then candidacy and kind (the pagination key)."""
    return (item.due_on.isoformat(), str(item.candidacy_id), item.kind)


@dataclass(frozen=True, slots=True)
class StageStanding:
    candidacy_id: UUID
    stage: Stage
    branch_id: UUID
    since: date


@dataclass(frozen=True, slots=True)
class StageSpan:
    """A candidacy in ``stage`` at ``branch_id`` (entered on ``since``) from ``from_date``."""

    candidacy_id: UUID
    stage: Stage
    branch_id: UUID
    since: date
    from_date: date


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    candidacy_id: UUID
    branch_id: UUID
    kind: str
    basis_on: date
    due_on: date


class RegisterReader:
    """Answers the pipeline and the deadline register from the current generation."""

    def __init__(self, view_for: Callable[[int], View]) -> None:
        self._view_for = view_for

    def _spans(
        self,
        kind: str,
        as_of: date | None,
        known_at: datetime | None,
    ) -> list[Any]:
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, d = snap.cursor, snap.prefix, snap.dialect
            m = d.param
            sql = (
                f"SELECT candidacy_id, value, branch_id, since, due_on FROM {prefix}span "
                f"WHERE kind = {m}"
            )
            params: list[Any] = [kind]
            if as_of is None:
                sql += " AND to_date IS NULL"
            else:
                day = as_of.isoformat() if d.name == "sqlite" else as_of
                sql += f" AND from_date <= {m} AND (to_date IS NULL OR to_date > {m})"
                params += [day, day]
            if known_at is not None:
                sql += f" AND recorded_at <= {m}"
                params.append(utc_text(known_at) if d.name == "sqlite" else known_at)
            sql += (
                " GROUP BY candidacy_id, value, branch_id, since, due_on, from_date, to_date "
                "HAVING SUM(delta) > 0"
            )
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def standings(
        self, as_of: date | None = None, known_at: datetime | None = None
    ) -> list[StageStanding]:
        """Each candidacy's stage, branch and in-stage-since day at the end of ``as_of``
        (after every step when None), as recorded by ``known_at``."""
        return [
            StageStanding(
                UUID(r["candidacy_id"]), Stage(r["value"]), UUID(r["branch_id"]), _day(r["since"])
            )
            for r in self._spans("stage", as_of, known_at)
        ]

    def stage_history(self, known_at: datetime | None = None) -> list[StageSpan]:
        """Every stage span of every candidacy, as recorded by ``known_at`` (the forecast's
        evidence: the days each entered each stage, and its branch then)."""
        with snapshot(self._view_for, NAME) as snap:
            cursor, prefix, m = snap.cursor, snap.prefix, snap.dialect.param
            sql = f"SELECT candidacy_id, value, branch_id, since, from_date FROM {prefix}span "
            sql += "WHERE kind = 'stage'"
            params: list[Any] = []
            if known_at is not None:
                sql += f" AND recorded_at <= {m}"
                params.append(utc_text(known_at) if snap.dialect.name == "sqlite" else known_at)
            sql += (
                " GROUP BY candidacy_id, value, branch_id, since, from_date, to_date "
                "HAVING SUM(delta) > 0"
            )
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [
            StageSpan(
                UUID(r["candidacy_id"]),
                Stage(r["value"]),
                UUID(r["branch_id"]),
                _day(r["since"]),
                _day(r["from_date"]),
            )
            for r in rows
        ]

    def open_deadlines(
        self, as_of: date | None = None, known_at: datetime | None = None
    ) -> list[OpenDeadline]:
        return [
            OpenDeadline(
                UUID(r["candidacy_id"]),
                UUID(r["branch_id"]),
                r["value"],
                _day(r["since"]),
                _day(r["due_on"]),
            )
            for r in self._spans("deadline", as_of, known_at)
        ]


def in_subtree(
    tree: OrganisationTree, organisation_id: UUID | None, day: date, branches: set[UUID]
) -> set[UUID]:
    """Of ``branches``, those within the subtree of ``organisation_id`` on ``day``."""
    return {b for b in branches if tree.within(b, organisation_id, day)}


def median_days(days: list[int]) -> float | None:
    return float(median(days)) if days else None


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def pipeline(
    reader: RegisterReader,
    tree: OrganisationTree,
    organisation_id: UUID | None,
    today: date,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> Pipeline:
    """Candidates per stage in the subtree (the tree of ``as_of`` or ``today``) at the end
    of ``as_of`` (today when None), as recorded by ``known_at``, with the median days each
    has spent in its stage by then."""
    on = as_of or today
    days: dict[Stage, list[int]] = {stage: [] for stage in Stage}
    within: dict[UUID, bool] = {}
    for standing in reader.standings(on, known_at):
        branch = standing.branch_id
        if branch not in within:
            within[branch] = tree.within(branch, organisation_id, on)
        if within[branch]:
            days[standing.stage].append((on - standing.since).days)

    def figures(stage: Stage) -> StageFigures:
        return StageFigures(stage, len(days[stage]), median_days(days[stage]))

    return Pipeline(
        organisation_id=organisation_id,
        on=on,
        stages=tuple(figures(s) for s in OPEN_STAGES),
        outcomes=tuple(figures(s) for s in OUTCOMES),
    )


def open_deadlines(
    reader: RegisterReader,
    tree: OrganisationTree,
    organisation_id: UUID | None,
    today: date,
    status: OpenStatus | None = None,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    kinds: frozenset[str] | None = None,
) -> list[DeadlineItem]:
    """The deadlines open at the end of ``as_of`` (today when None) in the subtree, due
    when that day is on or before the due date, else overdue; ordered by due date."""
    on = as_of or today
    within: dict[UUID, bool] = {}
    items = []
    for found in reader.open_deadlines(on, known_at):
        if kinds is not None and found.kind not in kinds:
            continue
        state: OpenStatus = "overdue" if on > found.due_on else "due"
        if status is not None and state != status:
            continue
        branch = found.branch_id
        if branch not in within:
            within[branch] = tree.within(branch, organisation_id, on)
        if within[branch]:
            items.append(
                DeadlineItem(
                    candidacy_id=found.candidacy_id,
                    branch_id=branch,
                    kind=cast(DeadlineKind, found.kind),
                    due_on=found.due_on,
                    status=state,
                )
            )
    return sorted(items, key=deadline_key)


def candidacies_in_subtree(
    reader: RegisterReader,
    tree: OrganisationTree,
    organisation_id: UUID | None,
    today: date,
    stage: Stage | None = None,
    *,
    as_of: date | None = None,
) -> list[UUID]:
    """The candidacies whose branch lay in the subtree of ``organisation_id`` (all for None)
    at the end of ``as_of`` (today when None, on today's tree), optionally only those in
    ``stage`` then; ordered by id (as text)."""
    on = as_of or today
    within: dict[UUID, bool] = {}
    found = []
    for standing in reader.standings(on):
        if stage is not None and standing.stage != stage:
            continue
        branch = standing.branch_id
        if branch not in within:
            within[branch] = tree.within(branch, organisation_id, on)
        if within[branch]:
            found.append(standing.candidacy_id)
    return sorted(found, key=str)
