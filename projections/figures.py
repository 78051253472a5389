"""The figures the read side answers with: counts, breakdowns, quota fulfilment.

Plain values, shared by the ledger's reader (``projections.ledger_reader``), the admissions
report (``projections.reports``), the HTTP API and the CLI, so a figure has one shape
wherever it is read. What is counted is ``projections.facts``'s job (domain.md, "Quotas and
the figures boards report").
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

__all__ = [
    "BREAKDOWN_FIELDS",
    "AdmissionCounts",
    "Breakdown",
    "ChildFulfilment",
    "FactKind",
    "QuotaReport",
    "UnitFigures",
    "fulfilment_percent",
]

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
class Breakdown:
    """The breakdown boards publish for a set of admissions."""

    women: int = 0
    ethnic_minority: int = 0
    religious: int = 0
    youth_union: int = 0
    aged_30_or_under: int = 0

    def __add__(self, other: Breakdown) -> Breakdown:
        return Breakdown(*(getattr(self, f) + getattr(other, f) for f in BREAKDOWN_FIELDS))


BREAKDOWN_FIELDS = tuple(f.name for f in fields(Breakdown))


@dataclass(frozen=True, slots=True)
class AdmissionCounts:
    """How many of each fact a branch (or any group of branches) had."""

    admitted: int = 0
    rejected: int = 0
    ceremonies: int = 0
    recognised: int = 0
    removed: int = 0
    withdrawn: int = 0

    def plus(self, kind: FactKind | str, n: int = 1) -> AdmissionCounts:
        """These counts with ``n`` more facts of ``kind``."""
        name = COUNT_FIELDS[FactKind(kind)]
        return replace(self, **{name: getattr(self, name) + n})

    def __add__(self, other: AdmissionCounts) -> AdmissionCounts:
        return AdmissionCounts(
            *(getattr(self, f.name) + getattr(other, f.name) for f in fields(self))
        )


COUNT_FIELDS: dict[FactKind, str] = {
    FactKind.ADMITTED: "admitted",
    FactKind.REJECTED: "rejected",
    FactKind.CEREMONY: "ceremonies",
    FactKind.RECOGNISED: "recognised",
    FactKind.REMOVED: "removed",
    FactKind.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """The counted facts of one unit or group and the breakdown of its admissions."""

    organisation_id: UUID | None
    counts: AdmissionCounts = field(default_factory=AdmissionCounts)
    breakdown: Breakdown = field(default_factory=Breakdown)


class ChildFulfilment(NamedTuple):
    """A child unit's fulfilment of its own target for the period."""

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
