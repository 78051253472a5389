"""The working-day calendar the domain counts deadlines with.

The domain only knows this protocol; the Vietnamese implementation (public holidays,
Tết, announced make-up days) lives in ``workflows.calendar`` and is injected, so a
replay next year gives the same answer as today.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol


class WorkingCalendar(Protocol):
    """Tells working days from days off and counts periods in working days."""

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` is neither a weekend day nor a public holiday."""
        ...

    def add_working_days(self, start: date, days: int) -> date:
        """The last day of a period of ``days`` working days that starts after ``start``.

        The first day of a period is not counted (Civil Code 2015, art. 147): counting
        starts on the day after ``start``. ``days`` must be >= 1.
        """
        ...

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; negative when end < start."""
        ...
