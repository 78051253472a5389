"""Bearer-token authentication and the access rules of api.md.

Roles: admin (everything), board (records and reads within its unit's subtree), auditor
(reads everything in its subtree, writes nothing), reporter (quotas and reports only).
The subtree is taken as the tree stands today. No token: 401. Outside role or subtree: 403.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.http.problems import ApiError
from api.settings import Settings
from domain.access import Role
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
        principal_for, credentials.credentials, get_settings(request), admissions
    )
    structlog.contextvars.bind_contextvars(actor=principal.name, role=principal.role.value)
    request.state.principal = principal
    return principal


def principal_for(secret: str, settings: Settings, admissions: Admissions) -> Principal:
    """The principal a bearer secret stands for, or 401 (reads the store for a token)."""
    admin = settings.admin_token.get_secret_value() if settings.admin_token else None
    if admin and hmac.compare_digest(secret.encode(), admin.encode()):
        return Principal("admin-token", Role.ADMIN, None)
    token = admissions.token_for(secret)
    if token is None:
        raise ApiError(401, "Unauthorized", "unknown or revoked token", "unauthenticated")
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
