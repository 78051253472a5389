"""API tokens: issued (the secret shown once, stored as a hash), listed, expired and revoked.

A token works through its expiry day (``expires_on``, inclusive) until it is revoked. Board,
auditor and reporter tokens expire a year after issue unless told otherwise; admin tokens
may be issued without expiry (ADR 0014). Every check reads the store, so a revocation
recorded by one process refuses the token in every other at its next request.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from domain.access import Role, TokenIssued, TokenRevoked, TokenState, token_digest, token_id
from domain.errors import DomainError, NotFound
from workflows.context import Actor
from workflows.scan import events_of
from workflows.store import Store, fold
from workflows.token_use import TokenUse

DEFAULT_LIFETIME = timedelta(days=365)
Expiry = date | None | Literal["default"]
TOKEN_TOPICS = (TokenIssued.topic(), TokenRevoked.topic())
REFUSALS = {
    "token_unknown": "unknown token",
    "token_revoked": "the token was revoked on {revoked}",
    "token_expired": "the token expired on {expired}",
}


def default_expiry(role: Role, issued_on: date) -> date | None:
    """A year after issue, except admin tokens, which need not expire."""
    return None if role is Role.ADMIN else issued_on + DEFAULT_LIFETIME


class TokenWrites(Store):
    """API tokens: issued (the secret shown once, stored as a hash), listed and revoked."""

    _token_use: TokenUse | None = None

    @property
    def token_use(self) -> TokenUse:
        """When each token was last used (kept beside the events, not in the history)."""
        if self._token_use is None:
            self._token_use = TokenUse(self.recorder)
        return self._token_use

    # --- API tokens -----------------------------------------------------------------

    def issue_token(
        self,
        role: Role,
        organisation_id: UUID | None,
        label: str,
        actor: Actor,
        expires_on: Expiry = "default",
    ) -> tuple[str, TokenState]:
        """Issue a token; returns the secret (shown once, stored only as a hash)."""
        if organisation_id is not None:
            self.organisation(organisation_id)
        elif role is not Role.ADMIN:
            raise DomainError(
                "only an admin token may cover every organisation", rule="organisation_required"
            )
        today = self.today()
        expiry = default_expiry(role, today) if expires_on == "default" else expires_on
        if expiry is None and role is not Role.ADMIN:
            raise DomainError(
                f"a {role.value} token must expire (only admin tokens may be issued without)",
                rule="token_expiry_required",
            )
        if expiry is not None and expiry < today:
            raise DomainError(
                f"expiry {expiry.isoformat()} is before today ({today.isoformat()})",
                rule="token_expiry_past",
            )
        secret = "ktn_" + secrets.token_urlsafe(32)
        event = TokenIssued(
            originator_id=token_id(secret),
            originator_version=1,
            timestamp=self.clock(),
            actor=actor.actor,
            role=actor.role,
            unit_id=actor.unit_id,
            request_id=actor.request_id,
            digest=token_digest(secret),
            role_granted=role,
            organisation_id=organisation_id,
            label=label,
            issued_on=today,
            expires_on=expiry,
        )
        self._save(event)
        state = self._get(event.originator_id, TokenState, "token")
        return secret, state

    def revoke_token(self, token: UUID, actor: Actor) -> TokenState:
        """Revoke a token by its id (shown when it was issued); it stops working at once."""
        state = self._get(token, TokenState, "token")
        if state.revoked_on is not None:
            raise DomainError(
                f"token {token} was revoked on {state.revoked_on.isoformat()}", rule="token_revoked"
            )
        event = TokenRevoked(
            originator_id=state.id,
            originator_version=state.version + 1,
            prev_hash=state.last_hash,
            timestamp=self.clock(),
            actor=actor.actor,
            role=actor.role,
            unit_id=actor.unit_id,
            request_id=actor.request_id,
            revoked_on=self.today(),
        )
        self._save(event)
        revoked: TokenState = event.mutate(state)
        self._remember(revoked)
        return revoked

    def authenticate_token(self, secret: str) -> TokenState:
        """The token with this secret if it works today; else a ``DomainError`` whose rule
        says why (``token_unknown``, ``token_revoked``, ``token_expired``)."""
        try:
            state = self._get(token_id(secret), TokenState, "token")
        except NotFound:
            state = None
        if state is None or state.digest != token_digest(secret):
            raise DomainError(REFUSALS["token_unknown"], rule="token_unknown")
        refusal = state.refusal_on(self.today())
        if refusal is not None:
            detail = REFUSALS[refusal].format(revoked=state.revoked_on, expired=state.expires_on)
            raise DomainError(detail, rule=refusal)
        self.token_use.touch(state.id, self.clock())
        return state

    def token_for(self, secret: str) -> TokenState | None:
        """The working token with this secret, or None."""
        try:
            return self.authenticate_token(secret)
        except DomainError:
            return None

    def tokens(self, page: int = 1000) -> list[TokenState]:
        """Every token ever issued, oldest first (read from the log's token events)."""
        states: dict[UUID, TokenState] = {}
        for event in events_of(self.recorder, self.mapper, TOKEN_TOPICS, page):
            states[event.originator_id] = fold(states.get(event.originator_id), [event])
        return list(states.values())
