"""A deliberately naive recomputation of the admissions reports, straight from the stored
events, for the ledger tests to hold ``projections.ledger`` to.

Nothing here is fast or clever, and nothing comes from the projections: every stored event
is decoded with the application's own mapper (pydantic), the events recorded after
``known_at`` are dropped, each candidacy's history is corrected with the domain's
``effective_events`` and folded step by step with the domain's own ``evolve``, each unit's
history is folded with the domain's own organisation events, and the figures are counted
by looping over every fact and walking the tree on the fact's own date.

The meaning (domain.md, "Quotas and the figures boards report", and issue 4):

- the counted facts of a candidacy: an admission decision (admitted or refused, by its
  decision date); a grassroots committee vote that rejects the candidacy (the stage turns
  to *rejected*); the ceremony; the recognition decision (recognised or removed); the
  withdrawal. A fact counts for the branch the candidacy belonged to on the fact's date
  (transfers take effect on their own date) and for every unit on that branch's path on
  that date;
- the path on a day: from the branch up through each unit's parent on that day; a unit
  merged away by then stands for the unit it was merged into; a dissolved unit is left
  out, its own parent continuing the path (the branch itself always heads its path);
- the breakdown of an admission is the person's (as corrected) on the decision date:
  women, ethnic minority (not Kinh), religious, Youth Union member, aged 30 or under;
- a quota report for a unit and period, ``as_of`` D and ``known_at`` T: the admissions
  decided within the period up to D (the period's end when None) known by T that count
  for the unit; the target is the latest ``QuotaSet`` of the unit and period set on or
  before D and recorded by T; fulfilment = admitted ÷ target × 100, half-up, 2 decimals
  (None without a positive target); its children are the units directly under it (on
  their own path) on some day of the period up to D, each with its own target and its own
  admissions in the period.

The second half of the module builds histories through the real application (a small
tree with officials in every branch, candidacies driven to a given decision date), shared
by the ledger tests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from dateutil.relativedelta import relativedelta

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
from domain.candidacy.state import CandidacyState, Stage
from domain.events import DomainEvent
from domain.organisation import OrganisationEvent, OrganisationState
from domain.quota import QuotaSet
from domain.rulesets import rule_set_on
from domain.values import Period
from projections.paging import pages
from tests.scenario import ADMIN, FixedClock, roster_tally
from workflows import commands as c
from workflows.application import Admissions

KINDS = ("admitted", "rejected", "ceremony", "recognised", "removed", "withdrawn")
# The names the reports give each kind's count.
COUNT_NAMES = {
    "admitted": "admitted",
    "rejected": "rejected",
    "ceremony": "ceremonies",
    "recognised": "recognised",
    "removed": "removed",
    "withdrawn": "withdrawn",
}
FLAGS = ("women", "ethnic_minority", "religious", "youth_union", "aged_30_or_under")


@dataclass(frozen=True)
class Fact:
    candidacy_id: UUID
    kind: str
    on: date
    branch_id: UUID
    flags: tuple[bool, bool, bool, bool, bool]  # in the order of FLAGS


@dataclass(frozen=True)
class Figures:
    """Counts per kind (report names) and the breakdown of the admissions."""

    counts: dict[str, int]
    breakdown: dict[str, int]

    @staticmethod
    def of(facts: Iterable[Fact]) -> Figures:
        counts = dict.fromkeys(COUNT_NAMES.values(), 0)
        breakdown = dict.fromkeys(FLAGS, 0)
        for fact in facts:
            counts[COUNT_NAMES[fact.kind]] += 1
            if fact.kind == "admitted":
                for name, flag in zip(FLAGS, fact.flags, strict=True):
                    breakdown[name] += int(flag)
        return Figures(counts, breakdown)

    def is_zero(self) -> bool:
        return not any(self.counts.values()) and not any(self.breakdown.values())


@dataclass(frozen=True)
class QuotaFiguresNaive:
    organisation_id: UUID
    period: str
    target: int | None
    admitted: int
    fulfilment_percent: Decimal | None
    breakdown: dict[str, int]
    children: dict[UUID, tuple[int | None, int, Decimal | None]]


def percent(admitted: int, target: int | None) -> Decimal | None:
    if target is None or target <= 0:
        return None
    exact = Decimal(admitted) * 100 / Decimal(target)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def decode_all(app: Admissions) -> list[DomainEvent]:
    """Every stored event, decoded by the application's mapper, in notification order."""
    events: list[DomainEvent] = []
    for page in pages(app.recorder, page_size=500):
        for notification in page:
            event = app.mapper.to_domain_event(notification)
            assert isinstance(event, DomainEvent)
            events.append(event)
    return events


