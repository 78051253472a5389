"""The admissions report (``GET /reports/admissions``, its page, its export): the facts of
each branch or child unit dated within [from, to], with the breakdown, and the subtree's
total. Every fact counts for the units on its branch's path on the fact's own date."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.reports.common import REPORT_UNIT_ID, BreakdownOut, Pager, Views, every_item
from projections.figures import UnitFigures
from projections.reports import GroupBy, admissions_report, row_key
from projections.tree import OrganisationTree


class AdmissionsRow(BaseModel):
    """The facts of one unit, counted by their own dates."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "organisation_id": REPORT_UNIT_ID,
                "code": "LAT-T-1",
                "name": "Chi bộ thôn Đạ Nghịt",
                "admitted": 3,
                "ceremonies": 3,
                "recognised": 2,
                "removed": 0,
                "rejected": 1,
                "withdrawn": 0,
                "breakdown": {
                    "women": 2,
                    "ethnic_minority": 3,
                    "religious": 1,
                    "youth_union": 2,
                    "aged_30_or_under": 2,
                },
            }
        }
    )

    organisation_id: UUID | None
    code: str | None
    name: str
    admitted: int
    ceremonies: int
    recognised: int
    removed: int
    rejected: int
    withdrawn: int
    breakdown: BreakdownOut


class AdmissionsReportPage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    organisation_id: UUID | None
    group_by: GroupBy
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    known_at: datetime | None = None
    total: AdmissionsRow = Field(description="The whole subtree over the same dates.")
    items: list[AdmissionsRow]
    next_cursor: str | None


def _row(tree: OrganisationTree, unit: UnitFigures, name: str) -> AdmissionsRow:
    unit_id, counts = unit.organisation_id, unit.counts
    code = tree.unit(unit_id).code if unit_id is not None and unit_id in tree else None
    return AdmissionsRow(
        organisation_id=unit_id,
        code=code,
        name=name,
        admitted=counts.admitted,
        ceremonies=counts.ceremonies,
        recognised=counts.recognised,
        removed=counts.removed,
        rejected=counts.rejected,
        withdrawn=counts.withdrawn,
        breakdown=BreakdownOut.of(unit.breakdown),
    )


def _name(tree: OrganisationTree, unit_id: UUID | None, day: date) -> str:
    return "Tổng cộng" if unit_id is None else tree.display_name(unit_id, day)


def admissions_figures(
    views: Views,
    unit: UUID | None,
    today: date,
    *,
    group_by: GroupBy = GroupBy.BRANCH,
    start: date | None = None,
    end: date | None = None,
    known_at: datetime | None = None,
    page: Pager = every_item,
) -> AdmissionsReportPage:
    """The report over ``unit``'s subtree (None: the whole tree), rows ordered by unit
    code; ``page`` picks the rows answered (default: all). The caller has checked access
    and that ``end`` is not before ``start``."""
    report, tree = admissions_report(
        views.reader, unit, group_by, start=start, end=end, today=today, known_at=known_at
    )
    rows, next_cursor = page(report.rows, lambda r: row_key(tree, r.organisation_id))
    day = min(end or today, today)
    return AdmissionsReportPage(
        organisation_id=unit,
        group_by=group_by,
        from_=start,
        to=end,
        known_at=known_at,
        total=_row(tree, report.total, _name(tree, unit, day)),
        items=[_row(tree, r, _name(tree, r.organisation_id, day)) for r in rows],
        next_cursor=next_cursor,
    )
