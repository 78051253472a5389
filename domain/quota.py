"""Admission quotas (chỉ tiêu kết nạp đảng viên): a target per unit and period."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field

from domain.events import ChainedState, DomainEvent

QUOTA_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/quota")


def quota_id(organisation_id: UUID, period_key: str) -> UUID:
    """One quota aggregate per unit and period: the id is derived, so a second PUT finds it."""
    return uuid5(QUOTA_NAMESPACE, f"{organisation_id}:{period_key}")


class SubTargets(BaseModel):
    """Optional sub-targets: women, ethnic minorities, Youth Union members."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    women: int | None = Field(default=None, ge=0)
    ethnic_minority: int | None = Field(default=None, ge=0)
    youth_union: int | None = Field(default=None, ge=0)


class QuotaState(ChainedState):
    organisation_id: UUID
    period: str
    target: int
    sub_targets: SubTargets


class QuotaSet(DomainEvent):
    """The target for a unit and period was set (or changed)."""

    date_field: ClassVar[str] = "set_on"
    organisation_id: UUID
    period: str
    target: int = Field(ge=0)
    sub_targets: SubTargets = SubTargets()
    set_on: date

    def evolve(self, state: QuotaState | None) -> QuotaState:
        return QuotaState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=state.created_on if state else self.timestamp,
            modified_on=self.timestamp,
            organisation_id=self.organisation_id,
            period=self.period,
            target=self.target,
            sub_targets=self.sub_targets,
        )
