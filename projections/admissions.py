"""Admission counts and quota fulfilment, computed from the domain events.

A first, simple read model: it keeps the events it is given in memory and answers from
them. It is correct rather than fast; a later version can persist and index the same
facts without changing what they mean. "As of D" reads the facts effective by the end of
day D (``as_of`` arguments); "known at T" is answered by feeding only the events recorded
by T (see ``api.readmodel``).

What it counts (domain.md, "Quotas and the figures boards report"):

- per branch, by each fact's own effective date: admissions (``AdmissionDecided`` with
  ``admit``), rejections (an admission refused, or a failed grassroots committee vote),
  ceremonies, recognitions (the recognition decision's date), removals from the
  probationary list and withdrawals. A fact counts for the branch the candidacy belonged
  to on that date: a transfer moves later facts to the receiving branch.
- per unit and quota period: an admission counts for the period containing its decision
  date and for every unit on its branch's path **on that date**, with the breakdown boards
  publish (women, ethnic minorities, religious believers, Youth Union members, aged 30 or
  under on the decision date).

Corrections are honoured: a candidacy's facts are read from its history with every
correction applied (``effective_events``), so a corrected decision date moves the admission
to the period and the units of the corrected date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

from domain.candidacy.events import (
    AdmissionDecided,
    CandidacyEvent,
    CandidateNominated,
    CeremonyHeld,
    Corrected,
    GrassrootsVoteHeld,
    RecognitionDecided,
    Transferred,
    Withdrawn,
    effective_events,
)
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet, QuotaState
from domain.rules import whole_months
from domain.values import Period, Person, Sex
from projections.tree import OrganisationTree

__all__ = [
    "AdmissionCounts",
    "AdmissionsProjection",
    "Breakdown",
    "ChildFulfilment",
    "Fact",
    "FactKind",
    "OrganisationTree",
    "QuotaReport",
    "fulfilment_percent",
]

YOUTH_AGE_LIMIT_YEARS = 30
_HUNDREDTH = Decimal("0.01")


def fulfilment_percent(admitted: int, target: int | None) -> Decimal | None:
    """admitted ÷ target × 100, rounded half-up to 2 decimals; None without a (positive)
    target. Exact decimal arithmetic: 1/800 gives 0.13, 2/3 gives 66.67."""
    if target is None or target <= 0:
        return None
    return (Decimal(admitted) * 100 / Decimal(target)).quantize(_HUNDREDTH, ROUND_HALF_UP)


class FactKind(StrEnum):
    """The dated facts of a candidacy the reports count."""

    ADMITTED = "admitted"
    REJECTED = "rejected"
    CEREMONY = "ceremony"
    RECOGNISED = "recognised"
    REMOVED = "removed"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class Fact:
    """One counted fact: what, on which day, in which branch (the one in force that day)."""

    candidacy_id: UUID
    kind: FactKind
    on: date
    branch_id: UUID


@dataclass(frozen=True, slots=True)
class Breakdown:
    """The breakdown boards publish for a set of admissions."""

    women: int = 0
    ethnic_minority: int = 0
    religious: int = 0
    youth_union: int = 0
    aged_30_or_under: int = 0

    def plus(self, person: Person, on: date) -> Breakdown:
        """This breakdown with one more admission of ``person`` decided on ``on``."""
        age_years = whole_months(person.date_of_birth, on) // 12
        return Breakdown(
            women=self.women + (person.sex == Sex.FEMALE),
            ethnic_minority=self.ethnic_minority + person.ethnic_minority,
            religious=self.religious + person.religious,
            youth_union=self.youth_union + person.youth_union_member,
            aged_30_or_under=self.aged_30_or_under + (age_years <= YOUTH_AGE_LIMIT_YEARS),
        )


@dataclass(frozen=True, slots=True)
class AdmissionCounts:
    """How many of each fact a branch (or any group of branches) had."""

    admitted: int = 0
    rejected: int = 0
    ceremonies: int = 0
    recognised: int = 0
    removed: int = 0
    withdrawn: int = 0

    def plus(self, kind: FactKind) -> AdmissionCounts:
        name = _COUNT_FIELDS[kind]
        return replace(self, **{name: getattr(self, name) + 1})

    def __add__(self, other: AdmissionCounts) -> AdmissionCounts:
        return AdmissionCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )


_COUNT_FIELDS: dict[FactKind, str] = {
    FactKind.ADMITTED: "admitted",
    FactKind.REJECTED: "rejected",
    FactKind.CEREMONY: "ceremonies",
    FactKind.RECOGNISED: "recognised",
    FactKind.REMOVED: "removed",
    FactKind.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True, slots=True)
class ChildFulfilment:
    organisation_id: UUID
    target: int | None
    admitted: int
    fulfilment_percent: Decimal | None


@dataclass(frozen=True, slots=True)
class QuotaReport:
    """How far a unit got against its target for a period (api.md field names)."""

    organisation_id: UUID
    period: str
    target: int | None
    admitted: int
    fulfilment_percent: Decimal | None
    breakdown: Breakdown
    children: tuple[ChildFulfilment, ...] = ()


@dataclass(slots=True)
class _Candidacy:
    """The events of one candidacy as received, and the facts derived from them."""

    events: list[CandidacyEvent] = field(default_factory=list)
    person: Person | None = None
    facts: tuple[Fact, ...] | None = None  # None: derive again (an event arrived)


class AdmissionsProjection:
    """Counts and quota fulfilment from candidacy, organisation and quota events.

    Feed it decoded domain events in the order they were stored (``apply`` or
    ``apply_all``); other events (the roster, idempotency records) are ignored. Applying an
    event twice is harmless: each aggregate's versions are taken once.
    """

    def __init__(self) -> None:
        self.tree = OrganisationTree()
        self._candidacies: dict[UUID, _Candidacy] = {}
        self._quotas: dict[tuple[UUID, str], QuotaState] = {}
        # Every target set, in version order: "as of D" reads the one set by then.
        self._quota_history: dict[tuple[UUID, str], list[QuotaSet]] = {}

    # --- feeding -------------------------------------------------------------------

    def apply_all(self, events: Iterable[object]) -> AdmissionsProjection:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: object) -> None:
        if isinstance(event, CandidacyEvent):
            record = self._candidacies.setdefault(event.originator_id, _Candidacy())
            if record.events and event.originator_version <= record.events[-1].originator_version:
                return
            record.events.append(event)
            record.facts = None
        elif isinstance(event, OrganisationEvent):
            self.tree.apply(event)
        elif isinstance(event, QuotaSet):
            key = (event.organisation_id, event.period)
            current = self._quotas.get(key)
            if current is None or event.originator_version > current.version:
                self._quotas[key] = event.mutate(current)
                self._quota_history.setdefault(key, []).append(event)

    # --- facts ---------------------------------------------------------------------

    def facts(self, candidacy_id: UUID) -> tuple[Fact, ...]:
        """The counted facts of one candidacy, corrections applied."""
        record = self._candidacies[candidacy_id]
        if record.facts is None:
            record.person, record.facts = _derive_facts(candidacy_id, record.events)
        return record.facts

    def person(self, candidacy_id: UUID) -> Person | None:
        self.facts(candidacy_id)
        return self._candidacies[candidacy_id].person

    def all_facts(self, *, start: date | None = None, end: date | None = None) -> list[Fact]:
        """Every counted fact dated within [start, end] (both optional, inclusive)."""
        return [
            fact
            for candidacy_id in self._candidacies
            for fact in self.facts(candidacy_id)
            if (start is None or fact.on >= start) and (end is None or fact.on <= end)
        ]

    # --- reports -------------------------------------------------------------------

    def branch_counts(
        self, *, start: date | None = None, end: date | None = None
    ) -> dict[UUID, AdmissionCounts]:
        """Per branch, the facts dated within [start, end]."""
        counts: dict[UUID, AdmissionCounts] = {}
        for fact in self.all_facts(start=start, end=end):
            counts[fact.branch_id] = counts.get(fact.branch_id, AdmissionCounts()).plus(fact.kind)
        return counts

    def quota(self, organisation_id: UUID, period: Period) -> QuotaState | None:
        return self._quotas.get((organisation_id, period.key))

    def quotas(self) -> list[QuotaState]:
        return list(self._quotas.values())

    def quota_set_as_of(
        self, organisation_id: UUID, period: Period, as_of: date | None = None
    ) -> QuotaSet | None:
        """The latest target set for the unit and period by the end of day ``as_of`` (its
        ``set_on``); the latest of all without ``as_of``."""
        history = self._quota_history.get((organisation_id, period.key), [])
        found = [e for e in history if as_of is None or e.set_on <= as_of]
        return found[-1] if found else None

    def admitted_by_unit(
        self, period: Period, *, as_of: date | None = None
    ) -> dict[UUID, tuple[int, Breakdown]]:
        """Admissions decided within ``period`` (and by the end of day ``as_of``), credited
        to every unit on the branch's path on the decision date, with their breakdown."""
        result: dict[UUID, tuple[int, Breakdown]] = {}
        for fact in self.all_facts(start=period.starts_on, end=_until(period, as_of)):
            if fact.kind != FactKind.ADMITTED:
                continue
            person = self.person(fact.candidacy_id)
            assert person is not None, "a candidacy with facts was nominated"
            for unit_id in self.tree.path_on(fact.branch_id, fact.on) or [fact.branch_id]:
                count, breakdown = result.get(unit_id, (0, Breakdown()))
                result[unit_id] = (count + 1, breakdown.plus(person, fact.on))
        return result

    def quota_report(
        self, organisation_id: UUID, period: Period | str, *, as_of: date | None = None
    ) -> QuotaReport:
        """The fulfilment of ``organisation_id`` for ``period`` and of its children (every
        unit directly under it on some day of the period, each with its own figures).

        With ``as_of``, as things stood at the end of that day: admissions decided by then,
        the targets set by then, the children of the days of the period up to then.
        """
        if isinstance(period, str):
            period = Period.parse(period)
        by_unit = self.admitted_by_unit(period, as_of=as_of)
        admitted, breakdown = by_unit.get(organisation_id, (0, Breakdown()))
        target = self._target(organisation_id, period, as_of)
        end = _until(period, as_of)
        children_ids = (
            self.tree.children_between(organisation_id, period.starts_on, end)
            if end >= period.starts_on
            else []
        )
        children = tuple(
            ChildFulfilment(
                organisation_id=child,
                target=self._target(child, period, as_of),
                admitted=by_unit.get(child, (0, Breakdown()))[0],
                fulfilment_percent=fulfilment_percent(
                    by_unit.get(child, (0, Breakdown()))[0], self._target(child, period, as_of)
                ),
            )
            for child in children_ids
        )
        return QuotaReport(
            organisation_id=organisation_id,
            period=period.key,
            target=target,
            admitted=admitted,
            fulfilment_percent=fulfilment_percent(admitted, target),
            breakdown=breakdown,
            children=children,
        )

    def _target(
        self, organisation_id: UUID, period: Period, as_of: date | None = None
    ) -> int | None:
        quota = self.quota_set_as_of(organisation_id, period, as_of)
        return quota.target if quota is not None else None


