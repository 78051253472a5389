"""Who may do what: roles, and API tokens stored hashed as aggregates.

A token's id derives from the SHA-256 of its secret, so presenting a token is one lookup
and the store never holds the secret itself.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from domain.events import ChainedState, DomainEvent

TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "https://ketnap.vn/api-token")


class Role(StrEnum):
    """api.md roles: admin (everything), board (records and reads within its subtree),
    auditor (reads everything in its subtree, writes nothing), reporter (quotas, reports)."""

    ADMIN = "admin"
    BOARD = "board"
    AUDITOR = "auditor"
    REPORTER = "reporter"

    @property
    def may_record(self) -> bool:
        return self in (Role.ADMIN, Role.BOARD)

    @property
    def reads_records(self) -> bool:
        """May read candidacies, members and organisations (not only figures)."""
        return self is not Role.REPORTER


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id(secret: str) -> UUID:
    """The aggregate id of the token with this secret."""
    return uuid5(TOKEN_NAMESPACE, token_digest(secret))


class TokenState(ChainedState):
    digest: str
    role: Role
    organisation_id: UUID | None
    label: str
    issued_on: date | None = None
    expires_on: date | None = None  # the last day it works (None: never expires)
    revoked_on: date | None = None

    def refusal_on(self, day: date) -> str | None:
        """Why the token does not work on ``day`` (a stable rule code), or None."""
        if self.revoked_on is not None:
            return "token_revoked"
        if self.expires_on is not None and day > self.expires_on:
            return "token_expired"
        return None


class TokenIssued(DomainEvent):
    """A token was issued for a role within an organisation's subtree."""

    date_field: ClassVar[str] = "issued_on"
    added_fields: ClassVar[frozenset[str]] = frozenset({"expires_on"})
    digest: str = Field(min_length=64, max_length=64)
    role_granted: Role
    organisation_id: UUID | None
    label: str = Field(max_length=200)
    issued_on: date
    expires_on: date | None = None

    def evolve(self, state: TokenState | None) -> TokenState:
        return TokenState(
            id=self.originator_id,
            version=self.originator_version,
            created_on=self.timestamp,
            modified_on=self.timestamp,
            digest=self.digest,
            role=self.role_granted,
            organisation_id=self.organisation_id,
            label=self.label,
            issued_on=self.issued_on,
            expires_on=self.expires_on,
        )


class TokenRevoked(DomainEvent):
    date_field: ClassVar[str] = "revoked_on"
    revoked_on: date

    def evolve(self, state: TokenState) -> TokenState:
        return state.model_copy(update={"revoked_on": self.revoked_on})
