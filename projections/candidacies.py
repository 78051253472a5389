"""Candidacies by unit: the current state of each, the pipeline and the open deadlines.

A first, simple read model like ``projections.admissions``: it folds the candidacy events it
is given in memory (``event.mutate(state)``, which applies corrections) and answers from
the folded states. Where a candidacy is is decided by its branch's path **on the day asked
about** (callers pass ``today``: no clock in projections), so a branch moved to another
commune shows under the new commune from the move's date on.

``as_of=D`` questions refold each history up to the end of day D, with the corrections
recorded so far applied (the same rule as ``domain.candidacy.events.state_as_of``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Literal
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.candidacy.deadlines import DeadlineKind, deadlines
from domain.candidacy.events import CandidacyEvent, CandidateNominated, steps_as_of
from domain.candidacy.state import CandidacyState, Stage
from domain.organisation import OrganisationEvent
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


class CandidacyIndex:
    """The folded state of every candidacy, found by unit and stage.

    Feed it decoded events in store order (``apply``/``apply_all``); other events than
    candidacy and organisation events are ignored, and each aggregate's versions are taken
    once. Pass a shared ``tree`` to reuse another projection's organisation tree (applying
    an organisation event to it twice is harmless).
    """

    def __init__(self, tree: OrganisationTree | None = None) -> None:
        self.tree = tree if tree is not None else OrganisationTree()
        self._states: dict[UUID, CandidacyState] = {}
        self._since: dict[UUID, tuple[int, date]] = {}  # cached by version

    # --- feeding -------------------------------------------------------------------

    def apply_all(self, events: Iterable[object]) -> CandidacyIndex:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: object) -> None:
        if isinstance(event, CandidacyEvent):
            current = self._states.get(event.originator_id)
            if current is None and not isinstance(event, CandidateNominated):
                return  # the stream began before what we were given
            if current is not None and event.originator_version <= current.version:
                return  # already seen
            self._states[event.originator_id] = event.mutate(current)
        elif isinstance(event, OrganisationEvent):
            self.tree.apply(event)

    # --- reading -------------------------------------------------------------------

    def __contains__(self, candidacy_id: object) -> bool:
        return candidacy_id in self._states

    def __len__(self) -> int:
        return len(self._states)

    def get(self, candidacy_id: UUID) -> CandidacyState | None:
        return self._states.get(candidacy_id)

    def ids(self) -> list[UUID]:
        return sorted(self._states, key=str)

    def in_subtree(
        self,
        organisation_id: UUID | None,
        today: date,
        stage: Stage | None = None,
        *,
        as_of: date | None = None,
    ) -> list[CandidacyState]:
        """The candidacies whose branch lay in the subtree of ``organisation_id`` (all of
        them for None) on ``today``, or as they stood at the end of day ``as_of`` (then the
        tree of that day), optionally in one ``stage``; ordered by id."""
        return [s.state for s in self._standings(organisation_id, today, stage, as_of)]

    def pipeline(
        self, organisation_id: UUID | None, today: date, *, as_of: date | None = None
    ) -> Pipeline:
        """Candidates per stage in the subtree, and the median days each has spent in its
        current stage by ``today`` (or by ``as_of``)."""
        on = as_of or today
        days: dict[Stage, list[int]] = {stage: [] for stage in Stage}
        for standing in self._standings(organisation_id, today, None, as_of):
            days[standing.state.stage].append((on - standing.stage_since).days)

        def figures(stage: Stage) -> StageFigures:
            found = days[stage]
            middle = float(median(found)) if found else None
            return StageFigures(stage, len(found), middle)

        return Pipeline(
            organisation_id=organisation_id,
            on=on,
            stages=tuple(figures(s) for s in OPEN_STAGES),
            outcomes=tuple(figures(s) for s in OUTCOMES),
        )

    def deadlines(
        self,
        organisation_id: UUID | None,
        today: date,
        calendar: WorkingCalendar,
        status: OpenStatus | None = None,
        *,
        as_of: date | None = None,
    ) -> list[DeadlineItem]:
        """The open (due or overdue) deadlines of the candidacies in the subtree, judged on
        ``today`` (or at the end of day ``as_of``), ordered by due date, candidacy and kind;
        ``status`` keeps only the due or only the overdue ones."""
        on = as_of or today
        items = []
        for standing in self._standings(organisation_id, today, None, as_of):
            state = standing.state
            for deadline in deadlines(state, calendar, on):
                if deadline.status not in ("due", "overdue"):
                    continue
                if status is not None and deadline.status != status:
                    continue
                items.append(
                    DeadlineItem(
                        candidacy_id=state.id,
                        branch_id=state.branch_id,
                        kind=deadline.kind,
                        due_on=deadline.due_on,
                        status="due" if deadline.status == "due" else "overdue",
                    )
                )
        return sorted(items, key=deadline_key)

    # --- internals -----------------------------------------------------------------

    def _standings(
        self, organisation_id: UUID | None, today: date, stage: Stage | None, as_of: date | None
    ) -> list[Standing]:
        day = as_of or today
        within: dict[UUID, bool] = {}  # per branch: one path walk per branch, not per candidacy
        found = []
        for candidacy_id in self.ids():
            standing = self._standing(self._states[candidacy_id], as_of)
            if standing is None or (stage is not None and standing.state.stage != stage):
                continue
            branch = standing.state.branch_id
            if branch not in within:
                within[branch] = self.tree.within(branch, organisation_id, day)
            if within[branch]:
                found.append(standing)
        return found

    def _standing(self, state: CandidacyState, as_of: date | None) -> Standing | None:
        if as_of is None:
            cached = self._since.get(state.id)
            if cached is None or cached[0] != state.version:
                folded = refold(state.history, None)
                assert folded is not None, "a folded candidacy was nominated"
                cached = (state.version, folded.stage_since)
                self._since[state.id] = cached
            return Standing(state, cached[1])
        return refold(state.history, as_of)


def refold(history: tuple[CandidacyEvent, ...], as_of: date | None) -> Standing | None:
    """The candidacy at the end of day ``as_of`` (every event without it), with every
    correction in ``history`` applied, and the effective date of the event that moved it
    into its stage. None when it had not been nominated by then."""
    state: CandidacyState | None = None
    since: date | None = None
    for event, after in steps_as_of(history, as_of):
        if state is None or after.stage != state.stage:
            since = event.effective_on
        state = after
    if state is None or since is None:
        return None
    return Standing(state, since)


def deadline_key(item: DeadlineItem) -> tuple[str, str, str]:
    """Deadlines are ordered by due date, then candidacy and kind (the pagination key)."""
    return (item.due_on.isoformat(), str(item.candidacy_id), item.kind)
