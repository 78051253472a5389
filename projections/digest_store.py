"""Where the audit digest lives: two tables beside the events, in the same database.

- ``ketnap_digest_checkpoints``: one row per window of the store's global order
  (``seq``, ``last_notification_id``, ``events`` in the window, cumulative ``total``,
  chained ``digest``); the newest row is the tip and grows until the window is full.
- ``ketnap_digest_streams``: one row per stream (aggregate) with the topic of its first
  event, its event count, last version, last notification id, the leaf hash of its last
  event and a chained digest over its own events. It names a stream that later vanishes.

Each view is the library's tracking recorder for its backend (``SQLiteTrackingRecorder``,
``PostgresTrackingRecorder``, ``POPOTrackingRecorder``), so the rows of a page and the
tracking record of its last notification id are written in one transaction.
``advance`` refuses a page when another process moved the position first (the caller
re-reads from the new position): each event is folded in exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Tracking
from eventsourcing.popo import POPOApplicationRecorder, POPOTrackingRecorder
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresTrackingRecorder,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

CHECKPOINTS = "ketnap_digest_checkpoints"
STREAMS = "ketnap_digest_streams"
TRACKING = "ketnap_digest_tracking"
_SQLITE_IN_CHUNK = 500
# Serialises the digest's writers across processes (keyed like projections/store.py).
_PG_LOCK = SQL("SELECT pg_advisory_xact_lock(hashtext(%s))")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One window of the global order: the digest after its last event, chained from the
    checkpoint before it (the first one from ``GENESIS``)."""

    seq: int
    last_notification_id: int
    events: int  # in this window
    total: int  # in this and every earlier window
    digest: str  # hex SHA-256


@dataclass(frozen=True, slots=True)
class StreamMark:
    """What the digest saw of one stream (aggregate): enough to name it when it vanishes."""

    originator_id: UUID
    topic: str  # of its first event: says what kind of record it is
    events: int
    last_version: int
    last_notification_id: int
    last_leaf: str  # hex leaf hash of its last event
    digest: str  # hex, chained over the leaves of its events


@dataclass(frozen=True, slots=True)
class Snapshot:
    position: int
    checkpoints: list[Checkpoint]
    streams: dict[UUID, StreamMark]


# Given the tip checkpoint and the stream rows of the page's originators, the rows to write.
Fold = Callable[
    [Checkpoint | None, dict[UUID, StreamMark]], tuple[list[Checkpoint], list[StreamMark]]
]


class DigestStore(Protocol):
    """What the digest needs from its storage (one implementation per backend)."""

    def create_table(self) -> None: ...

    def position(self) -> int:
        """The last notification id folded in (0 before the first)."""
        ...

    def checkpoints(self) -> list[Checkpoint]: ...

    def streams(self, ids: Collection[UUID] | None = None) -> dict[UUID, StreamMark]: ...

    def snapshot(self, ids: Collection[UUID] | None) -> Snapshot:
        """Position, checkpoints and stream rows (all, or ``ids``) read in one consistent
        snapshot, so a catch-up committing meanwhile cannot make them disagree."""
        ...

    def advance(self, expected: int, last_id: int, ids: Collection[UUID], fold: Fold) -> bool:
        """Fold one page in, if the position is still ``expected``; False otherwise."""
        ...

    def reset(self) -> None:
        """Forget everything (a rebuild starts from the store as it is now)."""
        ...


