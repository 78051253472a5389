"""Reports from the candidacy register (their endpoints, pages and exports): the pipeline,
the deadline register and the certificates about to expire."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.reports.common import REPORT_UNIT_ID, Pager, Views, every_item
from domain.candidacy.deadlines import DeadlineKind
from domain.candidacy.state import Stage
from projections.register_reader import DeadlineItem, StageFigures, deadline_key
from projections.register_reader import open_deadlines as register_deadlines
from projections.register_reader import pipeline as register_pipeline

OpenStatus = Literal["due", "overdue"]


class StageRow(BaseModel):
    stage: Stage
    candidates: int
    median_days_in_stage: float | None = Field(
        description="Median days since each entered the stage (the effective date of the "
        "step that moved it there); null when the stage is empty."
    )

    @classmethod
    def of(cls, figures: StageFigures) -> StageRow:
        return cls(
            stage=figures.stage,
            candidates=figures.candidates,
            median_days_in_stage=figures.median_days_in_stage,
        )


class PipelineReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "organisation_id": REPORT_UNIT_ID,
                "on": "2025-11-20",
                "stages": [
                    {"stage": "verification", "candidates": 7, "median_days_in_stage": 41.0}
                ],
                "outcomes": [
                    {"stage": "official", "candidates": 52, "median_days_in_stage": 300.5}
                ],
            }
        }
    )

    organisation_id: UUID | None
    on: date = Field(description="The day the days in stage are counted to.")
    known_at: datetime | None = None
    stages: list[StageRow] = Field(description="The open stages, in the order of the procedure.")
    outcomes: list[StageRow] = Field(description="Official, rejected, withdrawn, removed.")


class DeadlineRow(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "candidacy_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                "branch_id": REPORT_UNIT_ID,
                "kind": "decision_due",
                "due_on": "2025-03-14",
                "status": "overdue",
            }
        }
    )

    candidacy_id: UUID
    branch_id: UUID
    kind: DeadlineKind
    due_on: date
    status: Literal["due", "overdue"]

    @classmethod
    def of(cls, item: DeadlineItem) -> DeadlineRow:
        return cls(
            candidacy_id=item.candidacy_id,
            branch_id=item.branch_id,
            kind=item.kind,
            due_on=item.due_on,
            status=item.status,
        )


class DeadlinesPage(BaseModel):
    on: date = Field(description="The day the statuses are judged on.")
    items: list[DeadlineRow]
    next_cursor: str | None


class ExpiringCertificate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "candidacy_id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
                "branch_id": REPORT_UNIT_ID,
                "issued_on": "2021-03-02",
                "expires_on": "2026-03-02",
                "days_left": 45,
                "status": "expiring",
            }
        }
    )

    candidacy_id: UUID
    branch_id: UUID
    issued_on: date = Field(description="The awareness-class certificate's date.")
    expires_on: date = Field(description="60 months later: the last day a branch vote may use it.")
    days_left: int = Field(
        description="Calendar days from `on` to `expires_on` (negative: expired)."
    )
    status: Literal["expiring", "expired"]


class ExpiringCertificatesPage(BaseModel):
    on: date
    within_days: int
    items: list[ExpiringCertificate]
    next_cursor: str | None


def pipeline(
    views: Views,
    unit: UUID | None,
    today: date,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> PipelineReport:
    """Candidacies of ``unit``'s subtree per stage; the caller has checked access."""
    result = register_pipeline(
        views.register,
        views.reader.tree(known_at),
        unit,
        today,
        as_of=as_of,
        known_at=known_at,
    )
    return PipelineReport(
        organisation_id=unit,
        on=result.on,
        known_at=known_at,
        stages=[StageRow.of(s) for s in result.stages],
        outcomes=[StageRow.of(s) for s in result.outcomes],
    )


def open_deadlines(
    views: Views,
    unit: UUID | None,
    today: date,
    *,
    status: OpenStatus | None = None,
    as_of: date | None = None,
    known_at: datetime | None = None,
    page: Pager = every_item,
) -> DeadlinesPage:
    """The open deadlines of ``unit``'s subtree, by due date; the caller checked access."""
    items = register_deadlines(
        views.register,
        views.reader.tree(known_at),
        unit,
        today,
        status,
        as_of=as_of,
        known_at=known_at,
    )
    picked, next_cursor = page(items, deadline_key)
    return DeadlinesPage(
        on=as_of or today,
        items=[DeadlineRow.of(i) for i in picked],
        next_cursor=next_cursor,
    )


def certificates_expiring(
    views: Views,
    unit: UUID | None,
    today: date,
    *,
    within_days: int = 90,
    include_expired: bool = True,
    as_of: date | None = None,
    known_at: datetime | None = None,
    page: Pager = every_item,
) -> ExpiringCertificatesPage:
    """Certificates of ``unit``'s subtree expiring within ``within_days`` of today (or of
    ``as_of``), soonest first; the caller has checked access."""
    on = as_of or today
    found = register_deadlines(
        views.register,
        views.reader.tree(known_at),
        unit,
        today,
        as_of=as_of,
        known_at=known_at,
        kinds=frozenset({"certificate_expiry"}),
    )
    items = [
        i
        for i in found
        if (i.due_on - on).days <= within_days and (include_expired or i.status == "due")
    ]
    picked, next_cursor = page(items, deadline_key)
    issued = {
        d.candidacy_id: d.basis_on
        for d in views.register.open_deadlines(on, known_at)
        if d.kind == "certificate_expiry"
    }
    return ExpiringCertificatesPage(
        on=on,
        within_days=within_days,
        items=[
            ExpiringCertificate(
                candidacy_id=i.candidacy_id,
                branch_id=i.branch_id,
                issued_on=issued[i.candidacy_id],
                expires_on=i.due_on,
                days_left=(i.due_on - on).days,
                status="expiring" if i.status == "due" else "expired",
            )
            for i in picked
        ],
        next_cursor=next_cursor,
    )
