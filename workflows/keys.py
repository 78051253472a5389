"""Is the store read with the right cipher key? The store records a key check: one stored
event of its own (``KEY_CHECK_ID``, written raw through the recorder, not an aggregate)
whose state is a known value, encrypted with the store's key when it has one.

``key_status`` compares it with the configured cipher: ``ok``; ``missing`` (the store is
encrypted, no key is configured); ``wrong`` (a key is configured that does not decrypt
it, or the store was written without a key). A store without the record yet (written
before it, or empty) is judged by its newest event instead, and ``record_key_check``
writes the record (``ketnap serve`` does at start, once the key is known to fit).
"""

from __future__ import annotations

import contextlib
from typing import Literal
from uuid import UUID

from eventsourcing.persistence import Cipher, IntegrityError, StoredEvent

from workflows.store import Store

__all__ = ["KEY_CHECK_ID", "KeyStatus", "key_status", "record_key_check"]

KEY_CHECK_ID = UUID("6b6e6170-6b65-7963-6865-636b00000001")
KEY_CHECK_TOPIC = "workflows.keys:KeyCheck"
KNOWN = b"ketnap key check v1"
KeyStatus = Literal["ok", "missing", "wrong"]


def _cipher(app: Store) -> Cipher | None:
    cipher = app.mapper.cipher
    return cipher if isinstance(cipher, Cipher) else None


def _judge(state: bytes, cipher: Cipher | None) -> KeyStatus:
    if cipher is None:
        return "ok" if state == KNOWN else "missing"
    try:
        return "ok" if cipher.decrypt(state) == KNOWN else "wrong"
    except Exception:  # the library's ciphers raise their own errors on a wrong key
        return "wrong"


def _by_newest_event(app: Store) -> KeyStatus:
    newest = app.recorder.max_notification_id()
    if not newest:
        return "ok"  # an empty store fits any key
    (notification,) = app.recorder.select_notifications(newest, 1)
    try:
        app.mapper.to_domain_event(notification)
    except Exception:
        return "wrong" if _cipher(app) is not None else "missing"
    return "ok"


def key_status(app: Store) -> KeyStatus:
    """Whether the configured key (or its absence) fits the store (reads, never writes)."""
    stored = app.recorder.select_events(KEY_CHECK_ID, limit=1)
    if not stored:
        return _by_newest_event(app)
    return _judge(stored[0].state, _cipher(app))


def record_key_check(app: Store) -> KeyStatus:
    """Record the key check if the store has none and the key fits; the status."""
    status = key_status(app)
    if status != "ok" or app.recorder.select_events(KEY_CHECK_ID, limit=1):
        return status
    cipher = _cipher(app)
    state = cipher.encrypt(KNOWN) if cipher is not None else KNOWN
    with contextlib.suppress(IntegrityError):  # another process recorded it first
        app.recorder.insert_events([StoredEvent(KEY_CHECK_ID, 1, KEY_CHECK_TOPIC, state)])
    return key_status(app)
