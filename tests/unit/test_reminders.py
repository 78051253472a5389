"""Deadline reminders in memory, delivered to real receivers on loopback: an SMTP server
(aiosmtpd) and a webhook receiver (http.server in a thread). The digest's content
(Vietnamese, names, working days left), the webhook's signature, retries then a reported
failure, one claim per digest, and a digest held over a holiday."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import orjson
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from api.reminders.delivery import Backoff
from api.reminders.runner import Deliverer, due_subscriptions, run_due
from api.reports.digest import deadline_digest
from api.settings import Settings
from domain.candidacy.deadlines import deadlines
from domain.reminders import DigestState, Frequency, delivery_due
from projections.runner import Projections
from tests.scenario import (
    ADMIN,
    FixedClock,
    build_tree,
    drive,
    make_app,
    nominate,
    path_to_official,
)
from workflows import commands as c
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar

CALENDAR = VietnamCalendar()
BRANCH_VOTE = 9  # path_to_official's commands up to and including the branch vote
SECRET = "s3cret-signing-key-0123"


# --- receivers ---------------------------------------------------------------------------


class Inbox:
    """What the SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free loopback port (aiosmtpd cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()


class Hook:
    """A webhook receiver: records each POST, answers ``statuses`` in turn (then 200);
    while ``hold`` is set, it records a request and answers nothing until it is cleared."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        self.hold = threading.Event()
        self.released = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.requests.append((dict(self.headers), body))
                if hook.hold.is_set():
                    hook.released.wait(60)
                code = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


# --- the world ----------------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.app: Admissions = make_app(clock=self.clock)
        self.tree = build_tree(self.app)
        self.candidacy = nominate(self.app, self.tree, full_name="Hoàng Thị Mai")
        drive(self.app, self.candidacy, path_to_official(self.tree), upto=BRANCH_VOTE)
        state = self.app.candidacy(self.candidacy)
        due = [d for d in deadlines(state, CALENDAR, date(2023, 4, 1)) if d.kind == "decision_due"]
        self.due_on: date = due[0].due_on
        self.views = Projections(self.app)
        self.views.catch_up()

    def subscribe(self, **body: Any) -> UUID:
        command = c.SubscribeReminders(**body)
        return self.app.subscribe_reminders(self.tree.commune, command, ADMIN).id

    def working_day_before_due(self, days: int) -> date:
        on = self.due_on
        while CALENDAR.working_days_between(on, self.due_on) < days or not CALENDAR.is_working_day(
            on
        ):
            on -= timedelta(days=1)
        return on


@pytest.fixture
def world() -> World:
    return World()


def fast() -> Backoff:
    return Backoff(attempts=3, first_delay=0.01, sleep=lambda s: None)


def deliverer(smtp_url: str | None = None) -> Deliverer:
    settings = Settings(smtp_url=SecretStr(smtp_url) if smtp_url else None, smtp_from="k@x.vn")
    return Deliverer(settings, backoff=fast(), timeout=5)


# --- tests --------------------------------------------------------------------------------


def test_a_digest_lists_names_branches_and_working_days_left(world: World) -> None:
    on = world.working_day_before_due(3)
    digest = deadline_digest(world.views, world.app, world.tree.commune, on, days_ahead=5)
    [item] = [i for i in digest.items if i.kind == "decision_due"]
    assert (item.full_name, item.status, item.working_days_left) == ("Hoàng Thị Mai", "due", 3)
    assert item.branch_name == "Đơn vị CB01"
    nearer = deadline_digest(world.views, world.app, world.tree.commune, on, days_ahead=2)
    assert all(i.kind != "decision_due" for i in nearer.items)
    later = world.due_on + timedelta(days=7)
    overdue = deadline_digest(world.views, world.app, world.tree.commune, later)
    [late] = [i for i in overdue.items if i.kind == "decision_due"]
    assert late.status == "overdue" and late.working_days_left < 0


def test_e_mail_in_vietnamese_through_a_real_smtp_server(world: World, smtp: Any) -> None:
    url, inbox = smtp
    world.subscribe(channel="email", address="bantochuc@xa.vn")
    on = world.working_day_before_due(3)
    [outcome] = run_due(world.app, world.views, on, deliverer(url))
    assert (outcome.status, outcome.attempts) == ("sent", 1)
    [mail] = inbox.messages
    assert mail["To"] == "bantochuc@xa.vn" and "Nhắc thời hạn" in str(mail["Subject"])
    text = mail.get_content()
    assert "Hoàng Thị Mai — Đơn vị CB01 — Quyết định kết nạp" in text
    assert "còn 3 ngày làm việc" in text
    # sent once: a second run that day sends nothing
    assert [o.status for o in run_due(world.app, world.views, on, deliverer(url))] == ["skipped"]
    assert len(inbox.messages) == 1


def test_a_webhook_is_signed_over_the_raw_body(world: World, hook: Hook) -> None:
    world.subscribe(channel="webhook", address=hook.url, secret=SECRET)
    on = world.working_day_before_due(2)
    [outcome] = run_due(world.app, world.views, on, deliverer())
    assert outcome.status == "sent"
    [(headers, body)] = hook.requests
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Ketnap-Signature"] == f"sha256={expected}"
    assert datetime.fromisoformat(headers["X-Ketnap-Timestamp"]).tzinfo is not None
    payload = orjson.loads(body)
    [item] = [i for i in payload["items"] if i["kind"] == "decision_due"]
    assert (item["full_name"], item["working_days_left"]) == ("Hoàng Thị Mai", 2)
    assert item["kind_label"] == "Quyết định kết nạp" and "quá hạn" in payload["summary"]


def test_a_failing_webhook_is_retried_then_reported_failed(world: World) -> None:
    failing = Hook(statuses=[500, 503, 502])
    try:
        sid = world.subscribe(channel="webhook", address=failing.url, secret=SECRET)
        on = world.working_day_before_due(2)
        [outcome] = run_due(world.app, world.views, on, deliverer())
    finally:
        failing.close()
    assert (outcome.status, outcome.attempts, outcome.reason) == ("failed", 3, "webhook: HTTP 502")
    assert len(failing.requests) == 3
    state = world.app.digest(sid, on)
    assert isinstance(state, DigestState) and (state.status, state.attempts) == ("failed", 3)


def test_a_webhook_recovering_within_the_retries_is_sent(world: World) -> None:
    flaky = Hook(statuses=[503])
    try:
        world.subscribe(channel="webhook", address=flaky.url, secret=SECRET)
        [outcome] = run_due(world.app, world.views, world.working_day_before_due(2), deliverer())
    finally:
        flaky.close()
    assert (outcome.status, outcome.attempts) == ("sent", 2)


def test_one_claim_per_digest_and_a_dead_claim_is_reclaimed_after_its_lease(world: World) -> None:
    sid = world.subscribe(channel="webhook", address="http://127.0.0.1:9/x", secret=SECRET)
    sub, on = world.app.subscription(sid), date(2023, 6, 1)
    first = world.app.claim_digest(sub, on, lease=timedelta(minutes=15), items=0, actor=ADMIN)
    assert first is not None
    assert (
        world.app.claim_digest(sub, on, lease=timedelta(minutes=15), items=0, actor=ADMIN) is None
    )
    world.clock.advance(minutes=16)
    again = world.app.claim_digest(sub, on, lease=timedelta(minutes=15), items=0, actor=ADMIN)
    assert again is not None and again.claims == 2


def test_a_digest_on_a_holiday_is_held_to_the_next_working_day(world: World, hook: Hook) -> None:
    hung_kings = date(2025, 4, 7)  # a Monday, Giỗ Tổ Hùng Vương
    assert hung_kings.weekday() == 0 and not CALENDAR.is_working_day(hung_kings)
    assert not delivery_due(Frequency.WEEKLY, hung_kings, CALENDAR)
    assert delivery_due(Frequency.WEEKLY, date(2025, 4, 8), CALENDAR)
    assert not delivery_due(Frequency.WEEKLY, date(2025, 4, 9), CALENDAR)
    assert not delivery_due(Frequency.DAILY, date(2025, 4, 5), CALENDAR)  # a Saturday
    assert delivery_due(Frequency.DAILY, date(2025, 4, 8), CALENDAR)
    world.subscribe(channel="webhook", address=hook.url, secret=SECRET, frequency="weekly")
    assert due_subscriptions(world.app, hung_kings) == []
    assert [o.status for o in run_due(world.app, world.views, date(2025, 4, 8), deliverer())] == [
        "sent"
    ]
    assert orjson.loads(hook.requests[0][1])["on"] == "2025-04-08"


def test_the_hour_in_vietnam_and_an_ended_subscription(world: World, hook: Hook) -> None:
    sid = world.subscribe(channel="webhook", address=hook.url, secret=SECRET, hour=9)
    on = date(2023, 6, 1)
    assert due_subscriptions(world.app, on, hour=8) == []
    assert len(due_subscriptions(world.app, on, hour=9)) == 1
    world.app.end_subscription(world.tree.commune, sid, ADMIN)
    assert due_subscriptions(world.app, on) == []
    assert world.app.subscription(sid).secret == SECRET  # kept for the record, never shown


def test_the_servers_scheduler_sends_a_due_digest_once_at_its_hour(
    world: World, hook: Hook
) -> None:
    """The thread ``ketnap serve`` starts: each tick sends what is due at the current hour
    in Vietnam, and a later tick of the same day sends nothing again."""
    from api.reminders.runner import Scheduler

    world.subscribe(channel="webhook", address=hook.url, secret=SECRET, hour=9)
    # 02:30 UTC is 09:30 in Vietnam, on a working day before the decision is due
    on = world.working_day_before_due(3)
    world.clock.now = datetime(on.year, on.month, on.day, 2, 30, tzinfo=UTC)
    scheduler = Scheduler(
        world.app, world.views, deliverer(), settle=world.views.catch_up, lease=timedelta(0),
        interval=0.05,
    )  # fmt: skip
    early = Scheduler(
        world.app, world.views, deliverer(), settle=world.views.catch_up, lease=timedelta(0)
    )
    world.clock.now -= timedelta(hours=2)  # 07:30 in Vietnam: not yet
    assert [o.status for o in early.tick()] == []
    world.clock.now += timedelta(hours=2)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not hook.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # several more ticks of the same hour
    finally:
        scheduler.stop()
    assert len(hook.requests) == 1
    assert "Hoàng Thị Mai" in hook.requests[0][1].decode()
