"""Writes of quotas: the target (and sub-targets) of a unit for a period."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.events import (
    DomainEvent,
)
from domain.quota import QuotaSet, QuotaState, quota_id
from domain.values import Period
from workflows import commands as c
from workflows.context import Actor
from workflows.store import Store


class QuotaWrites(Store):
    """Writes of quotas: the target (and sub-targets) of a unit for a period."""

    # --- quotas ---------------------------------------------------------------------

    def set_quota(
        self, organisation_id: UUID, period: Period, command: c.SetQuota, actor: Actor
    ) -> QuotaState:
        self.organisation(organisation_id)
        envelope = self._envelope(actor, command)
        current = self.quota(organisation_id, period)
        data: dict[str, Any] = {
            "organisation_id": organisation_id,
            "period": period.key,
            "target": command.target,
            "sub_targets": command.sub_targets,
            "set_on": self.today(),
        }
        if current is None:
            event: DomainEvent = QuotaSet(
                originator_id=quota_id(organisation_id, period.key),
                originator_version=1,
                **QuotaSet.envelope_fields(envelope),
                **data,
            )
        else:
            event = self._next(current, QuotaSet, envelope, **data)
        self._save(event)
        state = self.quota(organisation_id, period)
        assert state is not None
        return state
