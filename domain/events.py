"""The event envelope every stored fact carries, and the hash chain over it.

An event says what happened (its own fields), on which day (``effective_on``, taken from
the field named by ``date_field``), when it was recorded (``timestamp``, from the injected
clock), who recorded it (actor, role, unit), for which request, under which rule set, on
which document, which checks ran, and the hash of the previous event of the same stream
(ADR 0002).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.rules import CheckResult
from domain.values import DocumentRef

GENESIS_HASH = "0" * 64
# Effective dates are Vietnamese calendar days; the recording clock runs in UTC.
VIETNAM_OFFSET = timedelta(hours=7)


def recorded_day(moment: datetime) -> date:
    """The Vietnamese calendar day (UTC+7) of a recording instant."""
    return (moment + VIETNAM_OFFSET).date()


class Envelope(BaseModel):
    """Who records a command, when, why and on which document: supplied by the caller's
    context (the workflow layer fills ``recorded_at`` from its clock)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recorded_at: AwareDatetime
    actor: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=40)
    unit_id: UUID | None = None
    request_id: str = Field(min_length=1, max_length=200)
    document: DocumentRef | None = None
    note: str | None = Field(default=None, max_length=2000)


class AggregateState(BaseModel):
    """Base of every aggregate's immutable state: identity and version.

    ``last_hash`` is the head of the aggregate's hash chain: the content hash of its
    newest event, which the next event carries as ``prev_hash``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    created_on: datetime
    modified_on: datetime


class ChainedState(AggregateState):
    """An aggregate state that keeps its chain head as a field (small aggregates)."""

    last_hash: str = GENESIS_HASH


class DomainEvent(BaseModel):
    """Base class of every stored event (frozen pydantic model).

    Subclasses name their effective-date field in ``date_field`` and implement
    ``mutate(state)`` returning the new state.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int = Field(ge=1)
    timestamp: AwareDatetime
    actor: str
    role: str
    unit_id: UUID | None = None
    request_id: str
    rule_set: str | None = None
    document: DocumentRef | None = None
    note: str | None = None
    prev_hash: str = GENESIS_HASH
    checks: tuple[CheckResult, ...] = ()

    date_field: ClassVar[str] = ""
    # Fields the workflow looked up (roster, tree) when the step was recorded: a correction
    # cannot restate them, since nothing would look them up again (ADR 0005).
    looked_up: ClassVar[frozenset[str]] = frozenset()
    # Fields added to the class after events of it were first stored: left out of the
    # payload while they hold nothing (None, empty), so an older event's payload, and so
    # its hash and the chain after it, stay exactly as they were recorded.
    added_fields: ClassVar[frozenset[str]] = frozenset()
    # Envelope fields a correction may never restate.
    ENVELOPE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "originator_id",
            "originator_version",
            "timestamp",
            "actor",
            "role",
            "unit_id",
            "request_id",
            "rule_set",
            "prev_hash",
            "checks",
        }
    )

    @property
    def effective_on(self) -> date:
        """The day the fact happened."""
        value = getattr(self, self.date_field)
        if isinstance(value, datetime):
            return value.date()
        assert isinstance(value, date), f"{type(self).__name__}.{self.date_field} is not a date"
        return value

    @classmethod
    def topic(cls) -> str:
        """The stable ``module:Class`` topic the store records."""
        return f"{cls.__module__}:{cls.__qualname__}"

    @classmethod
    def data_fields(cls) -> list[str]:
        """The fields that say what happened (everything but the envelope)."""
        return [
            name
            for name in cls.model_fields
            if name not in cls.ENVELOPE_FIELDS and name not in ("document", "note")
        ]

    @classmethod
    def restatable_fields(cls) -> list[str]:
        """The data fields a correction may restate."""
        return [name for name in cls.data_fields() if name not in cls.looked_up]

    def payload(self) -> dict[str, Any]:
        """The JSON-ready state of the event (what the store keeps)."""
        data = self.model_dump(mode="json")
        for name in self.added_fields:
            if data.get(name) in (None, []):
                del data[name]
        return data

    def content_hash(self) -> str:
        """SHA-256 over the canonical serialisation (sorted keys, no whitespace) of topic,
        originator id, version and the payload (which includes ``prev_hash``)."""
        return hash_payload(self.topic(), self.payload())

    def evolve(self, state: Any) -> Any:
        """The aggregate's state after this event (subclasses implement)."""
        raise NotImplementedError

    def mutate(self, state: Any) -> Any:
        """Apply this event (the eventsourcing projector protocol): evolve, then stamp the
        version, the modification time and the chain head."""
        new = self.evolve(state)
        return new.model_copy(
            update={
                "version": self.originator_version,
                "modified_on": self.timestamp,
                "last_hash": self.content_hash(),
            }
        )

    @classmethod
    def envelope_fields(cls, envelope: Envelope) -> dict[str, Any]:
        """The envelope part of a new event's constructor arguments."""
        return {
            "timestamp": envelope.recorded_at,
            "actor": envelope.actor,
            "role": envelope.role,
            "unit_id": envelope.unit_id,
            "request_id": envelope.request_id,
            "document": envelope.document,
            "note": envelope.note,
        }


def next_event(
    state: ChainedState, event_class: type[DomainEvent], envelope: Envelope, **data: Any
) -> DomainEvent:
    """The next event of a small aggregate (a member, a unit, a quota): its version and
    ``prev_hash`` follow ``state``, its envelope is ``envelope``'s."""
    return event_class(
        originator_id=state.id,
        originator_version=state.version + 1,
        prev_hash=state.last_hash,
        **event_class.envelope_fields(envelope),
        **data,
    )


def hash_payload(topic: str, payload: dict[str, Any]) -> str:
    """Hash a stored event from its topic and JSON payload (with originator id and version).

    Used both when recording (from the event object) and when verifying (from the raw
    stored JSON), so both sides hash the same bytes.
    """
    body = {"topic": topic, **payload}
    data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(data).hexdigest()
