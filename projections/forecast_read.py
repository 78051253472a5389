"""The forecast's inputs from the read side: the evidence (past stage entries) from the
register's stage spans, the candidates standing in the pipeline with their open limits,
the admitted count and the target from the admissions ledger.

``ForecastInputs`` is read once for an ``as_of`` and ``known_at`` and then answers any
unit (the back-test forecasts every unit of a level from one reading).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.candidacy.state import Stage
from domain.values import Period
from projections.forecast import Candidate, Forecast, Minimums, forecast
from projections.forecast_rates import PIPELINE_STAGES, Entry, Evidence
from projections.ledger_reader import LedgerReader
from projections.register_reader import RegisterReader, StageSpan
from projections.tree import OrganisationTree

__all__ = ["ForecastInputs", "entries_of", "read_inputs"]

ADMITTED_STAGES = frozenset(
    {Stage.ADMITTED, Stage.PROBATION, Stage.RECOGNITION_REVIEW, Stage.OFFICIAL, Stage.REMOVED}
)
LEFT_STAGES = frozenset({Stage.REJECTED, Stage.WITHDRAWN})


def entries_of(spans: list[StageSpan], as_of: date, tree: OrganisationTree) -> list[Entry]:
    """One ``Entry`` per candidacy and pipeline stage it had entered by ``as_of``, with
    the units on its branch's path on the entry day."""
    by_candidacy: dict[UUID, list[StageSpan]] = defaultdict(list)
    for span in spans:
        if span.from_date <= as_of and span.since <= as_of:
            by_candidacy[span.candidacy_id].append(span)
    paths: dict[tuple[UUID, date], frozenset[UUID]] = {}
    entries: list[Entry] = []
    for candidacy_id, found in by_candidacy.items():
        admitted = min((s.since for s in found if s.stage in ADMITTED_STAGES), default=None)
        left = min((s.since for s in found if s.stage in LEFT_STAGES), default=None)
        if admitted is not None:
            left = None
        first: dict[Stage, StageSpan] = {}
        for span in found:
            if span.stage in PIPELINE_STAGES:
                seen = first.get(span.stage)
                if seen is None or span.since < seen.since:
                    first[span.stage] = span
        for stage, span in first.items():
            key = (span.branch_id, span.since)
            units = paths.get(key)
            if units is None:
                units = frozenset(tree.path_on(span.branch_id, span.since))
                paths[key] = units
            entries.append(
                Entry(
                    candidacy_id=candidacy_id,
                    stage=stage,
                    entered_on=span.since,
                    units=units,
                    admitted_after=None if admitted is None else (admitted - span.since).days,
                    left_after=None if left is None else (left - span.since).days,
                )
            )
    return entries


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    """Everything a forecast as of ``as_of`` (as known at ``known_at``) reads."""

    as_of: date
    known_at: datetime | None
    tree: OrganisationTree
    evidence: Evidence
    candidates: tuple[tuple[Candidate, frozenset[UUID]], ...]  # with the path on as_of

    def forecast(
        self,
        reader: LedgerReader,
        calendar: WorkingCalendar,
        unit: UUID,
        period: Period,
        minimums: Minimums | None = None,
    ) -> Forecast:
        """The forecast of ``unit``'s quota for ``period``."""
        chain: list[UUID | None] = [*reversed(self.tree.path_on(unit, self.as_of)), None]
        if chain[0] != unit:
            chain.insert(0, unit)
        report = reader.quota_report(unit, period, as_of=self.as_of, known_at=self.known_at)
        return forecast(
            self.evidence,
            [c for c, path in self.candidates if unit in path],
            chain,
            starts_on=period.starts_on,
            ends_on=period.ends_on,
            admitted=report.admitted,
            target=report.target,
            calendar=calendar,
            minimums=minimums,
        )


def read_inputs(
    reader: LedgerReader,
    register: RegisterReader,
    as_of: date,
    known_at: datetime | None = None,
) -> ForecastInputs:
    """Read the evidence and the pipeline as of ``as_of``, as recorded by ``known_at``."""
    tree = reader.tree(known_at)
    evidence = Evidence(entries_of(register.stage_history(known_at), as_of, tree), as_of)
    limits: dict[UUID, dict[str, date]] = defaultdict(dict)
    for d in register.open_deadlines(as_of, known_at):
        limits[d.candidacy_id][d.kind] = d.due_on
    paths: dict[UUID, frozenset[UUID]] = {}
    candidates = []
    for s in register.standings(as_of, known_at):
        if s.stage not in PIPELINE_STAGES:
            continue
        if s.branch_id not in paths:
            paths[s.branch_id] = frozenset(tree.path_on(s.branch_id, as_of))
        open_ = limits.get(s.candidacy_id, {})
        candidate = Candidate(
            candidacy_id=s.candidacy_id,
            stage=s.stage,
            branch_id=s.branch_id,
            since=s.since,
            certificate_expires_on=open_.get("certificate_expiry"),
            decision_due_on=open_.get("decision_due"),
        )
        candidates.append((candidate, paths[s.branch_id]))
    return ForecastInputs(as_of, known_at, tree, evidence, tuple(candidates))
