"""The forecast of a quota: the admissions expected by the period's end, with a 10–90 %
band, from the pipeline as it stands on ``as_of`` and what past candidacies did.

Each candidate standing in a stage before the decision gets a probability of an admission
decision inside the period: 0 when its path cannot end in time given the working-day
minimums of the steps still ahead (``Minimums``) or its awareness certificate expires
before the earliest possible branch vote; otherwise the share of comparable past entries
into its stage that were admitted in the same window (``projections.forecast_rates``),
from the unit's own subtree, or from the nearest unit above it (up to the whole store)
when the unit has fewer than ``min_past`` past candidacies in that stage. Candidates are
taken as independent: the number admitted is Poisson-binomial, computed exactly (no
sampling), so the same ``as_of`` and ``known_at`` always give the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.candidacy.state import Stage
from projections.forecast_rates import PIPELINE_STAGES, Evidence, Rate, StageHistory

__all__ = [
    "Candidate",
    "Deciding",
    "Forecast",
    "Minimums",
    "StageForecast",
    "band",
    "forecast",
    "latest_next_steps",
]

_TRIM = 1e-12  # probability mass dropped from the tails of the count's distribution


@dataclass(frozen=True, slots=True)
class Minimums:
    """The fewest working days the step that leaves each stage takes after entering it.

    No regulation fixes them (domain.md has limits, not minimums, except the working-day
    counting itself): they are policy parameters. The defaults: the awareness class lasts
    a week; verification of the biography takes two weeks at least; every other step can
    follow on the next working day."""

    working_days: tuple[tuple[Stage, int], ...] = (
        (Stage.SOURCE_POOL, 1),
        (Stage.AWARENESS_CLASS, 5),
        (Stage.CERTIFIED, 1),
        (Stage.DOSSIER, 1),
        (Stage.VERIFICATION, 10),
        (Stage.BRANCH_APPROVED, 1),
        (Stage.AWAITING_DECISION, 1),
    )
    min_past: int = 20  # past candidacies in a stage before a unit's own rates are used

    def of(self, stage: Stage) -> int:
        return dict(self.working_days)[stage]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidacy standing in a pipeline stage on ``as_of``, with the open limits that
    bind its path (from the register's deadline spans)."""

    candidacy_id: UUID
    stage: Stage
    branch_id: UUID
    since: date
    certificate_expires_on: date | None = None
    decision_due_on: date | None = None


@dataclass(frozen=True, slots=True)
class Deciding:
    """A candidate whose path can still end in the period: the latest day its next step
    must happen for that, the binding rule limit if any, and its probability."""

    candidacy_id: UUID
    stage: Stage
    branch_id: UUID
    since: date
    next_step_by: date
    due_on: date | None
    probability: float


@dataclass(frozen=True, slots=True)
class StageForecast:
    """One stage: its candidates, how many can still finish, their expected admissions,
    and the history the rates came from (``basis``: the unit, one above it, None: the
    whole store)."""

    stage: Stage
    candidates: int
    deciding: int
    expected: float
    history: StageHistory
    rate: Rate


@dataclass(frozen=True, slots=True)
class Forecast:
    """The answer: ``admitted`` so far, ``expected`` by the period's end, ``low``–``high``
    its 10th–90th percentile (admitted included), with every stage's explanation."""

    organisation_id: UUID
    period_ends_on: date
    as_of: date
    target: int | None
    admitted: int
    expected: float
    low: int
    high: int
    stages: tuple[StageForecast, ...]
    deciding: tuple[Deciding, ...] = field(default=())
    fallbacks: tuple[tuple[Stage, UUID | None, int], ...] = field(default=())


def _back(calendar: WorkingCalendar, day: date, working_days: int) -> date:
    """The latest day ``x`` from which ``working_days`` working days end by ``day``."""
    x = day
    while calendar.add_working_days(x, working_days) > day:
        x -= timedelta(days=1)
    return x


def latest_next_steps(
    candidate: Candidate,
    ends_on: date,
    as_of: date,
    calendar: WorkingCalendar,
    minimums: Minimums,
) -> date | None:
    """The latest day the candidate's next step can happen and still leave room for the
    minimums of every later step before ``ends_on`` (the branch vote also before the
    certificate expires); None when that day is already past, or the current stage's own
    minimum cannot be met by then."""
    order = list(PIPELINE_STAGES)
    here = order.index(candidate.stage)
    latest = ends_on  # the decision, leaving the last pipeline stage
    for stage in reversed(order[here + 1 :]):
        latest = _back(calendar, latest, minimums.of(stage))
        if stage is Stage.BRANCH_APPROVED and candidate.certificate_expires_on is not None:
            latest = min(latest, candidate.certificate_expires_on)  # the vote entered it
    earliest = max(
        calendar.add_working_days(candidate.since, minimums.of(candidate.stage)),
        as_of + timedelta(days=1),
    )
    return latest if latest >= earliest else None


