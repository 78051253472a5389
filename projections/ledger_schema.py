"""The admissions ledger's tables and the items it takes (``projections.ledger``): the
schema one generation creates, and the small shared helpers its engine and reader use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import resolve_topic

from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.store import Dialect

__all__ = [
    "LEDGER_COLUMNS",
    "MEMBER_COLUMNS",
    "NAME",
    "QUOTA_COLUMNS",
    "UNIT_EVENT_COLUMNS",
    "Item",
    "ledger_tables",
    "organisation_event",
    "utc_text",
]

NAME = "admissions"

LEDGER_COLUMNS = (
    "candidacy_id",
    "kind",
    "unit_id",
    "depth",
    "child_id",
    "branch_id",
    "on_date",
    "recorded_at",
    "delta",
    "women",
    "ethnic_minority",
    "religious",
    "youth_union",
    "aged_30_or_under",
    "education",
    "sector",
)
QUOTA_COLUMNS = (
    "organisation_id",
    "period",
    "version",
    "target",
    "set_on",
    "recorded_at",
    "sub_targets",
)
UNIT_EVENT_COLUMNS = ("notification_id", "topic", "data", "recorded_at")
MEMBER_COLUMNS = (
    "member_id",
    "branch_id",
    "official",
    "from_date",
    "to_date",
    "recorded_at",
    "delta",
)


def ledger_tables(prefix: str, dialect: Dialect) -> list[str]:
    """The CREATE statements of one generation of the ledger projection."""
    d, t = dialect.date_type, dialect.time_type
    return [
        f"CREATE TABLE IF NOT EXISTS {prefix}ledger (candidacy_id TEXT NOT NULL, "
        f"kind TEXT NOT NULL, unit_id TEXT NOT NULL, depth INTEGER NOT NULL, child_id TEXT, "
        f"branch_id TEXT NOT NULL, on_date {d} NOT NULL, recorded_at {t} NOT NULL, "
        "delta INTEGER NOT NULL, women INTEGER NOT NULL, ethnic_minority INTEGER NOT NULL, "
        "religious INTEGER NOT NULL, youth_union INTEGER NOT NULL, "
        "aged_30_or_under INTEGER NOT NULL, education TEXT NOT NULL, sector TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {prefix}ledger_unit ON {prefix}ledger "
        "(unit_id, kind, on_date)",
        f"CREATE TABLE IF NOT EXISTS {prefix}source (candidacy_id TEXT PRIMARY KEY, "
        f"data {dialect.json_type} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}quota (organisation_id TEXT NOT NULL, "
        f"period TEXT NOT NULL, version INTEGER NOT NULL, target INTEGER NOT NULL, "
        f"set_on {d} NOT NULL, recorded_at {t} NOT NULL, sub_targets TEXT NOT NULL, "
        "PRIMARY KEY (organisation_id, period, version))",
        f"CREATE TABLE IF NOT EXISTS {prefix}member_span (member_id TEXT NOT NULL, "
        f"branch_id TEXT NOT NULL, official INTEGER NOT NULL, from_date {d} NOT NULL, "
        f"to_date {d}, recorded_at {t} NOT NULL, delta INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}member_source (member_id TEXT PRIMARY KEY, "
        f"data {dialect.json_type} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {prefix}unit_event (notification_id BIGINT PRIMARY KEY, "
        f"topic TEXT NOT NULL, data {dialect.json_type} NOT NULL, recorded_at {t} NOT NULL)",
    ]


def utc_text(moment: datetime) -> str:
    """A recording time as fixed-width UTC text (sorts like the instant it names)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


@dataclass(frozen=True, slots=True)
class Item:
    """One stored event the ledger takes, decoded as far as it needs.

    Candidacy events come as their stored payload (``payload``); organisation and quota
    events, which are few, come as domain events (``event``).
    """

    notification_id: int
    topic: str
    originator_id: UUID
    version: int
    recorded_at: datetime
    payload: dict[str, Any] | None = None
    event: OrganisationEvent | QuotaSet | None = None


def organisation_event(topic: str, data: str | bytes) -> OrganisationEvent:
    cls = resolve_topic(topic)
    event = cls.model_validate(orjson.loads(data))
    assert isinstance(event, OrganisationEvent)
    return event
