"""The yearly statistics of new members (thống kê đảng viên mới kết nạp) in the layout
boards send upward under Hướng dẫn 11-HD/BTCTW: the total admitted in the year and its
breakdowns by sex, ethnicity, religion, age band, education and occupation (sector).

Each admission counts for the year of its decision date and for every unit on its branch's
path **on that date** (the tree in force then, transfers applied), as the admissions
ledger counts it, so the total equals the admissions report's ``admitted`` for the same
unit and dates. The person's details come from the candidacy itself (the ledger keeps only
flags), read from every candidacy in the store as ``as_of``/``known_at`` say.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.reports.common import Views
from domain.candidacy.events import CandidateNominated
from domain.candidacy.state import CandidacyState
from domain.compliance import branch_on
from domain.errors import NotFound
from domain.rules import whole_months
from domain.values import Education, Sector
from projections.paging import pages
from workflows.application import Admissions

# Hướng dẫn 11-HD/BTCTW's age groups for new members (docs/adr/0023-exports.md).
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("18_30", 18, 30),
    ("31_40", 31, 40),
    ("41_50", 41, 50),
    ("51_60", 51, 60),
    ("over_60", 61, None),
)


class Count(BaseModel):
    """One line of a breakdown: its code, how many, and their share of the total."""

    key: str
    count: int
    percent_of_total: float | None = Field(
        description="count ÷ the year's total admitted × 100, 2 decimals; null when none"
    )


class NewMemberStatistics(BaseModel):
    """The year's new members of a unit's subtree and their breakdowns."""

    organisation_id: UUID | None
    year: int
    as_of: date | None = None
    known_at: datetime | None = None
    total: int
    women: int
    ethnic_minority: int
    religious: int
    youth_union: int
    by_ethnicity: list[Count]
    by_religion: list[Count]
    by_age_band: list[Count]
    by_education: list[Count]
    by_sector: list[Count]


def age_band(age: int) -> str:
    """The band of an age in whole years (under 18 falls into the first band: no rule set
    admits one, but a record is counted, never dropped)."""
    for key, _, high in AGE_BANDS:
        if high is None or age <= high:
            return key
    return AGE_BANDS[-1][0]


def _counts(counter: Counter[str], total: int, order: Iterable[str] = ()) -> list[Count]:
    keys = list(order) + sorted(k for k in counter if k not in set(order))
    return [
        Count(
            key=k,
            count=counter.get(k, 0),
            percent_of_total=round(counter.get(k, 0) * 100 / total, 2) if total else None,
        )
        for k in keys
    ]


def new_member_statistics(
    states: Iterable[CandidacyState],
    views: Views,
    unit: UUID | None,
    year: int,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> NewMemberStatistics:
    """The statistics of ``states`` (each as of ``as_of``/``known_at``; the caller folds
    them) admitted in ``year`` within ``unit``'s subtree on the decision date."""
    tree = views.reader.tree(known_at)
    first, last = date(year, 1, 1), date(year, 12, 31)
    if as_of is not None:
        last = min(last, as_of)
    people = []
    for state in states:
        decided = state.decided_on
        if decided is None or state.party_age_from is None or not first <= decided <= last:
            continue
        if not tree.within(branch_on(state, decided), unit, decided):
            continue
        people.append((state.person, whole_months(state.person.date_of_birth, decided) // 12))
    total = len(people)
    ethnicity = Counter(p.ethnicity for p, _ in people)
    religion = Counter(p.religion or "" for p, _ in people)
    bands = Counter(age_band(age) for _, age in people)
    education = Counter(p.education.value for p, _ in people)
    sector = Counter(p.sector.value if p.sector else "" for p, _ in people)
    return NewMemberStatistics(
        organisation_id=unit,
        year=year,
        as_of=as_of,
        known_at=known_at,
        total=total,
        women=sum(1 for p, _ in people if p.sex == "female"),
        ethnic_minority=sum(1 for p, _ in people if p.ethnic_minority),
        religious=sum(1 for p, _ in people if p.religious),
        youth_union=sum(1 for p, _ in people if p.youth_union_member),
        by_ethnicity=_counts(ethnicity, total, ["Kinh"] if ethnicity.get("Kinh") else []),
        by_religion=_counts(religion, total),
        by_age_band=_counts(bands, total, [k for k, _, _ in AGE_BANDS]),
        by_education=_counts(education, total, [e.value for e in Education]),
        by_sector=_counts(sector, total, [s.value for s in Sector]),
    )


def candidacy_states(
    admissions: Admissions,
    as_of: date | None = None,
    known_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[CandidacyState]:
    """Every candidacy in the store (from the nominations, in the store's order) as it
    stood at the end of ``as_of`` from what was recorded by ``known_at``; those that did
    not exist yet are skipped. ``progress`` hears the count read so far."""
    topic = CandidateNominated.topic()
    read = 0
    for page in pages(admissions.recorder, topics=[topic], page_size=1000):
        for notification in page:
            read += 1
            try:
                state = admissions.candidacy_as_of(
                    UUID(str(notification.originator_id)), as_of, known_at
                )
            except NotFound:  # nominated after as_of, or recorded after known_at
                continue
            yield state
        if progress is not None:
            progress(read)
