"""Following the store live on PostgreSQL with the library's ``ProjectionRunner``.

``ketnap projections run`` first catches up in large pages (``Projections.catch_up``), then,
on PostgreSQL, hands the ledger and the register to the library's ``ProjectionRunner``: it
subscribes to the application's recorder (LISTEN/NOTIFY; ketnap's ordered insert notifies
like the library's), decodes each new event and calls ``process_event`` with its tracking
record, which the engines write in the same transaction as the view. The engines skip what
another writer (the API's own catch-up, a second runner) applied first, so running both
is safe.

The audit digest folds the stored bytes, not decoded events: ``follow`` catches it up
between the runners' turns. SQLite has no LISTEN/NOTIFY: there the runner polls
(``Projections.run``). The library's runner constructs the application itself: the caller
(``api.bootstrap``) names its class.

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
from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.projection import Projection, ProjectionRunner

from domain.candidacy.events import CandidacyEvent
from domain.member import MemberEvent
from domain.organisation import OrganisationEvent
from domain.quota import QuotaSet
from projections.digest import NAME as DIGEST
from projections.ledger import NAME as LEDGER
from projections.ledger import LedgerEngine
from projections.ledger_schema import Item, ledger_tables
from projections.register import NAME as REGISTER
from projections.register import RegisterEngine, register_tables
from projections.runner import Projections, ledger_topics, register_topics
from projections.source import cipher_of
from projections.store import POSTGRES, PostgresView

log = structlog.get_logger("ketnap.projections.follow")


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
        self.engine: LedgerEngine | None = None

    def bind(self, projections: Projections) -> None:
        self.engine = LedgerEngine(self.view, projections.app.name, cipher_of(projections.app))

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        assert self.engine is not None, "bind() first"
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
            self.view, projections.app.name, projections.app.calendar, projections.history
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
    application_class: type[Application[Any]],
    env: dict[str, str],
    *,
    should_stop: Callable[[], bool],
    check_seconds: float = 2.0,
) -> None:
    """Keep every view caught up until ``should_stop()``, with the library's runners on
    PostgreSQL (see the module doc); ``application_class(env)`` opens the store read-only."""
    while not should_stop():
        projections.catch_up()
        generations = {name: projections.generation(name) for name in projections.generational}
        runners = [
            _start(projections, application_class, env, name, g) for name, g in generations.items()
        ]
        try:
            while not should_stop():
                for runner in runners:
                    runner.run_forever(timeout=check_seconds / len(runners))
                projections.catch_up(DIGEST)
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
    projections: Projections,
    application_class: type[Application[Any]],
    env: dict[str, str],
    name: str,
    generation: int,
) -> ProjectionRunner[Application[Any], PostgresView]:
    projection_class = LedgerProjection if name == LEDGER else RegisterProjection
    runner: ProjectionRunner[Application[Any], PostgresView] = ProjectionRunner(
        application_class=application_class,
        projection_class=projection_class,
        view_class=_view_class(name, generation),
        env=env,
    )
    assert isinstance(runner.projection, LedgerProjection | RegisterProjection)
    runner.projection.bind(projections)
    log.info("projections.runner_started", projection=name, generation=generation)
    return runner
