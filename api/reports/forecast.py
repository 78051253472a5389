"""The forecast of a quota (``GET /organisations/{id}/quotas/{period}/forecast``, the
quota page's forecast bar, ``ketnap quotas forecast``): admissions expected by the period's
end from the pipeline and the unit's own history (``projections.forecast``, ADR 0025)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import Literal
from uuid import UUID
from weakref import WeakKeyDictionary

from pydantic import BaseModel, ConfigDict, Field

from api.labels import STAGE_LABELS
from api.reports.common import Views
from api.reports.quotas import QUOTA_EXAMPLE_ID
from domain.calendar import WorkingCalendar
from domain.candidacy.state import Stage
from domain.values import Period
from projections.forecast import Deciding, Forecast, Minimums, StageForecast
from projections.forecast_read import ForecastInputs, read_inputs

Basis = Literal["own", "above", "store"]
_CANDIDACY_EXAMPLE = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


class WithinMonths(BaseModel):
    months: int
    admitted: int
    observed: int = Field(description="Past entries into the stage at least that long ago.")
    share: float | None


class StageRateOut(BaseModel):
    """One pipeline stage: its candidates now and the history its rate came from."""

    stage: Stage
    candidates: int = Field(description="Standing in the stage on as_of.")
    deciding: int = Field(description="Of those, whose path can still end in the period.")
    expected: float = Field(description="Their expected admissions in the period.")
    basis: Basis = Field(
        description="Whose history: the unit's own subtree, a unit above it (too few past "
        "candidacies of its own), or the whole store."
    )
    basis_organisation_id: UUID | None
    past_candidacies: int = Field(description="Past entries into the stage in the basis.")
    comparable: int = Field(
        description="Past entries compared with this stage's candidates (summed over them): "
        "undecided as long as each has been in the stage, window fully observed."
    )
    admitted_of_comparable: int
    rate: float | None = Field(description="admitted_of_comparable ÷ comparable.")
    admitted_within: list[WithinMonths] = Field(
        description="Share of past entries admitted within 1, 3, 6, 12 months of entering."
    )
    median_days_to_admission: float | None


class DecidingCandidate(BaseModel):
    candidacy_id: UUID
    stage: Stage
    branch_id: UUID
    since: date = Field(description="The day it entered its stage.")
    next_step_by: date = Field(
        description="The latest day its next step can happen for an admission in the period, "
        "given the working-day minimums of the steps after it."
    )
    due_on: date | None = Field(
        description="The rule's limit on its path: the 60-working-day decision (branch "
        "approved, awaiting decision), else the certificate's expiry."
    )
    probability: float

    @classmethod
    def of(cls, d: Deciding) -> DecidingCandidate:
        return cls(
            candidacy_id=d.candidacy_id,
            stage=d.stage,
            branch_id=d.branch_id,
            since=d.since,
            next_step_by=d.next_step_by,
            due_on=d.due_on,
            probability=d.probability,
        )


class QuotaForecast(BaseModel):
    """The admissions expected by the period's end (api.md). ``low``–``high`` is the
    10th–90th percentile, admitted so far included; ``deciding`` names candidacies, so it
    is null for a reporter (``deciding_count`` still says how many)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "organisation_id": QUOTA_EXAMPLE_ID,
                "name": "Đảng ủy Thành phố Đà Lạt",
                "period": "2025",
                "as_of": "2025-06-30",
                "known_at": None,
                "target": 30,
                "admitted": 12,
                "expected": 24.6,
                "low": 21,
                "high": 28,
                "expected_fulfilment_percent": 82.0,
                "stages": [
                    {
                        "stage": "awaiting_decision",
                        "candidates": 6,
                        "deciding": 6,
                        "expected": 5.4,
                        "basis": "own",
                        "basis_organisation_id": QUOTA_EXAMPLE_ID,
                        "past_candidacies": 41,
                        "comparable": 180,
                        "admitted_of_comparable": 162,
                        "rate": 0.9,
                        "admitted_within": [
                            {"months": 3, "admitted": 35, "observed": 40, "share": 0.875}
                        ],
                        "median_days_to_admission": 38.0,
                    }
                ],
                "deciding_count": 19,
                "deciding": [
                    {
                        "candidacy_id": _CANDIDACY_EXAMPLE,
                        "stage": "awaiting_decision",
                        "branch_id": "0c1d2e3f-4a5b-5c6d-8e7f-8091a2b3c4d5",
                        "since": "2025-05-20",
                        "next_step_by": "2025-12-31",
                        "due_on": "2025-08-14",
                        "probability": 0.9,
                    }
                ],
                "notes": ["Dự báo từ 31 người đang trong quy trình, 19 người còn kịp trong kỳ."],
            }
        }
    )

    organisation_id: UUID
    name: str
    period: str
    as_of: date
    known_at: datetime | None
    target: int | None
    admitted: int = Field(description="Admission decisions dated in the period by as_of.")
    expected: float = Field(description="admitted + the expected admissions still to come.")
    low: int = Field(description="10th percentile (always ≤ expected).")
    high: int = Field(description="90th percentile (always ≥ expected).")
    expected_fulfilment_percent: float | None
    stages: list[StageRateOut]
    deciding_count: int
    deciding: list[DecidingCandidate] | None
    notes: list[str] = Field(description="The forecast explained, in Vietnamese.")


