"""Idempotency records: a retried command with the same key records nothing new.

The record is an aggregate whose id derives from the key, saved in the same transaction
as the command's events, so a concurrent retry collides on its primary key instead of
appending twice (design-notes.md).
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from pydantic import Field

from domain.events import ChainedState, DomainEvent

IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/idempotency")


def idempotency_id(scope: str, key: str) -> UUID:
    """The record id for ``key`` within ``scope`` (e.g. the actor), stable across retries."""
    return uuid5(IDEMPOTENCY_NAMESPACE, f"{scope}\x1f{key}")


def request_fingerprint(command: str, target: str, body: Any) -> str:
    """SHA-256 of the command name, its target and its canonical JSON body."""
    data = orjson.dumps(
        {"command": command, "target": target, "body": body}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(data).hexdigest()


class IdempotencyState(ChainedState):
    key: str
    fingerprint: str
    aggregate_id: UUID
    aggregate_version: int
    response: dict[str, Any]


class CommandAccepted(DomainEvent):
    """A command under an idempotency key was accepted, with what it produced."""

    date_field: ClassVar[str] = "timestamp"
    key: str
    fingerprint: str
    aggregate_id: UUID
    aggregate_version: int
    response: dict[str, Any] = Field(default_factory=dict)

    def evolve(self, state: IdempotencyState | None) -> IdempotencyState:
        return IdempotencyState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            key=self.key,
            fingerprint=self.fingerprint,
            aggregate_id=self.aggregate_id,
            aggregate_version=self.aggregate_version,
            response=self.response,
        )
