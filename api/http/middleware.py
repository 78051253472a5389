"""Per-request context: the request id (taken from X-Request-ID or generated, echoed back),
one JSON log line per request, and the request metrics. No personal data is logged: only
ids, the route template, the status and the duration.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
``BaseHTTPMiddleware`` runs the rest of the app in a task of its own and streams the
response back through a memory channel, which costs more than everything done here.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.problems import STORE_ERRORS, ApiError, problem, store_problem
from api.http.security import client_address, principal_for
from api.metrics import Metrics

log = structlog.get_logger("ketnap.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED = "<unmatched>"


def _route_template(scope: Scope) -> str:
    """The matched route's path template (``/candidacies/{candidacy_id}``), never the path
    itself: ids make no metric label. Call it after routing, which records the route in
    the scope (FastAPI keeps included routers nested, so the app's own routes do not
    name the templates of theirs)."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    app: Any = scope.get("app")
    for route in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = route.matches(scope)
        path = getattr(route, "path", None)
        if match == Match.FULL and isinstance(path, str):
            return path
    return UNMATCHED


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        request_id = given if _SAFE_ID.match(given) else str(uuid.uuid4())
        state = scope.setdefault("state", {})  # what request.state reads and writes
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500  # unless a response starts: an error no handler answered

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            principal = state.get("principal")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(duration)
            log.info(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(duration * 1000, 2),
                actor=principal.name if principal else None,
                role=principal.role.value if principal else None,
            )


class BodyGate:
    """Nobody sends a body before proving who they are: a request that carries one (POST,
    PUT, PATCH) has its bearer token checked **before** a byte of the body is read, and is
    answered 401 otherwise; the principal is kept for the endpoint. A declared
    Content-Length over ``KETNAP_MAX_BODY_BYTES`` is answered 413 at once; a body sent
    without one is cut, 413, as soon as what was read passes the limit. A spreadsheet
    upload (``POST /imports/{kind}``, ``POST /ui/imports``) is held to
    ``KETNAP_MAX_IMPORT_BYTES`` instead (plus ``UPLOAD_SLACK`` for its multipart framing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scheme, _, secret = headers.get("authorization", "").partition(" ")
        app: Any = scope["app"]
        if str(scope.get("path", "")).startswith("/ui/"):
            # The web app's forms: its session cookie is the credential (the page checks
            # the token in it again); only the sign-in form is posted without one.
            if scope["path"] != "/ui/login" and not _has_session(app, headers):
                await RedirectResponse("/ui/login", status_code=303)(scope, receive, send)
                return
            await self._bounded(app, headers, scope, receive, send)
            return
        try:
            if scheme.lower() != "bearer" or not secret.strip():
                raise ApiError(
                    401, "Unauthorized", "send Authorization: Bearer <token>", "unauthenticated"
                )
            principal = await run_in_threadpool(
                principal_for,
                secret.strip(),
                client_address(scope),
                app.state.settings,
                app.state.admissions,
                app.state.auth_limit,
            )
        except ApiError as exc:
            response = problem(exc.status, exc.title, exc.detail, exc.rule, headers=exc.headers)
            await response(scope, receive, send)
            return
        except STORE_ERRORS as exc:  # outside the app's handlers: answer 503 here
            await store_problem(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        structlog.contextvars.bind_contextvars(actor=principal.name, role=principal.role.value)
        await self._bounded(app, headers, scope, receive, send)

    async def _bounded(
        self, app: Any, headers: Headers, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Pass the request on with its body held to ``KETNAP_MAX_BODY_BYTES``."""
        declared = headers.get("content-length", "")
        limit = body_limit(app.state.settings, scope)
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            size = int(declared)
            if str(scope.get("path", "")).startswith("/ui/"):
                await _too_large_page(size, limit)(scope, receive, send)
                return
            detail = f"the body is {size:,} bytes; at most {limit:,} are accepted"
            await problem(413, "Payload too large", detail, "body_too_large")(scope, receive, send)
            return
        read = 0

        async def bounded() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:  # FastAPI re-raises an HTTPException from reading the body
                    raise HTTPException(413, f"the body is over {limit:,} bytes", None)
            return message

        await self.app(scope, bounded, send)


def _too_large_page(size: int, limit: int) -> HTMLResponse:
    """A board's upload over the limit, said on a page in Vietnamese (with a way back)."""
    megabytes = f"{size / 1_048_576:.1f} MB"
    body = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Tệp quá lớn</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
        f"<main><h1>Tệp quá lớn</h1><p>Tệp gửi lên {megabytes} vượt giới hạn "
        f"{limit / 1_048_576:.0f} MB (KETNAP_MAX_IMPORT_BYTES). Chia tệp thành nhiều phần nhỏ "
        'hơn rồi nhập từng phần.</p><p><a href="/ui/imports">Quay lại trang nhập</a></p>'
        "</main></body></html>"
    )
    return HTMLResponse(body, status_code=413)


# What a multipart upload adds to its file (boundaries, part headers, the small fields).
UPLOAD_SLACK = 64 * 1024
UPLOAD_PATHS = ("/imports/", "/ui/imports")


def body_limit(settings: Any, scope: Scope) -> int:
    """The largest body accepted on the request's path: a spreadsheet upload's, or JSON's."""
    path = str(scope.get("path", ""))
    if scope["method"] == "POST" and path.startswith(UPLOAD_PATHS):
        return int(settings.max_import_bytes) + UPLOAD_SLACK
    return int(settings.max_body_bytes)


def _has_session(app: Any, headers: Headers) -> bool:
    """Whether the request carries a web app session cookie that opens (not yet whether
    its token is still good: the page checks that)."""
    from http.cookies import SimpleCookie

    from api.http.web.session import COOKIE

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header: no session
        return False
    morsel = jar.get(COOKIE)
    sealer = getattr(app.state, "web_sealer", None)
    return morsel is not None and sealer is not None and sealer.open(morsel.value) is not None


def install(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(BodyGate)  # inside RequestContext: the 401 is logged and counted
    app.add_middleware(RequestContext, metrics=metrics)
