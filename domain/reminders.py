"""Deadline reminders (nhắc hạn): a unit's subscriptions to a digest of its deadlines, and
each digest's delivery, recorded before it is acknowledged.

A subscription says who receives the digest (an e-mail address or a webhook), how often
(daily, or weekly on Mondays), at what hour in Vietnam and how many working days ahead it
looks. A digest is one aggregate per subscription and delivery day, with a derived id, so
two processes claiming the same digest collide on the store's primary key and only one of
them sends it (ADR 0024). A digest scheduled on a day off is held to the next working day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from domain.calendar import WorkingCalendar
from domain.events import ChainedState, DomainEvent

DIGEST_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/reminder-digest")
# A hold never spans more than this: Tết with its bridging days is about ten days off.
LONGEST_HOLD_DAYS = 31


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"  # on Mondays (held to the next working day when Monday is off)

    def scheduled_on(self, day: date) -> bool:
        return self is Frequency.DAILY or day.weekday() == 0


def digest_id(subscription_id: UUID, day: date) -> UUID:
    """The one digest of a subscription for a delivery day."""
    return uuid5(DIGEST_NAMESPACE, f"{subscription_id}:{day.isoformat()}")


def delivery_due(frequency: Frequency, day: date, calendar: WorkingCalendar) -> bool:
    """Whether a digest is delivered on ``day``: a working day on which the schedule falls,
    or the first working day after scheduled days off (the digest is held, not dropped;
    several held days give one digest)."""
    if not calendar.is_working_day(day):
        return False
    back = day
    for _ in range(LONGEST_HOLD_DAYS):
        if frequency.scheduled_on(back):
            return True
        back -= timedelta(days=1)
        if calendar.is_working_day(back):
            return False
    return False


class SubscriptionState(ChainedState):
    organisation_id: UUID
    channel: Channel
    address: str
    # The webhook's signing key: in the event (so encrypted at rest with the store's cipher)
    # and never in an answer or a log line.
    secret: str | None = None
    frequency: Frequency
    days_ahead: int
    hour: int
    subscribed_on: date
    ended_on: date | None = None

    @property
    def active(self) -> bool:
        return self.ended_on is None


class ReminderSubscribed(DomainEvent):
    """A unit's board subscribed an address to its deadline digest."""

    date_field: ClassVar[str] = "subscribed_on"
    organisation_id: UUID
    channel: Channel
    address: str = Field(min_length=3, max_length=500)
    secret: str | None = Field(default=None, max_length=500)
    frequency: Frequency
    days_ahead: int = Field(ge=0, le=60)
    hour: int = Field(ge=0, le=23)
    subscribed_on: date

    def evolve(self, state: SubscriptionState | None) -> SubscriptionState:
        return SubscriptionState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            organisation_id=self.organisation_id,
            channel=self.channel,
            address=self.address,
            secret=self.secret,
            frequency=self.frequency,
            days_ahead=self.days_ahead,
            hour=self.hour,
            subscribed_on=self.subscribed_on,
        )


class ReminderSubscriptionEnded(DomainEvent):
    """The subscription was ended: no digest is sent after this."""

    date_field: ClassVar[str] = "ended_on"
    ended_on: date

    def evolve(self, state: SubscriptionState) -> SubscriptionState:
        return state.model_copy(update={"ended_on": self.ended_on})


DigestStatus = Literal["claimed", "sent", "failed"]


class DigestState(ChainedState):
    subscription_id: UUID
    organisation_id: UUID
    due_on: date
    status: DigestStatus
    claims: int
    attempts: int = 0
    items: int = 0
    reason: str | None = None

    def reclaimable(self, now: datetime, lease: timedelta) -> bool:
        """A claim older than ``lease`` that was never settled: its sender died mid-send
        (or hangs); it may be claimed again (ADR 0024)."""
        return self.status == "claimed" and now >= self.modified_on + lease


class DigestClaimed(DomainEvent):
    """A process took the digest to send it (written before anything is sent)."""

    date_field: ClassVar[str] = "due_on"
    subscription_id: UUID
    organisation_id: UUID
    due_on: date
    items: int = Field(ge=0)

    def evolve(self, state: DigestState | None) -> DigestState:
        return DigestState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=state.created_on if state else self.timestamp,
            modified_on=self.timestamp,
            subscription_id=self.subscription_id,
            organisation_id=self.organisation_id,
            due_on=self.due_on,
            status="claimed",
            claims=(state.claims if state else 0) + 1,
            items=self.items,
        )


class DigestSent(DomainEvent):
    """The receiver acknowledged the digest (SMTP accepted it; the webhook answered 2xx)."""

    date_field: ClassVar[str] = "sent_on"
    sent_on: date
    attempts: int = Field(ge=1)

    def evolve(self, state: DigestState) -> DigestState:
        return state.model_copy(update={"status": "sent", "attempts": self.attempts})


class DigestFailed(DomainEvent):
    """Every attempt failed; ``reason`` says how the last one did (no personal data)."""

    date_field: ClassVar[str] = "failed_on"
    failed_on: date
    attempts: int = Field(ge=1)
    reason: str = Field(max_length=500)

    def evolve(self, state: DigestState) -> DigestState:
        return state.model_copy(
            update={"status": "failed", "attempts": self.attempts, "reason": self.reason}
        )
