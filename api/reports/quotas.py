"""Quota fulfilment (``GET /organisations/{id}/quotas/{period}``, its page, its export):
admissions decided in the period against the unit's target, with its children."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from api.reports.common import BreakdownOut, Views, percent
from domain.quota import SubTargets
from domain.values import Period

QUOTA_EXAMPLE_ID = "5f0c6a58-2d7e-5b8e-9a51-3c1b8f3e2a10"


class ChildFulfilment(BaseModel):
    organisation_id: UUID
    name: str
    target: int | None
    admitted: int
    fulfilment_percent: float | None


class QuotaFulfilment(BaseModel):
    """How far a unit got against its target (api.md). ``fulfilment_percent`` is admitted ÷
    target × 100 rounded half-up to 2 decimals; null, like ``target``, without a quota."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "organisation_id": QUOTA_EXAMPLE_ID,
                "name": "Đảng ủy Thành phố Đà Lạt",
                "period": "2013",
                "target": 175,
                "sub_targets": None,
                "admitted": 189,
                "fulfilment_percent": 108.0,
                "breakdown": {
                    "women": 101,
                    "ethnic_minority": 12,
                    "religious": 9,
                    "youth_union": 150,
                    "aged_30_or_under": 131,
                },
                "children": [
                    {
                        "organisation_id": "0c1d2e3f-4a5b-5c6d-8e7f-8091a2b3c4d5",
                        "name": "Đảng bộ Phường 1",
                        "target": 8,
                        "admitted": 9,
                        "fulfilment_percent": 112.5,
                    }
                ],
                "as_of": None,
                "known_at": None,
            }
        }
    )

    organisation_id: UUID
    name: str
    period: str
    target: int | None
    sub_targets: SubTargets | None
    admitted: int
    fulfilment_percent: float | None
    breakdown: BreakdownOut
    children: list[ChildFulfilment]
    as_of: date | None = None
    known_at: datetime | None = None


def quota_fulfilment(
    views: Views,
    organisation_id: UUID,
    period: Period,
    today: date,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> QuotaFulfilment:
    """The unit's fulfilment for ``period``; names as they stood on the period's last day
    (or ``as_of``/today, when sooner). The caller has checked the unit and access."""
    day = min(period.ends_on, as_of or today)
    reader = views.reader
    report = reader.quota_report(organisation_id, period, as_of=as_of, known_at=known_at)
    quota = reader.quota_sets([organisation_id], period, as_of, known_at).get(organisation_id)
    tree = reader.tree(known_at)
    children = [
        ChildFulfilment(
            organisation_id=child_id,
            name=tree.display_name(child_id, day),
            target=target,
            admitted=admitted,
            fulfilment_percent=percent(child_percent),
        )
        for child_id, target, admitted, child_percent in report.children
    ]
    sub_targets = SubTargets.model_validate(quota[1]) if quota is not None else None
    return QuotaFulfilment(
        organisation_id=organisation_id,
        name=tree.display_name(organisation_id, day),
        period=report.period,
        target=report.target,
        sub_targets=sub_targets,
        admitted=report.admitted,
        fulfilment_percent=percent(report.fulfilment_percent),
        breakdown=BreakdownOut.of(report.breakdown),
        children=children,
        as_of=as_of,
        known_at=known_at,
    )
