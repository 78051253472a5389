"""Sending every digest due on a day: ``ketnap reminders run`` (cron) and the scheduler
thread of ``ketnap serve`` call ``run_due``.

For each active subscription due on the day (daily, or weekly on Mondays; a scheduled day
off is held to the next working day of the rules' calendar) whose hour has come: the digest
is built from the read side, claimed (``DigestClaimed``, written before anything is sent:
of two processes one wins, the other skips it), delivered with retries, then recorded as
``DigestSent`` or ``DigestFailed`` (ADR 0024). Log lines carry ids, counts and reasons,
never a name, an address or a secret.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

import httpx
import orjson
import structlog

from api.reminders import message
from api.reminders.delivery import (
    Backoff,
    DeliveryFailed,
    Permanent,
    SmtpServer,
    post_webhook,
    send_email,
)
from api.reports.common import Views
from api.reports.digest import DeadlineDigest, deadline_digest
from api.settings import Settings
from domain.access import Role
from domain.events import VIETNAM_OFFSET
from domain.reminders import Channel, SubscriptionState, delivery_due, digest_id
from workflows.application import Admissions
from workflows.context import Actor
from workflows.store import ConcurrentWrite

log = structlog.get_logger("ketnap.reminders")
Status = Literal["sent", "failed", "skipped"]


def reminders_actor() -> Actor:
    """Who records the claims and deliveries (the scheduler or the cron job)."""
    return Actor(actor="ketnap-reminders", role=Role.ADMIN.value, request_id=f"rem-{uuid.uuid4()}")


@dataclass(frozen=True)
class Outcome:
    """What became of one subscription's digest in a run."""

    subscription_id: UUID
    organisation_id: UUID
    day: date
    status: Status
    items: int = 0
    attempts: int = 0
    reason: str | None = None  # why it failed, or why it was skipped


class Deliverer:
    """Delivers a digest by its subscription's channel, with retries (``backoff``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        backoff: Backoff | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self.backoff = backoff or Backoff()
        self.timeout = timeout

    def deliver(self, sub: SubscriptionState, digest: DeadlineDigest, sent_at: datetime) -> int:
        """Send it; the attempts it took, or ``DeliveryFailed``."""
        if sub.channel is Channel.EMAIL:
            return self._email(sub, digest)
        body = orjson.dumps(
            message.webhook_payload(digest, digest_id(sub.id, digest.on), sub.id, sent_at)
        )
        secret = sub.secret or ""
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            return self.backoff.run(
                lambda: post_webhook(client, sub.address, secret, body, sent_at)
            )

    def _email(self, sub: SubscriptionState, digest: DeadlineDigest) -> int:
        url = self.settings.smtp_url
        if url is None:
            raise Permanent("smtp: KETNAP_SMTP_URL is not set")
        server = SmtpServer.parse(url.get_secret_value())
        mail = message.email(digest)
        return self.backoff.run(
            lambda: send_email(
                server, self.settings.smtp_from, sub.address, mail, timeout=self.timeout
            )
        )


def due_subscriptions(
    admissions: Admissions, day: date, hour: int | None = None
) -> list[SubscriptionState]:
    """The active subscriptions whose digest is delivered on ``day`` (and, with ``hour``,
    whose hour in Vietnam has come)."""
    return [
        s
        for s in admissions.subscriptions()
        if s.active
        and delivery_due(s.frequency, day, admissions.calendar)
        and (hour is None or s.hour <= hour)
    ]


def run_due(
    admissions: Admissions,
    views: Views,
    day: date,
    deliverer: Deliverer,
    *,
    hour: int | None = None,
    lease: timedelta = timedelta(minutes=15),
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Send every digest due on ``day`` not sent yet; the views are caught up by the caller."""
    actor = reminders_actor()
    outcomes: list[Outcome] = []
    for sub in due_subscriptions(admissions, day, hour):
        outcome = _one(admissions, views, day, deliverer, sub, lease, actor)
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    return outcomes


def _one(
    admissions: Admissions,
    views: Views,
    day: date,
    deliverer: Deliverer,
    sub: SubscriptionState,
    lease: timedelta,
    actor: Actor,
) -> Outcome:
    def skipped(reason: str) -> Outcome:
        return Outcome(sub.id, sub.organisation_id, day, "skipped", reason=reason)

    recorded = admissions.digest(sub.id, day)
    if recorded is not None and not recorded.reclaimable(admissions.clock(), lease):
        return skipped(recorded.status)  # sent, failed, or claimed by a live sender
    digest = deadline_digest(views, admissions, sub.organisation_id, day, days_ahead=sub.days_ahead)
    claim = admissions.claim_digest(sub, day, lease=lease, items=len(digest.items), actor=actor)
    if claim is None:
        return skipped("claimed")  # another process won the claim
    ids = {"subscription_id": str(sub.id), "digest_id": str(claim.id), "on": day.isoformat()}
    items = len(digest.items)
    try:
        attempts = deliverer.deliver(sub, digest, admissions.clock())
    except DeliveryFailed as exc:
        failure = exc
    else:
        log.info("reminders.sent", channel=sub.channel.value, items=items, attempts=attempts, **ids)
        _settle(lambda: admissions.record_digest_sent(claim, attempts, actor))
        return Outcome(sub.id, sub.organisation_id, day, "sent", items, attempts)
    log.warning(
        "reminders.failed",
        channel=sub.channel.value,
        reason=failure.reason,
        attempts=failure.attempts,
        **ids,
    )
    _settle(lambda: admissions.record_digest_failed(claim, failure.attempts, failure.reason, actor))
    return Outcome(
        sub.id, sub.organisation_id, day, "failed", items, failure.attempts, failure.reason
    )


def _settle(record: Callable[[], object]) -> None:
    """Record the outcome; a conflict means another process took the claim over after its
    lease ran out (and sends it too: the crash window of ADR 0024), which is logged."""
    try:
        record()
    except ConcurrentWrite:
        log.warning("reminders.claim_taken_over")


class Scheduler:
    """``ketnap serve``'s reminders: every ``interval`` seconds, the digests due today at
    the current hour in Vietnam (``KETNAP_REMINDERS=false`` turns it off)."""

    def __init__(
        self,
        admissions: Admissions,
        views: Views,
        deliverer: Deliverer,
        *,
        settle: Callable[[], object],
        lease: timedelta,
        interval: float = 60.0,
    ) -> None:
        self.admissions, self.views, self.deliverer = admissions, views, deliverer
        self.settle, self.lease, self.interval = settle, lease, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[Outcome]:
        local = self.admissions.clock() + VIETNAM_OFFSET
        self.settle()
        return run_due(
            self.admissions,
            self.views,
            local.date(),
            self.deliverer,
            hour=local.hour,
            lease=self.lease,
        )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ketnap-reminders", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # logged, and the next minute tries again
                log.exception("reminders.tick_failed")
            self._stop.wait(self.interval)
