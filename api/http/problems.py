"""RFC 9457 problem details for every error, with the domain rule's stable code.

Status mapping (api.md): 400/422 malformed or invalid input, 404 unknown id, 409 a domain
rule refuses it, 412 If-Match does not match. Nothing here answers 200 to an error or
leaks a class name; an unexpected error is a plain 500 problem and is logged.
"""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.audit.refusals import preferred_language, refusal_detail, refusal_title
from domain.errors import DomainError, InvalidCorrection, NotFound
from workflows.application import ConcurrentWrite, IdempotencyKeyReused, VersionMismatch
from workflows.postgres import StoreUnavailable, WriteOutcomeUnknown

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://ketnap.vn/problems/"
log = structlog.get_logger("ketnap.api")


class Problem(BaseModel):
    """An error response (RFC 9457)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "https://ketnap.vn/problems/certificate_expired",
                "title": "A rule of the regulations refused the command",
                "status": 409,
                "detail": "certificate 61 months old on 2024-03-02, limit 60 (24-QĐ/TW)",
                "rule": "certificate_expired",
            }
        },
    )

    type: str = Field(description="URI identifying the problem type")
    title: str
    status: int
    detail: str
    rule: str | None = Field(default=None, description="Stable code of the refusing rule")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Field errors of invalid input"
    )


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth, scope, headers)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        rule: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.rule = status, title, detail, rule
        self.headers = dict(headers or {})
        if status == 401:
            self.headers.setdefault("WWW-Authenticate", "Bearer")


def problem(
    status: int,
    title: str,
    detail: str,
    rule: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + (rule or _slug(title)),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if rule:
        body["rule"] = rule
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _slug(title: str) -> str:
    return "-".join(title.lower().split())


# The refusals answered otherwise than "a rule refused it" (409), by class.
_STATUSES: tuple[tuple[type[DomainError], int, str], ...] = (
    (NotFound, 404, "Not found"),
    (VersionMismatch, 412, "Precondition failed"),
    (IdempotencyKeyReused, 422, "Invalid request"),
    (InvalidCorrection, 422, "Invalid request"),
    (ConcurrentWrite, 409, "Conflict"),
)
# The ``rule`` of a request that fails validation (422, ``install``).
INVALID_INPUT = "invalid_input"


def domain_status(exc: DomainError) -> tuple[int, str]:
    """The status and title a refusal is answered with."""
    for kind, status, title in _STATUSES:
        if isinstance(exc, kind):
            return status, title
    return 409, "A rule of the regulations refused the command"


def rule_status(rule: str) -> int:
    """The status a refusal with ``rule`` is answered with (as ``domain_status``)."""
    if rule == INVALID_INPUT:
        return 422
    return next((status for kind, status, _ in _STATUSES if kind.rule == rule), 409)


# Store failures: the database does not answer (or a statement timed out). Answered 503 with
# Retry-After, never 500; nothing was written unless the problem says it may have been.
STORE_ERRORS = (
    StoreUnavailable,
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
RETRY_AFTER_SECONDS = 2


def store_problem(exc: Exception) -> JSONResponse:
    """503 problem+json for a store that does not answer (``STORE_ERRORS``)."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    log.warning("store_unavailable", error=type(exc).__name__)
    if isinstance(exc, WriteOutcomeUnknown):
        detail = (
            "the event store stopped answering while the command was being recorded; it "
            "may have been recorded: repeat the request with the same Idempotency-Key "
            "(a request without one: read the record before repeating it)"
        )
        return problem(503, "Service unavailable", detail, "write_outcome_unknown", headers)
    detail = "the event store does not answer; nothing was recorded: retry shortly"
    return problem(503, "Service unavailable", detail, "store_unavailable", headers)


def _field_errors(errors: Any) -> list[dict[str, Any]]:
    result = []
    for err in errors:
        result.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return result


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """The methods some route answers on the request's path, for ``Allow`` (asked of the
    router method by method: FastAPI keeps included routers nested)."""
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _store(_: Request, exc: Exception) -> JSONResponse:
    return store_problem(exc)


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status, title = domain_status(exc)
        language = preferred_language(request.headers.get("accept-language"))
        detail = refusal_detail(exc, language)
        headers = {"Content-Language": language, "Vary": "Accept-Language"}
        return problem(status, refusal_title(status, title, language), detail, exc.rule, headers)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.rule, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc.errors())
        fields = ", ".join(".".join(e["loc"][1:] or e["loc"]) for e in errors[:5])
        return problem(
            422,
            "Invalid request",
            f"invalid or missing fields: {fields}",
            INVALID_INPUT,
            errors=errors,
        )

    @app.exception_handler(ValidationError)
    async def _model_invalid(_: Request, exc: ValidationError) -> JSONResponse:
        errors = _field_errors(exc.errors())
        return problem(
            422,
            "Invalid request",
            str(exc.error_count()) + " invalid field(s)",
            INVALID_INPUT,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            404: "Not found",
            405: "Method not allowed",
            400: "Bad request",
            413: "Payload too large",
        }
        title = titles.get(exc.status_code, "HTTP error")
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; a resource with a
            # GET and a POST route (``/candidacies``) must list both (RFC 9110, 15.5.6).
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        rule = "body_too_large" if exc.status_code == 413 else None
        return problem(exc.status_code, title, str(exc.detail), rule, headers=headers)

    for kind in STORE_ERRORS:
        app.add_exception_handler(kind, _store)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", route=request.url.path, exc_info=exc)
        return problem(500, "Internal server error", "an unexpected error occurred; it was logged")


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for status, text in {
        400: "Malformed request: a body that is not JSON, an `If-Match` that is not an ETag",
        401: "No or unknown bearer token",
        403: "Outside your role or subtree",
        404: "Unknown id",
        409: "A domain rule refused the command (see `rule`)",
        412: "If-Match does not match the current version",
        413: "The body is over the size limit (`body_too_large`)",
        422: "Malformed or invalid input",
        429: "Too many failed authentications from this address (see `Retry-After`)",
        503: "The event store does not answer (`store_unavailable`), or stopped answering "
        "while a command was recorded (`write_outcome_unknown`: repeat it with its "
        "Idempotency-Key); see `Retry-After`",
    }.items()
}
