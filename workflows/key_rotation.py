"""Key rotation: every stored event re-encrypted with a new cipher key, in place, resumable.

During a rotation the store is read with ``RotatingCipher``: it encrypts with the current
key (``KETNAP_CIPHER_KEY``, the new one) and decrypts with it or, failing that, with the
previous key (``KETNAP_PREVIOUS_CIPHER_KEY``), so servers keep serving while events are
rewritten under them. ``Rotation`` sweeps the events table in pages of notification ids:
an event the current key already decrypts is left alone, any other is decrypted with the
previous key and encrypted with the current one; each page's rewrites and the position
reached are committed together in ``<events table>_key_rotation`` (one row per target
key, named by a fingerprint of the key, never the key), so a rotation killed at any point
resumes where it stopped and never re-encrypts twice. Payload bytes change, the payloads
do not: the hash chains (over payloads) stay valid; the audit digest (over stored bytes)
and the sealed views are rebuilt afterwards by ``ketnap keys rotate`` (ADR 0016).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Cipher
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment

from workflows.postgres import SCHEMA_LOCK
from workflows.store import Store

PREVIOUS_CIPHER_KEY = "PREVIOUS_CIPHER_KEY"
PAGE = 500


class RotatingCipher(Cipher):
    """Encrypts with the current key; decrypts with it, or else with the previous one."""

    def __init__(self, environment: Environment) -> None:
        self.current = AESCipher(environment)
        previous = environment.get(PREVIOUS_CIPHER_KEY)
        self.previous = (
            AESCipher(Environment(env={AESCipher.CIPHER_KEY: previous})) if previous else None
        )

    def encrypt(self, plaintext: bytes) -> bytes:
        return self.current.encrypt(plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return self.current.decrypt(ciphertext)
        except Exception:
            if self.previous is None:
                raise
            return self.previous.decrypt(ciphertext)


def fingerprint(key: str) -> str:
    """A name for a key that does not reveal it (the first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class RotationState:
    target: str  # the current key's fingerprint
    verified: bool  # the store verified clean before the first event was rewritten
    position: int  # the last notification id swept
    rewritten: int  # events re-encrypted so far
    finished: bool


class Rotation:
    """The sweep of one store to its current key (``RotatingCipher`` required)."""

    def __init__(self, app: Store, current_key: str) -> None:
        cipher = app.mapper.cipher
        if not isinstance(cipher, RotatingCipher) or cipher.previous is None:
            msg = "a rotation needs the new key and the previous one (RotatingCipher)"
            raise ValueError(msg)
        self.app, self.cipher = app, cipher
        recorder = app.recorder
        self.target = fingerprint(current_key)
        if isinstance(recorder, PostgresApplicationRecorder):
            schema = recorder.datastore.schema or "public"
            self.events = f'"{schema}"."{recorder.events_table_name}"'
            self.table = f'"{schema}"."{recorder.events_table_name}_key_rotation"'
            self.p = "%s"
        elif isinstance(recorder, SQLiteApplicationRecorder):
            self.events = f'"{recorder.events_table_name}"'
            self.table = f'"{recorder.events_table_name}_key_rotation"'
            self.p = "?"
        else:
            raise ValueError("an in-memory store has nothing at rest to re-encrypt")
        self.datastore: Any = recorder.datastore
        with self.datastore.transaction(commit=True) as curs:
            if self.p == "%s":
                curs.execute(SCHEMA_LOCK)
            curs.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (target TEXT PRIMARY KEY, "
                "verified INTEGER NOT NULL, position BIGINT NOT NULL, "
                "rewritten BIGINT NOT NULL, finished INTEGER NOT NULL)"
            )

    def state(self) -> RotationState | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                f"SELECT verified, position, rewritten, finished FROM {self.table} "
                f"WHERE target = {self.p}",
                (self.target,),
            )
            row = curs.fetchone()
        if row is None:
            return None
        values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
        verified, position, rewritten, finished = values
        return RotationState(self.target, bool(verified), position, rewritten, bool(finished))

    def begin(self) -> RotationState:
        """Record that the store verified clean: the sweep may start (idempotent)."""
        state = self.state()
        if state is None:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(
                    f"INSERT INTO {self.table} (target, verified, position, rewritten, "
                    f"finished) VALUES ({self.p}, 1, 0, 0, 0)",
                    (self.target,),
                )
            state = RotationState(self.target, True, 0, 0, False)
        return state

    def sweep(self, progress: Callable[[int, int], None] | None = None) -> RotationState:
        """Re-encrypt every event the current key does not decrypt, from where the last
        sweep stopped to the newest event (those written meanwhile included)."""
        state = self.state()
        if state is None or not state.verified:
            raise RuntimeError("the rotation has not begun (the store must verify first)")
        recorder = self.app.recorder
        while True:
            newest = recorder.max_notification_id() or 0
            if state.position >= newest:
                break
            page = recorder.select_notifications(
                state.position, PAGE, stop=newest, inclusive_of_start=False
            )
            if not page:
                break
            rewrites = []
            for notification in page:
                if self._fits(notification.state):
                    continue
                plaintext = self.cipher.decrypt(notification.state)
                rewrites.append(
                    (
                        self.cipher.encrypt(plaintext),
                        self._id(notification.originator_id),
                        notification.originator_version,
                    )
                )
            state.position = page[-1].id
            state.rewritten += len(rewrites)
            self._commit(rewrites, state)
            if progress is not None:
                progress(state.position, newest)
        return state

    def finish(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                f"UPDATE {self.table} SET finished = 1 WHERE target = {self.p}", (self.target,)
            )

    def _id(self, originator_id: Any) -> str:
        """The id as the events table holds it (SQLite: 32 hex digits; PostgreSQL: uuid)."""
        return str(originator_id) if self.p == "%s" else UUID(str(originator_id)).hex

    def _fits(self, data: bytes) -> bool:
        try:
            self.cipher.current.decrypt(data)
        except Exception:
            return False
        return True

    def _commit(self, rewrites: list[tuple[bytes, str, int]], state: RotationState) -> None:
        p = self.p
        cast = "::uuid" if p == "%s" else ""
        with self.datastore.transaction(commit=True) as curs:
            if rewrites:
                curs.executemany(
                    f"UPDATE {self.events} SET state = {p} "
                    f"WHERE originator_id = {p}{cast} AND originator_version = {p}",
                    rewrites,
                )
            curs.execute(
                f"UPDATE {self.table} SET position = {p}, rewritten = {p} WHERE target = {p}",
                (state.position, state.rewritten, self.target),
            )
