"""The deadline digest of a unit: its open deadlines due within N working days and the
overdue ones, each with the person's name, the branch and the working days left (the
Vietnamese working-day calendar of the rules). The reminders send it, the web app's
deadline page and the reminders' preview show it; the deadlines themselves are the
register's (``register.open_deadlines``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.reports.common import REPORT_UNIT_ID, Views
from api.reports.register import open_deadlines
from domain.candidacy.deadlines import DeadlineKind
from workflows.application import Admissions

DEFAULT_DAYS_AHEAD = 5


class DigestItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "candidacy_id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
                "full_name": "Nguyễn Thị Lan",
                "branch_id": REPORT_UNIT_ID,
                "branch_name": "Chi bộ thôn Đông",
                "kind": "decision_due",
                "due_on": "2025-03-14",
                "working_days_left": -2,
                "status": "overdue",
            }
        }
    )

    candidacy_id: UUID
    full_name: str
    branch_id: UUID
    branch_name: str
    kind: DeadlineKind
    due_on: date
    working_days_left: int = Field(
        description="Working days in (on, due_on]; negative when overdue (Tết and public "
        "holidays are not working days)."
    )
    status: Literal["due", "overdue"]


class DeadlineDigest(BaseModel):
    organisation_id: UUID
    organisation_name: str
    on: date = Field(description="The day the digest is judged on.")
    days_ahead: int = Field(description="Due deadlines within this many working days.")
    items: list[DigestItem] = Field(description="Overdue first, then by due date.")

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.status == "overdue")


def deadline_digest(
    views: Views,
    admissions: Admissions,
    unit: UUID,
    on: date,
    *,
    days_ahead: int = DEFAULT_DAYS_AHEAD,
    known_at: datetime | None = None,
) -> DeadlineDigest:
    """The digest of ``unit``'s subtree on day ``on``; the caller has checked access."""
    calendar = admissions.calendar
    items: list[DigestItem] = []
    for row in open_deadlines(views, unit, on, known_at=known_at).items:
        left = calendar.working_days_between(on, row.due_on)
        if row.status != "overdue" and left > days_ahead:
            continue
        items.append(
            DigestItem(
                candidacy_id=row.candidacy_id,
                full_name=admissions.candidacy(row.candidacy_id).person.full_name,
                branch_id=row.branch_id,
                branch_name=admissions.organisation(row.branch_id).name_on(on),
                kind=row.kind,
                due_on=row.due_on,
                working_days_left=left,
                status=row.status,
            )
        )
    items.sort(key=lambda i: (i.status != "overdue", i.due_on, i.full_name))
    return DeadlineDigest(
        organisation_id=unit,
        organisation_name=admissions.organisation(unit).name_on(on),
        on=on,
        days_ahead=days_ahead,
        items=items,
    )