class NaiveFigures:
    """The reports as known at ``known_at`` (None: everything stored), recomputed from
    ``events`` (every stored event, decoded)."""

    def __init__(self, events: Sequence[DomainEvent], known_at: datetime | None = None) -> None:
        known = [e for e in events if known_at is None or e.timestamp <= known_at]
        self.units = _fold_units([e for e in known if isinstance(e, OrganisationEvent)])
        self.quotas = [e for e in known if isinstance(e, QuotaSet)]
        histories: dict[UUID, list[CandidacyEvent]] = defaultdict(list)
        for event in known:
            if isinstance(event, CandidacyEvent):
                histories[event.originator_id].append(event)
        self.facts: list[Fact] = []
        for cid, history in histories.items():
            history.sort(key=lambda e: e.originator_version)
            self.facts.extend(candidacy_facts(cid, history))
        self._change_days = sorted({d for unit in self.units.values() for d in _days_of(unit)})

    # --- the tree -----------------------------------------------------------------------

    def standing_for(self, unit_id: UUID, day: date) -> UUID | None:
        """The unit standing for ``unit_id`` on ``day``: itself when it exists then, the
        unit it was merged into (and so on) when it was merged away, else None."""
        current: UUID | None = unit_id
        for _ in range(100):
            if current is None or current not in self.units:
                return None
            unit = self.units[current]
            if unit.founded_on <= day and (unit.ended_on is None or day < unit.ended_on):
                return current
            if unit.ended_on is not None and unit.ended_on <= day:
                current = unit.merged_into
            else:
                return None
        raise AssertionError("merge cycle")

    def path_on(self, unit_id: UUID, day: date) -> list[UUID]:
        """Root first, ``unit_id`` (or what stands for it) last."""
        path: list[UUID] = []
        current: UUID | None = unit_id
        while current is not None and current in self.units:
            assert len(path) < 100, "cycle"
            standing = self.standing_for(current, day)
            if standing is None and not path:
                standing = current
            if standing is not None and standing not in path:
                path.append(standing)
            current = self.units[standing or current].parent_on(day)
        return list(reversed(path))

    def children(self, unit_id: UUID, start: date, end: date) -> list[UUID]:
        """Units directly under ``unit_id`` on their own path on some day of [start, end]
        (the path only changes on the days something happened to a unit)."""
        days = [start, *(d for d in self._change_days if start < d <= end)]
        found = set()
        for child in self.units:
            for day in days:
                if self.standing_for(child, day) != child:
                    continue
                path = self.path_on(child, day)
                if len(path) >= 2 and path[-2] == unit_id:
                    found.add(child)
                    break
        return sorted(found, key=lambda u: (self.units[u].code, str(u)))

    # --- figures ------------------------------------------------------------------------

    def facts_for(
        self, unit_id: UUID | None, start: date | None = None, end: date | None = None
    ) -> list[tuple[Fact, list[UUID]]]:
        """Facts dated within [start, end] counting for ``unit_id`` (all when None), each
        with its path."""
        result = []
        for fact in self.facts:
            if start is not None and fact.on < start:
                continue
            if end is not None and fact.on > end:
                continue
            path = self.path_on(fact.branch_id, fact.on)
            if unit_id is None or unit_id in path:
                result.append((fact, path))
        return result

    def target(self, unit_id: UUID, period: Period, as_of: date | None) -> int | None:
        found = None
        for quota in sorted(self.quotas, key=lambda q: q.originator_version):
            if quota.organisation_id != unit_id or quota.period != period.key:
                continue
            if as_of is not None and quota.set_on > as_of:
                continue
            found = quota.target
        return found

    def admitted(self, unit_id: UUID, period: Period, as_of: date | None) -> list[Fact]:
        end = period.ends_on if as_of is None else min(period.ends_on, as_of)
        return [
            fact
            for fact, _ in self.facts_for(unit_id, period.starts_on, end)
            if fact.kind == "admitted"
        ]

    def quota_report(
        self, unit_id: UUID, period: Period, as_of: date | None = None
    ) -> QuotaFiguresNaive:
        end = period.ends_on if as_of is None else min(period.ends_on, as_of)
        own = self.admitted(unit_id, period, as_of)
        target = self.target(unit_id, period, as_of)
        children = {}
        if end >= period.starts_on and unit_id in self.units:
            for child in self.children(unit_id, period.starts_on, end):
                count = len(self.admitted(child, period, as_of))
                child_target = self.target(child, period, as_of)
                children[child] = (child_target, count, percent(count, child_target))
        return QuotaFiguresNaive(
            unit_id,
            period.key,
            target,
            len(own),
            percent(len(own), target),
            Figures.of(own).breakdown,
            children,
        )

    def grouped(
        self,
        unit_id: UUID | None,
        group: str,
        *,
        start: date | None = None,
        end: date | None = None,
        kinds: Sequence[str] | None = None,
    ) -> tuple[Figures, dict[UUID | None, Figures]]:
        """Facts within [start, end] for the unit (all when None) in total and grouped by
        "branch" (the candidacy's branch), "child" (the unit directly below on the fact's
        path; the root when ``unit_id`` is None; None for the unit's own facts) or "unit"."""
        chosen = [
            (fact, path)
            for fact, path in self.facts_for(unit_id, start, end)
            if not kinds or fact.kind in kinds
        ]
        groups: dict[UUID | None, list[Fact]] = defaultdict(list)
        for fact, path in chosen:
            key: UUID | None
            if group == "branch":
                key = fact.branch_id
            elif group == "child" and unit_id is None:
                key = path[0]
            elif group == "child":
                index = path.index(unit_id)  # type: ignore[arg-type]
                key = path[index + 1] if index + 1 < len(path) else None
            else:
                key = unit_id
            groups[key].append(fact)
        total = Figures.of(fact for fact, _ in chosen)
        return total, {k: Figures.of(v) for k, v in groups.items()}


