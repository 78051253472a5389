"""Vietnam's working-day calendar: weekends, public holidays (Tết included), announced swaps.

A day is a working day unless it is a Saturday or Sunday, or a public holiday as the
``holidays`` library's Vietnam calendar gives it (observed and substituted days included).
On top of that sits a table of adjustments the Government announces: a Saturday made a
working day to bridge a holiday (``extra_working_days``), or an extra day off
(``extra_days_off``). An adjustment always wins over the weekend and the holiday list.

Periods are counted per Civil Code 2015, art. 147: the first day is not counted, so a
period of N working days after D starts on the day after D and ends on the Nth working
day. That day is always a working day, so art. 148 (a period ending on a day off runs to
the next working day) never moves it.

Nothing here reads the wall clock; the answer depends only on the dates asked about, the
adjustments given and the pinned ``holidays`` version.

What ``holidays`` 0.109 yields for Vietnam (``holidays.country_holidays("VN", years=...)``),
checked by printing it:

2025: 01-01 New Year; 01-27 (Mon, "29 Tết", observed for the Tết day on Sat 02-01),
01-28 Lunar New Year's Eve, 01-29 Lunar New Year (Tết Ất Tỵ), 01-30, 01-31, 02-01 (Sat);
04-07 Hùng Kings; 04-30; 05-01; 05-02 (day off substituted from Sat 04-26); 09-01, 09-02.
So the Tết 2025 break is Sat 25 Jan to Sun 2 Feb, weekdays 27–31 Jan off, with no make-up
day (the library cites Announcement 6150/TB-BLĐTBXH on Tết 2025 among its sources).

2026: 01-01 New Year; 02-16 Lunar New Year's Eve, 02-17 Lunar New Year (Tết Bính Ngọ),
02-18, 02-19, 02-20; 04-26 (Sun) Hùng Kings and 04-27 its observed day; 04-30; 05-01;
08-31 (day off substituted from Sat 08-22); 09-01, 09-02; 11-24 Vietnam Cultural Day.
So the Tết 2026 break is Sat 14 Feb to Sun 22 Feb, weekdays 16–20 Feb off; the library
records no make-up day for it.

The library lists a swapped day off (e.g. 2025-05-02) but never marks the Saturday worked
in exchange: its label only says "substituted from 04/26/2025". ``DEFAULT_ADJUSTMENTS``
therefore holds exactly those make-up Saturdays, one per swap in the library's table
(``VietnamStaticHolidays.special_public_holidays``), and nothing else. Neither Tết 2025 nor
Tết 2026 needs an entry: the library already covers both breaks and records no make-up
day for either. Swaps the library does not know (e.g. any announced after its release) are
not guessed here; a board adds them through the constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache

import holidays

__all__ = [
    "DEFAULT_ADJUSTMENTS",
    "CalendarAdjustments",
    "VietnamCalendar",
    "vietnam_public_holidays",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday is 0, Saturday 5, Sunday 6.


def _check_disjoint(extra_working_days: frozenset[date], extra_days_off: frozenset[date]) -> None:
    """Raise ValueError when a date is both an extra working day and an extra day off."""
    both = extra_working_days & extra_days_off
    if both:
        listed = ", ".join(sorted(d.isoformat() for d in both))
        raise ValueError(f"dates both extra working days and extra days off: {listed}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarAdjustments:
    """Announced changes to the ordinary calendar.

    ``extra_working_days`` are days off made working days (typically a Saturday worked to
    bridge a holiday); ``extra_days_off`` are working days made days off. A date cannot be
    in both.
    """

    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    extra_days_off: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        """Reject a date that is declared both worked and off."""
        _check_disjoint(self.extra_working_days, self.extra_days_off)

    def union(self, other: CalendarAdjustments) -> CalendarAdjustments:
        """These adjustments together with ``other`` (e.g. the defaults plus a board's own)."""
        return CalendarAdjustments(
            extra_working_days=self.extra_working_days | other.extra_working_days,
            extra_days_off=self.extra_days_off | other.extra_days_off,
        )


# The make-up working Saturdays of every swap in holidays 0.109's Vietnam table, as
# "day off (substituted from <Saturday>)". tests/unit/test_calendar.py checks this table
# against the library both ways, so a library upgrade that adds a swap fails loudly.
DEFAULT_ADJUSTMENTS = CalendarAdjustments(
    extra_working_days=frozenset(
        {
            date(2010, 2, 27),  # for Fri 2010-02-19 off (Tết)
            date(2012, 2, 4),  # for Fri 2012-01-27 off (Tết)
            date(2013, 5, 4),  # for Mon 2013-04-29 off
            date(2014, 4, 26),  # for Fri 2014-05-02 off
            date(2014, 9, 6),  # for Mon 2014-09-01 off
            date(2014, 12, 27),  # for Fri 2015-01-02 off
            date(2015, 2, 14),  # for Mon 2015-02-16 off (Tết)
            date(2015, 4, 25),  # for Wed 2015-04-29 off
            date(2019, 1, 5),  # for Mon 2018-12-31 off
            date(2019, 5, 4),  # for Mon 2019-04-29 off
            date(2024, 5, 4),  # for Mon 2024-04-29 off
            date(2025, 4, 26),  # for Fri 2025-05-02 off
            date(2026, 8, 22),  # for Mon 2026-08-31 off
        }
    ),
    extra_days_off=frozenset(),
)


@cache
def vietnam_public_holidays(year: int) -> frozenset[date]:
    """Vietnam's public holidays falling in ``year``, observed and substituted days included.

    Built once per year from the ``holidays`` library and cached. Neighbouring years are
    generated too, so a holiday of one year observed in the next is not lost. Outside the
    library's range (1901–2100) the set is empty and only weekends are days off.
    """
    generated = holidays.country_holidays("VN", years=(year - 1, year, year + 1), observed=True)
    return frozenset(day for day in generated if day.year == year)


@lru_cache(maxsize=65_536)
def _add_working_days(calendar: VietnamCalendar, start: date, days: int) -> date:
    """``VietnamCalendar.add_working_days``, memoised: the calendar is immutable and the
    projections ask the same questions for every candidacy."""
    day = start
    remaining = days
    while remaining:
        day += _ONE_DAY
        if calendar.is_working_day(day):
            remaining -= 1
    return day


@dataclass(frozen=True, slots=True, kw_only=True)
class VietnamCalendar:
    """The Vietnamese working-day calendar (satisfies ``domain.calendar.WorkingCalendar``).

    By default it applies ``DEFAULT_ADJUSTMENTS``; pass ``extra_working_days`` and
    ``extra_days_off`` to replace them (use ``DEFAULT_ADJUSTMENTS.union(...)`` or a set
    union to extend them instead).
    """

    extra_working_days: frozenset[date] = DEFAULT_ADJUSTMENTS.extra_working_days
    extra_days_off: frozenset[date] = DEFAULT_ADJUSTMENTS.extra_days_off

    def __post_init__(self) -> None:
        """Reject a date that is declared both worked and off."""
        _check_disjoint(self.extra_working_days, self.extra_days_off)

    @classmethod
    def with_adjustments(cls, adjustments: CalendarAdjustments) -> VietnamCalendar:
        """A calendar applying exactly ``adjustments``."""
        return cls(
            extra_working_days=adjustments.extra_working_days,
            extra_days_off=adjustments.extra_days_off,
        )

    def is_working_day(self, day: date) -> bool:
        """True unless ``day`` is a weekend day or public holiday, adjustments taken first."""
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        if day.weekday() >= _SATURDAY:
            return False
        return day not in vietnam_public_holidays(day.year)

    def add_working_days(self, start: date, days: int) -> date:
        """The day on which the ``days``-th working day after ``start`` falls.

        Counting starts on the day after ``start`` (Civil Code 2015, art. 147), so
        ``add_working_days(friday, 1)`` is the next Monday when that Monday is a working
        day. The result is always a working day.

        Raises:
            ValueError: ``days`` is less than 1.
        """
        if days < 1:
            raise ValueError(f"a period must last at least 1 working day, got {days}")
        return _add_working_days(self, start, days)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; when end < start, minus those in (end, start].

        For every ``n >= 1``, ``working_days_between(d, add_working_days(d, n)) == n``.
        """
        if end < start:
            return -self._count_after(end, start)
        return self._count_after(start, end)

    def _count_after(self, low: date, high: date) -> int:
        """Working days in (low, high], with low <= high: from each year's running count
        (``_running_count``), so a span of years costs a few lookups, not a day-by-day walk."""
        first = _running_count(self, low.year)
        if low.year == high.year:
            return first[_day_of_year(high)] - first[_day_of_year(low)]
        count = first[-1] - first[_day_of_year(low)]
        for year in range(low.year + 1, high.year):
            count += _running_count(self, year)[-1]
        return count + _running_count(self, high.year)[_day_of_year(high)]


def _day_of_year(day: date) -> int:
    return day.timetuple().tm_yday - 1


@lru_cache(maxsize=1024)
def _running_count(calendar: VietnamCalendar, year: int) -> tuple[int, ...]:
    """For each day of ``year`` (index 0 is 1 January), the working days from 1 January up to
    and including it."""
    counts: list[int] = []
    total = 0
    day = date(year, 1, 1)
    while day.year == year:
        total += calendar.is_working_day(day)
        counts.append(total)
        day += _ONE_DAY
    return tuple(counts)
