"""Following the store live on PostgreSQL with the library's ``ProjectionRunner``.

``ketnap projections run`` first catches up in large pages (``Projections.catch_up``), then,
on PostgreSQL, hands each projection to ``eventsourcing.projection.ProjectionRunner``: it
subscribes to the application's recorder (LISTEN/NOTIFY; ketnap's ordered insert notifies
like the library's), decodes each new event and calls ``process_event`` with its tracking
record, which the engines write in the same transaction as the view. The engines skip what
another writer (the API's own catch-up, a second runner) applied first, so running both
is safe.

SQLite has no LISTEN/NOTIFY: there the runner polls (``Projections.run``).

A runner is bound to one generation; when ``ketnap projections rebuild`` swaps a new one
in, ``follow`` notices within ``check_seconds`` and starts runners on the new generation.
A stored event the library cannot decode stops its runner: ``follow`` then catches up with
the paged reader (which logs and skips it) and starts the runner again past it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import Projection, ProjectionRunner

from api.projection_runner import Projections, ledger_topics, register_topics
from domain.candidacy.events import CandidacyEvent
from domain.member import MemberEvent
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.ledger import NAME as LEDGER
from projections.ledger import Item, LedgerEngine, ledger_tables
from projections.register import NAME as REGISTER
from projections.register import RegisterEngine, register_tables
from projections.store import POSTGRES, PostgresView
from workflows.application import Admissions
from workflows.calendar import VietnamCalendar
from workflows.context import system_clock

log = structlog.get_logger("ketnap.projections.follow")


class FollowedAdmissions(Admissions):
    """The application as the runner opens it: read-only use, so the system clock and
    the default calendar are enough (the register's deadlines use the calendar)."""

    name = Admissions.name

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env, clock=system_clock, calendar=VietnamCalendar())


def _view_class(name: str, generation: int) -> type[PostgresView]:
    """A view class the library's factory can construct for one generation (it passes
    its own tracking table name, which the generation's naming replaces)."""
    prefix = f"{name}_g{generation}_"
    tables = (ledger_tables if name == LEDGER else register_tables)(prefix, POSTGRES)

    class GenerationView(PostgresView):
        def __init__(self, datastore: PostgresDatastore, **_: Any) -> None:
            super().__init__(datastore, prefix=prefix, tables=tables)

    GenerationView.__name__ = f"{name.title()}G{generation}View"
    return GenerationView


class LedgerProjection(Projection[PostgresView]):
    """The admissions ledger as a library projection."""

    name = LEDGER
    topics = ledger_topics()

    def __init__(self, view: PostgresView) -> None:
        super().__init__(view)
        self.engine = LedgerEngine(view, Admissions.name)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.engine.process([item_of(domain_event, tracking.notification_id)], tracking)


class RegisterProjection(Projection[PostgresView]):
    """The candidacy register as a library projection (``bind`` gives it the store to
    read histories back from)."""

    name = REGISTER
    topics = register_topics()

    def __init__(self, view: PostgresView) -> None:
        super().__init__(view)
        self.engine: RegisterEngine | None = None

    def bind(self, projections: Projections) -> None:
        self.engine = RegisterEngine(
            self.view, Admissions.name, projections.app.calendar, projections.history
        )

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        assert self.engine is not None, "bind() first"
        assert isinstance(domain_event, CandidacyEvent)
        self.engine.process(
            [(tracking.notification_id, domain_event, domain_event.timestamp)], tracking
        )


def item_of(event: Any, notification_id: int) -> Item:
    """A decoded event as the ledger takes it (candidacy and roster events as payloads)."""
    if isinstance(event, CandidacyEvent | MemberEvent):
        payload = event.model_dump(mode="json")
        del payload["originator_id"], payload["originator_version"]
        topic = f"{type(event).__module__}:{type(event).__qualname__}"
        return Item(
            notification_id,
            topic,
            UUID(str(event.originator_id)),
            event.originator_version,
            event.timestamp,
            payload=payload,
        )
    assert isinstance(event, OrganisationEvent | QuotaSet)
    topic = f"{type(event).__module__}:{type(event).__qualname__}"
    return Item(
        notification_id,
        topic,
        event.originator_id,
        event.originator_version,
        event.timestamp,
        event=event,
    )


def follow(
    projections: Projections,
    env: dict[str, str],
    *,
    should_stop: Callable[[], bool],
    check_seconds: float = 2.0,
) -> None:
    """Keep every projection caught up until ``should_stop()``, with the library's runners
    on PostgreSQL (see the module doc)."""
    while not should_stop():
        projections.catch_up()
        generations = {name: projections.generation(name) for name in projections.names}
        runners = [_start(projections, env, name, g) for name, g in generations.items()]
        try:
            while not should_stop():
                for runner in runners:
                    runner.run_forever(timeout=check_seconds / len(runners))
                if any(projections.generation(n) != g for n, g in generations.items()):
                    log.info("projections.generation_changed")
                    break
        except Exception as exc:  # a runner stopped (an event it cannot decode, the store)
            log.error("projections.runner_stopped", error=type(exc).__name__)
            time.sleep(check_seconds)
        finally:
            for runner in runners:
                with contextlib.suppress(Exception):
                    runner.__exit__(None, None, None)


def _start(
    projections: Projections, env: dict[str, str], name: str, generation: int
) -> ProjectionRunner[FollowedAdmissions, PostgresView]:
    projection_class = LedgerProjection if name == LEDGER else RegisterProjection
    runner: ProjectionRunner[FollowedAdmissions, PostgresView] = ProjectionRunner(
        application_class=FollowedAdmissions,
        projection_class=projection_class,
        view_class=_view_class(name, generation),
        env=env,
    )
    if isinstance(runner.projection, RegisterProjection):
        runner.projection.bind(projections)
    log.info("projections.runner_started", projection=name, generation=generation)
    return runner