def _until(period: Period, as_of: date | None) -> date:
    """The last day of ``period`` that counts as of the end of day ``as_of``."""
    return period.ends_on if as_of is None else min(period.ends_on, as_of)


def _branch_on(nominated: CandidateNominated, transfers: list[Transferred], day: date) -> UUID:
    """The branch a candidacy belonged to on ``day``: transfers take effect on their date."""
    branch = nominated.branch_id
    for transfer in sorted(transfers, key=lambda t: (t.transferred_on, t.originator_version)):
        if transfer.transferred_on <= day:
            branch = transfer.to_branch_id
    return branch


def _fact_of(event: CandidacyEvent) -> tuple[FactKind, date] | None:
    """The counted fact an (effective) event states, if any."""
    match event:
        case AdmissionDecided(decision="admit"):
            return FactKind.ADMITTED, event.decided_on
        case AdmissionDecided():
            return FactKind.REJECTED, event.decided_on
        case GrassrootsVoteHeld() if not event.passed:
            return FactKind.REJECTED, event.held_on
        case CeremonyHeld():
            return FactKind.CEREMONY, event.held_on
        case RecognitionDecided(decision="recognise"):
            return FactKind.RECOGNISED, event.decided_on
        case RecognitionDecided():
            return FactKind.REMOVED, event.decided_on
        case Withdrawn():
            return FactKind.WITHDRAWN, event.withdrawn_on
    return None


def _derive_facts(
    candidacy_id: UUID, events: list[CandidacyEvent]
) -> tuple[Person | None, tuple[Fact, ...]]:
    """The person and the counted facts of one candidacy's history, corrections applied."""
    effective = [e for e in effective_events(tuple(events)) if not isinstance(e, Corrected)]
    nominated = next((e for e in effective if isinstance(e, CandidateNominated)), None)
    if nominated is None:
        return None, ()  # the stream began before what we were given
    transfers = [e for e in effective if isinstance(e, Transferred)]
    facts = []
    admitted = False
    for event in effective:
        if isinstance(event, GrassrootsVoteHeld) and admitted:
            continue  # the committee's 15-KNĐ on recognition: it rejects nobody
        admitted = admitted or (isinstance(event, AdmissionDecided) and event.decision == "admit")
        found = _fact_of(event)
        if found is not None:
            kind, on = found
            facts.append(Fact(candidacy_id, kind, on, _branch_on(nominated, transfers, on)))
    return nominated.person, tuple(facts)
