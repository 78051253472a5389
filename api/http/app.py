"""The FastAPI application factory. One ``Admissions`` application per process, built in
the lifespan (nothing connects at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from api.http import docs_pages, middleware, openapi_doc, problems, web
from api.http.security import FailedAuthLimit
from api.metrics import Metrics
from api.reminders.runner import Deliverer, Scheduler
from api.settings import Settings, current, read
from projections.live import ReadSide
from workflows.application import Admissions

DESCRIPTION = """
Sổ theo dõi kết nạp đảng viên: every step of every candidacy recorded as an event,
checked against the regulations in force on the step's date.

* **Boards** (ban tổ chức) record steps and read within their unit's subtree.
* **Auditors** read everything in their subtree: histories, checks, hashes.
* **Reporters** read quotas and reports.

Authenticate with `Authorization: Bearer <token>` (`ketnap tokens create`). Errors are
`application/problem+json` (RFC 9457) with a stable `rule` code when a rule refused the
command. Recording `POST`s accept `Idempotency-Key`; candidacy responses carry
`ETag: "<version>"` and commands honour `If-Match`.
"""

TAGS = [
    {"name": "organisations", "description": "The effective-dated organisation tree."},
    {"name": "members", "description": "The roster of existing members."},
    {"name": "candidacies", "description": "Candidacies and the commands that move them."},
    {"name": "quotas", "description": "Admission targets (chỉ tiêu) and their fulfilment."},
    {"name": "reports", "description": "Figures boards publish, and deadlines."},
    {"name": "audit", "description": "Tamper evidence and histories."},
    {"name": "imports", "description": "Spreadsheets (.xlsx, .csv) of the tree, roster, quotas."},
    {"name": "reminders", "description": "Deadline digests by e-mail and webhook."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]


def create_app(
    settings: Settings | None = None,
    *,
    admissions: Admissions | None = None,
    projections: ReadSide | None = None,
    keep_projections_caught_up: bool | None = None,
    send_reminders: bool | None = None,
) -> FastAPI:
    """Build the HTTP application.

    ``admissions`` may be handed in (tests); otherwise the lifespan builds one from the
    settings and closes it on shutdown. ``send_reminders`` (default: ``KETNAP_REMINDERS``
    for a server that builds its own application, off when one is handed in) runs the
    reminders' scheduler thread.
    """
    from api.bootstrap import build_app, build_read_side

    settings = settings or current()
    if keep_projections_caught_up is None:
        keep_projections_caught_up = settings.serve_projections
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = admissions is None
        app.state.admissions = admissions or build_app(settings)
        read_side = projections or build_read_side(
            app.state.admissions, follow=bool(keep_projections_caught_up)
        )
        read_side.on_caught_up = lambda: metrics.observe_lag(read_side.status())
        app.state.projections = read_side
        read_side.start()
        send = settings.reminders and own if send_reminders is None else send_reminders
        scheduler = _reminders(settings, app.state.admissions, read_side, send)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            read_side.stop()
            if own:
                app.state.admissions.close()

    app = FastAPI(
        title="ketnap",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets instead (api.http.docs_pages)
        redoc_url=None,
        # Any operation may answer these: no token, a limited address, a store that is down.
        responses={status: problems.PROBLEM_RESPONSES[status] for status in (401, 429, 503)},
    )
    app.state.settings = settings
    app.state.auth_limit = FailedAuthLimit(settings.auth_failures_per_minute)
    app.state.metrics = metrics
    problems.install(app)
    docs_pages.install(app)
    openapi_doc.install(app)
    middleware.install(app, metrics)
    from api.http.routers import compliance, include_all

    include_all(app)
    app.include_router(compliance.router)  # GET /reports/deadline-compliance
    web.install(app)  # the board's web app under /ui (after the API's error handlers)
    return app


def _reminders(
    settings: Settings, admissions: Admissions, read_side: ReadSide, send: bool
) -> Scheduler | None:
    """The reminders' scheduler, started (None when turned off)."""
    if not send:
        return None
    scheduler = Scheduler(
        admissions,
        read_side,
        Deliverer(settings),
        settle=read_side.settle,
        lease=timedelta(minutes=settings.reminder_lease_minutes),
    )
    scheduler.start()
    return scheduler


def create_served_app() -> FastAPI:
    """The factory ``ketnap serve --workers N`` hands to each worker process: settings and
    logging from the environment, as the single-process ``serve`` sets them up."""
    from api.logging import configure_logging

    settings = read()
    configure_logging(settings.log_level, json=settings.log_json)
    return create_app(settings)
