"""The web app's sign-in: a sealed, expiring session cookie and CSRF tokens.

The cookie (``ketnap_session``: HttpOnly, SameSite=Strict, Path=/ui) holds the token the
board signed in with, when the sign-in ends and the session's CSRF token, sealed with
AES-GCM under a key from the settings (``KETNAP_SESSION_KEY``; else a random key per
``ketnap serve``, shared by its workers): the browser can neither read nor alter it. The
token is authenticated again on every page, exactly as the API does (revocation and expiry
take effect at once, the role and subtree are the token's).

Every form carries the session's CSRF token in a hidden field ``csrf``; a POST without the
right one is refused. The sign-in form, before any session, uses a double-submit cookie
(``ketnap_login``) instead. ADR 0019.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.responses import Response

from api.settings import Settings

COOKIE = "ketnap_session"
LOGIN_COOKIE = "ketnap_login"
LANGUAGE_COOKIE = "ketnap_lang"
PATH = "/ui"
_NONCE = 12


@dataclass(frozen=True)
class Session:
    """A signed-in board: its token, when the session ends (epoch seconds), its CSRF."""

    token: str
    expires_at: int
    csrf: str


class Sealer:
    """Seals and opens session cookies with one key."""

    def __init__(self, key_text: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"ketnap-session\0" + key_text.encode()).digest())

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        key = settings.session_key.get_secret_value() if settings.session_key else None
        return cls(key or secrets.token_urlsafe(32))

    def seal(self, session: Session) -> str:
        nonce = secrets.token_bytes(_NONCE)
        body = json.dumps({"t": session.token, "e": session.expires_at, "c": session.csrf})
        sealed = nonce + self._aead.encrypt(nonce, body.encode(), COOKIE.encode())
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie, or None when it is absent, altered or has ended."""
        if not value or len(value) > 4096:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            body = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], COOKIE.encode())
            data = json.loads(body)
            session = Session(str(data["t"]), int(data["e"]), str(data["c"]))
        except (ValueError, KeyError, TypeError, InvalidTag):
            return None
        if session.expires_at <= (time.time() if now is None else now):
            return None
        return session


def new_session(token: str, hours: int, now: float | None = None) -> Session:
    start = time.time() if now is None else now
    return Session(token, int(start + hours * 3600), secrets.token_urlsafe(24))


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two CSRF tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def set_cookie(response: Response, name: str, value: str, max_age: int, *, secure: bool) -> None:
    """Set one of the web app's cookies: HttpOnly, SameSite=Strict, for /ui only (Secure
    when the page came over HTTPS)."""
    response.set_cookie(
        name, value, max_age=max_age, path=PATH, httponly=True, samesite="strict", secure=secure
    )
