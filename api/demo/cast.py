"""The demo's cast: every candidacy's story (branch, nomination day, fate: withdrawn,
refused, rejected, removed, transferred, failed votes, and the specials every stage needs),
drawn from ``random.Random(2025)``, then planned step by step (``api.demo.plan``).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from api.demo import data as d
from api.demo.plan import (
    CANDIDACIES,
    FIRST_NOMINATION,
    LAST_NOMINATION,
    MILESTONES,
    STALLS,
    TRANSFERABLE,
    CandidacyPlan,
    CandidacySpec,
    plan_candidacy,
    plan_path,
)
from domain.calendar import WorkingCalendar
from domain.candidacy.state import Stage
from domain.organisation import OrganisationKind


def _pinned(
    spec: CandidacySpec, calendar: WorkingCalendar, stage: Stage, target: date
) -> CandidacySpec:
    """``spec`` renominated so that it enters ``stage`` around ``target``."""
    steps = plan_path(spec, calendar)
    entry = next(s.day for s in steps if s.stage == stage)
    return replace(spec, nominated_on=spec.nominated_on - (entry - target))


def _small(key: str) -> bool:
    return d.BY_KEY[key].officials < 3


def build_specs(rng: random.Random, calendar: WorkingCalendar) -> list[CandidacySpec]:
    """Every candidacy's story, drawn from ``rng``."""
    branch_keys = [u.key for u in d.branches()]
    weights = [u.officials + 3 for u in d.branches()]
    regular = [
        u.key for u in d.branches() if u.kind == OrganisationKind.BRANCH and u.officials >= 6
    ]
    span = (LAST_NOMINATION - FIRST_NOMINATION).days
    specs: list[CandidacySpec] = []
    for index in range(CANDIDACIES):
        key = rng.choices(branch_keys, weights)[0]
        spec = CandidacySpec(
            index=index,
            seed=rng.getrandbits(48),
            branch_key=key,
            nominated_on=FIRST_NOMINATION + timedelta(rng.randint(0, span)),
        )
        roll = rng.random()
        if roll < 0.08:
            spec = replace(spec, fate="withdrawn", withdraw_before=rng.choice(MILESTONES[:9]))
        elif roll < 0.11 and d.BY_KEY[key].kind == OrganisationKind.BRANCH:
            spec = replace(spec, fate="committee_rejects")
        elif roll < 0.13:
            spec = replace(spec, fate="refused")
        elif roll < 0.165:
            spec = replace(spec, fate="removed")
        if rng.random() < 0.06:
            spec = replace(spec, failed_branch_votes=1)
        moving = _small(key) and rng.random() < 0.6
        if moving or rng.random() < 0.04:
            before = "introducers" if moving else rng.choice(TRANSFERABLE)
            day = spec.nominated_on
            targets = [k for k in d.siblings(key, day) if not _small(k)] or regular
            spec = replace(spec, transfer_before=before, transfer_to=rng.choice(targets))
        specs.append(spec)
    # Specials: one escalated, one extension, one reprimand, one education exception, one
    # corrected decision date; then a few left in each short stage near the horizon.
    early = [
        s
        for s in specs
        if s.fate == "official"
        and s.transfer_before is None
        and s.branch_key in regular
        and s.nominated_on < date(2024, 6, 1)
    ]
    specials = {
        early[0].index: replace(early[0], failed_branch_votes=3),
        early[1].index: replace(early[1], extension=True),
        early[2].index: replace(early[2], discipline=True),
        early[4].index: _pinned(
            replace(early[4], corrected_decision=True),
            calendar,
            Stage.AWAITING_DECISION,
            date(2024, 12, 9),
        ),
    }
    kho = next(s for s in early[5:] if d.BY_KEY[s.branch_key].profile == "kho")
    specials[kho.index] = replace(kho, education_exception=True)
    late = [
        s
        for s in specs
        if s.fate == "official"
        and s.transfer_before is None
        and s.failed_branch_votes == 0
        and s.branch_key in regular
        and s.index not in specials
    ]
    chosen = iter(rng.sample(late, sum(n for _, n in STALLS)))
    for stage, count in STALLS:
        for _ in range(count):
            spec = replace(next(chosen), stall_at=stage)
            target = d.HORIZON - timedelta(days=rng.randint(12, 45))
            specials[spec.index] = _pinned(spec, calendar, stage, target)
    return [specials.get(s.index, s) for s in specs]


def build_plans(rng: random.Random, calendar: WorkingCalendar) -> list[CandidacyPlan]:
    return [plan_candidacy(spec, calendar) for spec in build_specs(rng, calendar)]
