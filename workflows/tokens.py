"""API tokens: issued (the secret shown once, stored as a hash) and revoked."""

from __future__ import annotations

import secrets
from uuid import UUID

from domain.access import Role, TokenIssued, TokenRevoked, TokenState, token_digest, token_id
from domain.errors import DomainError, NotFound
from workflows.context import Actor
from workflows.store import Store


class TokenWrites(Store):
    """API tokens: issued (the secret shown once, stored as a hash) and revoked."""

    # --- API tokens -----------------------------------------------------------------

    def issue_token(
        self, role: Role, organisation_id: UUID | None, label: str, actor: Actor
    ) -> tuple[str, TokenState]:
        """Issue a token; returns the secret (shown once, stored only as a hash)."""
        if organisation_id is not None:
            self.organisation(organisation_id)
        elif role is not Role.ADMIN:
            raise DomainError(
                "only an admin token may cover every organisation", rule="organisation_required"
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
            issued_on=self.today(),
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

    def token_for(self, secret: str) -> TokenState | None:
        """The live token with this secret, or None."""
        try:
            state = self._get(token_id(secret), TokenState, "token")
        except NotFound:
            return None
        if state.revoked_on is not None or state.digest != token_digest(secret):
            return None
        return state
