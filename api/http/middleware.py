"""Per-request context: the request id (taken from X-Request-ID or generated, echoed back),
one JSON log line per request, and the request metrics. No personal data is logged: only
ids, the route template, the status and the duration."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from starlette.routing import Match

from api.http.metrics import Metrics

log = structlog.get_logger("ketnap.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _route_template(request: Request) -> str:
    """The matched route's path template (``/candidacies/{candidacy_id}``), never the path
    itself: ids make no metric label. Call it after routing, which records the route in
    the scope (FastAPI keeps included routers nested, so the app's own routes do not
    name the templates of theirs)."""
    path = getattr(request.scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        path = getattr(route, "path", None)
        if match == Match.FULL and isinstance(path, str):
            return path
    return "<unmatched>"


def install(app: FastAPI, metrics: Metrics) -> None:
    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if _SAFE_ID.match(given) else str(uuid.uuid4())
        request.state.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = await call_next(request)
        duration = time.perf_counter() - started
        route = _route_template(request)
        response.headers["X-Request-ID"] = request_id
        principal = getattr(request.state, "principal", None)
        metrics.requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.latency.labels(request.method, route).observe(duration)
        log.info(
            "request",
            method=request.method,
            route=route,
            status=response.status_code,
            duration_ms=round(duration * 1000, 2),
            actor=principal.name if principal else None,
            role=principal.role.value if principal else None,
        )
        return response
