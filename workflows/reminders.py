"""Writes of reminders: a unit's subscriptions to its deadline digest, and each digest's
claim, delivery and failure (ADR 0024).

A digest is claimed before it is sent: ``DigestClaimed`` on the aggregate
``digest_id(subscription, day)``, so of two processes claiming it one saves version 1 and
the other hits the primary key (``None``: someone else has it). A claim whose process went
quiet past its lease may be claimed again (a second ``DigestClaimed``, the same race).
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from domain.errors import DomainError, NotFound
from domain.events import DomainEvent, Envelope
from domain.reminders import (
    DigestClaimed,
    DigestFailed,
    DigestSent,
    DigestState,
    ReminderSubscribed,
    ReminderSubscriptionEnded,
    SubscriptionState,
    digest_id,
)
from workflows import commands as c
from workflows.context import Actor
from workflows.scan import events_of
from workflows.store import ConcurrentWrite, Store, fold

SUBSCRIPTION_TOPICS = (ReminderSubscribed.topic(), ReminderSubscriptionEnded.topic())


class ReminderWrites(Store):
    """Subscriptions to a unit's deadline digest, and the record of every digest sent."""

    # --- subscriptions ----------------------------------------------------------------

    def subscribe_reminders(
        self,
        organisation_id: UUID,
        command: c.SubscribeReminders,
        actor: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> SubscriptionState:
        """Subscribe an address to the unit's digest (the unit must exist today)."""

        def build() -> list[DomainEvent]:
            self._existing_unit(organisation_id, self.today())
            envelope = self._envelope(actor, command)
            return [
                ReminderSubscribed(
                    originator_id=uuid4(),
                    originator_version=1,
                    **ReminderSubscribed.envelope_fields(envelope),
                    organisation_id=organisation_id,
                    channel=command.channel,
                    address=command.address,
                    secret=command.secret,
                    frequency=command.frequency,
                    days_ahead=command.days_ahead,
                    hour=command.hour,
                    subscribed_on=self.today(),
                )
            ]

        return self._write(
            SubscriptionState, organisation_id, command, actor, idempotency_key, build
        )

    def subscription(self, subscription_id: UUID) -> SubscriptionState:
        return self._get(subscription_id, SubscriptionState, "reminder subscription")

    def end_subscription(
        self, organisation_id: UUID, subscription_id: UUID, actor: Actor
    ) -> SubscriptionState:
        """End a subscription of the unit; ending it twice is refused."""
        state = self.subscription(subscription_id)
        if state.organisation_id != organisation_id:
            raise NotFound(f"unknown reminder subscription {subscription_id}")
        if state.ended_on is not None:
            raise DomainError(
                f"the subscription ended on {state.ended_on.isoformat()}",
                rule="subscription_ended",
            )
        event = self._next(
            state,
            ReminderSubscriptionEnded,
            self._plain_envelope(actor),
            ended_on=self.today(),
        )
        self._save(event)
        ended: SubscriptionState = event.mutate(state)
        self._remember(ended)
        return ended

    def subscriptions(self, organisation_id: UUID | None = None) -> list[SubscriptionState]:
        """Every subscription (of one unit), oldest first, ended ones included."""
        states: dict[UUID, SubscriptionState] = {}
        for event in events_of(self.recorder, self.mapper, SUBSCRIPTION_TOPICS):
            states[event.originator_id] = fold(states.get(event.originator_id), [event])
        return [
            s
            for s in states.values()
            if organisation_id is None or s.organisation_id == organisation_id
        ]

    # --- digests ----------------------------------------------------------------------

    def digest(self, subscription_id: UUID, day: date) -> DigestState | None:
        try:
            return self._get(digest_id(subscription_id, day), DigestState, "digest")
        except NotFound:
            return None

    def claim_digest(
        self,
        subscription: SubscriptionState,
        day: date,
        *,
        lease: timedelta,
        items: int,
        actor: Actor,
    ) -> DigestState | None:
        """Take the digest of ``day`` to send it; None when it was sent, failed, or another
        process holds it (claimed less than ``lease`` ago, or it won the race to claim it)."""
        now = self.clock()
        current = self.digest(subscription.id, day)
        if current is not None and not current.reclaimable(now, lease):
            return None
        data = {
            "subscription_id": subscription.id,
            "organisation_id": subscription.organisation_id,
            "due_on": day,
            "items": items,
        }
        envelope = self._plain_envelope(actor)
        if current is None:
            event: DomainEvent = DigestClaimed(
                originator_id=digest_id(subscription.id, day),
                originator_version=1,
                **DigestClaimed.envelope_fields(envelope),
                **data,
            )
        else:
            event = self._next(current, DigestClaimed, envelope, **data)
        try:
            self._save(event)
        except ConcurrentWrite:
            return None
        claimed: DigestState = event.mutate(current)
        self._remember(claimed)
        return claimed

    def record_digest_sent(self, claim: DigestState, attempts: int, actor: Actor) -> DigestState:
        return self._settle_digest(
            claim, DigestSent, actor, sent_on=self.today(), attempts=attempts
        )

    def record_digest_failed(
        self, claim: DigestState, attempts: int, reason: str, actor: Actor
    ) -> DigestState:
        return self._settle_digest(
            claim, DigestFailed, actor, failed_on=self.today(), attempts=attempts, reason=reason
        )

    def _settle_digest(
        self, claim: DigestState, kind: type[DomainEvent], actor: Actor, **data: object
    ) -> DigestState:
        event = self._next(claim, kind, self._plain_envelope(actor), **data)
        self._save(event)  # a ConcurrentWrite here: the claim was taken over after its lease
        settled: DigestState = event.mutate(claim)
        self._remember(settled)
        return settled

    def _plain_envelope(self, actor: Actor) -> Envelope:
        """The envelope of a write that no request body supplies (no document, no note)."""
        return Envelope(
            recorded_at=self.clock(),
            actor=actor.actor,
            role=actor.role,
            unit_id=actor.unit_id,
            request_id=actor.request_id,
        )