def _fold_units(events: list[OrganisationEvent]) -> dict[UUID, OrganisationState]:
    units: dict[UUID, OrganisationState] = {}
    for event in sorted(events, key=lambda e: (str(e.originator_id), e.originator_version)):
        units[event.originator_id] = event.mutate(units.get(event.originator_id))
    return units


def _days_of(unit: OrganisationState) -> list[date]:
    days = [unit.founded_on, *(since for since, _ in unit.parents)]
    if unit.ended_on is not None:
        days.append(unit.ended_on)
    return days


def candidacy_facts(cid: UUID, history: Sequence[CandidacyEvent]) -> list[Fact]:
    """The counted facts of one candidacy from its (known) history."""
    effective = effective_events(tuple(history))
    nominated = effective[0]
    assert isinstance(nominated, CandidateNominated)
    person = nominated.person
    transfers = [e for e in effective if isinstance(e, Transferred)]
    transfers.sort(key=lambda e: e.transferred_on)  # stable: same day in version order
    facts: list[Fact] = []
    state: CandidacyState | None = None
    for event in effective:
        if isinstance(event, Corrected):
            continue
        before = state
        state = event.evolve(state)
        kind: str | None = None
        on = event.effective_on
        if isinstance(event, AdmissionDecided):
            kind = "admitted" if event.decision == "admit" else "rejected"
        elif isinstance(event, GrassrootsVoteHeld):
            rejected_now = state.stage == Stage.REJECTED
            if rejected_now and (before is None or before.stage != Stage.REJECTED):
                kind = "rejected"
        elif isinstance(event, CeremonyHeld):
            kind = "ceremony"
        elif isinstance(event, RecognitionDecided):
            kind = "recognised" if event.decision == "recognise" else "removed"
        elif isinstance(event, Withdrawn):
            kind = "withdrawn"
        if kind is None:
            continue
        branch = nominated.branch_id
        for transfer in transfers:
            if transfer.transferred_on <= on:
                branch = transfer.to_branch_id
        age = relativedelta(on, person.date_of_birth).years
        flags = (
            person.sex == "female",
            person.ethnicity != "Kinh",
            bool(person.religion),
            person.youth_union_member,
            age <= 30,
        )
        facts.append(Fact(cid, kind, on, branch, flags))
    return facts


# ------------------------------------------------------------------------------------------
# Building histories through the application (shared by the ledger tests)


@dataclass
class TickingClock(FixedClock):
    """A clock that moves on by ``step`` every time it is read, so that every recorded
    event has its own recording time (and ``advance`` still jumps)."""

    step: timedelta = timedelta(seconds=1)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@dataclass
class Units:
    """Ids of a test tree by code, and three official members per branch (the fewest a
    branch needs to vote an admission)."""

    ids: dict[str, UUID] = field(default_factory=dict)
    officials: dict[UUID, list[UUID]] = field(default_factory=dict)

    def __getitem__(self, code: str) -> UUID:
        return self.ids[code]


