"""Reports from the candidacy register: the pipeline, the deadline register and the
certificates about to expire (``api.http.routers.reports`` has the admissions figures and
residential coverage). Deadlines name candidacies, so only admins, boards and auditors
read them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.http import examples as ex
from api.http.deps import FiguresDep
from api.http.figures import (
    AsOf,
    KnownAt,
    OrganisationQuery,
    covered_unit,
    problem_responses,
)
from api.http.pagination import DEFAULT_LIMIT, Cursor, Limit, paginate
from api.http.security import FIGURES, READERS, AdmissionsDep, PrincipalDep, require
from domain.candidacy.deadlines import DeadlineKind
from domain.candidacy.state import Stage
from projections.register_reader import DeadlineItem, StageFigures, deadline_key
from projections.register_reader import open_deadlines as register_deadlines
from projections.register_reader import pipeline as register_pipeline

router = APIRouter(tags=["reports"])
_ERRORS = problem_responses(401, 403, 404, 422)
_UNIT = ex.REPORT_UNIT_ID


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
                "organisation_id": _UNIT,
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
                "branch_id": _UNIT,
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


@router.get(
    "/reports/pipeline",
    response_model=PipelineReport,
    summary="Candidates per stage and the median days they have spent in it",
    responses=_ERRORS,
)
def pipeline(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> PipelineReport:
    """The candidacies whose branch lies in the subtree (as the tree stands today, or on
    `as_of`), counted by their stage."""
    require(principal, *FIGURES)
    unit = covered_unit(admissions, principal, organisation_id)
    ledger = projections.reader
    result = register_pipeline(
        projections.register,
        ledger.tree(known_at),
        unit,
        admissions.today(),
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


@router.get(
    "/deadlines",
    response_model=DeadlinesPage,
    summary="Open deadlines (due or overdue) of the candidacies in a subtree",
    responses=_ERRORS,
)
def open_deadlines(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    status: Annotated[Literal["due", "overdue"] | None, Query(description="Only these.")] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> DeadlinesPage:
    """Deadlines derived from each candidacy's facts (decision within 60 working days of the
    branch resolution, ceremony within 30 of receiving the decision, ...), judged today
    or at the end of `as_of`; ordered by due date. Admins, boards and auditors."""
    require(principal, *READERS)
    unit = covered_unit(admissions, principal, organisation_id)
    ledger = projections.reader
    items = register_deadlines(
        projections.register,
        ledger.tree(known_at),
        unit,
        admissions.today(),
        status,
        as_of=as_of,
        known_at=known_at,
    )
    page, next_cursor = paginate(items, deadline_key, limit, cursor)
    return DeadlinesPage(
        on=as_of or admissions.today(),
        items=[DeadlineRow.of(i) for i in page],
        next_cursor=next_cursor,
    )


class ExpiringCertificate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "candidacy_id": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
                "branch_id": _UNIT,
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


@router.get(
    "/reports/certificates-expiring",
    response_model=ExpiringCertificatesPage,
    summary="Awareness-class certificates about to expire before the branch vote",
    responses=_ERRORS,
)
def certificates_expiring(
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    organisation_id: OrganisationQuery = None,
    within_days: Annotated[int, Query(ge=0, le=3660, description="Horizon in days.")] = 90,
    include_expired: Annotated[bool, Query(description="Also those already expired.")] = True,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ExpiringCertificatesPage:
    """Candidacies whose certificate (CN-NTVĐ) has not yet served a branch vote and
    expires within `within_days` of today (or of `as_of`), soonest first; expired ones
    too unless `include_expired=false`. Admins, boards and auditors."""
    require(principal, *READERS)
    unit = covered_unit(admissions, principal, organisation_id)
    on = as_of or admissions.today()
    ledger = projections.reader
    found = register_deadlines(
        projections.register,
        ledger.tree(known_at),
        unit,
        admissions.today(),
        as_of=as_of,
        known_at=known_at,
        kinds=frozenset({"certificate_expiry"}),
    )
    items = [
        i
        for i in found
        if (i.due_on - on).days <= within_days and (include_expired or i.status == "due")
    ]
    page, next_cursor = paginate(items, deadline_key, limit, cursor)
    issued = {
        d.candidacy_id: d.basis_on
        for d in projections.register.open_deadlines(on, known_at)
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
            for i in page
        ],
        next_cursor=next_cursor,
    )
