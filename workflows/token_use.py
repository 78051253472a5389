"""When each API token was last used: operational data, not a fact of the history.

A token's use is no event (it would put one in the log for every request); the servers
keep the last moment each token authenticated in a small table beside the events
(``<events table>_token_use``), written at most once a minute per token per process, so
``ketnap tokens list`` can say "last used" to the minute. An in-memory store keeps it in
memory.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from workflows.postgres import SCHEMA_LOCK

THROTTLE = timedelta(minutes=1)


class TokenUse:
    """The last use of each token, written through the events' own datastore."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self._recorder = recorder
        self._written: dict[UUID, datetime] = {}
        self._memory: dict[UUID, datetime] = {}
        self._lock = threading.Lock()
        self._ready = False
        if isinstance(recorder, PostgresApplicationRecorder):
            schema = recorder.datastore.schema or "public"
            self._table = f'"{schema}"."{recorder.events_table_name}_token_use"'
            self._param = "%s"
        elif isinstance(recorder, SQLiteApplicationRecorder):
            self._table = f'"{recorder.events_table_name}_token_use"'
            self._param = "?"
        else:
            self._table = ""

    def touch(self, token: UUID, moment: datetime) -> None:
        """Note that ``token`` authenticated at ``moment`` (written once a minute at most)."""
        with self._lock:
            last = self._written.get(token)
            if last is not None and moment - last < THROTTLE:
                return
            self._written[token] = moment
        if not self._table:
            self._memory[token] = max(moment, self._memory.get(token, moment))
            return
        p = self._param
        self._execute(
            f"INSERT INTO {self._table} (token_id, last_used_at) VALUES ({p}, {p}) "
            "ON CONFLICT (token_id) DO UPDATE SET last_used_at = "
            f"CASE WHEN excluded.last_used_at > {self._table}.last_used_at "
            f"THEN excluded.last_used_at ELSE {self._table}.last_used_at END",
            (str(token), moment.isoformat()),
        )

    def last_used(self) -> dict[UUID, datetime]:
        """The last recorded use of every token that was ever used."""
        if not self._table:
            return dict(self._memory)
        rows = self._execute(f"SELECT token_id, last_used_at FROM {self._table}", ())
        return {UUID(str(row[0])): _moment(row[1]) for row in rows}

    def _execute(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        datastore: Any = self._recorder.datastore  # type: ignore[attr-defined]
        if not self._ready:
            with datastore.transaction(commit=True) as curs:
                if self._param == "%s":  # processes starting together race on CREATE
                    curs.execute(SCHEMA_LOCK)
                curs.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._table} "
                    "(token_id TEXT PRIMARY KEY, last_used_at TEXT NOT NULL)"
                )
            self._ready = True
        with datastore.transaction(commit=True) as curs:
            curs.execute(sql, params)
            if sql.startswith("SELECT"):
                rows = curs.fetchall()
                return [
                    tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in rows
                ]
        return []


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
