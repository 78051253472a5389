"""The Vietnamese working-day calendar: weekends, holidays, Tết, swaps, art. 147 counting.

Expected dates below are worked out by hand from the holiday list ``holidays`` 0.109 gives
for Vietnam (printed and checked; see ``workflows.calendar``'s module docstring):

2025: Jan 1 (Wed); Tết Jan 27 (Mon)–Feb 1 (Sat); Apr 7 (Mon); Apr 30 (Wed); May 1 (Thu);
      May 2 (Fri, swapped for Sat Apr 26, which is worked); Sep 1 (Mon); Sep 2 (Tue).
2026: Jan 1 (Thu); Tết Feb 16 (Mon)–Feb 20 (Fri); Apr 27 (Mon, observed for Sun Apr 26);
      Apr 30 (Thu); May 1 (Fri); Aug 31 (Mon, swapped for Sat Aug 22); Sep 1–2; Nov 24.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingCalendar
from workflows.calendar import (
    DEFAULT_ADJUSTMENTS,
    CalendarAdjustments,
    VietnamCalendar,
    vietnam_public_holidays,
)

CALENDAR: WorkingCalendar = VietnamCalendar()
NO_ADJUSTMENTS = VietnamCalendar(extra_working_days=frozenset(), extra_days_off=frozenset())


def _days(first: date, last: date) -> set[date]:
    """Every date from ``first`` to ``last`` inclusive."""
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


# ---------------------------------------------------------------- the library's data


def test_tet_2025_and_2026_are_in_the_library_holidays() -> None:
    """The hand-computed dates below rely on exactly these Tết days off."""
    tet_2025 = _days(date(2025, 1, 27), date(2025, 2, 1))
    tet_2026 = _days(date(2026, 2, 16), date(2026, 2, 20))
    assert tet_2025 <= vietnam_public_holidays(2025)
    assert tet_2026 <= vietnam_public_holidays(2026)
    # Nothing else off between mid-January and the end of February in either year.
    assert {
        d for d in vietnam_public_holidays(2025) if date(2025, 1, 15) <= d <= date(2025, 2, 28)
    } == tet_2025
    assert {
        d for d in vietnam_public_holidays(2026) if date(2026, 1, 15) <= d <= date(2026, 2, 28)
    } == tet_2026


def test_public_holidays_are_cached_per_year() -> None:
    assert vietnam_public_holidays(2025) is vietnam_public_holidays(2025)
    assert all(d.year == 2031 for d in vietnam_public_holidays(2031))


_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def test_default_adjustments_are_the_library_make_up_saturdays() -> None:
    """Every swap the library lists has its worked Saturday in the defaults, and no more."""
    listed = holidays.country_holidays("VN", years=range(2000, 2031), language="en_US")
    make_up_days = set()
    for name in listed.values():
        match = _SUBSTITUTED.search(name)
        if match:
            month, day, year = (int(part) for part in match.groups())
            make_up_days.add(date(year, month, day))
    assert make_up_days == DEFAULT_ADJUSTMENTS.extra_working_days
    assert all(d.weekday() == 5 for d in make_up_days)  # all Saturdays
    assert DEFAULT_ADJUSTMENTS.extra_days_off == frozenset()


# ---------------------------------------------------------------- weekends and art. 147


def test_weekends_are_days_off_and_plain_weekdays_are_working_days() -> None:
    assert not CALENDAR.is_working_day(date(2025, 3, 8))  # Saturday
    assert not CALENDAR.is_working_day(date(2025, 3, 9))  # Sunday
    assert all(CALENDAR.is_working_day(d) for d in _days(date(2025, 3, 10), date(2025, 3, 14)))


def test_public_holidays_are_days_off() -> None:
    assert not CALENDAR.is_working_day(date(2025, 1, 1))  # New Year, Wednesday
    assert not CALENDAR.is_working_day(date(2025, 4, 7))  # Hùng Kings, Monday
    assert not CALENDAR.is_working_day(date(2026, 4, 27))  # Hùng Kings observed (Sun 26th)
    assert not CALENDAR.is_working_day(date(2026, 11, 24))  # Vietnam Cultural Day


def test_the_first_day_is_not_counted() -> None:
    # Fri 7 Mar 2025 + 1 working day: Sat 8 and Sun 9 skipped, Mon 10 is the first.
    assert CALENDAR.add_working_days(date(2025, 3, 7), 1) == date(2025, 3, 10)
    # Mon 10 Mar + 1: the Monday itself is not counted, Tue 11 is.
    assert CALENDAR.add_working_days(date(2025, 3, 10), 1) == date(2025, 3, 11)
    # Starting on a day off changes nothing: Sat 8 Mar + 1 is Mon 10 Mar.
    assert CALENDAR.add_working_days(date(2025, 3, 8), 1) == date(2025, 3, 10)


def test_weekends_are_skipped() -> None:
    # Wed 5 Mar 2025 + 5: Thu 6 (1), Fri 7 (2), [Sat 8, Sun 9], Mon 10 (3), Tue 11 (4),
    # Wed 12 (5).
    assert CALENDAR.add_working_days(date(2025, 3, 5), 5) == date(2025, 3, 12)


@pytest.mark.parametrize("days", [0, -1, -30])
def test_a_period_shorter_than_one_day_is_rejected(days: int) -> None:
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date(2025, 3, 7), days)


# ---------------------------------------------------------------- across Tết


def test_deadline_across_tet_2025() -> None:
    # Fri 24 Jan 2025 + 1: [Sat 25, Sun 26 weekend; Mon 27–Fri 31 Tết; Sat 1 Feb Tết and
    # weekend; Sun 2 Feb] -> Mon 3 Feb is the first working day.
    assert CALENDAR.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    # Mon 20 Jan 2025 + 10: Tue 21 (1), Wed 22 (2), Thu 23 (3), Fri 24 (4), [25 Jan–2 Feb
    # all off], Mon 3 (5), Tue 4 (6), Wed 5 (7), Thu 6 (8), Fri 7 (9), [8–9], Mon 10 Feb (10).
    # Without the Tết days off it would be Mon 3 Feb.
    assert CALENDAR.add_working_days(date(2025, 1, 20), 10) == date(2025, 2, 10)


def test_deadline_across_tet_2026() -> None:
    # Thu 12 Feb 2026 + 5: Fri 13 (1), [Sat 14, Sun 15; Mon 16–Fri 20 Tết Bính Ngọ;
    # Sat 21, Sun 22], Mon 23 (2), Tue 24 (3), Wed 25 (4), Thu 26 Feb (5).
    assert CALENDAR.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    # Fri 30 Jan 2026 + 30: Feb 2–6 (5), Feb 9–13 (10), [Feb 16–20 Tết], Feb 23–27 (15),
    # Mar 2–6 (20), Mar 9–13 (25), Mar 16–20 (30) -> Fri 20 Mar (Fri 13 Mar without Tết).
    assert CALENDAR.add_working_days(date(2026, 1, 30), 30) == date(2026, 3, 20)


# ---------------------------------------------------------------- 30 and 60 working days


def test_thirty_working_days() -> None:
    # Mon 3 Mar 2025 + 30: Mar 4–7 (4), Mar 10–14 (9), Mar 17–21 (14), Mar 24–28 (19),
    # Mar 31–Apr 4 (24), [Mon 7 Apr Hùng Kings], Apr 8–11 (28), Mon 14 (29), Tue 15 Apr (30).
    assert CALENDAR.add_working_days(date(2025, 3, 3), 30) == date(2025, 4, 15)


def test_sixty_working_days_across_new_year_and_tet_2025() -> None:
    # Fri 20 Dec 2024 + 60: Dec 23–27 (5), Dec 30–31 (7), [Wed 1 Jan], Jan 2–3 (9),
    # Jan 6–10 (14), Jan 13–17 (19), Jan 20–24 (24), [Jan 27–31 Tết], Feb 3–7 (29),
    # Feb 10–14 (34), Feb 17–21 (39), Feb 24–28 (44), Mar 3–7 (49), Mar 10–14 (54),
    # Mar 17–21 (59), Mon 24 Mar (60).
    assert CALENDAR.add_working_days(date(2024, 12, 20), 60) == date(2025, 3, 24)


def test_sixty_working_days_across_the_april_may_2025_swap() -> None:
    # Fri 14 Mar 2025 + 60: Mar 17–21 (5), Mar 24–28 (10), Mar 31–Apr 4 (15),
    # [Mon 7 Apr], Apr 8–11 (19), Apr 14–18 (24), Apr 21–25 (29), Sat 26 Apr worked in
    # exchange for Fri 2 May (30), Apr 28–29 (32), [Apr 30, May 1, May 2], May 5–9 (37),
    # May 12–16 (42), May 19–23 (47), May 26–30 (52), Jun 2–6 (57), Jun 9–11 (60).
    assert CALENDAR.add_working_days(date(2025, 3, 14), 60) == date(2025, 6, 11)
    # Without the make-up Saturday the 60th working day is one day later.
    assert NO_ADJUSTMENTS.add_working_days(date(2025, 3, 14), 60) == date(2025, 6, 12)
    assert CALENDAR.working_days_between(date(2025, 3, 14), date(2025, 6, 11)) == 60


# ---------------------------------------------------------------- adjustments


def test_an_extra_working_saturday_counts() -> None:
    assert CALENDAR.is_working_day(date(2025, 4, 26))  # the default make-up Saturday
    assert not NO_ADJUSTMENTS.is_working_day(date(2025, 4, 26))
    saturday = date(2027, 3, 6)
    calendar = VietnamCalendar(extra_working_days=frozenset({saturday}))
    assert calendar.is_working_day(saturday)
    # Fri 5 Mar 2027 + 1 is that Saturday, not Mon 8 Mar.
    assert calendar.add_working_days(date(2027, 3, 5), 1) == saturday
    assert calendar.working_days_between(date(2027, 3, 5), date(2027, 3, 8)) == 2


def test_an_extra_day_off_is_skipped() -> None:
    wednesday = date(2027, 3, 10)
    calendar = VietnamCalendar(extra_days_off=frozenset({wednesday}))
    assert not calendar.is_working_day(wednesday)
    # Tue 9 Mar 2027 + 1 skips Wed 10 and lands on Thu 11.
    assert calendar.add_working_days(date(2027, 3, 9), 1) == date(2027, 3, 11)
    assert calendar.working_days_between(date(2027, 3, 9), date(2027, 3, 11)) == 1


def test_adjustments_extend_the_defaults_and_reject_contradictions() -> None:
    extra = CalendarAdjustments(extra_days_off=frozenset({date(2027, 3, 10)}))
    calendar = VietnamCalendar.with_adjustments(DEFAULT_ADJUSTMENTS.union(extra))
    assert calendar.is_working_day(date(2025, 4, 26))
    assert not calendar.is_working_day(date(2027, 3, 10))
    day = date(2027, 3, 13)
    with pytest.raises(ValueError):
        CalendarAdjustments(extra_working_days=frozenset({day}), extra_days_off=frozenset({day}))
    with pytest.raises(ValueError):
        VietnamCalendar(extra_working_days=frozenset({day}), extra_days_off=frozenset({day}))


# ---------------------------------------------------------------- counting between


def test_working_days_between() -> None:
    assert CALENDAR.working_days_between(date(2025, 3, 7), date(2025, 3, 7)) == 0
    # (Fri 7 Mar, Mon 10 Mar]: Sat, Sun, Mon -> 1.
    assert CALENDAR.working_days_between(date(2025, 3, 7), date(2025, 3, 10)) == 1
    assert CALENDAR.working_days_between(date(2025, 3, 10), date(2025, 3, 7)) == -1
    # (Fri 24 Jan 2025, Sun 2 Feb 2025]: all off over Tết.
    assert CALENDAR.working_days_between(date(2025, 1, 24), date(2025, 2, 2)) == 0


@settings(deadline=None)
@given(
    start=st.dates(min_value=date(2011, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=1, max_value=120),
)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    end = CALENDAR.add_working_days(start, n)
    assert CALENDAR.is_working_day(end)
    assert CALENDAR.working_days_between(start, end) == n
    assert CALENDAR.working_days_between(end, start) == -n
    # The day before the deadline still leaves one working day to go.
    assert CALENDAR.working_days_between(start, end - timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    span=st.integers(min_value=-3000, max_value=3000),
)
def test_working_days_between_counts_what_a_day_by_day_walk_counts(start: date, span: int):
    end = start + timedelta(days=span)
    low, high = sorted((start, end))
    walked = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if CALENDAR.is_working_day(low + timedelta(days=offset))
    )
    assert CALENDAR.working_days_between(start, end) == (walked if end >= start else -walked)
