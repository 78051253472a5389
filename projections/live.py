"""The read side as a server holds it: the runner's views, followed by one thread.

``ReadSide`` gives readers the persisted views (``reader``: the ledger; ``register``: the
candidacy register; ``digest``: the audit digest) and, when this process follows the store
(``ketnap serve`` unless a separate ``ketnap projections run`` does), a daemon thread that
catches every view up: at once when woken, else every ``poll_seconds``.

Readers never write. A read that must see what was just recorded calls ``settle()``: it
notes the store's newest notification id, wakes the follower and waits (bounded) until the
follower has applied up to it, so a lone server answers right after a write. When another
process follows the store, ``settle()`` does not wait: the answer is as of the views'
position, which ``/ready`` and the lag gauge report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from projections.digest import GlobalDigest
from projections.ledger_reader import LedgerReader
from projections.register_reader import RegisterReader
from projections.runner import Projections, ProjectionStatus

__all__ = ["POLL_SECONDS", "SETTLE_SECONDS", "ReadSide"]

log = structlog.get_logger("ketnap.projections.live")

POLL_SECONDS = 0.5
SETTLE_SECONDS = 5.0


class ReadSide:
    """The views of one store and, optionally, their in-process follower."""

    def __init__(
        self,
        projections: Projections,
        *,
        follow: bool = True,
        poll_seconds: float = POLL_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.projections = projections
        self.follow = follow
        self.poll_seconds = poll_seconds
        self.settle_seconds = settle_seconds
        self._applied = 0  # every view's position after the follower's last catch-up
        self._changed = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_caught_up: Callable[[], None] | None = None  # e.g. setting the lag gauge

    # --- what readers read -------------------------------------------------------------

    @property
    def reader(self) -> LedgerReader:
        return self.projections.reader

    @property
    def register(self) -> RegisterReader:
        return self.projections.register

    @property
    def digest(self) -> GlobalDigest:
        return self.projections.digest

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until the follower has applied every event stored when called; True when
        it has (or nothing was pending), False on timeout or when nobody follows here."""
        newest = self.projections.max_notification_id()
        if self._applied >= newest:
            return True
        if not self.follow or self._thread is None:
            return self.position >= newest
        deadline = time.monotonic() + (self.settle_seconds if timeout is None else timeout)
        with self._changed:
            while self._applied < newest:
                self._wake.set()
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("projections.settle_timeout", newest=newest, at=self._applied)
                    return False
                self._changed.wait(min(left, self.poll_seconds))
        return True

    # --- status --------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The smallest position of the views (0: none yet)."""
        return self.projections.position()

    @property
    def undecodable(self) -> list[int]:
        """Notification ids of stored events skipped because they no longer decode."""
        return sorted(set(self.projections.undecodable))

    def status(self) -> list[ProjectionStatus]:
        return self.projections.status()

    def lag(self) -> int:
        return self.projections.lag()

    # --- the follower -----------------------------------------------------------------------

    def catch_up(self) -> int:
        """Catch every view up now (the follower's step; CLI commands that read call it
        first when no server follows the store)."""
        applied = self.projections.catch_up()
        position = self.projections.position()
        with self._changed:
            self._applied = position
            self._changed.notify_all()
        if self.on_caught_up is not None:
            self.on_caught_up()
        return applied

    def start(self) -> None:
        """Catch up in a daemon thread, woken by ``settle()`` or every ``poll_seconds``.
        Errors (the store unreachable) are logged and retried."""
        if self._thread is not None or not self.follow:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ketnap-projections", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the follower and wait for it."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout)

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.catch_up()
                if failing:
                    log.info("projections.recovered", position=self._applied)
                failing = False
            except Exception as exc:  # keep following: the store may come back
                if not failing:
                    log.error("projections.catch_up_failed", error=type(exc).__name__, exc_info=exc)
                failing = True
            self._wake.wait(self.poll_seconds)
