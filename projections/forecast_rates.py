"""What a unit's own history says about its pipeline: how often, and how fast, a candidacy
that entered a stage went on to an admission decision (by stage and by month in stage).

The evidence is one ``Entry`` per past stage entry, taken from the candidacy register's
stage spans (``projections.register``) as recorded by ``known_at`` and cut at ``as_of``:
nothing that happened after ``as_of`` is seen, so a forecast replayed next year answers the
same. Rates are plain counts over those entries; no clock, no randomness.

The rate for a candidate in stage S for ``d`` days, the admission to fall ``lo``..``hi``
days after it entered S: of the past entries into S that were still undecided ``m`` × 30
days in (``m`` = ``d`` // 30, its month in stage) and whose whole window is observed by
``as_of`` (entered at least ``hi`` days before it), the share admitted ``lo``..``hi`` days
after entering (both shifted to the month's start). Entries whose window is not yet over
are left out (censored), not counted as failures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from uuid import UUID

from domain.candidacy.state import Stage

__all__ = ["BY_MONTHS", "PIPELINE_STAGES", "Entry", "Evidence", "Rate", "StageHistory"]

# The stages a candidate can stand in before the admission decision, in procedure order.
PIPELINE_STAGES: tuple[Stage, ...] = (
    Stage.SOURCE_POOL,
    Stage.AWARENESS_CLASS,
    Stage.CERTIFIED,
    Stage.DOSSIER,
    Stage.VERIFICATION,
    Stage.BRANCH_APPROVED,
    Stage.AWAITING_DECISION,
)
BY_MONTHS = (1, 3, 6, 12)  # the "admitted within N months of entering" the explanation shows
MONTH = 30  # days: a candidate's month in stage is its days in stage // 30
MAX_MONTH = 36  # later months in stage pool with the 36th


@dataclass(frozen=True, slots=True)
class Entry:
    """One past candidacy's entry into one stage: the day, the units on its branch's path
    that day (the branch included), and how many days later it was admitted or left
    without admission (None: not by ``as_of``)."""

    candidacy_id: UUID
    stage: Stage
    entered_on: date
    units: frozenset[UUID]
    admitted_after: int | None
    left_after: int | None


@dataclass(frozen=True, slots=True)
class Rate:
    """A conditional share: ``admitted`` of ``comparable`` past entries."""

    admitted: int
    comparable: int

    @property
    def value(self) -> float:
        return self.admitted / self.comparable if self.comparable else 0.0


@dataclass(frozen=True, slots=True)
class StageHistory:
    """What the history of one basis (a unit's subtree, None: the whole store) says about
    one stage: its past candidacies, the share admitted within each of ``BY_MONTHS``
    (of those observed that long), and the median days from entry to admission."""

    stage: Stage
    basis: UUID | None
    past_candidacies: int
    admitted_within: tuple[tuple[int, Rate], ...]
    median_days_to_admission: float | None


class Evidence:
    """Past stage entries, indexed by every unit on their path (and None for all)."""

    def __init__(self, entries: Iterable[Entry], as_of: date) -> None:
        self.as_of = as_of
        self._by: dict[tuple[UUID | None, Stage], list[Entry]] = defaultdict(list)
        for entry in entries:
            if entry.entered_on > as_of:
                continue
            self._by[(None, entry.stage)].append(entry)
            for unit in entry.units:
                self._by[(unit, entry.stage)].append(entry)
        self._rates: dict[tuple[UUID | None, Stage, int, int, int], Rate] = {}

    def entries(self, basis: UUID | None, stage: Stage) -> Sequence[Entry]:
        return self._by.get((basis, stage), ())

    def past_candidacies(self, basis: UUID | None, stage: Stage, observed_days: int = 0) -> int:
        """Entries into ``stage`` under ``basis`` at least ``observed_days`` before as_of."""
        last = self.as_of.toordinal() - observed_days
        return sum(1 for e in self.entries(basis, stage) if e.entered_on.toordinal() <= last)

    def rate(self, basis: UUID | None, stage: Stage, days_in: int, lo: int, hi: int) -> Rate:
        """The share admitted ``lo``..``hi`` days after entering ``stage``, of the entries
        still undecided ``days_in`` days in (counted by month in stage, see the module)."""
        month = min(days_in // MONTH, MAX_MONTH)
        start = month * MONTH
        lo, hi = start + (lo - days_in), start + (hi - days_in)
        key = (basis, stage, month, lo, hi)
        found = self._rates.get(key)
        if found is None:
            found = self._count(basis, stage, start, lo, hi)
            self._rates[key] = found
        return found

    def _count(self, basis: UUID | None, stage: Stage, start: int, lo: int, hi: int) -> Rate:
        last = self.as_of.toordinal() - hi
        admitted = comparable = 0
        for e in self.entries(basis, stage):
            if e.entered_on.toordinal() > last:
                continue  # its window is not over by as_of: censored
            a, left = e.admitted_after, e.left_after
            if (a is not None and a < start) or (left is not None and left < start):
                continue  # decided before the month the candidate is in
            comparable += 1
            if a is not None and lo <= a <= hi:
                admitted += 1
        return Rate(admitted, comparable)

    def history(self, basis: UUID | None, stage: Stage) -> StageHistory:
        """The stage's figures under ``basis`` for the explanation."""
        entries = self.entries(basis, stage)
        within = []
        for months in BY_MONTHS:
            days = months * MONTH
            observed = [e for e in entries if (self.as_of - e.entered_on).days >= days]
            hits = sum(
                1 for e in observed if e.admitted_after is not None and e.admitted_after <= days
            )
            within.append((months, Rate(hits, len(observed))))
        waits = [e.admitted_after for e in entries if e.admitted_after is not None]
        return StageHistory(
            stage=stage,
            basis=basis,
            past_candidacies=len({e.candidacy_id for e in entries}),
            admitted_within=tuple(within),
            median_days_to_admission=float(median(waits)) if waits else None,
        )
