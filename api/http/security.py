"""Bearer-token authentication and the access rules of api.md.

Roles: admin (everything), board (records and reads within its unit's subtree), auditor
(reads everything in its subtree, writes nothing), reporter (quotas and reports only).
The subtree is taken as the tree stands today. No token: 401. Outside role or subtree: 403.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.http.problems import ApiError
from api.settings import Settings
from domain.access import Role
from domain.errors import DomainError
from workflows.application import Admissions
from workflows.context import Actor

bearer = HTTPBearer(auto_error=False, description="A token from `ketnap tokens create`")


@dataclass(frozen=True)
class Principal:
    """The caller: a role, the unit whose subtree it may reach (None: everywhere)."""

    name: str
    role: Role
    organisation_id: UUID | None

    def actor(self, request_id: str) -> Actor:
        return Actor(
            actor=self.name,
            role=self.role.value,
            unit_id=self.organisation_id,
            request_id=request_id,
        )


# Dependencies that only read app state (or compare a token) are ``async def``: FastAPI runs
# a plain ``def`` dependency in its thread pool, one thread hop per dependency per request.


async def get_admissions(request: Request) -> Admissions:
    admissions: Admissions = request.app.state.admissions
    return admissions


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AdmissionsDep = Annotated[Admissions, Depends(get_admissions)]


class FailedAuthLimit:
    """At most ``per_minute`` failed authentications per client address in any sliding
    minute; past that, every request from the address is answered 429 until the oldest
    failure is a minute old (``Retry-After`` says when). Kept per server process."""

    WINDOW = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and now - failures[0] >= self.WINDOW:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def check(self, address: str) -> None:
        """429 if the address has used up its failures."""
        if not self.per_minute:
            return
        now = self.clock()
        with self._lock:
            failures = self._recent(address, now)
            if len(failures) < self.per_minute:
                return
            wait = max(1, math.ceil(self.WINDOW - (now - failures[0])))
        raise ApiError(
            429,
            "Too many requests",
            f"too many failed authentications from this address; try again in {wait} s",
            "too_many_failed_authentications",
            headers={"Retry-After": str(wait)},
        )

    def failed(self, address: str) -> None:
        if not self.per_minute:
            return
        now = self.clock()
        with self._lock:
            self._recent(address, now)
            self._failures.setdefault(address, deque()).append(now)
            if len(self._failures) > 100_000:  # a flood of addresses: forget the oldest
                self._failures.pop(next(iter(self._failures)))


def client_address(scope_or_request: Any) -> str:
    client = scope_or_request.get("client") if isinstance(scope_or_request, dict) else None
    if client is None and not isinstance(scope_or_request, dict):
        client = scope_or_request.client
    return str(client[0]) if client else "unknown"


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    admissions: AdmissionsDep,
) -> Principal:
    """The principal behind the bearer token, or 401 (taken from the body gate when it
    already checked the token: ``api.http.middleware.BodyGate``)."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiError(401, "Unauthorized", "send Authorization: Bearer <token>", "unauthenticated")
    principal = await run_in_threadpool(
        principal_for,
        credentials.credentials,
        client_address(request),
        get_settings(request),
        admissions,
        request.app.state.auth_limit,
    )
    structlog.contextvars.bind_contextvars(actor=principal.name, role=principal.role.value)
    request.state.principal = principal
    return principal


def principal_for(
    secret: str, address: str, settings: Settings, admissions: Admissions, limit: FailedAuthLimit
) -> Principal:
    """The principal a bearer secret stands for; 401 (the reason: unknown, revoked or
    expired) or 429 when the address failed too often (reads the store for a token)."""
    limit.check(address)
    admin = settings.admin_token.get_secret_value() if settings.admin_token else None
    if admin and hmac.compare_digest(secret.encode(), admin.encode()):
        return Principal("admin-token", Role.ADMIN, None)
    try:
        token = admissions.authenticate_token(secret)
    except DomainError as exc:
        limit.failed(address)
        raise ApiError(401, "Unauthorized", exc.detail, "unauthenticated") from exc
    return Principal(f"token:{str(token.id)[:8]}", token.role, token.organisation_id)


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def require(principal: Principal, *roles: Role) -> None:
    """403 unless the principal has one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ApiError(
            403,
            "Forbidden",
            f"role '{principal.role.value}' may not do this (allowed: {allowed})",
            "forbidden_role",
        )


def require_scope(admissions: Admissions, principal: Principal, organisation_id: UUID) -> None:
    """403 unless ``organisation_id`` lies in the principal's subtree as it stands today."""
    if principal.organisation_id is None:
        return
    path = [unit.id for unit in admissions.path_on(organisation_id, admissions.today())]
    if principal.organisation_id not in path:
        raise ApiError(
            403, "Forbidden", "the organisation is outside your subtree", "forbidden_scope"
        )


def can_reach(admissions: Admissions, principal: Principal, organisation_id: UUID) -> bool:
    """Whether ``organisation_id`` lies in the principal's subtree today."""
    try:
        require_scope(admissions, principal, organisation_id)
    except ApiError:
        return False
    return True


READERS = (Role.ADMIN, Role.BOARD, Role.AUDITOR)
WRITERS = (Role.ADMIN, Role.BOARD)
FIGURES = (Role.ADMIN, Role.BOARD, Role.AUDITOR, Role.REPORTER)