def _basis(row: StageForecast, unit: UUID) -> Basis:
    basis = row.history.basis
    return "own" if basis == unit else "store" if basis is None else "above"


def _stage(row: StageForecast, unit: UUID) -> StageRateOut:
    return StageRateOut(
        stage=row.stage,
        candidates=row.candidates,
        deciding=row.deciding,
        expected=row.expected,
        basis=_basis(row, unit),
        basis_organisation_id=row.history.basis,
        past_candidacies=row.history.past_candidacies,
        comparable=row.rate.comparable,
        admitted_of_comparable=row.rate.admitted,
        rate=round(row.rate.value, 4) if row.rate.comparable else None,
        admitted_within=[
            WithinMonths(
                months=months,
                admitted=r.admitted,
                observed=r.comparable,
                share=round(r.value, 4) if r.comparable else None,
            )
            for months, r in row.history.admitted_within
        ],
        median_days_to_admission=row.history.median_days_to_admission,
    )


def _notes(result: Forecast, names: dict[UUID | None, str], minimum: int) -> list[str]:
    standing = sum(s.candidates for s in result.stages)
    notes = [
        f"Dự báo từ {standing} người đang trong quy trình, {len(result.deciding)} người "
        "còn kịp được kết nạp trong kỳ theo thời hạn tối thiểu của các bước còn lại."
    ]
    for stage, basis, n in result.fallbacks:
        if not any(s.stage == stage and s.candidates for s in result.stages):
            continue
        label = STAGE_LABELS.get(stage.value, stage.value)
        notes.append(
            f"Giai đoạn «{label}»: đơn vị có ít hơn {minimum} hồ sơ đã qua giai đoạn này; "
            f"tỷ lệ lấy theo {names[basis]} ({n} hồ sơ)."
        )
    notes.append(
        f"Khoảng {result.low}–{result.high}: phân vị 10–90 của số được kết nạp, coi mỗi "
        "người là độc lập."
    )
    return notes


# The inputs read for a day and instant, per read side, kept while the views have applied
# nothing new: a forecast reads every stage span, which a page showing it again (the quota
# page, each unit of a tree) should not pay each time.
_INPUTS: WeakKeyDictionary[Views, OrderedDict[tuple[int, date, datetime | None], ForecastInputs]]
_INPUTS = WeakKeyDictionary()
_INPUTS_KEPT = 8
_INPUTS_LOCK = threading.Lock()


def _position(views: Views) -> int | None:
    """How far the views have applied the store (a server's ``ReadSide.position``, a
    CLI's ``Projections.position()``); None: not known, nothing kept."""
    found = getattr(views, "position", None)
    value = found() if callable(found) else found
    return value if isinstance(value, int) else None


def _inputs(views: Views, on: date, known_at: datetime | None) -> ForecastInputs:
    position = _position(views)
    if position is None:
        return read_inputs(views.reader, views.register, on, known_at)
    key = (position, on, known_at)
    with _INPUTS_LOCK:
        kept = _INPUTS.setdefault(views, OrderedDict())
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    inputs = read_inputs(views.reader, views.register, on, known_at)
    with _INPUTS_LOCK:
        kept[key] = inputs
        while len(kept) > _INPUTS_KEPT:
            kept.popitem(last=False)
    return inputs


def quota_forecast(
    views: Views,
    calendar: WorkingCalendar,
    organisation_id: UUID,
    period: Period,
    today: date,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    name_candidacies: bool = True,
    minimums: Minimums | None = None,
) -> QuotaForecast:
    """The unit's forecast for ``period`` as of ``as_of`` (today when None), as recorded
    by ``known_at``; ``name_candidacies`` False leaves ``deciding`` out. The caller has
    checked the unit and access."""
    on = as_of or today
    minimums = minimums or Minimums()
    inputs = _inputs(views, on, known_at)
    result = inputs.forecast(views.reader, calendar, organisation_id, period, minimums)
    tree = inputs.tree
    day = min(period.ends_on, on)
    names: dict[UUID | None, str] = {None: "toàn bộ dữ liệu"}
    for _, basis, _ in result.fallbacks:
        if basis is not None:
            names[basis] = f"«{tree.display_name(basis, day)}»"
    expected_percent = round(100 * result.expected / result.target, 2) if result.target else None
    return QuotaForecast(
        organisation_id=organisation_id,
        name=tree.display_name(organisation_id, day),
        period=period.key,
        as_of=on,
        known_at=known_at,
        target=result.target,
        admitted=result.admitted,
        expected=result.expected,
        low=result.low,
        high=result.high,
        expected_fulfilment_percent=expected_percent,
        stages=[_stage(s, organisation_id) for s in result.stages],
        deciding_count=len(result.deciding),
        deciding=[DecidingCandidate.of(d) for d in result.deciding] if name_candidacies else None,
        notes=_notes(result, names, minimums.min_past),
    )
