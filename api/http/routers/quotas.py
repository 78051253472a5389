"""Admission quotas (chỉ tiêu kết nạp đảng viên): set a target, read its fulfilment.

An admission counts for the period containing its decision date and for every unit on its
branch's path on that date (domain.md, "Quotas and the figures boards report").
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel, ConfigDict

from api.http.deps import ActorDep, FiguresDep
from api.http.downloads import ExportFormat, FormatQuery, download, spreadsheet_responses
from api.http.figures import AsOf, KnownAt, problem_responses
from api.http.problems import ApiError
from api.http.security import (
    FIGURES,
    READERS,
    WRITERS,
    AdmissionsDep,
    PrincipalDep,
    require,
    require_scope,
)
from api.reports import forecast as forecast_use
from api.reports import quotas as quota_use
from api.reports.forecast import QuotaForecast
from api.reports.quotas import QUOTA_EXAMPLE_ID, ChildFulfilment, QuotaFulfilment
from api.spreadsheets import export
from domain.quota import QuotaState, SubTargets
from domain.values import Period
from workflows import commands as c

router = APIRouter(tags=["quotas"])

PeriodPath = Annotated[
    str,
    Path(
        description="A calendar year (`2024`) or a congress term (`2020-2025`, inclusive).",
        examples=["2024", "2020-2025"],
    ),
]
_ERRORS = problem_responses(401, 403, 404, 422)
_WRITE_ERRORS = problem_responses(400, 401, 403, 404, 422)
_EXAMPLE_ID = QUOTA_EXAMPLE_ID
__all__ = ["ChildFulfilment", "Quota", "QuotaForecast", "QuotaFulfilment"]


class Quota(BaseModel):
    """A target as set for a unit and period."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "organisation_id": _EXAMPLE_ID,
                "name": "Đảng bộ xã Lát",
                "period": "2024",
                "target": 12,
                "sub_targets": {"women": 5, "ethnic_minority": 6, "youth_union": 8},
                "version": 1,
            }
        }
    )

    organisation_id: UUID
    name: str
    period: str
    target: int
    sub_targets: SubTargets
    version: int

    @classmethod
    def of(cls, state: QuotaState, name: str) -> Quota:
        return cls(
            organisation_id=state.organisation_id,
            name=name,
            period=state.period,
            target=state.target,
            sub_targets=state.sub_targets,
            version=state.version,
        )


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError:
        raise ApiError(
            422,
            "Invalid request",
            "period must be a year (2024) or a term (2020-2025)",
            "invalid_period",
        ) from None


@router.put(
    "/organisations/{organisation_id}/quotas/{period}",
    response_model=Quota,
    summary="Set the admission target of a unit for a year or a term",
    responses=_WRITE_ERRORS,
    operation_id="set_quota",
)
def set_quota(
    organisation_id: UUID,
    period: PeriodPath,
    command: Annotated[
        c.SetQuota,
        Body(
            openapi_examples={
                "year": {
                    "summary": "Chỉ tiêu năm 2024",
                    "value": {
                        "target": 12,
                        "sub_targets": {"women": 5, "ethnic_minority": 6, "youth_union": 8},
                        "document": {"form": "NQ", "number": "05-NQ/ĐU", "dated": "2024-01-08"},
                    },
                },
                "term": {"summary": "Chỉ tiêu nhiệm kỳ 2020-2025", "value": {"target": 60}},
            }
        ),
    ],
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    actor: ActorDep,
) -> Quota:
    """Admin, or a board within its subtree. Setting it again replaces the target (the
    earlier one stays in the record)."""
    require(principal, *WRITERS)
    quota_period = _period(period)
    admissions.organisation(organisation_id)
    require_scope(admissions, principal, organisation_id)
    state = admissions.set_quota(organisation_id, quota_period, command, actor)
    name = admissions.organisation(organisation_id).name
    return Quota.of(state, name)


@router.get(
    "/organisations/{organisation_id}/quotas/{period}",
    response_model=QuotaFulfilment,
    summary="Fulfilment of a unit's admission target, with its children",
    responses={**_ERRORS, **spreadsheet_responses()},
    operation_id="get_quota_fulfilment",
)
def quota_fulfilment(
    organisation_id: UUID,
    period: PeriodPath,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    format: FormatQuery = ExportFormat.JSON,
) -> QuotaFulfilment | Response:
    """Admissions decided in the period, counted for every unit on the branch's path on the
    decision date, against the target; ``children`` are the units directly under it on
    some day of the period. A unit without a quota still answers (target null). Every
    role may read it within its subtree."""
    require(principal, *FIGURES)
    quota_period = _period(period)
    admissions.organisation(organisation_id)
    require_scope(admissions, principal, organisation_id)
    report = quota_use.quota_fulfilment(
        projections,
        organisation_id,
        quota_period,
        admissions.today(),
        as_of=as_of,
        known_at=known_at,
    )
    if not format.spreadsheet:
        return report
    return download(export.quota_export(report, projections.reader.tree(known_at)), format)


@router.get(
    "/organisations/{organisation_id}/quotas/{period}/forecast",
    response_model=QuotaForecast,
    summary="Admissions expected by the period's end, with a 10–90 % band",
    responses=_ERRORS,
    operation_id="get_quota_forecast",
)
def quota_forecast(
    organisation_id: UUID,
    period: PeriodPath,
    admissions: AdmissionsDep,
    principal: PrincipalDep,
    projections: FiguresDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> QuotaForecast:
    """From the pipeline on ``as_of`` (default today) and the unit's own history (the
    nearest unit above it, or the whole store, for a stage it has too few past
    candidacies in): each candidate whose path can still end in the period, given the
    working-day minimums of the steps ahead, counts with the share of comparable past
    candidacies admitted in the same window; the band is the 10th–90th percentile of their
    sum (ADR 0025). Deterministic for a given ``as_of`` and ``known_at``. Every role may
    read it within its subtree; ``deciding`` (the candidacies that decide it) only the
    roles that read records (a reporter gets null and the count)."""
    require(principal, *FIGURES)
    quota_period = _period(period)
    admissions.organisation(organisation_id)
    require_scope(admissions, principal, organisation_id)
    return forecast_use.quota_forecast(
        projections,
        admissions.calendar,
        organisation_id,
        quota_period,
        admissions.today(),
        as_of=as_of,
        known_at=known_at,
        name_candidacies=principal.role in READERS,
    )