def band(probabilities: Sequence[float]) -> tuple[int, int]:
    """The 10th and 90th percentiles of the number of successes of independent trials
    (Poisson-binomial, exact up to trimmed tails of 1e-12)."""
    dist, offset = [1.0], 0  # dist[i]: P(count = offset + i)
    for p in probabilities:
        nxt = [0.0] * (len(dist) + 1)
        for i, q in enumerate(dist):
            nxt[i] += q * (1.0 - p)
            nxt[i + 1] += q * p
        while len(nxt) > 1 and nxt[0] < _TRIM:
            nxt.pop(0)
            offset += 1
        while len(nxt) > 1 and nxt[-1] < _TRIM:
            nxt.pop()
        dist = nxt
    total = sum(dist)

    def quantile(share: float) -> int:
        running = 0.0
        for i, q in enumerate(dist):
            running += q / total
            if running >= share - 1e-12:
                return offset + i
        return offset + len(dist) - 1

    return quantile(0.1), quantile(0.9)


def _basis(
    evidence: Evidence, chain: Sequence[UUID | None], stage: Stage, horizon: int, minimum: int
) -> tuple[UUID | None, int]:
    """The nearest basis of ``chain`` (the unit, then up) with ``minimum`` past entries
    into ``stage`` observed over ``horizon`` days; the last (the store) otherwise."""
    for basis in chain:
        n = evidence.past_candidacies(basis, stage, horizon)
        if n >= minimum or basis is chain[-1]:
            return basis, n
    return chain[-1], 0  # pragma: no cover - chain is never empty


def forecast(
    evidence: Evidence,
    candidates: Sequence[Candidate],
    chain: Sequence[UUID | None],
    *,
    starts_on: date,
    ends_on: date,
    admitted: int,
    target: int | None,
    calendar: WorkingCalendar,
    minimums: Minimums | None = None,
) -> Forecast:
    """The forecast for the unit ``chain[0]`` (``chain``: it, the units above it, then
    None for the whole store) over the period [starts_on, ends_on], as of the evidence's
    day, of ``candidates`` (those in its subtree then, in pipeline stages)."""
    minimums = minimums or Minimums()
    as_of = evidence.as_of
    first = max(as_of + timedelta(days=1), starts_on)
    horizon = max((ends_on - as_of).days, 0)
    bases = {s: _basis(evidence, chain, s, horizon, minimums.min_past) for s in PIPELINE_STAGES}
    probabilities: list[float] = []
    deciding: list[Deciding] = []
    per_stage: dict[Stage, list[float]] = {s: [] for s in PIPELINE_STAGES}
    stage_rate: dict[Stage, Rate] = {s: Rate(0, 0) for s in PIPELINE_STAGES}
    for candidate in sorted(candidates, key=lambda c: (c.since, str(c.candidacy_id))):
        if candidate.stage not in per_stage:
            continue
        by = latest_next_steps(candidate, ends_on, as_of, calendar, minimums) if horizon else None
        if by is None:
            per_stage[candidate.stage].append(0.0)
            continue
        days_in = (as_of - candidate.since).days
        lo, hi = (first - candidate.since).days, (ends_on - candidate.since).days
        basis = bases[candidate.stage][0]
        rate = evidence.rate(basis, candidate.stage, days_in, lo, hi)
        if rate.comparable == 0 and basis is not None:
            rate = evidence.rate(None, candidate.stage, days_in, lo, hi)
        seen = stage_rate[candidate.stage]
        stage_rate[candidate.stage] = Rate(
            seen.admitted + rate.admitted, seen.comparable + rate.comparable
        )
        p = rate.value
        per_stage[candidate.stage].append(p)
        probabilities.append(p)
        deciding.append(
            Deciding(
                candidacy_id=candidate.candidacy_id,
                stage=candidate.stage,
                branch_id=candidate.branch_id,
                since=candidate.since,
                next_step_by=by,
                due_on=candidate.decision_due_on
                if candidate.stage in (Stage.BRANCH_APPROVED, Stage.AWAITING_DECISION)
                else candidate.certificate_expires_on,
                probability=round(p, 4),
            )
        )
    mean = admitted + sum(probabilities)
    low, high = band(probabilities)
    low, high = admitted + low, admitted + high
    # A concentrated count can put a percentile past the mean: the band always holds it.
    low, high = min(low, math.floor(mean)), max(high, math.ceil(mean))
    stages = tuple(
        StageForecast(
            stage=s,
            candidates=len(per_stage[s]),
            deciding=sum(1 for d in deciding if d.stage is s),
            expected=round(sum(per_stage[s]), 2),
            history=evidence.history(bases[s][0], s),
            rate=stage_rate[s],
        )
        for s in PIPELINE_STAGES
    )
    fallbacks = tuple((s, b, n) for s, (b, n) in bases.items() if b != chain[0])
    return Forecast(
        organisation_id=_unit(chain),
        period_ends_on=ends_on,
        as_of=as_of,
        target=target,
        admitted=admitted,
        expected=round(mean, 2),
        low=low,
        high=high,
        stages=stages,
        deciding=tuple(sorted(deciding, key=lambda d: (d.next_step_by, str(d.candidacy_id)))),
        fallbacks=fallbacks,
    )


def _unit(chain: Sequence[UUID | None]) -> UUID:
    head = chain[0]
    assert head is not None, "the chain starts with the unit asked about"
    return head