def found(
    app: Admissions,
    units: Units,
    code: str,
    kind: str,
    parent: str | None,
    on: date = date(2011, 1, 1),
) -> UUID:
    command = c.FoundOrganisation(
        code=code,
        name=f"Đơn vị {code}",
        kind=kind,
        parent_id=units[parent] if parent else None,
        effective_on=on,
    )
    unit = app.found_organisation(command, ADMIN).id
    units.ids[code] = unit
    if kind in ("branch", "grassroots_branch"):
        units.officials[unit] = [
            app.register_member(
                c.RegisterMember(
                    full_name=f"Đảng viên {code} {i}",
                    branch_id=unit,
                    status="official",
                    admitted_on=date(2000, 1, 1),
                    official_on=date(2001, 1, 1),
                    sex="male",
                    date_of_birth=date(1970, 1, 1),
                    ethnicity="Kinh",
                ),
                ADMIN,
            ).id
            for i in range(3)
        ]
    return unit


def person(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "full_name": "Nguyễn Văn A",
        "sex": "male",
        "date_of_birth": "1995-03-01",
        "ethnicity": "Kinh",
        "religion": None,
        "youth_union_member": False,
        "education": "university",
    }
    base.update(overrides)
    return base


# Days from the class enrolment to each later step of the happy path up to the decision.
STEP_GAPS = (30, 7, 5, 5, 5, 30, 5, 10, 10, 20)
DAYS_TO_DECISION = sum(STEP_GAPS)


def steps_to_decision(
    app: Admissions,
    cid: UUID,
    officials: Sequence[UUID],
    decided_on: date,
    body: UUID,
    *,
    decision: str = "admit",
    grassroots_in_favour: int = 6,
) -> list[c.Command]:
    """The commands from the class enrolment to the admission decision on ``decided_on``
    (introducers: the two officials given; the Youth Union route for a member of youth
    age)."""
    day = decided_on - timedelta(days=DAYS_TO_DECISION)
    dates = [day]
    for gap in STEP_GAPS:
        day += timedelta(days=gap)
        dates.append(day)
    enrol, cert, application, biography, intro, request, result, certify, vote, gvote, decide = (
        dates
    )
    state = app.candidacy(cid)
    rules = rule_set_on(intro)
    age = relativedelta(intro, state.person.date_of_birth).years
    youth = state.person.youth_union_member and age <= rules.youth_age_max_years
    known = intro - timedelta(days=800)
    refs = [c.IntroducerRef(member_id=m, known_since=known) for m in officials[: 1 if youth else 2]]
    resolution = c.Resolution(number="1-NQ/ĐTN", dated=intro) if youth else None
    return [
        c.EnrolInClass(enrolled_on=enrol),
        c.RecordCertificate(issued_on=cert, number="CN-1", issuer="TTCT"),
        c.SubmitApplication(submitted_on=application),
        c.SubmitBiography(submitted_on=biography),
        c.RecordIntroducers(
            introducers=refs, introduced_on=intro, youth_union_resolution=resolution
        ),
        c.RecordVerification(subject="candidate", requested_on=request),
        c.RecordVerification(subject="candidate", result="cleared", recorded_on=result),
        c.CertifyBiography(certified_on=certify),
        c.RecordBranchVote(held_on=vote, **roster_tally(app, state.branch_id, vote)),
        c.RecordGrassrootsVote(held_on=gvote, committee_members=7, in_favour=grassroots_in_favour),
        c.DecideAdmission(decided_on=decide, deciding_body_id=body, decision=decision),
    ]


def admit(
    app: Admissions, units: Units, branch: str, decided_on: date, body: str, **overrides: Any
) -> UUID:
    """A candidacy in ``branch`` admitted on ``decided_on`` by the unit ``body`` (born 28
    years before the decision unless told)."""
    overrides.setdefault("date_of_birth", f"{decided_on.year - 28}-03-01")
    branch_id = units[branch]
    officials = units.officials[branch_id]
    nominated_on = decided_on - timedelta(days=DAYS_TO_DECISION + 10)
    cid = app.nominate(
        c.Nominate(
            person=person(**overrides),
            branch_id=branch_id,
            nominated_by="youth_union",
            nominated_on=nominated_on,
            helper_member_id=officials[0],
        ),
        ADMIN,
    ).id
    for command in steps_to_decision(app, cid, officials, decided_on, units[body]):
        app.execute(cid, command, ADMIN)
    return cid
