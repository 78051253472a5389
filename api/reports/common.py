"""What the report use cases share: the read side they answer from, the breakdown boards
publish, percentages, and how a caller pages (or does not page) a list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from projections.figures import Breakdown
from projections.ledger_reader import LedgerReader
from projections.register_reader import RegisterReader

T = TypeVar("T")
Key = tuple[str, ...]

REPORT_UNIT_ID = "3b0d9c52-7a1e-5f4b-8c2d-6e9f0a1b2c3d"  # the reports' example unit


class Views(Protocol):
    """The read side a report answers from: a server's ``ReadSide`` (settled) or a CLI's
    caught-up ``Projections``."""

    @property
    def reader(self) -> LedgerReader: ...

    @property
    def register(self) -> RegisterReader: ...


class Pager(Protocol):
    """Picks one page of a sorted list by its key: the HTTP API's ``limit``/``cursor``;
    an export takes everything (``every_item``)."""

    def __call__(
        self, items: Sequence[T], key: Callable[[T], Key], /
    ) -> tuple[list[T], str | None]: ...


def every_item(items: Sequence[T], key: Callable[[T], Key], /) -> tuple[list[T], str | None]:
    """The whole list, no next page (exports, the web app's full tables)."""
    return list(items), None


def percent(value: Decimal | None) -> float | None:
    """A rounded percentage as a JSON number (108.0, 66.67), None without a target."""
    return None if value is None else float(value)


class BreakdownOut(BaseModel):
    """Admissions by the groups boards publish; each counts people, so one admission can
    count in several."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "women": 21,
                "ethnic_minority": 9,
                "religious": 4,
                "youth_union": 30,
                "aged_30_or_under": 27,
            }
        }
    )

    women: int
    ethnic_minority: int
    religious: int
    youth_union: int
    aged_30_or_under: int

    @classmethod
    def of(cls, breakdown: Breakdown) -> BreakdownOut:
        return cls(
            women=breakdown.women,
            ethnic_minority=breakdown.ethnic_minority,
            religious=breakdown.religious,
            youth_union=breakdown.youth_union,
            aged_30_or_under=breakdown.aged_30_or_under,
        )
