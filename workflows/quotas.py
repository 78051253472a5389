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
        self,
        organisation_id: UUID,
        period: Period,
        command: c.SetQuota,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> QuotaState:
        """Set (or revise) the unit's target for the period. Under ``idempotency_key`` a
        repeated request answers from its record (an import's row: a file imported again
        never revises a target set later)."""

        def build() -> list[DomainEvent]:
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
                return [
                    QuotaSet(
                        originator_id=quota_id(organisation_id, period.key),
                        originator_version=1,
                        **QuotaSet.envelope_fields(envelope),
                        **data,
                    )
                ]
            return [self._next(current, QuotaSet, envelope, **data)]

        target = quota_id(organisation_id, period.key)
        return self._write(QuotaState, target, command, actor, idempotency_key, build)