def open_store(recorder: ApplicationRecorder, tracking_name: str) -> DigestStore:
    """The digest store in the same database as ``recorder``'s events."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteDigestStore(recorder.datastore, tracking_name=tracking_name)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresDigestStore(recorder.datastore, tracking_name=tracking_name)
    if isinstance(recorder, POPOApplicationRecorder):
        return MemoryDigestStore(tracking_name=tracking_name)
    msg = f"no audit digest for a {type(recorder).__name__}"
    raise TypeError(msg)


def _mark(row: Any, originator_id: UUID) -> StreamMark:
    return StreamMark(
        originator_id=originator_id,
        topic=row["topic"],
        events=row["events"],
        last_version=row["last_version"],
        last_notification_id=row["last_notification_id"],
        last_leaf=row["last_leaf"],
        digest=row["digest"],
    )


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(
        row["seq"], row["last_notification_id"], row["events"], row["total"], row["digest"]
    )


def _checkpoint_params(rows: Iterable[Checkpoint]) -> list[tuple[Any, ...]]:
    return [(c.seq, c.last_notification_id, c.events, c.total, c.digest) for c in rows]


def _stream_params(rows: Iterable[StreamMark], key: Callable[[UUID], Any]) -> list[tuple[Any, ...]]:
    return [
        (
            key(m.originator_id),
            m.topic,
            m.events,
            m.last_version,
            m.last_notification_id,
            m.last_leaf,
            m.digest,
        )
        for m in rows
    ]


_COLUMNS = "topic, events, last_version, last_notification_id, last_leaf, digest"


class SQLiteDigestStore(SQLiteTrackingRecorder):
    """The digest tables and their tracking table in the application's SQLite file."""

    def __init__(self, datastore: SQLiteDatastore, *, tracking_name: str) -> None:
        super().__init__(datastore)
        self.tracking_name = tracking_name
        # The library's SQLite statements name the table ``tracking``; the digest keeps its
        # own, like the other projections (projections/store.py).
        self.insert_tracking_statement = self.insert_tracking_statement.replace(
            "INTO tracking", f"INTO {TRACKING}"
        ).replace("WHERE tracking.", f"WHERE {TRACKING}.")
        self.select_max_tracking_id_statement = self.select_max_tracking_id_statement.replace(
            "FROM tracking", f"FROM {TRACKING}"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            *(
                s.replace("EXISTS tracking (", f"EXISTS {TRACKING} (")
                for s in super().construct_create_table_statements()
            ),
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (seq INTEGER PRIMARY KEY, "
            "last_notification_id INTEGER NOT NULL, events INTEGER NOT NULL, "
            "total INTEGER NOT NULL, digest TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {STREAMS} (originator_id TEXT PRIMARY KEY, "
            "topic TEXT NOT NULL, events INTEGER NOT NULL, last_version INTEGER NOT NULL, "
            "last_notification_id INTEGER NOT NULL, last_leaf TEXT NOT NULL, "
            "digest TEXT NOT NULL) WITHOUT ROWID",
        ]

    def position(self) -> int:
        return self.max_tracking_id(self.tracking_name) or 0

    def checkpoints(self) -> list[Checkpoint]:
        with self.datastore.transaction(commit=False) as c:
            return self._checkpoints(c)

    def _checkpoints(self, c: Any) -> list[Checkpoint]:
        c.execute(f"SELECT * FROM {CHECKPOINTS} ORDER BY seq")
        return [_checkpoint(row) for row in c.fetchall()]

    def snapshot(self, ids: Collection[UUID] | None) -> Snapshot:
        # One read transaction: in WAL mode every statement in it sees the same snapshot.
        with self.datastore.transaction(commit=False) as c:
            position = self._max_tracking_id(self.tracking_name, c) or 0
            return Snapshot(position, self._checkpoints(c), self._streams(c, ids))

    def streams(self, ids: Collection[UUID] | None = None) -> dict[UUID, StreamMark]:
        with self.datastore.transaction(commit=False) as c:
            return self._streams(c, ids)

    def _streams(self, c: Any, ids: Collection[UUID] | None) -> dict[UUID, StreamMark]:
        found: dict[UUID, StreamMark] = {}
        select = f"SELECT originator_id, {_COLUMNS} FROM {STREAMS}"
        if ids is None:
            c.execute(select)
            rows = c.fetchall()
        else:
            keys, rows = [i.hex for i in ids], []
            for at in range(0, len(keys), _SQLITE_IN_CHUNK):
                chunk = keys[at : at + _SQLITE_IN_CHUNK]
                c.execute(f"{select} WHERE originator_id IN ({','.join('?' * len(chunk))})", chunk)
                rows += c.fetchall()
        for row in rows:
            oid = UUID(row["originator_id"])
            found[oid] = _mark(row, oid)
        return found

    def advance(self, expected: int, last_id: int, ids: Collection[UUID], fold: Fold) -> bool:
        with self.datastore.transaction(commit=True) as c:
            # A write first takes SQLite's write lock, so the position read next is current.
            c.execute(f"DELETE FROM {TRACKING} WHERE 0")
            if (self._max_tracking_id(self.tracking_name, c) or 0) != expected:
                return False
            c.execute(f"SELECT * FROM {CHECKPOINTS} ORDER BY seq DESC LIMIT 1")
            tip = c.fetchone()
            checkpoints, marks = fold(
                None if tip is None else _checkpoint(tip), self._streams(c, ids)
            )
            c.executemany(
                f"INSERT OR REPLACE INTO {CHECKPOINTS} VALUES (?, ?, ?, ?, ?)",
                _checkpoint_params(checkpoints),
            )
            c.executemany(
                f"INSERT OR REPLACE INTO {STREAMS} VALUES (?, ?, ?, ?, ?, ?, ?)",
                _stream_params(marks, lambda i: i.hex),
            )
            self._insert_tracking(c, Tracking(self.tracking_name, last_id))
        return True

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {CHECKPOINTS}")
            c.execute(f"DELETE FROM {STREAMS}")
            c.execute(f"DELETE FROM {TRACKING} WHERE application_name = ?", (self.tracking_name,))


class PostgresDigestStore(PostgresTrackingRecorder):
    """The digest tables in the application's PostgreSQL schema, with their own tracking
    table (``ketnap_digest_tracking``)."""

    def __init__(self, datastore: PostgresDatastore, *, tracking_name: str) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING)
        self.tracking_name = tracking_name
        schema = Identifier(datastore.schema)
        self._checkpoints = SQL("{}.{}").format(schema, Identifier(CHECKPOINTS))
        self._streams_table = SQL("{}.{}").format(schema, Identifier(STREAMS))
        self._tracking = SQL("{}.{}").format(schema, Identifier(TRACKING))
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (seq bigint PRIMARY KEY, "
                "last_notification_id bigint NOT NULL, events integer NOT NULL, "
                "total bigint NOT NULL, digest text NOT NULL)"
            ).format(self._checkpoints),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (originator_id uuid PRIMARY KEY, "
                "topic text NOT NULL, events integer NOT NULL, last_version bigint NOT NULL, "
                "last_notification_id bigint NOT NULL, last_leaf text NOT NULL, "
                "digest text NOT NULL)"
            ).format(self._streams_table),
        ]
        self._select_streams = SQL(
            "SELECT originator_id, topic, events, last_version, last_notification_id, "
            "last_leaf, digest FROM {}"
        ).format(self._streams_table)

    def position(self) -> int:
        return self.max_tracking_id(self.tracking_name) or 0

    def checkpoints(self) -> list[Checkpoint]:
        with self.datastore.transaction(commit=False) as curs:
            return self._select_checkpoints(curs)

    def _select_checkpoints(self, curs: Any) -> list[Checkpoint]:
        curs.execute(SQL("SELECT * FROM {} ORDER BY seq").format(self._checkpoints))
        return [_checkpoint(row) for row in curs.fetchall()]

    def snapshot(self, ids: Collection[UUID] | None) -> Snapshot:
        with self.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
            curs = conn.cursor()
            curs.execute(SQL("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            position = self._max_tracking_id(self.tracking_name, curs) or 0
            return Snapshot(position, self._select_checkpoints(curs), self._streams(curs, ids))

    def streams(self, ids: Collection[UUID] | None = None) -> dict[UUID, StreamMark]:
        with self.datastore.transaction(commit=False) as curs:
            return self._streams(curs, ids)

    def _streams(self, curs: Any, ids: Collection[UUID] | None) -> dict[UUID, StreamMark]:
        if ids is None:
            curs.execute(self._select_streams)
        else:
            query = SQL("{} WHERE originator_id = ANY(%s)").format(self._select_streams)
            curs.execute(query, (list(ids),))
        rows: list[DictRow] = curs.fetchall()
        return {row["originator_id"]: _mark(row, row["originator_id"]) for row in rows}

    def advance(self, expected: int, last_id: int, ids: Collection[UUID], fold: Fold) -> bool:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(_PG_LOCK, (TRACKING,))
            if (self._max_tracking_id(self.tracking_name, curs) or 0) != expected:
                return False
            curs.execute(
                SQL("SELECT * FROM {} ORDER BY seq DESC LIMIT 1").format(self._checkpoints)
            )
            tip = curs.fetchone()
            checkpoints, marks = fold(
                None if tip is None else _checkpoint(tip), self._streams(curs, ids)
            )
            curs.executemany(self._upsert_checkpoint(), _checkpoint_params(checkpoints))
            curs.executemany(self._upsert_stream(), _stream_params(marks, lambda i: i))
            self._insert_tracking(curs, Tracking(self.tracking_name, last_id))
        return True

    def _upsert_checkpoint(self) -> Composed:
        return SQL(
            "INSERT INTO {} VALUES (%s, %s, %s, %s, %s) ON CONFLICT (seq) DO UPDATE SET "
            "last_notification_id = excluded.last_notification_id, events = excluded.events, "
            "total = excluded.total, digest = excluded.digest"
        ).format(self._checkpoints)

    def _upsert_stream(self) -> Composed:
        return SQL(
            "INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (originator_id) "
            "DO UPDATE SET topic = excluded.topic, events = excluded.events, "
            "last_version = excluded.last_version, "
            "last_notification_id = excluded.last_notification_id, "
            "last_leaf = excluded.last_leaf, digest = excluded.digest"
        ).format(self._streams_table)

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(_PG_LOCK, (TRACKING,))
            curs.execute(SQL("DELETE FROM {}").format(self._checkpoints))
            curs.execute(SQL("DELETE FROM {}").format(self._streams_table))
            curs.execute(
                SQL("DELETE FROM {} WHERE application_name = %s").format(self._tracking),
                (self.tracking_name,),
            )


@dataclass
class _Memory:
    checkpoints: dict[int, Checkpoint]
    streams: dict[UUID, StreamMark]


class MemoryDigestStore(POPOTrackingRecorder):
    """The digest beside an in-memory store (tests, ``memory://``); lives as long as the
    process, like the events."""

    def __init__(self, *, tracking_name: str) -> None:
        super().__init__()
        self.tracking_name = tracking_name
        self._memory = _Memory({}, {})

    def create_table(self) -> None:
        """Nothing to create in memory."""

    def position(self) -> int:
        return self.max_tracking_id(self.tracking_name) or 0

    def checkpoints(self) -> list[Checkpoint]:
        with self._database_lock:
            return [self._memory.checkpoints[seq] for seq in sorted(self._memory.checkpoints)]

    def streams(self, ids: Collection[UUID] | None = None) -> dict[UUID, StreamMark]:
        with self._database_lock:
            marks = self._memory.streams
            if ids is None:
                return dict(marks)
            return {i: marks[i] for i in ids if i in marks}

    def snapshot(self, ids: Collection[UUID] | None) -> Snapshot:
        with self._database_lock:
            memory = self._memory
            marks = (
                dict(memory.streams)
                if ids is None
                else {i: memory.streams[i] for i in ids if i in memory.streams}
            )
            checkpoints = [memory.checkpoints[seq] for seq in sorted(memory.checkpoints)]
            return Snapshot(self._max_tracking_ids[self.tracking_name] or 0, checkpoints, marks)

    def advance(self, expected: int, last_id: int, ids: Collection[UUID], fold: Fold) -> bool:
        with self._database_lock:
            if (self._max_tracking_ids[self.tracking_name] or 0) != expected:
                return False
            memory = self._memory
            tip = memory.checkpoints[max(memory.checkpoints)] if memory.checkpoints else None
            checkpoints, marks = fold(
                tip, {i: memory.streams[i] for i in ids if i in memory.streams}
            )
            memory.checkpoints.update((c.seq, c) for c in checkpoints)
            memory.streams.update((m.originator_id, m) for m in marks)
            self._insert_tracking(Tracking(self.tracking_name, last_id))
        return True

    def reset(self) -> None:
        with self._database_lock:
            self._memory = _Memory({}, {})
            self._max_tracking_ids.pop(self.tracking_name, None)
